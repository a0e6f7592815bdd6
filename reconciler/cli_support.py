"""What every command shares: options, error handling, colors, notes, the progress bar."""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from reconciler.errors import DactlError, ProblemsError
from reconciler.exitcodes import ExitCode
from reconciler.render import formats
from reconciler.secrets import RedactingFilter

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_AUDIT_LOG = Path(".dactl") / "audit.jsonl"


def handle_errors(func: F) -> F:
    """Expected errors become one line on stderr and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProblemsError as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            click.echo(exc.closing, err=True)
            sys.exit(ExitCode.ERROR)
        except DactlError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(ExitCode.ERROR)
        except KeyboardInterrupt:
            click.echo(
                "\nInterrupted. Writes already sent are in the audit log; run plan to see "
                "where the org stands.",
                err=True,
            )
            sys.exit(ExitCode.INTERRUPTED)

    return wrapper  # type: ignore[return-value]


_log_handler: logging.Handler | None = None


def _verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    """``-v``: retries, rate-limit waits and transport failures; ``-vv``: every request
    too (method, URL and status only: never headers or bodies). On stderr, redacted."""
    global _log_handler
    if not value:
        return
    logger = logging.getLogger("reconciler")
    if _log_handler is not None:
        logger.removeHandler(_log_handler)
    _log_handler = logging.StreamHandler(sys.stderr)
    _log_handler.addFilter(RedactingFilter())
    _log_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(_log_handler)
    logger.setLevel(logging.DEBUG if value > 1 else logging.INFO)


def _no_color(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        os.environ["NO_COLOR"] = "1"  # this process only: what no-color.org asks for


_OUTPUT_OPTIONS = (
    click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_verbosity,
        help="Show retries, rate-limit waits and network failures on stderr (-vv: every "
        "request too). Never secrets.",
    ),
    click.option(
        "--no-color",
        is_flag=True,
        expose_value=False,
        callback=_no_color,
        help="No colors (so does the NO_COLOR environment variable).",
    ),
)


def output_options(func: F) -> F:
    """``-v/--verbose`` and ``--no-color``: for commands that talk to the org and color
    their output."""
    for option in reversed(_OUTPUT_OPTIONS):
        func = option(func)
    return func


def verbose_option(func: F) -> F:
    """``-v/--verbose`` alone: for commands that talk to the org but print no colors."""
    return _OUTPUT_OPTIONS[0](func)


def color_option(func: F) -> F:
    """``--no-color`` alone: for commands that color their output but make no request."""
    return _OUTPUT_OPTIONS[1](func)


# Shown under the options of every command that talks to an org (``epilog=``); ``\b``
# keeps click from reflowing the table.
ORG_EPILOG = """\b
Environment (a flag beats these, and these beat dactl.yaml):
  DACTL_ENV                        the environment of dactl.yaml, as --env does
  GENESYSCLOUD_OAUTHCLIENT_ID      the OAuth client (client credentials grant)
  GENESYSCLOUD_OAUTHCLIENT_SECRET  its secret; never printed
  GENESYSCLOUD_ACCESS_TOKEN        a ready access token, instead of the client
  GENESYSCLOUD_API_URL             the API base URL (https://api.mypurecloud.ie)
  GENESYSCLOUD_API_REGION          the same, as blueprints name it
  GENESYSCLOUD_REGION              a region key or domain (eu-west-1, mypurecloud.ie)
An environment with credentialsPrefix: PROD_ reads PROD_GENESYSCLOUD_* instead."""


def complete_action_names(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of action names (``--target``, ``dactl test NAME``): the ``name``
    of each action file of the command's directory argument (default ``actions/``), read
    here, offline. Anything unreadable completes nothing."""
    from reconciler.config.loader import load_tree

    given = ctx.params.get("directory") or ctx.params.get("target") or "actions"
    # Completing an option's value, click leaves the positional arguments unparsed.
    leftover = [arg for arg in ctx.args if not arg.startswith("-")]
    directory = Path(leftover[0] if leftover else given)
    if not directory.is_dir():
        return []
    try:
        tree = load_tree(directory)
    except Exception:  # completion must never print a traceback into the shell
        return []
    names = sorted(
        {
            doc.doc.data["name"]
            for doc in tree.actions
            if isinstance(doc.doc.data, dict) and isinstance(doc.doc.data.get("name"), str)
        }
    )
    wanted = incomplete.casefold()
    bash = os.environ.get("_DACTL_COMPLETE", "").startswith("bash")
    return [
        CompletionItem(_bash_word(name) if bash else name)
        for name in names
        if name.casefold().startswith(wanted)
    ]


def _bash_word(name: str) -> str:
    """A name as bash must insert it, ``Get\\ User``: bash inserts a completion as it is
    (zsh and fish quote completions themselves). Each backslash is doubled, since click's
    bash script reads the line with ``read``, which takes one level of backslashes away."""
    return "".join(c if c.isalnum() or c in "_./-@%+=:" else "\\\\" + c for c in name)


_CONNECTION_OPTIONS = (
    click.option("--refresh", is_flag=True, help="Ignore the local cache of live actions."),
    # No envvar= here: the options carry only what was typed, and ConnectionSettings.resolve
    # reads the environment, so a flag always beats GENESYSCLOUD_* and those beat dactl.yaml.
    click.option(
        "--api-url",
        metavar="URL",
        help="API base URL (https://api.mypurecloud.ie, or the sandbox's); beats --region. "
        "Else GENESYSCLOUD_API_URL, GENESYSCLOUD_API_REGION, GENESYSCLOUD_REGION, then "
        "apiUrl:/region: in dactl.yaml. There is no default org.",
    ),
    click.option(
        "--region",
        metavar="REGION",
        help="Region key (eu-west-1) or domain (mypurecloud.ie) of the org; beats the "
        "environment and dactl.yaml.",
    ),
    click.option(
        "--concurrency",
        default=24,
        show_default=True,
        type=click.IntRange(1, 32),
        # 24: past it a cold plan is no faster (docs/benchmarks.md, the sweep); under a
        # rate limit the pacer, not this, sets the pace.
        help="Requests in flight at once.",
    ),
)


ENV_OPTION = click.option(
    "--env",
    "env",
    metavar="NAME",
    help="The environment of dactl.yaml (environments:) to work on; else DACTL_ENV. A "
    "project that declares environments needs one.",
)


def chosen_environment(env: str | None) -> tuple[str | None, str]:
    """The environment asked for, and who named it: ``--env``, else ``DACTL_ENV``."""
    if env is not None and env.strip():
        return env.strip(), "--env"
    return (os.environ.get("DACTL_ENV", "").strip() or None), "DACTL_ENV"


report_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(formats("plan")),
    default="text",
    show_default=True,
    help="Output format: terminal text, a Markdown comment, or versioned JSON.",
)


