"""Ignore rules (``reconciler.ignore``): field paths plan and drift leave alone, per action
or per project, validated against the canonical form, counted in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from reconciler.ignore import IgnoreRuleError, covered, keep_live, known_paths, parse_rule
from reconciler.plan import build_plan
from reconciler.render.drift import render_json as drift_json
from reconciler.render.drift import render_markdown as drift_markdown
from reconciler.render.drift import render_text as drift_text
from reconciler.render.plan import render_json, render_markdown, render_text
from reconciler.savedplan import plan_from_dict, plan_to_dict
from reconciler.validate import validate_tree
from tests.fakes.project import World, action
from tests.test_plan import INTEGRATIONS, live_of, spec

USER = "Get User"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("timeoutSeconds", ("timeoutSeconds",)),
        ("request.headers.X-Trace", ("request", "headers", "X-Trace")),
        ("request.headers.X.Dotted.Name", ("request", "headers", "X.Dotted.Name")),
        ("response.translationMap.out", ("response", "translationMap", "out")),
        ("contract.output.properties.n", ("contract", "output", "properties", "n")),
        ("contract", ("contract",)),
        ("function.package", ("function", "package")),
    ],
)
def test_rules_name_fields_of_the_canonical_form(text: str, path: tuple[str, ...]) -> None:
    assert parse_rule(text) == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timeoutSecond", "'timeoutSecond' names no field of an action (did you mean "),
        ("request.header.X", "did you mean 'request.headers'?"),
        ("timeoutSeconds.x", "'timeoutSeconds.x': timeoutSeconds has no fields below it"),
        ("request..x", "an empty part between dots"),
        ("name", "name is the action's identity and cannot be ignored"),
        ("integration", "the integration cannot be ignored"),
        ("zzz", "'zzz' names no field of an action; fields here: category, secure"),
    ],
)
def test_unknown_paths_are_refused_with_a_hint(text: str, message: str) -> None:
    with pytest.raises(IgnoreRuleError) as refused:
        parse_rule(text)
    assert message in str(refused.value)


def test_keep_live_takes_the_live_value_and_reports_what_differed() -> None:
    after = {"timeoutSeconds": 5, "request": {"headers": {"A": "1"}}}
    live = {"timeoutSeconds": 9, "request": {"headers": {"B": "2"}}}
    rules = (("timeoutSeconds",), ("request", "headers", "A"), ("request", "headers", "B"))
    kept, differed = keep_live(after, live, rules)
    assert kept == {"timeoutSeconds": 9, "request": {"headers": {"B": "2"}}}
    assert differed == rules
    assert after == {"timeoutSeconds": 5, "request": {"headers": {"A": "1"}}}  # not changed
    same, none = keep_live(after, after, rules)
    assert same is after and none == ()
    deep, _ = keep_live({}, {"contract": {"input": {"x": 1}}}, [("contract", "input", "x")])
    assert deep == {"contract": {"input": {"x": 1}}}
    gone, _ = keep_live({}, {}, [("contract", "input", "x")])
    assert gone == {}
    assert covered(("request", "headers", "A"), [("request",)])
    assert not covered(("timeoutSeconds",), [("request",)])
    assert "request.headers" in known_paths()


def test_a_field_changed_in_the_org_is_ignored_in_plan_and_every_format() -> None:
    s = spec(USER, ignore=("timeoutSeconds",))
    plan = build_plan([s], [live_of(s, "custom_-_u", timeoutSeconds=9)], INTEGRATIONS)
    assert plan.empty and plan.unchanged == (USER,)
    assert plan.summary() == "No changes. The org matches the desired state (ignored: 1 field)."
    text = render_text(plan)
    assert "Ignored: 1 field where the org differs, by ignore rules" in text
    assert "  'Get User': timeoutSeconds" in text
    assert "_Ignored: 1 field" in render_markdown(plan) and "`timeoutSeconds`" in render_markdown(
        plan
    )
    body = json.loads(render_json(plan))
    assert body["ignored"] == [{"name": USER, "paths": ["timeoutSeconds"]}]
    assert plan_from_dict(plan_to_dict(plan)).ignored == plan.ignored


def test_an_update_never_resets_an_ignored_field_and_the_project_rules_count() -> None:
    s = spec(USER)
    live = live_of(s, "custom_-_u", timeoutSeconds=9, category="Elsewhere")
    plan = build_plan([s], [live], INTEGRATIONS, ignore=["timeoutSeconds"])
    (change,) = plan.changes
    assert [f.dotted for f in change.fields] == ["category"]
    assert change.after is not None and change.after["timeoutSeconds"] == 9
    assert change.ignore == (("timeoutSeconds",),)
    assert plan.summary().endswith("0 to delete; ignored: 1 field.")


def test_a_create_sends_the_files_value() -> None:
    s = spec(USER, ignore=("timeoutSeconds",))
    (change,) = build_plan([s], [], INTEGRATIONS).changes
    assert change.kind == "create" and change.after is not None
    assert change.after["timeoutSeconds"] == 5 and build_plan([s], [], INTEGRATIONS).ignored == ()


# -- validation -----------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def test_unknown_rules_are_errors_at_their_place(world: World) -> None:
    world.write(action(USER, ignore=["timeoutSeconds", "request.header.X-Trace"]))
    project = world.directory / "dactl.yaml"
    data = yaml.safe_load(project.read_text())
    project.write_text(yaml.safe_dump({**data, "ignore": ["timeoutSecond"]}))
    errors = [str(p) for p in validate_tree(world.directory).errors]
    assert errors == [
        "actions/dactl.yaml:2:3: ignore: 'timeoutSecond' names no field of an action "
        "(did you mean 'timeoutSeconds'?)",
        "actions/get-user.yaml:26:3: ignore: 'request.header.X-Trace' names no field of an "
        "action (did you mean 'request.headers'?)",
    ]


# -- through the orchestrator ---------------------------------------------------------------


def test_plan_and_drift_ignore_the_org_change_and_say_so(world: World) -> None:
    ids = world.seed(action(USER, ignore=["timeoutSeconds", "request.headers.X-Trace"]))
    world.org.edit(
        ids[USER],
        timeoutSeconds=9,
        request={
            "requestUrlTemplate": "/api/v2/users/${input.q}",
            "requestType": "GET",
            "headers": {"X-Trace": "on"},
        },
    )
    result = world.plan()
    assert result.plan.empty
    assert result.plan.ignored[0].paths == ("timeoutSeconds", "request.headers.X-Trace")
    report, _ = world.orchestrator().drift()
    assert not report.drifted
    assert report.summary() == "No drift: the org matches git (ignored: 2 fields)."
    assert "  'Get User': timeoutSeconds, request.headers.X-Trace" in drift_text(report)
    assert json.loads(drift_json(report))["ignored"][0]["name"] == USER
    assert "_Ignored: 2 fields" in drift_markdown(report)


def test_apply_keeps_the_live_value_of_an_ignored_field(world: World) -> None:
    ids = world.seed(action(USER, ignore=["timeoutSeconds"]))
    world.org.edit(ids[USER], timeoutSeconds=9)
    world.write(action(USER, ignore=["timeoutSeconds"], category="Users"))
    result = world.apply()
    assert [o.ok for o in result.outcomes] == [True]
    published = world.org.published(ids[USER])
    assert published is not None and published["config"]["timeoutSeconds"] == 9
    assert published["category"] == "Users"


def test_a_conflict_retry_keeps_the_ignored_value_the_org_has_now(world: World) -> None:
    ids = world.seed(action(USER, ignore=["timeoutSeconds"]))
    world.write(action(USER, ignore=["timeoutSeconds"], category="Users"))
    world.org.before("patch_action", lambda: world.org.edit(ids[USER], timeoutSeconds=11))
    result = world.apply()
    assert [o.ok for o in result.outcomes] == [True], result.outcomes
    assert "also reset" not in result.outcomes[0].message
    published = world.org.published(ids[USER])
    assert published is not None and published["config"]["timeoutSeconds"] == 11
    assert published["category"] == "Users"


def test_a_draft_is_not_published_over_an_ignored_field_that_moved(
    tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.sandbox.config import SandboxConfig
    from tests.fakes.org import FakeOrg

    monkeypatch.chdir(tmp_path)
    org = FakeOrg(SandboxConfig(function_processing_ms=0, mutable_contracts=True))
    world = World(tmp_path, org, immutableContracts=False)
    ids = world.seed(action(USER, ignore=["timeoutSeconds"]))
    world.write(action(USER, ignore=["timeoutSeconds"], output="integer"))
    org.before("patch_draft", lambda: org.edit(ids[USER], timeoutSeconds=12))
    result = world.apply()
    (outcome,) = result.outcomes
    assert not outcome.ok
    assert "a field that ignore rules keep changed in the org meanwhile" in outcome.message
    published = org.published(ids[USER])
    assert published is not None and published["config"]["timeoutSeconds"] == 12
    assert org.draft(ids[USER]) is None  # the draft was discarded
