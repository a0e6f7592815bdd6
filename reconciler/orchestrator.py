"""The one object that drives the pipeline: load, validate, fetch live, diff, plan.

Commands call it and render what it returns; it never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.audit import AuditLog
from reconciler.backend import OrgApi
from reconciler.config.environments import choose_environment
from reconciler.config.model import ProjectSpec
from reconciler.drafts import DEFAULT_PATH as DEFAULT_DRAFTS_PATH
from reconciler.drafts import DraftRegistry
from reconciler.drift import DriftReport, drift_report
from reconciler.errors import DactlError, UnsafePlanError, ValidationError
from reconciler.genesys import ActionsApi, ConnectionSettings, GenesysClient
from reconciler.impact import gather, in_use
from reconciler.live import LiveCache, LiveState, fetch_live, org_key
from reconciler.organization import OrgInfo, lookup_organization
from reconciler.plan import Change, Plan, Safety, build_plan
from reconciler.savedplan import SavedPlan, check_environment, from_saved
from reconciler.validate import ValidationReport, validate_tree
from reconciler.validate.cache import FILE_NAME as VALIDATION_CACHE
from reconciler.validate.cache import ValidationCache

if TYPE_CHECKING:  # the commands' own modules are imported when they run
    from reconciler.actiontest.inputs import GivenInputs
    from reconciler.actiontest.offline import OfflineRun
    from reconciler.actiontest.remote import RemoteRun
    from reconciler.adopt import Adoption
    from reconciler.apply import ApplyResult, Outcome
    from reconciler.compare import CompareReport, SideState
    from reconciler.exporter import ExportResult
    from reconciler.usages import UsagesReport

DEFAULT_CACHE_DIR = Path(".dactl") / "cache"

# Opens the org for a run: the resolved settings and the requests in flight at most.
Connect = Callable[[ConnectionSettings, int], AbstractContextManager[OrgApi]]


@contextmanager
def connect_genesys(settings: ConnectionSettings, max_concurrency: int) -> Iterator[OrgApi]:
    """The org over HTTP: a ``GenesysClient`` and the ``ActionsApi`` on it."""
    with GenesysClient(settings, max_concurrency=max_concurrency) as client:
        yield ActionsApi(client)


@dataclass
class Connection:
    """Where to connect; anything unset comes from ``GENESYSCLOUD_*`` or the project file."""

    api_url: str | None = None
    region: str | None = None
    max_concurrency: int = 24
    # The project's environment (dactl.yaml ``environments:``) and who named it, for
    # errors: ``--env``, ``DACTL_ENV``, a saved plan.
    environment: str | None = None
    environment_from: str = "--env"


@dataclass
class PlanResult:
    """A plan with what it was made from."""

    plan: Plan
    report: ValidationReport
    live: LiveState
    requests: int = 0
    org: str = ""  # the org's cache key: API host and client id, never a secret
    organization: OrgInfo | None = None  # its name and host, for the reviewer


@dataclass
class Orchestrator:
    """Runs the pipeline for one desired-state directory."""

    directory: Path
    connection: Connection = field(default_factory=Connection)
    cache_dir: Path | None = DEFAULT_CACHE_DIR
    drafts_path: Path | None = DEFAULT_DRAFTS_PATH
    refresh: bool = False
    on_total: Callable[[int], None] | None = None
    on_progress: Callable[[int], None] | None = None
    # Hears notes for the user (which of two disagreeing org locations is used); the
    # orchestrator never prints.
    on_note: Callable[[str], None] | None = None
    # The org of the last plan (name and host), once known: for the apply prompt.
    organization: OrgInfo | None = field(default=None, init=False)
    # How the org is opened (tests give an in-memory one); looked up when the
    # orchestrator is made, so replacing ``connect_genesys`` reaches every command.
    connect: Connect = field(default_factory=lambda: connect_genesys)

    def validate(self) -> ValidationReport:
        """Validate the tree; ``ValidationError`` (carrying every problem) when invalid.

        Commands that talk to the org need the whole tree: one file would look like a
        project with one action, and with prune every other action would be deleted.
        """
        if self.directory.is_file():
            raise DactlError(
                f"{self.directory} is a file: this command takes the directory that holds "
                "dactl.yaml and the action files (use --target NAME for one action)"
            )
        cache = None
        if self.cache_dir is not None:  # a file's checks are remembered while it is the same
            path = self.cache_dir / VALIDATION_CACHE
            cache = ValidationCache(path, read=not self.refresh)
        report = validate_tree(
            self.directory,
            self.connection.environment,
            source=self.connection.environment_from,
            require_environment=True,
            cache=cache,
        )
        if not report.ok:
            raise ValidationError(report.problems)
        return report

    def _project(self, report: ValidationReport) -> ProjectSpec:
        """The project as this run's environment sees it (a project with environments
        needs one)."""
        if report.project.environment is not None:
            return report.project
        return choose_environment(
            report.project, self.connection.environment, self.connection.environment_from
        )

    @contextmanager
    def session(self, report: ValidationReport) -> Iterator[tuple[OrgApi, str]]:
        """An authenticated actions API for the org, and that org's cache key.

        The cache is the org's (its key: the API host and the client id): it holds what
        the org holds, nothing resolved for an environment, so two environments of one
        org share it safely."""
        project = self._project(report)
        settings = ConnectionSettings.resolve(
            api_url=self.connection.api_url,
            region=self.connection.region,
            project_api_url=project.api_url,
            project_region=project.region,
            project_file=project.source or str(self.directory / "dactl.yaml"),
            env_prefix=project.credentials_prefix,
            project_keys=project.location_key,
        )
        for note in settings.notices:
            if self.on_note is not None:
                self.on_note(note)
        with self.connect(settings, self.connection.max_concurrency) as api:
            yield api, org_key(settings.api_url, settings.client_id)

    def plan(
        self,
        *,
        targets: list[str] | None = None,
        prune: bool | None = None,
        impact: Callable[[Change], bool] | None = None,
    ) -> PlanResult:
        """Validate, fetch the live scope, and plan. Read-only.

        ``prune`` overrides the project's ``prune`` (deletes for live actions with no file).
        The flows that use each risky change's action are asked for (``impact`` narrows
        which changes: ``reconciler.impact``).
        """
        report = self.validate()
        with self.session(report) as (api, org):
            result = self._plan_in(api, org, report, targets=targets, prune=prune)
            return self._with_impact(api, org, result, impact)

    def apply(
        self,
        *,
        saved: SavedPlan | None = None,
        targets: list[str] | None = None,
        prune: bool | None = None,
        allow_replace: bool = False,
        force: bool = False,
        allow_in_use: bool = False,
        take_over_drafts: bool = False,
        confirm: Callable[[Plan], bool] | None = None,
        audit_path: Path | None = None,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> ApplyResult:
        """Plan (or check a saved plan against the org), gate, confirm, and apply.

        Nothing is written when the saved plan is stale, when the plan replaces actions
        without ``allow_replace``, when it is over the safety thresholds without ``force``,
        when it deletes or replaces an action that published flows use (or whose users
        cannot be read) without ``allow_in_use``, or when ``confirm`` declines. Drafts an
        earlier run left are resumed or discarded, even when the plan is empty;
        ``take_over_drafts`` lets apply discard drafts that dactl did not make.
        """
        from reconciler.apply import Applier, ApplyResult

        report = self.validate()
        if saved is not None:  # before anything is read from the org
            check_environment(saved, report.project.environment)
        with self.session(report) as (api, org):
            if saved is None:
                result = self._plan_in(api, org, report, targets=targets, prune=prune)
                plan, notes = result.plan, list[str]()
            else:
                result = self._plan_in(api, org, report, targets=None, prune=True)
                safety = project_safety(report.project)
                plan, notes = from_saved(saved, result.plan, result.live.actions, org, safety)
            plan = gather(plan, api, self._cache(org))
            check_allowed(plan, allow_replace=allow_replace, force=force)
            if not allow_in_use:
                check_not_in_use(api, plan.changes)
            drafts, cache = DraftRegistry(self.drafts_path, org), self._cache(org)
            if plan.empty and not drafts.records():
                return ApplyResult(plan, [], notes)
            audit = AuditLog(audit_path, environment=report.project.environment)
            audit.check()
            drafts.check()
            if not plan.empty and confirm is not None and not confirm(plan):
                return ApplyResult(plan, [], notes, cancelled=True)
            applier = Applier(
                api,
                result.live.integrations,
                audit,
                saved_plan=saved is not None,
                drafts=drafts,
                take_over_drafts=take_over_drafts,
                on_done=on_done,
                on_written=None if cache is None else cache.put_action,
            )
            outcomes = applier.apply(plan.changes)
            return ApplyResult(plan, outcomes, notes + applier.notes)

    def drift(self) -> tuple[DriftReport, OrgInfo | None]:
        """Drift is a plan with prune on (live actions with no file show up), read as
        changes made outside git; read-only. The report, and the org it was made against."""
        # Only unmanaged actions (deletes, with prune on): flows that use them come first.
        result = self.plan(prune=True, impact=lambda change: change.kind == "delete")
        return drift_report(result.plan, str(self.directory)), result.organization

    def _with_impact(
        self, api: OrgApi, org: str, result: PlanResult, select: Callable[[Change], bool] | None
    ) -> PlanResult:
        """``result`` with the flows that use the actions of its risky changes."""
        plan = gather(result.plan, api, self._cache(org), select=select)
        return replace(result, plan=plan, requests=api.client.requests_sent)

    def _plan_in(
        self,
        api: OrgApi,
        org: str,
        report: ValidationReport,
        *,
        targets: list[str] | None,
        prune: bool | None,
    ) -> PlanResult:
        # Once per org: cached beside the live actions, so a warm plan costs nothing more.
        organization = self._organization(api, org, report)
        self.organization = organization
        live = fetch_live(
            api,
            scope=report.project.integrations,
            needed_integrations={a.integration for a in report.actions if a.integration},
            cache=self._cache(org),
            progress_total=self.on_total,
            progress=self.on_progress,
        )
        plan = build_plan(
            report.actions,
            live.actions,
            live.integrations,
            prune=report.project.prune if prune is None else prune,
            contracts_mutable=not report.project.immutable_contracts,
            targets=targets,
            safety=project_safety(report.project),
            ignore=report.project.ignore,
        )
        return PlanResult(
            plan, report, live, api.client.requests_sent, org, organization=organization
        )

    def _organization(self, api: OrgApi, org: str, report: ValidationReport) -> OrgInfo:
        """The org's name (cached per org) and the environment this run is for."""
        found = lookup_organization(api, self._cache(org), api.client.settings.api_url)
        return replace(found, environment=report.project.environment)

    def observe(self, label: str) -> SideState:
        """One side of ``dactl compare``: the live actions of the environment's scope,
        the org, and the action files as written with the environment's variables (how
        to read its placeholders). Read-only."""
        from reconciler.compare import Side, SideState

        report = self.validate()
        with self.session(report) as (api, org):
            organization = self._organization(api, org, report)
            live = fetch_live(
                api,
                scope=report.project.integrations,
                cache=self._cache(org),
                progress_total=self.on_total,
                progress=self.on_progress,
            )
        written = {}
        for action in report.tree.actions:
            data = (action.written or action.doc).data
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                written[data["name"]] = data
        side = Side(label, str(self.directory), report.project.environment, organization)
        return SideState(side, live, written, dict(report.project.variables))

    def export(
        self,
        *,
        integrations: tuple[str, ...] = (),
        force: bool = False,
        adoption: Adoption | None = None,
    ) -> ExportResult:
        """Write the live actions into ``directory``: those of ``integrations``, else of
        the scope of the directory's ``dactl.yaml``, else of every integration; with
        ``adoption`` (``--name``, ``--unmanaged``) only those, into a tree that has files.

        Costs what a plan of the same scope costs (same listing, same cache). Refused
        before any request when the directory holds action files and not ``force``.
        """
        from reconciler.exporter import prepare_export, write_export

        env = self.connection
        adopt = adoption is not None and adoption.active
        target = prepare_export(
            self.directory,
            force=force,
            environment=env.environment,
            source=env.environment_from,
            adopt=adopt,
        )
        project = self._project(target.report)
        scope = list(dict.fromkeys(integrations)) or list(project.integrations)
        if integrations:
            scope_from = "from --integration"
        elif target.project_file is not None and scope:
            scope_from = f"from the scope of {target.project_file}"
        else:
            scope_from = None
        with self.session(target.report) as (api, org):
            live = fetch_live(
                api,
                scope=scope,
                cache=self._cache(org),
                progress_total=self.on_total,
                progress=self.on_progress,
            )
        return write_export(
            target, live, scope=scope, scope_from=scope_from, adoption=adoption, force=force
        )

    def run_test(
        self,
        name: str,
        given: GivenInputs,
        *,
        offline: bool = False,
        response: Path | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> OfflineRun | RemoteRun:
        """Test the action ``name``: offline by rendering its file (no network, ``response``
        a sample answer of the service), else with ``/test`` of the live action.

        The inputs are checked against the input contract before anything runs
        (``InputError``, which never quotes a value: whether the action is secure is known
        only once the live action is); ``warn`` hears, before the test, that the file and
        the live action differ. In the org, the action is secure when its file or the live
        action says so.
        """
        from reconciler.actiontest import find_spec, require_spec, unknown_action
        from reconciler.actiontest.inputs import prepare_inputs
        from reconciler.actiontest.offline import run_offline
        from reconciler.actiontest.remote import find_live, not_created, remote_warnings, run_remote

        report = self.validate()
        if offline:
            found = require_spec(report, name)
            inputs = prepare_inputs(given, found.contract_input)
            return run_offline(report, found, inputs, response)
        spec = find_spec(report, name)
        values: dict[str, Any] | None = None
        if spec is not None:
            values = prepare_inputs(given, spec.contract_input)
        with self.session(report) as (api, org):
            scope = report.project.integrations
            target = find_live(api, name, scope=scope, cache=self._cache(org))
            if target is None and spec is not None:
                raise not_created(spec)
            if target is None:
                where = f"in {self.directory} or in the org"
                raise unknown_action(name, (s.name for s in report.actions), where)
            secure = target.secure or (spec is not None and spec.secure)
            if values is None:
                values = prepare_inputs(given, target.input_schema)
            notes = remote_warnings(spec, target, name, self.directory)
            for note in notes:
                if warn is not None:
                    warn(note)
            run = run_remote(api, name, target, values, secure=secure)
        run.warnings = notes
        return run

    def usages(self, name: str) -> UsagesReport:
        """``dactl usages``: the flows that use the live action ``name``. Read-only."""
        from reconciler.usages import find_usages

        report = self.validate()
        with self.session(report) as (api, org):
            scope = report.project.integrations
            return find_usages(api, name, scope=scope, cache=self._cache(org))

    def compare(self, other: Orchestrator, labels: tuple[str, str]) -> CompareReport:
        """``dactl compare``: this side's org against ``other``'s, action by action.
        Read-only."""
        from reconciler.compare import compare

        return compare(self.observe(labels[0]), other.observe(labels[1]))

    def _cache(self, org: str) -> LiveCache | None:
        """The live cache of ``org``; with ``refresh``, one that is only written."""
        if self.cache_dir is None:
            return None
        if self.refresh:
            return _WriteOnlyCache(self.cache_dir, org)
        return LiveCache(self.cache_dir, org)


def check_allowed(plan: Plan, *, allow_replace: bool, force: bool) -> None:
    """Refuse, before any write, a plan with replaces (without ``allow_replace``) or one
    over the safety thresholds (without ``force``)."""
    replaces = [c.name for c in plan.changes if c.kind == "replace"]
    if replaces and not allow_replace:
        raise UnsafePlanError(
            f"the plan replaces {len(replaces)} action(s) ({', '.join(replaces)}): each gets "
            "a new id, and flows that use the old id must be repointed; nothing was "
            "changed. Apply with --allow-replace to go ahead."
        )
    if plan.unsafe and not force:
        raise UnsafePlanError(
            "the plan is over the project's safety thresholds: "
            + "; ".join(plan.unsafe)
            + ". Nothing was changed. Apply with --force to go ahead anyway."
        )


def check_not_in_use(api: OrgApi, changes: tuple[Change, ...]) -> None:
    """Refuse, before any write, to delete or replace an action that published flows use,
    or one whose users cannot be read: a flow that calls a deleted id fails mid-call."""
    found = in_use(api, changes)
    if found:
        raise UnsafePlanError(
            "the plan would break flows: "
            + "; ".join(item.describe() for item in found)
            + ". Nothing was changed. Repoint those flows first, or apply with "
            "--allow-in-use to go ahead (then republish them against the new ids)."
        )


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

    def get_organization(self) -> None:
        return None

    def get_consumers(self, action_id: str, version: int, max_age: float) -> None:
        return None
