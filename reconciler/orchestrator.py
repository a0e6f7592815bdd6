"""The one object that drives the pipeline: load, validate, fetch live, diff, plan.

Commands call it and render what it returns; it never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.config.model import ProjectSpec
from reconciler.errors import ValidationError
from reconciler.fsutil import atomic_write_json
from reconciler.genesys import ActionsApi, ConnectionSettings, GenesysClient
from reconciler.live import LiveCache, LiveState, fetch_live, org_key
from reconciler.plan import Plan, Safety, build_plan
from reconciler.render.plan import plan_to_dict
from reconciler.validate import ValidationReport, validate_tree

DEFAULT_CACHE_DIR = Path(".dactl") / "cache"


@dataclass
class Connection:
    """Where to connect; anything unset comes from ``GENESYSCLOUD_*`` or the project file."""

    api_url: str | None = None
    region: str | None = None
    max_concurrency: int = 8


@dataclass
class PlanResult:
    """A plan with what it was made from."""

    plan: Plan
    report: ValidationReport
    live: LiveState
    requests: int = 0


@dataclass
class Orchestrator:
    """Runs the pipeline for one desired-state directory."""

    directory: Path
    connection: Connection = field(default_factory=Connection)
    cache_dir: Path | None = DEFAULT_CACHE_DIR
    refresh: bool = False
    on_total: Callable[[int], None] | None = None
    on_progress: Callable[[int], None] | None = None

    def validate(self) -> ValidationReport:
        """Validate the tree; ``ValidationError`` (carrying every problem) when invalid."""
        report = validate_tree(self.directory)
        if not report.ok:
            raise ValidationError(report.problems)
        return report

    @contextmanager
    def session(self, report: ValidationReport) -> Iterator[tuple[ActionsApi, str]]:
        """An authenticated actions API for the org, and that org's cache key."""
        settings = ConnectionSettings.resolve(
            api_url=self.connection.api_url,
            region=self.connection.region,
            project_api_url=report.project.api_url,
            project_region=report.project.region,
        )
        with GenesysClient(settings, max_concurrency=self.connection.max_concurrency) as client:
            yield ActionsApi(client), org_key(settings.api_url, settings.client_id)

    def plan(self, *, targets: list[str] | None = None) -> PlanResult:
        """Validate, fetch the live scope, and plan. Read-only."""
        report = self.validate()
        with self.session(report) as (api, org):
            cache = None
            if self.cache_dir is not None and not self.refresh:
                cache = LiveCache(self.cache_dir, org)
            elif self.cache_dir is not None:
                cache = _WriteOnlyCache(self.cache_dir, org)
            live = fetch_live(
                api,
                scope=report.project.integrations,
                needed_integrations={a.integration for a in report.actions if a.integration},
                cache=cache,
                progress_total=self.on_total,
                progress=self.on_progress,
            )
            requests = api.client.requests_sent
        plan = build_plan(
            report.actions,
            live.actions,
            live.integrations,
            prune=report.project.prune,
            contracts_mutable=not report.project.immutable_contracts,
            targets=targets,
            safety=project_safety(report.project),
        )
        return PlanResult(plan, report, live, requests)


def project_safety(project: ProjectSpec) -> Safety:
    """The project's safety thresholds, each unset one at its default."""
    default = Safety()
    return Safety(
        max_update_percent=_pick(project.max_update_percent, default.max_update_percent),
        max_delete_percent=_pick(project.max_delete_percent, default.max_delete_percent),
        min_existing=int(_pick(project.min_existing, default.min_existing)),
    )


def _pick(value: float | None, default: float) -> float:
    return default if value is None else value


class _WriteOnlyCache(LiveCache):
    """``--refresh``: ignore what is cached, but keep the cache fresh for the next run."""

    def get_action(self, action_id: str, version: int) -> None:
        return None

    def get_integrations(self) -> None:
        return None


def save_plan(plan: Plan, path: Path) -> None:
    """Write the saved-plan file atomically (no partial file on failure)."""
    atomic_write_json(path, plan_to_dict(plan))
