"""The CI templates shipped in the package (``reconciler/ci/templates/``), for
``dactl init --ci github|gitlab``; ``docs/ci/`` holds the same files (a test keeps them so).

The templates name dactl's repository ``OWNER/dactl`` (the composite action
``OWNER/dactl@v0``; GitLab's ``pip install`` of it): ``OWNER`` is the account that hosts
the dactl repository the team installs from (upstream's, or a fork).
``template_files(..., owner=...)`` writes it in.

A variant is a recipe a team uses instead of another one (``dactl-pull.yml``: the drift
recipe that opens a pull request with the org's changes, in place of an issue): shipped
and documented like the others, but not written by ``dactl init`` unless asked
(``variants=True``), since the two would run on the same schedule.
"""

from __future__ import annotations

import re
from importlib.resources import files

from reconciler.errors import DactlError

PROVIDERS = ("github", "gitlab")
# Where each provider's files go in a user's repository.
DESTINATION = {"github": ".github/workflows", "gitlab": ".gitlab"}
OWNER_PLACEHOLDER = "OWNER/dactl"
VARIANTS = frozenset({"dactl-pull.yml"})
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]{1,100})?$")


def template_files(
    provider: str, *, owner: str | None = None, variants: bool = False
) -> dict[str, str]:
    """``{path in the user's repository: text}`` for ``provider``; with ``owner`` (``acme``
    or ``acme/dactl``), ``OWNER/dactl`` reads ``acme/dactl``; ``variants`` adds them."""
    if provider not in PROVIDERS:
        raise DactlError(f"unknown CI provider {provider!r}: use one of {', '.join(PROVIDERS)}")
    if owner is not None and not _OWNER.match(owner):
        raise DactlError(f"{owner!r} is not a GitHub OWNER or OWNER/REPOSITORY")
    folder = files("reconciler.ci").joinpath("templates", provider)
    out: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yml", ".yaml")):
            continue
        if entry.name in VARIANTS and not variants:
            continue
        text = entry.read_text(encoding="utf-8")
        if owner is not None:
            repo = owner if "/" in owner else f"{owner}/dactl"
            text = text.replace(OWNER_PLACEHOLDER, repo)
        out[f"{DESTINATION[provider]}/{entry.name}"] = text
    return out