def use_color() -> bool:
    """Colors on a terminal only, and never when NO_COLOR is set (no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def print_note(text: str) -> None:
    """A note for the user (which org location is used, and why), on stderr."""
    click.echo(f"note: {text}", err=True)


def connection_options(func: F) -> F:
    """``--env``, ``--refresh``, ``--api-url``, ``--region`` and ``--concurrency``: the
    options of every command that reads the org."""
    for option in reversed((ENV_OPTION, *_CONNECTION_OPTIONS)):
        func = option(func)
    return func


def lookup_connection_options(func: F) -> F:
    """``--env``, ``--refresh``, ``--api-url`` and ``--region``: for a command that reads
    one action (``--concurrency`` would change nothing there)."""
    for option in reversed((ENV_OPTION, *_CONNECTION_OPTIONS[:3])):
        func = option(func)
    return func


def fetch_options(func: F) -> F:
    """``--refresh`` and ``--concurrency``: for a command that reads orgs whose location
    each comes from its own project and environment (``dactl compare``)."""
    for option in reversed((_CONNECTION_OPTIONS[0], _CONNECTION_OPTIONS[3])):
        func = option(func)
    return func


class fetch_progress:
    """A progress bar on stderr while live actions are fetched, only when stderr is a TTY."""

    def __init__(self, orchestrator: Any) -> None:
        self.orchestrator = orchestrator
        self.bar: Any = None
        self.lock = threading.Lock()  # fetches report progress from several threads

    def __enter__(self) -> fetch_progress:
        if sys.stderr.isatty():
            self.orchestrator.on_total = self._start
            self.orchestrator.on_progress = self._advance
        return self

    def _advance(self, n: int) -> None:
        with self.lock:
            if self.bar is None:
                return
            self.bar.update(n)
            done = self.bar.pos >= self.bar.length
        if done:  # end the line before anything else prints
            self.__exit__()

    def _start(self, total: int) -> None:
        if total:
            self.bar = click.progressbar(
                length=total, label="Fetching live actions", file=sys.stderr
            )
            self.bar.__enter__()

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            bar, self.bar = self.bar, None
        if bar is not None:
            bar.__exit__(None, None, None)
