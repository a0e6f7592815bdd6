"""The orchestrator against the in-memory org (no server): plan, apply's gates and prompt,
drift, export and test, and how it opens the org."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler import orchestrator as orchestrator_module
from reconciler.actiontest.inputs import GivenInputs
from reconciler.actiontest.offline import OfflineRun
from reconciler.actiontest.remote import RemoteRun
from reconciler.config.model import ProjectSpec
from reconciler.errors import (
    DactlError,
    ExportError,
    InputError,
    SettingsError,
    UnsafePlanError,
    ValidationError,
)
from reconciler.genesys import ActionsApi, GenesysClient
from reconciler.orchestrator import (
    Connection,
    Orchestrator,
    check_allowed,
    connect_genesys,
    project_safety,
)
from reconciler.plan import Change, Plan, Safety
from tests.fakes.org import API_URL, FakeOrg, fake_settings
from tests.fakes.project import WEB, World, action, post_body_of

USER = "Get User"
ORDER = "Get Order"


@pytest.fixture
def world(tmp_path: Path, org_env: None) -> World:
    return World(tmp_path)


# -- opening the org ------------------------------------------------------------------------


def test_by_default_the_org_is_opened_over_http() -> None:
    assert Orchestrator(Path("actions")).connect is connect_genesys
    with connect_genesys(fake_settings(), 3) as api:
        assert isinstance(api, ActionsApi) and isinstance(api.client, GenesysClient)
        assert api.client.max_concurrency == 3 and api.client.requests_sent == 0
        assert api.client.settings.api_url == API_URL


def test_replacing_the_default_reaches_every_new_orchestrator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org = FakeOrg()
    monkeypatch.setattr(orchestrator_module, "connect_genesys", org.connect)
    assert Orchestrator(Path("actions")).connect == org.connect


def test_the_org_gets_the_resolved_settings_and_notes_reach_the_caller(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENESYSCLOUD_API_URL", "https://api.elsewhere.test")
    notes: list[str] = []
    orchestrator = world.orchestrator(on_note=notes.append)
    result = orchestrator.plan()
    assert world.org.client.settings.api_url == API_URL and world.org.sessions == 1
    assert notes == [
        f"using --api-url {API_URL} (GENESYSCLOUD_API_URL says https://api.elsewhere.test)"
    ]
    assert orchestrator.organization == result.organization
    assert result.organization is not None and result.organization.label == (
        "dactl sandbox (api.fake.test)"
    )


def test_without_a_location_nothing_is_opened(world: World) -> None:
    orchestrator = Orchestrator(world.directory, Connection(), connect=world.org.connect)
    with pytest.raises(SettingsError, match="no Genesys Cloud location"):
        orchestrator.plan()
    assert world.org.sessions == 0


# -- validate -------------------------------------------------------------------------------


def test_a_file_or_an_invalid_tree_is_refused_before_the_org_is_opened(world: World) -> None:
    world.write(action(USER))
    file = world.directory / "get-user.yaml"
    with pytest.raises(DactlError, match="is a file: this command takes the directory"):
        world.orchestrator().__class__(file, connect=world.org.connect).plan()
    file.write_text(file.read_text().replace("timeoutSeconds: 5", "timeoutSeconds: 500"))
    with pytest.raises(ValidationError) as caught:
        world.plan()
    assert any("timeoutSeconds" in str(p) for p in caught.value.problems)
    assert world.org.sessions == 0


# -- plan -----------------------------------------------------------------------------------


def test_plan_targets_and_prune(world: World) -> None:
    ids = world.seed(action(USER), action(ORDER), action("Old One"))
    world.remove("Old One")
    world.write(action(USER, timeout=9), action(ORDER, timeout=9))
    result = world.plan(targets=[USER])
    assert [(c.name, c.kind) for c in result.plan.changes] == [(USER, "update")]
    pruned = world.plan(prune=True)
    assert [(c.name, c.kind) for c in pruned.plan.changes] == [
        (ORDER, "update"),
        (USER, "update"),
        ("Old One", "delete"),
    ]
    assert pruned.plan.changes[-1].action_id == ids["Old One"]
    assert pruned.plan.existing == 3 and pruned.live.integrations.by_name[WEB]


# -- apply ----------------------------------------------------------------------------------


def test_a_declined_prompt_writes_nothing(world: World) -> None:
    world.write(action(USER))
    shown: list[Plan] = []

    def decline(plan: Plan) -> bool:
        shown.append(plan)
        return False

    result = world.apply(confirm=decline)
    assert result.cancelled and result.outcomes == []
    assert [c.name for c in shown[0].changes] == [USER]
    assert world.org.writes == [] and world.audit() == []


def test_an_accepted_prompt_applies_what_it_showed(world: World) -> None:
    world.write(action(USER))
    done: list[str] = []
    result = world.apply(confirm=lambda plan: True, on_done=lambda o: done.append(o.name))
    assert not result.cancelled and done == [USER] and list(world.org.ids()) == [USER]


def test_an_empty_plan_asks_nothing_and_opens_no_audit_log(world: World) -> None:
    world.seed(action(USER))
    result = world.apply(confirm=lambda plan: pytest.fail("asked"))  # type: ignore[func-returns-value]
    assert result.outcomes == [] and not result.cancelled
    assert not world.audit_path.exists()


def test_a_plan_over_the_safety_thresholds_needs_force(world: World) -> None:
    names = [f"Action {n:02}" for n in range(10)]
    world.seed(*(action(name) for name in names))
    world.write(*(action(name, timeout=9) for name in names[:4]))
    with pytest.raises(UnsafePlanError) as caught:
        world.apply()
    assert str(caught.value) == (
        "the plan is over the project's safety thresholds: it would update 4 of 10 existing "
        "actions (40%), over maxUpdatePercent 30. Nothing was changed. Apply with --force "
        "to go ahead anyway."
    )
    assert world.org.writes == []
    result = world.apply(force=True)
    assert len(result.outcomes) == 4 and not result.failed


def test_check_allowed_and_project_safety() -> None:
    replace = Change("replace", "A", "id", 1)
    check_allowed(Plan((replace,)), allow_replace=True, force=False)
    with pytest.raises(UnsafePlanError, match=r"replaces 1 action\(s\) \(A\)"):
        check_allowed(Plan((replace,)), allow_replace=False, force=True)
    assert project_safety(ProjectSpec()) == Safety()
    custom = ProjectSpec(max_update_percent=50, max_delete_percent=None, min_existing=3)
    assert project_safety(custom) == Safety(50, 10, 3)


# -- drift ----------------------------------------------------------------------------------


def test_drift_reads_changed_missing_and_unmanaged_actions(world: World) -> None:
    ids = world.seed(action(USER), action(ORDER))
    world.write(action("Not Yet Made"))
    world.org.edit(ids[USER], timeoutSeconds=8)
    stray = world.org.seed(post_body_of(action("Made In The UI"), world.org))
    report, org = world.orchestrator().drift()
    assert report.drifted and report.in_sync == (ORDER,)
    assert [(a.status, a.name, a.action_id) for a in report.actions] == [
        ("changed", USER, ids[USER]),
        ("missing", "Not Yet Made", None),
        ("unmanaged", "Made In The UI", stray),
    ]
    (field,) = report.actions[0].fields
    assert (field.dotted, field.before, field.after) == ("timeoutSeconds", 5, 8)
    assert report.summary() == "Drift: 1 changed outside git, 1 missing, 1 unmanaged."
    assert org is not None and org.name == "dactl sandbox"
    assert world.org.writes == []


# -- export ---------------------------------------------------------------------------------


def test_export_writes_the_scope_and_plans_as_no_change(world: World, tmp_path: Path) -> None:
    world.seed(action(USER), action(ORDER, integration=WEB))
    out = tmp_path / "exported"
    exporter = Orchestrator(out, Connection(api_url=API_URL), connect=world.org.connect)
    result = exporter.export(integrations=(WEB,))
    assert [f.name for f in result.files] == [ORDER] and result.integrations == (WEB,)
    assert result.summary() == (
        f"Exported 1 action from 1 integration to {out}/ (1 new, 0 updated, 0 unchanged)."
    )
    project = yaml.safe_load((out / "dactl.yaml").read_text())
    assert project["scope"]["integrations"] == [WEB]
    assert (
        Orchestrator(out, Connection(api_url=API_URL), connect=world.org.connect).plan().plan.empty
    )


def test_export_takes_the_scope_of_the_directory_and_refuses_action_files(world: World) -> None:
    world.seed(action(USER))
    orchestrator = world.orchestrator()
    with pytest.raises(ExportError, match="already holds action files"):
        orchestrator.export()
    assert world.org.sessions == 0
    world.org.edit(world.org.ids()[USER], timeoutSeconds=8)
    result = orchestrator.export(force=True)
    assert [(f.name, f.status) for f in result.files] == [(USER, "updated")]
    assert result.file_lines() == [f"updated  {world.directory / 'get-user.yaml'}  ({USER})"]
    assert "timeoutSeconds: 8" in (world.directory / "get-user.yaml").read_text()


def test_export_without_a_scope_takes_every_integration(tmp_path: Path, org_env: None) -> None:
    org = FakeOrg()
    world = World(tmp_path, org)
    world.seed(action(USER), action(ORDER, integration=WEB))
    out = tmp_path / "all"
    result = Orchestrator(out, Connection(api_url=API_URL), connect=org.connect).export()
    assert sorted(f.name for f in result.files) == [ORDER, USER]
    assert len(result.integrations) >= 2


# -- test -----------------------------------------------------------------------------------


def test_an_offline_test_needs_no_org(world: World) -> None:
    world.write(action(USER))
    run = world.orchestrator().run_test(USER, GivenInputs(("q=42",)), offline=True)
    assert isinstance(run, OfflineRun) and run.passed
    assert world.org.sessions == 0


def test_a_remote_test_runs_the_live_action_and_warns_of_differences(world: World) -> None:
    ids = world.seed(action(USER))
    world.write(action(USER, timeout=9))
    warned: list[str] = []
    run = world.orchestrator().run_test(USER, GivenInputs(("q=42",)), warn=warned.append)
    assert isinstance(run, RemoteRun) and run.passed
    assert (run.action_id, run.version, run.secure) == (ids[USER], 1, False)
    assert run.final_result == {"out": "none"}
    (warning,) = warned
    assert warned == run.warnings
    assert warning.startswith("testing the live version; it differs from the file ")
    assert warning.endswith("get-user.yaml in: timeoutSeconds (run `dactl plan` to see how)")
    assert world.org.calls[-1].op == "test_action"


def test_a_remote_test_of_a_live_action_without_a_file(world: World) -> None:
    stray = world.org.seed(post_body_of(action("Made In The UI", secure=True), world.org))
    run = world.orchestrator().run_test("Made In The UI", GivenInputs(("q=42",)))
    assert isinstance(run, RemoteRun) and run.passed and run.secure
    assert run.action_id == stray and run.final_result is None  # a secure result is hidden
    assert run.warnings == [
        f"no file in {world.directory} describes 'Made In The UI'; testing the live action"
    ]


def test_a_remote_test_of_an_action_not_in_the_org_or_with_bad_inputs(world: World) -> None:
    world.write(action(USER))
    with pytest.raises(DactlError, match="is not in the org yet: run `dactl apply` to create it"):
        world.orchestrator().run_test(USER, GivenInputs())
    with pytest.raises(DactlError, match="no action is named 'Get Usr'"):
        world.orchestrator().run_test("Get Usr", GivenInputs())
    with pytest.raises(InputError):
        world.orchestrator().run_test(USER, GivenInputs(("no-equals-sign",)))
    assert "test_action" not in world.org.ops(writes=False)


def test_a_remote_test_the_org_refuses(world: World) -> None:
    world.seed(action(USER))
    world.org.fail("test_action", status=400, message="There was an issue validating the schema.")
    with pytest.raises(DactlError, match="validating the schema"):
        world.orchestrator().run_test(USER, GivenInputs(("q=42",)))
