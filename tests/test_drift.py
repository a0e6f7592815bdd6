"""Drift reports read off hand-built plans, and their renderers."""

from __future__ import annotations

import json

from reconciler.drift import drift_report
from reconciler.plan import Plan, build_plan
from reconciler.render.drift import (
    render_json,
    render_markdown,
    render_text,
)
from reconciler.render.webhook import report_without_values, webhook_body, webhook_text
from tests.test_plan import INTEGRATIONS, live_of, long_template_plan, spec


def every_status_plan() -> Plan:
    """One action in sync, one of each drift: timeout, integration, missing, unmanaged."""
    same, timeout, moved, gone = (
        spec("In Sync"),
        spec("Queue Wait", timeout_seconds=5),
        spec("Order Status", integration="Web Services Data Actions"),
        spec("Brand New"),
    )
    live = [
        live_of(same, "custom_-_s"),
        live_of(timeout, "custom_-_t", version=7, timeoutSeconds=3),
        live_of(moved, "custom_-_m", integrationId="gid"),
        live_of(spec("Made In The Org"), "custom_-_u", version=4),
    ]
    return build_plan([same, timeout, moved, gone], live, INTEGRATIONS, prune=True)


def test_plan_kinds_become_drift_statuses() -> None:
    report = drift_report(every_status_plan())
    assert [(a.status, a.name, a.action_id, a.live_version) for a in report.actions] == [
        ("changed", "Order Status", "custom_-_m", 2),  # a replace in a plan
        ("changed", "Queue Wait", "custom_-_t", 7),  # an update in a plan
        ("missing", "Brand New", None, None),  # a create
        ("unmanaged", "Made In The Org", "custom_-_u", 4),  # a delete, with prune on
    ]
    assert report.in_sync == ("In Sync",)
    assert report.counts() == {"changed": 2, "missing": 1, "unmanaged": 1}
    assert report.drifted
    assert report.summary() == "Drift: 2 changed outside git, 1 missing, 1 unmanaged."
    by_name = {a.name: a for a in report.actions}
    assert by_name["Brand New"].source == "actions/brand-new.yaml"
    assert by_name["Made In The Org"].source is None


def test_no_drift_is_a_first_class_result() -> None:
    s = spec("A")
    report = drift_report(build_plan([s], [live_of(s, "custom_-_a")], INTEGRATIONS, prune=True))
    assert not report.drifted
    assert report.counts() == {"changed": 0, "missing": 0, "unmanaged": 0}
    assert render_text(report) == "No drift: the org matches git.\n"
    assert render_markdown(report) == "### dactl drift\n\n**No drift: the org matches git.**\n"
    body = json.loads(render_json(report))
    assert body["drift"] is False and body["actions"] == [] and body["in_sync"] == ["A"]


def test_fields_read_git_to_org_in_every_format() -> None:
    s = spec("Queue Wait", timeout_seconds=5)
    plan = build_plan([s], [live_of(s, "custom_-_t", version=7, timeoutSeconds=3)], INTEGRATIONS)
    report = drift_report(plan)
    assert render_text(report) == (
        "~ changed   'Queue Wait'  custom_-_t v7\n"
        "      in actions/queue-wait.yaml\n"
        "      timeoutSeconds: 5 → 3\n"
        "\n"
        "Drift: 1 changed outside git, 0 missing, 0 unmanaged.\n"
        "Changed fields read git → org.\n"
    )
    assert "| `custom_-_t` v7 | `timeoutSeconds: 5 → 3` |" in render_markdown(report)
    (field,) = json.loads(render_json(report))["actions"][0]["fields"]
    assert field == {
        "path": ["timeoutSeconds"],
        "before": 5,
        "after": 3,
        "before_present": True,
        "after_present": True,
    }


def test_templates_are_line_diffs_labelled_git_and_org() -> None:
    s = spec("Create Ticket")
    live = live_of(s, "custom_-_b")
    live.canonical["request"]["requestTemplate"] = '{\n  "a": 1,\n  "b": 3\n}\n'
    report = drift_report(build_plan([s], [live], INTEGRATIONS))
    for text in (render_text(report), render_markdown(report)):
        assert "--- git\n" in text and "+++ org\n" in text
        assert '-  "b": 2\n' in text and '+  "b": 3\n' in text


