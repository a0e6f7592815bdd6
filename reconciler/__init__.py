"""dactl: Genesys Cloud data actions as code."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dactl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
