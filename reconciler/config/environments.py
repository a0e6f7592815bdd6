"""Environments (``environments:`` in ``dactl.yaml``): the orgs one tree is applied to, and
choosing one of them for a run (``--env NAME`` or ``DACTL_ENV``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.errors import SettingsError
from reconciler.suggest import did_you_mean

if TYPE_CHECKING:
    from reconciler.config.model import ProjectSpec

ENV_VARIABLE = "DACTL_ENV"


@dataclass(frozen=True)
class EnvironmentSpec:
    """One environment as ``dactl.yaml`` declares it; anything unset is the project's."""

    name: str
    region: str | None = None
    api_url: str | None = None
    credentials_prefix: str = ""
    integrations: tuple[str, ...] | None = None
    variables: dict[str, Any] = field(default_factory=dict)


def environments_from_data(data: Any) -> dict[str, EnvironmentSpec]:
    """The environments of a schema-valid ``environments:`` mapping (or none), by name."""
    if not isinstance(data, dict):
        return {}
    out = {}
    for name, body in data.items():
        body = body or {}
        scope = body.get("scope")
        out[name] = EnvironmentSpec(
            name=name,
            region=body.get("region"),
            api_url=body.get("apiUrl"),
            credentials_prefix=body.get("credentialsPrefix") or "",
            integrations=None if scope is None else tuple(scope["integrations"]),
            variables=dict(body.get("variables") or {}),
        )
    return out


def choose_environment(
    project: ProjectSpec, name: str | None, source: str = "--env", *, required: bool = True
) -> ProjectSpec:
    """The project for the environment ``name`` (given by ``source``: ``--env``,
    ``DACTL_ENV``, a saved plan). A project without environments takes none; one with
    environments needs one when ``required`` (else ``project`` is returned as it is).
    ``SettingsError``, one line naming the known environments, otherwise."""
    where = project.source or "dactl.yaml"
    known = sorted(project.environments)
    if not known:
        if name is None:
            return project
        raise SettingsError(
            f"{source} {name}: {where} declares no environments (add environments: to it, "
            f"or run without {source})"
        )
    if name is None:
        if not required:
            return project
        # ``dactl compare`` ignores DACTL_ENV (two orgs): only --env can name its sides.
        also = "" if source == "compare --env" else f" (or {ENV_VARIABLE})"
        raise SettingsError(
            f"{where} declares environments ({', '.join(known)}): choose one with --env NAME" + also
        )
    if name not in project.environments:
        hint = did_you_mean(name, known)
        raise SettingsError(
            f"unknown environment {name!r} (from {source}); {where} declares "
            f"{', '.join(known)}" + (f"; {hint}" if hint else "")
        )
    return project.for_environment(name)


__all__ = ["ENV_VARIABLE", "EnvironmentSpec", "choose_environment", "environments_from_data"]