def test_drift_output_never_speaks_of_deleting() -> None:
    report = drift_report(every_status_plan())
    texts = [
        render_text(report),
        render_text(report, color=True),
        render_markdown(report),
        render_json(report),
        json.dumps(webhook_body(report)),
    ]
    for text in texts:
        assert "delete" not in text.lower()
        assert "unmanaged" in text and "Made In The Org" in text


def test_json_is_versioned_and_counted() -> None:
    body = json.loads(render_json(drift_report(every_status_plan())))
    assert body["format_version"] == 1
    assert body["counts"] == {"changed": 2, "missing": 1, "unmanaged": 1}
    assert [(a["name"], a["status"], a["id"]) for a in body["actions"]] == [
        ("Order Status", "changed", "custom_-_m"),
        ("Queue Wait", "changed", "custom_-_t"),
        ("Brand New", "missing", None),
        ("Made In The Org", "unmanaged", "custom_-_u"),
    ]
    moved = body["actions"][0]
    assert [(f["path"], f["before"], f["after"]) for f in moved["fields"]] == [
        (["integrationId"], "wid", "gid")
    ]
    keys = {"name", "status", "id", "live_version", "source", "fields", "adopt", "usage"}
    assert set(moved) == keys
    assert moved["adopt"] is None
    assert body["actions"][3]["adopt"] == "dactl export --out actions --name 'Made In The Org'"
    assert body["ignored"] == []


def test_literal_credentials_never_reach_a_drift_report() -> None:
    secret = "Basic c2VjcmV0OnBhc3N3b3Jk"
    desired = spec("A")
    live = live_of(desired, "custom_-_a")
    live.canonical["request"]["headers"] = {"Authorization": secret, "X-Trace": "on"}
    report = drift_report(build_plan([desired], [live], INTEGRATIONS))
    texts = [
        render_text(report),
        render_markdown(report),
        render_json(report),
    ]
    for text in texts:
        assert secret not in text and "c2VjcmV0" not in text
        assert "(sensitive value)" in text and "X-Trace" in text
    for fmt in ("json", "slack", "teams"):  # a chat message carries no values at all
        message = json.dumps(webhook_body(report, fmt=fmt))
        assert secret not in message and "c2VjcmV0" not in message
        assert "(sensitive value)" not in message and "headers" in message


def test_markdown_stays_under_the_comment_limit() -> None:
    report = drift_report(long_template_plan(80))
    text = render_markdown(report, limit=60_000)
    assert len(text) < 60_000
    assert text.startswith("### dactl drift\n\n**Drift: 80 changed outside git, 0 missing")
    assert text.count("| ✏️ |") == 80  # the table is whole; only details are left out
    assert "details are left out. Run `dactl drift` for the full report." in text


def test_webhook_message_names_the_drifted_actions_in_one_paragraph() -> None:
    report = drift_report(every_status_plan())
    body = webhook_body(report)
    assert body["drift"] == report_without_values(report)
    assert body["organization"] is None and body["ci"] is None
    assert body["text"] == (
        "dactl drift: the org differs from git: 2 changed outside git (Order Status, "
        "Queue Wait); 1 missing (Brand New); 1 unmanaged (Made In The Org)."
    )


def test_webhook_message_escapes_markup_and_caps_long_lists() -> None:
    live = [live_of(spec(f"Org <{i:02}> & co"), f"custom_-_{i}") for i in range(12)]
    report = drift_report(build_plan([], live, INTEGRATIONS, prune=True))
    text = webhook_text(report)
    assert "\n" not in text and "<" not in text and "& " not in text
    assert "12 unmanaged (Org &lt;00&gt; &amp; co, " in text
    assert "Org &lt;09&gt; &amp; co and 2 more)." in text
    assert "&lt;10&gt;" not in text
