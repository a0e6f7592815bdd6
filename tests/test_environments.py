"""Environments through the pipeline, against the in-memory org: the connection settings of
an environment, plans, applies, audit lines and saved plans that carry it, the cache two
environments of one org share, export and offline tests, and the reports that name it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.actiontest.inputs import GivenInputs
from reconciler.actiontest.offline import OfflineRun
from reconciler.drift import DriftedAction, DriftReport
from reconciler.errors import SettingsError, StalePlanError
from reconciler.genesys import ConnectionSettings
from reconciler.orchestrator import Connection, Orchestrator
from reconciler.organization import OrgInfo
from reconciler.plan import Plan
from reconciler.render import render
from reconciler.render.webhook import webhook_body
from reconciler.savedplan import SavedPlan, check_environment, read_saved_plan, save_plan
from tests.fakes.org import API_URL
from tests.fakes.project import WEB, World, action

THING = "Get Thing"
ENVIRONMENTS = {
    "dev": {"apiUrl": API_URL, "variables": {"host": "dev.example.com", "timeout": 9}},
    "test": {"apiUrl": API_URL, "variables": {"host": "test.example.com"}},
    "prod": {
        "apiUrl": "https://api.prod.test",
        "credentialsPrefix": "PROD_",
        "variables": {"host": "api.example.com"},
    },
}


def thing() -> dict[str, Any]:
    body = action(THING, integration=WEB)
    body["timeoutSeconds"] = "{{ var.timeout }}"
    body["request"]["requestUrlTemplate"] = "https://{{ var.host }}/things/${input.q}"
    body["request"]["headers"] = {"X-Env-Host": "{{var.host}}"}
    return body


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.delenv("DACTL_ENV", raising=False)
    monkeypatch.chdir(tmp_path)
    made = World(tmp_path, environments=ENVIRONMENTS, variables={"timeout": 5})
    made.write(thing())
    return made


def in_env(world: World, env: str, **kw: Any) -> Any:
    if "connect" in kw:
        cache = world.root / ".dactl" / "cache"
        return Orchestrator(world.directory, Connection(environment=env), cache_dir=cache, **kw)
    return world.orchestrator(connection=Connection(environment=env), **kw)


def live(world: World) -> dict[str, Any]:
    found = world.org.published(world.org.ids()[THING])
    assert found is not None
    config: dict[str, Any] = found["config"]
    return config


# -- connection settings ----------------------------------------------------------------------


def test_an_environment_reads_its_prefixed_variables_and_no_others() -> None:
    env = {
        "GENESYSCLOUD_API_URL": "https://api.dev.test",
        "GENESYSCLOUD_OAUTHCLIENT_ID": "dev-id",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "dev-secret",
        "PROD_GENESYSCLOUD_REGION": "us-east-1",
        "PROD_GENESYSCLOUD_OAUTHCLIENT_ID": "prod-id",
        "PROD_GENESYSCLOUD_OAUTHCLIENT_SECRET": "prod-secret",
    }
    settings = ConnectionSettings.resolve(
        env=env,
        env_prefix="PROD_",
        project_api_url="https://api.mypurecloud.ie",
        project_file="actions/dactl.yaml",
        project_keys="environments.prod.",
    )
    assert settings.api_url == "https://api.mypurecloud.com" and settings.client_id == "prod-id"
    assert settings.notices == (
        "using PROD_GENESYSCLOUD_REGION us-east-1 (environments.prod.apiUrl in "
        "actions/dactl.yaml says https://api.mypurecloud.ie)",
    )
    with pytest.raises(SettingsError) as nothing:
        ConnectionSettings.resolve(env=env, env_prefix="TEST_", project_keys="environments.test.")
    assert str(nothing.value) == (
        "no Genesys Cloud location: pass --region or --api-url, set TEST_GENESYSCLOUD_REGION "
        "(or TEST_GENESYSCLOUD_API_URL / TEST_GENESYSCLOUD_API_REGION), or set "
        "environments.test.region: in dactl.yaml"
    )
    with pytest.raises(SettingsError) as no_credentials:
        ConnectionSettings.resolve(env=env, env_prefix="TEST_", region="eu-west-1")
    assert str(no_credentials.value) == (
        "no Genesys Cloud credentials: set TEST_GENESYSCLOUD_OAUTHCLIENT_ID and "
        "TEST_GENESYSCLOUD_OAUTHCLIENT_SECRET, or TEST_GENESYSCLOUD_ACCESS_TOKEN"
    )
    with pytest.raises(SettingsError, match="TEST_GENESYSCLOUD_OAUTHCLIENT_ID is not set"):
        ConnectionSettings.resolve(
            env={"TEST_GENESYSCLOUD_OAUTHCLIENT_SECRET": "s"},
            env_prefix="TEST_",
            region="eu-west-1",
        )


def test_the_orchestrator_opens_the_environments_org(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[ConnectionSettings] = []

    def connect(settings: ConnectionSettings, n: int) -> Any:
        opened.append(settings)
        return world.org.connect(settings, n)

    with pytest.raises(SettingsError, match="PROD_GENESYSCLOUD_ACCESS_TOKEN"):
        in_env(world, "prod", connect=connect).plan()  # GENESYSCLOUD_* is not prod's
    monkeypatch.setenv("PROD_GENESYSCLOUD_ACCESS_TOKEN", "prod-token")
    result = in_env(world, "prod", connect=connect).plan()
    assert opened[-1].api_url == "https://api.prod.test"
    assert opened[-1].access_token == "prod-token"
    assert result.organization is not None and result.organization.environment == "prod"
    with pytest.raises(SettingsError, match=r"declares environments \(dev, prod, test\)"):
        world.orchestrator(connection=Connection()).plan()


# -- plan, apply, audit, cache ------------------------------------------------------------------


def test_two_environments_of_one_org_get_their_own_values(world: World) -> None:
    applied = in_env(world, "dev").apply(audit_path=world.audit_path)
    assert not applied.failed and [c.kind for c in applied.plan.changes] == ["create"]
    config = live(world)
    assert config["request"]["requestUrlTemplate"] == "https://dev.example.com/things/${input.q}"
    assert config["request"]["headers"] == {"X-Env-Host": "dev.example.com"}
    assert config["timeoutSeconds"] == 9
    assert [(r["env"], r["operation"]) for r in world.audit()] == [("dev", "create")]
    assert in_env(world, "dev").plan().plan.empty

    # The same org as `test`: one cache (it holds the org's actions), nothing resolved in it.
    result = in_env(world, "test").plan()
    assert result.org == in_env(world, "dev").plan().org
    (change,) = result.plan.changes
    assert [(f.dotted, f.before, f.after) for f in change.fields] == [
        ("request.headers.X-Env-Host", "dev.example.com", "test.example.com"),
        (
            "request.requestUrlTemplate",
            "https://dev.example.com/things/${input.q}",
            "https://test.example.com/things/${input.q}",
        ),
        ("timeoutSeconds", 9, 5),
    ]
    orgs = [p for p in (world.root / ".dactl" / "cache").iterdir() if p.is_dir()]
    assert len(orgs) == 1  # one org: one live cache (validation.json sits beside it)
    assert in_env(world, "dev").plan().plan.empty  # test's values never reached dev's plan


def test_a_plan_saved_for_one_environment_is_refused_for_another(world: World) -> None:
    result = in_env(world, "dev").plan()
    path = world.root / "plan.json"
    save_plan(result.plan, path, world.directory, result.org, result.organization)
    data = json.loads(path.read_text())
    assert data["environment"] == "dev" and data["organization"]["host"] == "api.fake.test"
    saved = read_saved_plan(path)
    assert saved.environment == "dev" and saved.organization is not None
    assert saved.organization.environment == "dev"
    with pytest.raises(StalePlanError) as refused:  # test is the same org: only the env differs
        in_env(world, "test").apply(saved=saved, audit_path=world.audit_path)
    assert str(refused.value) == (
        f"{path} was planned for environment dev, and this run is for environment test; "
        "nothing was changed. Apply it to the environment it was made for, or plan again "
        "with --env test."
    )
    assert world.org.writes == [] and world.audit() == []
    applied = in_env(world, "dev").apply(saved=saved, audit_path=world.audit_path)
    assert not applied.failed and world.audited() == [("create", "ok")]


def test_check_environment_names_both_sides() -> None:
    unnamed = SavedPlan("p.json", "actions", "hash", ())
    check_environment(unnamed, None)
    with pytest.raises(StalePlanError) as refused:
        check_environment(unnamed, "prod")
    assert str(refused.value) == (
        "p.json was planned for no environment, and this run is for environment prod; "
        "nothing was changed. Apply it to the environment it was made for, or plan again "
        "with --env prod."
    )
    with pytest.raises(StalePlanError, match=r"for no environment; .* or plan again\.$"):
        check_environment(replace(unnamed, environment="dev"), None)


# -- export and offline tests ------------------------------------------------------------------


def test_export_into_the_tree_reads_its_files_in_the_environment(world: World) -> None:
    in_env(world, "dev").apply(audit_path=world.audit_path)
    written = (world.directory / "get-thing.yaml").read_text()
    result = in_env(world, "dev").export(force=True)
    assert [(f.name, f.status) for f in result.files] == [(THING, "unchanged")]
    assert (world.directory / "get-thing.yaml").read_text() == written  # placeholders kept


def test_export_rewrites_a_file_and_keeps_the_placeholders_the_org_still_matches(
    world: World,
) -> None:
    in_env(world, "dev").apply(audit_path=world.audit_path)
    request = {**live(world)["request"], "requestTemplate": '{"edited": true}'}
    world.org.edit(world.org.ids()[THING], request=request, timeoutSeconds=20)
    result = in_env(world, "dev").export(force=True)
    assert [(f.name, f.status) for f in result.files] == [(THING, "updated")]
    data = yaml.safe_load((world.directory / "get-thing.yaml").read_text())
    assert data["request"]["requestUrlTemplate"] == "https://{{ var.host }}/things/${input.q}"
    assert data["request"]["headers"] == {"X-Env-Host": "{{var.host}}"}  # as it was written
    assert data["request"]["requestTemplate"] == '{"edited": true}'  # the org's edit
    assert data["timeoutSeconds"] == 20  # the org no longer holds var.timeout (9): its value
    assert in_env(world, "dev").plan().plan.empty
    assert not in_env(world, "test").plan().plan.empty  # test's host differs


def test_an_offline_test_resolves_the_chosen_environment(world: World) -> None:
    run = in_env(world, "test").run_test(THING, GivenInputs(("q=1",), None), offline=True)
    assert isinstance(run, OfflineRun) and run.passed
    assert "https://test.example.com/things/1" in render_text_of(run)
    assert world.org.calls == []


def render_text_of(run: OfflineRun) -> str:
    from reconciler.render.test import render_result

    return render_result(run)


# -- reports name the environment ----------------------------------------------------------------


PROD = OrgInfo("api.mypurecloud.ie", "Acme Prod", "o-1", environment="prod")


def test_plans_name_the_environment_in_every_format() -> None:
    plan = Plan(())
    text = render("plan", "text", plan, org=PROD)
    assert text.startswith("Environment: prod\nOrg: Acme Prod (api.mypurecloud.ie)\n\n")
    markdown = render("plan", "markdown", plan, org=PROD)
    assert "Environment: **prod** · Org: **Acme Prod** (`api.mypurecloud.ie`)" in markdown
    assert json.loads(render("plan", "json", plan, org=PROD))["environment"] == "prod"
    plain = OrgInfo("h.test")
    assert render("plan", "text", plan, org=plain).startswith("Org: h.test\n")
    assert json.loads(render("plan", "json", plan, org=plain))["environment"] is None
    assert PROD.target == "prod: Acme Prod (api.mypurecloud.ie)" and plain.target == "h.test"


def test_drift_reports_and_webhooks_name_the_environment() -> None:
    report = DriftReport((DriftedAction("missing", "Get Thing"),))
    assert json.loads(render("drift", "json", report, org=PROD))["environment"] == "prod"
    assert "Environment: **prod** · Org:" in render("drift", "markdown", report, org=PROD)
    body = webhook_body(report, org=PROD)
    assert body["environment"] == "prod"
    assert "the org Acme Prod (api.mypurecloud.ie) (environment prod) differs" in body["text"]
    slack = webhook_body(report, org=PROD, fmt="slack")
    assert "Environment: *prod*" in slack["blocks"][-1]["elements"][0]["text"]
    teams = webhook_body(report, org=PROD, fmt="teams")
    facts = teams["attachments"][0]["content"]["body"][-1]["facts"]
    assert {"title": "Environment", "value": "prod"} in facts
    assert webhook_body(report)["environment"] is None
