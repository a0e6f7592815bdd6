"""``dactl compare``: two live orgs compared action by action (the comparable form, the
statuses, placeholders read per environment), its renderers, and the command against two
in-memory orgs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler import orchestrator as orchestrator_module
from reconciler.cli import main
from reconciler.cli_reports import compare_sides
from reconciler.compare import ComparedAction, CompareReport, Side, SideState, comparable, compare
from reconciler.diff import MISSING, FieldChange
from reconciler.errors import DactlError, PlanError
from reconciler.genesys import ConnectionSettings
from reconciler.live import LiveState
from reconciler.orchestrator import Connection, Orchestrator
from reconciler.organization import OrgInfo
from reconciler.plan import Integrations, LiveAction
from reconciler.render import render
from reconciler.render.compare import render_markdown
from tests.fakes.org import FakeOrg
from tests.fakes.project import WEB, World, action

THING = "Get Thing"
OTHER = "Get Other"
DEV_URL, PROD_URL = "https://api.dev.test", "https://api.prod.test"
ENVIRONMENTS = {
    "dev": {"apiUrl": DEV_URL, "variables": {"host": "dev.example.com", "timeout": 9}},
    "prod": {"apiUrl": PROD_URL, "variables": {"host": "api.example.com", "timeout": 5}},
}


def canonical(name: str, integration_id: str = "wid", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "integrationId": integration_id,
        "category": "Web",
        "timeoutSeconds": 5,
        "request": {"requestUrlTemplate": "https://h.test/x", "headers": {}},
    }
    return body | extra


def state(label: str, *actions: LiveAction, **kw: Any) -> SideState:
    integrations = kw.pop("integrations", Integrations({"wid": "Web", "other": "Other"}))
    return SideState(Side(label, "actions", label), LiveState(list(actions), integrations), **kw)


# -- the comparable form -------------------------------------------------------------------------


def test_integrations_by_name_and_placeholders_per_environment() -> None:
    live = LiveAction(
        "a1",
        3,
        canonical(
            THING,
            timeoutSeconds=9,
            request={"requestUrlTemplate": "https://dev.test/x", "headers": {"H": "dev.test"}},
        ),
    )
    written = {
        THING: {
            "name": THING,
            "timeoutSeconds": "{{var.timeout}}",
            "request": {
                "requestUrlTemplate": "https://{{ var.host }}/x",
                "headers": {"H": "{{ var.host }}", "Missing": "{{ var.host }}"},
            },
            "response": {"successTemplate": "{{ var.unknown }}"},
        }
    }
    side = state("dev", live, written=written, variables={"host": "dev.test", "timeout": 9})
    assert comparable(live, side) == {
        "name": THING,
        "integration": "Web",  # its id differs from org to org; a category equal to it goes
        "timeoutSeconds": "{{ var.timeout }}",
        "request": {
            "requestUrlTemplate": "https://{{ var.host }}/x",
            "headers": {"H": "{{ var.host }}"},
        },
    }
    other = state("prod", live, written=written, variables={"host": "prod.test", "timeout": "9"})
    shown = comparable(live, other)  # the org does not hold prod's values: shown as they are
    assert shown["timeoutSeconds"] == 9
    assert shown["request"]["requestUrlTemplate"] == "https://dev.test/x"
    category = comparable(LiveAction("a2", 1, canonical(OTHER, "nope", category="Mine")), side)
    assert (category["integration"], category["category"]) == ("nope", "Mine")


def test_statuses_summary_and_duplicates() -> None:
    a = state(
        "dev",
        LiveAction("a1", 2, canonical(THING, timeoutSeconds=7)),
        LiveAction("a2", 1, canonical("Only Dev")),
        LiveAction("a3", 1, canonical(OTHER)),
    )
    b = state(
        "prod",
        LiveAction("b1", 1, canonical(THING, "other-org-id")),
        LiveAction("b3", 4, canonical(OTHER, "other-org-id")),
        LiveAction("b4", 1, canonical("Only Prod")),
        integrations=Integrations({"other-org-id": "Web"}),
    )
    report = compare(a, b)
    assert [(x.name, x.status) for x in report.actions] == [
        (THING, "differs"),
        ("Only Dev", "only_a"),
        ("Only Prod", "only_b"),
    ]
    assert report.actions[0].fields == (FieldChange(("timeoutSeconds",), 7, 5),)
    assert (report.actions[0].a_id, report.actions[0].b_version) == ("a1", 1)
    assert report.same == (OTHER,) and report.differs
    assert report.counts() == {"differs": 1, "only_a": 1, "only_b": 1, "same": 1}
    assert report.summary() == "Compare: 1 differs, 1 only in dev, 1 only in prod, 1 the same."
    assert report.status_label("only_b") == "only in prod"
    none = compare(state("dev", LiveAction("a", 1, canonical(OTHER))), state("prod"))
    assert none.summary() == "Compare: 0 differ, 1 only in dev, 0 only in prod, 0 the same."
    same = compare(state("x"), state("y"))
    assert same.summary() == "No differences: x and y hold the same 0 actions."
    duplicates = (LiveAction("a1", 1, canonical(THING)), LiveAction("a9", 1, canonical(THING)))
    twice = state("dev", *duplicates)
    with pytest.raises(PlanError, match="'Get Thing': a1, a9"):
        compare(twice, state("prod"))


# -- renderers --------------------------------------------------------------------------------


def a_report() -> CompareReport:
    dev = Side("dev", "actions", "dev", OrgInfo("api.dev.test", "Acme Dev", environment="dev"))
    prod = Side("prod", "actions", "prod", None)
    template = FieldChange(("response", "successTemplate"), "a\nb\n", "a\nc\n")
    actions = (
        ComparedAction(
            THING,
            "differs",
            "a1",
            2,
            "b1",
            1,
            (FieldChange(("timeoutSeconds",), 7, 5), template),
        ),
        ComparedAction(OTHER, "only_a", a_id="a2", a_version=1),
        ComparedAction("Auth", "differs", "a3", 1, "b3", 1, (
            FieldChange(("request", "headers", "Authorization"), "Bearer abc", MISSING),
        )),
    )  # fmt: skip
    return CompareReport(dev, prod, actions, ("Same One",))


def test_text_names_both_sides_and_reads_a_to_b() -> None:
    text = render("compare", "text", a_report())
    lines = text.splitlines()
    assert lines[:3] == [
        "Compare dev: Acme Dev (api.dev.test), actions",
        "   with prod: org unknown, actions",
        "",
    ]
    assert "~ differs     'Get Thing'  dev a1 v2, prod b1 v1" in lines
    assert "      timeoutSeconds: 7 → 5" in lines
    assert "< only in dev 'Get Other'  dev a2 v1" in lines
    assert "--- dev" in text and "+++ prod" in text
    assert "Bearer abc" not in text and "(sensitive value)" in text
    assert "Fields read dev → prod." in lines[-1]
    plain = CompareReport(a_report().a, a_report().b, (), ("One",))
    assert render("compare", "text", plain).endswith(
        "\nNo differences: dev and prod hold the same 1 action.\n"
    )


def test_markdown_and_json() -> None:
    markdown = render("compare", "markdown", a_report())
    assert markdown.startswith("### dactl compare: dev → prod\n\n**Compare: 2 differ, 1 only in")
    assert "| ✏️ | Get Thing | differs | `timeoutSeconds: 7 → 5`, `response.successTemplate` |" in (
        markdown
    )
    assert "<details><summary><b>Get Thing</b></summary>" in markdown
    assert "Bearer abc" not in markdown
    short = render_markdown(a_report(), limit=900)
    assert "details are left out" in short
    plain = CompareReport(a_report().a, a_report().b, ())
    assert "| action |" not in render("compare", "markdown", plain)
    body = json.loads(render("compare", "json", a_report()))
    assert body["format_version"] == 1 and body["differs"] is True
    assert body["a"] == {
        "label": "dev",
        "directory": "actions",
        "environment": "dev",
        "organization": {"name": "Acme Dev", "id": None, "host": "api.dev.test"},
    }
    assert body["b"]["organization"] is None
    assert body["counts"] == {"differs": 2, "only_a": 1, "only_b": 0, "same": 1}
    first = body["actions"][0]
    assert (first["a"], first["b"]) == ({"id": "a1", "version": 2}, {"id": "b1", "version": 1})
    assert first["fields"][0] == {
        "path": ["timeoutSeconds"],
        "a": 7,
        "b": 5,
        "a_present": True,
        "b_present": True,
    }
    assert body["actions"][1]["b"] is None and body["actions"][1]["fields"] == []
    auth = body["actions"][2]
    assert auth["fields"][0]["b"] is None and auth["fields"][0]["b_present"] is False
    assert "Bearer abc" not in json.dumps(body)


# -- the command's sides --------------------------------------------------------------------------


def test_the_sides_of_the_command() -> None:
    assert compare_sides((), ("dev", "prod")) == [
        (Path("actions"), "dev", "dev"),
        (Path("actions"), "prod", "prod"),
    ]
    assert compare_sides((Path("a"), Path("b")), ()) == [
        (Path("a"), None, "a"),
        (Path("b"), None, "b"),
    ]
    assert compare_sides((Path("a"), Path("b")), ("prod",))[1] == (Path("b"), "prod", "b (prod)")
    two = (Path("a"), Path("b"))
    for dirs, envs in (((), ("dev",)), ((Path("a"),) * 3, ()), (two, ("x",) * 3)):
        with pytest.raises(DactlError, match="compare takes two environments of one tree"):
            compare_sides(dirs, envs)
    with pytest.raises(DactlError, match="--env dev twice"):
        compare_sides((), ("dev", "dev"))
    with pytest.raises(DactlError, match="a twice"):
        compare_sides((Path("a"), Path("a")), ())


# -- against two in-memory orgs ---------------------------------------------------------------


class TwoOrgs:
    def __init__(self) -> None:
        self.orgs = {DEV_URL: FakeOrg(), PROD_URL: FakeOrg()}

    @contextmanager
    def connect(self, settings: ConnectionSettings, n: int) -> Iterator[FakeOrg]:
        with self.orgs[settings.api_url].connect(settings, n) as api:
            yield api

    def org(self, env: str) -> FakeOrg:
        return self.orgs[DEV_URL if env == "dev" else PROD_URL]


def thing() -> dict[str, Any]:
    body = action(THING, integration=WEB)
    body["timeoutSeconds"] = "{{ var.timeout }}"
    body["request"]["requestUrlTemplate"] = "https://{{ var.host }}/things/${input.q}"
    return body


@pytest.fixture
def two(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[TwoOrgs]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DACTL_ENV", raising=False)
    orgs = TwoOrgs()
    monkeypatch.setattr(orchestrator_module, "connect_genesys", orgs.connect)
    world = World(tmp_path, environments=ENVIRONMENTS)
    world.write(thing(), action(OTHER, integration=WEB))
    for env in ("dev", "prod"):
        side = Orchestrator(world.directory, Connection(environment=env), cache_dir=None)
        assert not side.apply(audit_path=None).failed
    yield orgs


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_compare_two_environments_shows_only_what_was_seeded(two: TwoOrgs) -> None:
    same = run("compare", "--env", "dev", "--env", "prod", "--detailed-exitcode")
    assert same.exit_code == 0, same.output
    assert "No differences: dev and prod hold the same 2 actions." in same.stdout
    assert "dactl sandbox (api.dev.test), actions" in same.stdout
    dev, prod = two.org("dev"), two.org("prod")
    dev.edit(dev.ids()[OTHER], timeoutSeconds=7)
    prod.seed({**prod.published(prod.ids()[OTHER]), "name": "Only Prod"})  # type: ignore[dict-item]
    shown = run("compare", "actions", "--env", "dev", "--env", "prod", "--detailed-exitcode")
    assert shown.exit_code == 2, shown.output
    assert "timeoutSeconds: 7 → 5" in shown.stdout
    assert "> only in prod 'Only Prod'" in shown.stdout
    assert "example.com" not in shown.stdout  # the hosts of each environment never show
    assert run("compare", "--env", "dev", "--env", "prod").exit_code == 0
    body = json.loads(run("compare", "--env", "dev", "--env", "prod", "--format", "json").stdout)
    assert [(a["name"], a["status"]) for a in body["actions"]] == [
        (OTHER, "differs"),
        ("Only Prod", "only_b"),
    ]
    assert body["same"] == [THING]
    wrong = run("compare", "--env", "dev")
    assert wrong.exit_code == 1 and "compare takes two environments" in wrong.stderr


def test_compare_two_directories(two: TwoOrgs, tmp_path: Path) -> None:
    other = World(tmp_path / "b", environments={"live": {"apiUrl": PROD_URL}}, variables={
        "host": "api.example.com", "timeout": 5})  # fmt: skip
    other.write(thing(), action(OTHER, integration=WEB))
    result = run("compare", "actions", "b/actions", "--env", "dev", "--env", "live")
    assert result.exit_code == 0, result.output
    assert "No differences: actions (dev) and b/actions (live) hold the same 2" in result.stdout
    both = run("compare", "actions", "b/actions", "--env", "prod", "--env", "live")
    assert "note: both sides are the org at api.prod.test" in both.stderr
