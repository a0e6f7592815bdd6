"""The planner and the three plan renderers (snapshot tests)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from reconciler.canonical import canonical_desired
from reconciler.config.model import ActionSpec, FunctionSpec
from reconciler.errors import PlanError
from reconciler.plan import Integrations, LiveAction, Plan, Safety, build_plan
from reconciler.render.plan import render_json, render_markdown, render_text
from tests.conftest import FIXTURES

SNAPSHOTS = FIXTURES / "snapshots"
INTEGRATIONS = Integrations.from_names(
    {"Genesys Cloud Data Actions": "gid", "Web Services Data Actions": "wid"}
)


def spec(name: str, **kw: object) -> ActionSpec:
    base: dict[str, object] = {
        "name": name,
        "source": f"actions/{name.lower().replace(' ', '-')}.yaml",
        "integration": "Genesys Cloud Data Actions",
        "timeout_seconds": 5,
        "contract_input": {"type": "object", "properties": {"id": {"type": "string"}}},
        "contract_output": {"type": "object", "properties": {"n": {"type": "integer"}}},
        "request": {
            "requestUrlTemplate": "/api/v2/x/${input.id}",
            "requestType": "GET",
            "requestTemplate": '{\n  "a": 1,\n  "b": 2\n}\n',
        },
        "response": {"translationMap": {"n": "$.n"}, "successTemplate": '{"n": ${n}}'},
    }
    base.update(kw)
    return ActionSpec(**base)  # type: ignore[arg-type]


def live_of(s: ActionSpec, ident: str, version: int = 2, **changes: object) -> LiveAction:
    integration = s.integration or "Genesys Cloud Data Actions"
    canonical = copy.deepcopy(canonical_desired(s, INTEGRATIONS.by_name[integration], integration))
    canonical.update(changes)
    return LiveAction(ident, version, canonical)


def every_kind_plan() -> Plan:
    same = spec("Unchanged Action")
    timeout = spec("Queue Wait", timeout_seconds=5)
    body = spec("Create Ticket")
    contract = spec("Get Presence")
    moved = spec("Order Status", integration="Web Services Data Actions")
    new = spec("Brand New")
    live_body = live_of(body, "custom_-_b")
    live_body.canonical["request"]["requestTemplate"] = '{\n  "a": 1,\n  "b": 3\n}\n'
    live_contract = live_of(contract, "custom_-_c")
    live_contract.canonical["contract"]["output"]["properties"]["n"] = {"type": "string"}
    live = [
        live_of(same, "custom_-_s"),
        live_of(timeout, "custom_-_t", version=7, timeoutSeconds=3),
        live_body,
        live_contract,
        live_of(moved, "custom_-_m", integrationId="gid"),
        live_of(spec("Retired Action"), "custom_-_r", version=9),
    ]
    return build_plan([same, timeout, body, contract, moved, new], live, INTEGRATIONS, prune=True)


def test_kinds_and_order() -> None:
    plan = every_kind_plan()
    assert [(c.kind, c.name) for c in plan.changes] == [
        ("create", "Brand New"),
        ("update", "Create Ticket"),
        ("update", "Get Presence"),
        ("replace", "Order Status"),
        ("update", "Queue Wait"),
        ("delete", "Retired Action"),
    ]
    assert plan.unchanged == ("Unchanged Action",)
    by_name = {c.name: c for c in plan.changes}
    assert by_name["Get Presence"].draft and not by_name["Queue Wait"].draft
    assert by_name["Queue Wait"].live_version == 7
    assert plan.summary() == (
        "Plan: 1 to create, 3 to update (1 timeout change), 1 to replace, 1 to delete."
    )


def test_no_changes_is_a_first_class_result() -> None:
    s = spec("A")
    plan = build_plan([s], [live_of(s, "custom_-_a")], INTEGRATIONS)
    assert plan.empty and plan.unchanged == ("A",)
    assert plan.summary() == "No changes. The org matches the desired state."


def test_without_prune_nothing_is_deleted() -> None:
    plan = build_plan([], [live_of(spec("Orphan"), "custom_-_o")], INTEGRATIONS)
    assert plan.empty


def test_contract_change_is_a_replace_where_the_org_refuses_it() -> None:
    s = spec("A")
    live = live_of(s, "custom_-_a")
    live.canonical["contract"]["input"]["properties"]["id"] = {"type": "integer"}
    plan = build_plan([s], [live], INTEGRATIONS, contracts_mutable=False)
    assert [c.kind for c in plan.changes] == ["replace"]
    assert plan.changes[0].terraform_actions == ["delete", "create"]


def _fleet(n: int) -> tuple[list[ActionSpec], list[LiveAction]]:
    specs = [spec(f"Action {i:02}") for i in range(n)]
    return specs, [live_of(s, f"custom_-_{i}") for i, s in enumerate(specs)]


@pytest.mark.parametrize(
    ("updates", "deletes", "replaces", "expected"),
    [
        (3, 0, 0, []),  # 30% of 10 is not over 30%
        (4, 0, 0, ["update 4 of 10 existing actions (40%), over maxUpdatePercent 30"]),
        (0, 1, 0, []),  # 10% is not over 10%
        (0, 2, 0, ["delete 2 of 10 existing actions (20%), over maxDeletePercent 10"]),
        (
            2,
            0,
            2,  # a replace removes an id: it counts as an update and as a delete
            [
                "update 4 of 10 existing actions (40%), over maxUpdatePercent 30",
                "delete 2 of 10 existing actions (20%), over maxDeletePercent 10",
            ],
        ),
    ],
)
def test_safety_thresholds(updates: int, deletes: int, replaces: int, expected: list[str]) -> None:
    specs, live = _fleet(10)
    desired = [s for s in specs[deletes:]]  # the first `deletes` have no file any more
    for i in range(deletes, deletes + updates):
        desired[i - deletes] = spec(specs[i].name, timeout_seconds=9)
    for i in range(deletes + updates, deletes + updates + replaces):
        desired[i - deletes] = spec(specs[i].name, integration="Web Services Data Actions")
    plan = build_plan(desired, live, INTEGRATIONS, prune=True, safety=Safety())
    assert plan.existing == 10
    assert [c.kind for c in plan.changes].count("replace") == replaces
    assert [w.removeprefix("it would ") for w in plan.unsafe] == expected


def test_safety_thresholds_apply_only_from_min_existing() -> None:
    specs, live = _fleet(9)
    desired = [spec(s.name, timeout_seconds=9) for s in specs]  # every one updated
    assert build_plan(desired, live, INTEGRATIONS, safety=Safety()).unsafe == ()
    strict = Safety(max_update_percent=50, min_existing=5)
    (why,) = build_plan(desired, live, INTEGRATIONS, safety=strict).unsafe
    assert "update 9 of 9 existing actions (100%), over maxUpdatePercent 50" in why


def test_an_unsafe_plan_says_so_in_every_format() -> None:
    specs, live = _fleet(10)
    plan = build_plan([spec(s.name, timeout_seconds=9) for s in specs], live, INTEGRATIONS)
    assert len(plan.unsafe) == 1
    assert "Warning: this plan is over the project's safety thresholds" in render_text(plan)
    assert "over maxUpdatePercent 30" in render_text(plan)
    markdown = render_markdown(plan)
    assert "> [!WARNING]" in markdown.split("|")[0]  # above the table, seen first
    body = json.loads(render_json(plan))
    assert body["existing"] == 10
    assert body["safety"] == {"ok": False, "violations": list(plan.unsafe)}
    safe = json.loads(render_json(every_kind_plan()))
    assert safe["safety"] == {"ok": True, "violations": []}


@pytest.mark.parametrize("contracts_mutable", [True, False])
def test_a_secure_change_is_always_a_replace(contracts_mutable: bool) -> None:
    """Genesys fixes `secure` once an action is published; no draft can change it."""
    s = spec("A", secure=True)
    plan = build_plan(
        [s], [live_of(spec("A"), "custom_-_a")], INTEGRATIONS, contracts_mutable=contracts_mutable
    )
    (change,) = plan.changes
    assert (change.kind, change.reason) == ("replace", "secure cannot change once published")


def test_duplicates_no_file_names_do_not_block_and_prune_deletes_them_all() -> None:
    """Rule 1 guards matching; two UI copies of an action with no file are just unmanaged."""
    s = spec("A")
    copies = [live_of(spec("Copy"), "custom_-_1"), live_of(spec("Copy"), "custom_-_2")]
    live = [live_of(s, "custom_-_a"), *copies]
    assert build_plan([s], live, INTEGRATIONS).empty
    pruned = build_plan([s], live, INTEGRATIONS, prune=True)
    assert [(c.kind, c.name, c.action_id) for c in pruned.changes] == [
        ("delete", "Copy", "custom_-_1"),
        ("delete", "Copy", "custom_-_2"),
    ]
    assert pruned.existing == 3


def test_two_live_actions_with_one_name_is_an_error_naming_both() -> None:
    s = spec("A")
    with pytest.raises(PlanError) as info:
        build_plan([s], [live_of(s, "custom_-_1"), live_of(s, "custom_-_2")], INTEGRATIONS)
    assert "custom_-_1" in str(info.value) and "custom_-_2" in str(info.value)


def test_an_ambiguous_integration_name_is_an_error_not_a_guess() -> None:
    twins = Integrations({"id-1": "Twin", "id-2": "Twin"})
    assert twins.ambiguous == {"Twin"}
    with pytest.raises(PlanError, match="several integrations are named 'Twin'"):
        build_plan([spec("A", integration="Twin")], [], twins)


def test_unknown_integration_is_an_error() -> None:
    with pytest.raises(PlanError, match="integration 'Nope' was not found"):
        build_plan([spec("A", integration="Nope")], [], INTEGRATIONS)


def test_targets_limit_the_plan() -> None:
    a, b = spec("A", timeout_seconds=9), spec("B", timeout_seconds=9)
    live = [live_of(spec("A"), "custom_-_a"), live_of(spec("B"), "custom_-_b")]
    plan = build_plan([a, b], live, INTEGRATIONS, targets=["B"])
    assert [c.name for c in plan.changes] == ["B"]
    with pytest.raises(PlanError, match="--target"):
        build_plan([a, b], live, INTEGRATIONS, targets=["Z"])


def test_literal_credentials_never_reach_a_rendered_plan() -> None:
    secret = "Basic c2VjcmV0OnBhc3N3b3Jk"
    s = spec(
        "A",
        request={
            "requestUrlTemplate": "/x",
            "requestType": "GET",
            "headers": {"Authorization": secret},
        },
    )
    plan = build_plan([s], [live_of(spec("A"), "custom_-_a")], INTEGRATIONS)
    for text in (render_text(plan), render_markdown(plan), render_json(plan)):
        assert secret not in text and "c2VjcmV0" not in text
        assert "(sensitive value)" in text


def long_template_plan(n: int = 80) -> Plan:
    """``n`` updates, each a 60-line template change: far more than a comment holds."""
    specs = [
        spec(
            f"Action {i:03d}",
            request={
                "requestUrlTemplate": "/x",
                "requestType": "POST",
                "requestTemplate": "\n".join(f"line {j} of {i}" for j in range(60)),
            },
        )
        for i in range(n)
    ]
    live = [live_of(spec(s.name), f"custom_-_{i}") for i, s in enumerate(specs)]
    return build_plan(specs, live, INTEGRATIONS)


def test_markdown_stays_under_the_comment_limit() -> None:
    text = render_markdown(long_template_plan(80), limit=60_000)
    assert len(text) < 60_000
    assert text.startswith("### dactl plan\n\n**Plan: 0 to create, 80 to update")
    assert "details are left out" in text


@pytest.mark.parametrize(
    ("renderer", "suffix"),
    [
        (lambda p: render_text(p), "txt"),
        (lambda p: render_text(p, color=True), "ansi.txt"),
        (render_markdown, "md"),
        (render_json, "json"),
    ],
)
def test_snapshot(renderer, suffix: str) -> None:  # type: ignore[no-untyped-def]
    text = renderer(every_kind_plan())
    path = SNAPSHOTS / f"plan-every-kind.{suffix}"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {path.name} was missing and has been written; re-run")
    assert text == path.read_text(encoding="utf-8")
    if suffix == "json":
        body = json.loads(text)
        assert body["format_version"] == 1
        assert body["counts"] == {"create": 1, "update": 3, "replace": 1, "delete": 1}


def test_template_text_cannot_close_the_markdown_fence_or_drive_the_terminal() -> None:
    s = spec("A")
    live = live_of(s, "custom_-_a")
    live.canonical["request"]["requestTemplate"] = '{\n```\n</details>\n"\x1b]0;pwned\x07"\n}\n'
    plan = build_plan([s], [live], INTEGRATIONS)
    markdown = render_markdown(plan)
    fence = next(line for line in markdown.splitlines() if line.endswith("diff"))
    assert fence == "````diff"  # longer than the ``` inside
    assert markdown.count("</details>") == 2  # the real one, and the one inside the block
    text = render_text(plan)
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;pwned\\x07" in text


def test_a_table_longer_than_a_comment_is_cut_at_a_row() -> None:
    specs = [spec(f"Action {'x' * 150} {i:04d}", timeout_seconds=9) for i in range(500)]
    live = [live_of(spec(s.name), f"custom_-_{i}") for i, s in enumerate(specs)]
    text = render_markdown(build_plan(specs, live, INTEGRATIONS))
    assert len(text) <= 60_000
    assert "_The table is cut here:" in text
    assert text.rstrip().splitlines()[-3].startswith("| ")


# --- Function actions --------------------------------------------------------------------

FN_INTEGRATIONS = Integrations(
    {"gid": "Genesys Cloud Data Actions", "fid": "Function Data Actions"},
    {"gid": "purecloud-data-actions", "fid": "function-data-actions"},
)


def fn_spec(name: str = "Echo", package: str | None = "code", **kw: object) -> ActionSpec:
    function = FunctionSpec(
        handler=str(kw.pop("handler", "index.handler")),
        runtime="nodejs20.x",
        package=package,
        package_path=Path("/repo/actions") / package if package else None,
        identity="sha256:" + "1" * 32 if package else None,
    )
    return spec(name, **{"integration": "Function Data Actions", "function": function, **kw})


def fn_live(s: ActionSpec, package: str | None = "sha256:" + "1" * 32) -> LiveAction:
    canonical = copy.deepcopy(canonical_desired(s, "fid", "Function Data Actions"))
    canonical["function"] = {
        "handler": "index.handler",
        "runtime": "nodejs20.x",
        "timeoutSeconds": 15,
        "description": "",
        "package": package,
    }
    return LiveAction("custom_-_f", 3, canonical)


def test_a_function_action_is_created_and_updated_through_a_draft_with_its_package() -> None:
    s = fn_spec()
    (create,) = build_plan([s], [], FN_INTEGRATIONS).changes
    assert (create.kind, create.draft) == ("create", True)
    assert create.package is not None and create.package.identity == "sha256:" + "1" * 32
    changed = fn_spec(handler="index.main")
    (update,) = build_plan([changed], [fn_live(s)], FN_INTEGRATIONS).changes
    assert (update.kind, update.draft) == ("update", True)
    assert [f.dotted for f in update.fields] == ["function.handler"]
    assert build_plan([s], [fn_live(s)], FN_INTEGRATIONS).empty


def test_a_package_replaced_outside_dactl_is_a_change() -> None:
    s = fn_spec()
    (update,) = build_plan(
        [s], [fn_live(s, "uploaded outside dactl: x.zip")], FN_INTEGRATIONS
    ).changes
    (field,) = update.fields
    assert (field.dotted, field.before) == ("function.package", "uploaded outside dactl: x.zip")


def test_what_the_file_leaves_out_is_taken_from_the_org_and_said() -> None:
    no_package = fn_spec(package=None)
    plan = build_plan(
        [no_package], [fn_live(no_package, "uploaded outside dactl: x.zip")], FN_INTEGRATIONS
    )
    assert plan.empty
    (note,) = plan.notes
    assert "package unknown" in note and "x.zip" in note
    bare = spec("Echo", integration="Function Data Actions")
    plan = build_plan([bare], [fn_live(no_package)], FN_INTEGRATIONS)
    assert plan.empty
    assert "has no function: block" in plan.notes[0]


def test_function_files_that_cannot_work_are_refused_before_any_write() -> None:
    with pytest.raises(PlanError, match="published only with its code"):
        build_plan([fn_spec(package=None)], [], FN_INTEGRATIONS)
    with pytest.raises(PlanError, match="published only with its code"):
        build_plan([spec("Bare", integration="Function Data Actions")], [], FN_INTEGRATIONS)
    elsewhere = fn_spec(integration="Genesys Cloud Data Actions")
    with pytest.raises(PlanError, match="function: is only for actions of a Function"):
        build_plan([elsewhere], [], FN_INTEGRATIONS)


def test_a_contract_change_of_a_function_action_is_a_replace_by_default() -> None:
    s = fn_spec()
    live = fn_live(s)
    live.canonical["contract"]["input"] = {"type": "object", "properties": {}}
    (change,) = build_plan([s], [live], FN_INTEGRATIONS, contracts_mutable=False).changes
    assert change.kind == "replace" and change.package is not None
