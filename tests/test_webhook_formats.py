"""Drift messages: the CI run read from the CI's variables, and the webhook bodies in each
``--webhook-format`` (json, slack, teams): they name the org, the repository and the run,
and carry field names, never values."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler import orchestrator as orchestrator_module
from reconciler.cli import main
from reconciler.drift import DriftReport, drift_report
from reconciler.organization import OrgInfo
from reconciler.plan import build_plan
from reconciler.render.webhook import webhook_body, webhook_text
from reconciler.runcontext import CiRun, ci_run
from tests.fakes.org import API_URL
from tests.fakes.project import World, action
from tests.test_drift import every_status_plan
from tests.test_plan import INTEGRATIONS, live_of, spec

ORG = OrgInfo("api.mypurecloud.ie", "Acme Prod", "o-1")
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/dactl-actions",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "987654",
}
GITLAB = {
    "GITLAB_CI": "true",
    "CI_PROJECT_PATH": "acme/ops/dactl-actions",
    "CI_PROJECT_URL": "https://gitlab.example.com/acme/ops/dactl-actions",
    "CI_PIPELINE_URL": "https://gitlab.example.com/acme/ops/dactl-actions/-/pipelines/55",
    "CI_JOB_URL": "https://gitlab.example.com/acme/ops/dactl-actions/-/jobs/77",
}
RUN = ci_run(GITHUB)
TEMPLATE_VALUE = "s3cret-template-body"


# -- the CI run -------------------------------------------------------------------------------


def test_the_run_of_github_actions() -> None:
    expected = CiRun(
        "github",
        "acme/dactl-actions",
        "https://github.com/acme/dactl-actions",
        "https://github.com/acme/dactl-actions/actions/runs/987654",
        "https://github.com/acme/dactl-actions/actions/runs/987654",
    )
    assert expected == RUN
    no_server = ci_run({"GITHUB_REPOSITORY": "a/b", "GITHUB_RUN_ID": "1"})
    assert no_server is not None and no_server.run_url == "https://github.com/a/b/actions/runs/1"
    no_run = ci_run({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "a/b"})
    assert no_run is not None and no_run.run_url is None and no_run.repository == "a/b"


def test_the_run_of_gitlab_ci() -> None:
    run = ci_run(GITLAB)
    assert run is not None and run.to_dict() == {
        "provider": "gitlab",
        "repository": "acme/ops/dactl-actions",
        "repository_url": "https://gitlab.example.com/acme/ops/dactl-actions",
        "run_url": "https://gitlab.example.com/acme/ops/dactl-actions/-/pipelines/55",
    }
    assert run.job_url == "https://gitlab.example.com/acme/ops/dactl-actions/-/jobs/77"


def test_no_run_outside_ci_and_odd_values_are_left_out() -> None:
    assert ci_run({}) is None and ci_run({"CI": "true"}) is None
    odd = ci_run(
        {
            "GITHUB_REPOSITORY": "a/b <@here>",
            "GITHUB_SERVER_URL": "javascript:alert(1)",
            "GITHUB_RUN_ID": "1; rm",
        }
    )
    assert odd == CiRun("github")
    bad_urls = ci_run({"CI_PROJECT_PATH": "g/p", "CI_PIPELINE_URL": "https://x.test/a b"})
    assert bad_urls == CiRun("gitlab", "g/p")


# -- the bodies -------------------------------------------------------------------------------


def report_with_template_change() -> DriftReport:
    """One action whose template was edited in the org, and one of each other status."""
    desired = spec("Lookup <Customer> & Co")
    live = live_of(desired, "custom_-_l", version=4, timeoutSeconds=9)
    live.canonical["request"]["requestTemplate"] = f'{{"token": "{TEMPLATE_VALUE}"}}'
    gone, extra = spec("Brand New"), live_of(spec("Made In The Org"), "custom_-_u")
    return drift_report(build_plan([desired, gone], [live, extra], INTEGRATIONS, prune=True))


@pytest.mark.parametrize("fmt", ["json", "slack", "teams"])
def test_no_format_carries_a_value(fmt: str) -> None:
    body = json.dumps(webhook_body(report_with_template_change(), org=ORG, run=RUN, fmt=fmt))
    assert TEMPLATE_VALUE not in body and "requestTemplate" in body
    assert '"before"' not in body and '"after"' not in body and "→" not in body
    assert "Acme Prod" in body and "acme/dactl-actions" in body


def test_the_json_body_names_the_org_the_repository_and_the_run() -> None:
    body = webhook_body(every_status_report(), org=ORG, run=RUN)
    assert body["text"] == (
        "dactl drift: the org Acme Prod (api.mypurecloud.ie) differs from git (repository "
        "acme/dactl-actions, CI run https://github.com/acme/dactl-actions/actions/runs/987654): "
        "2 changed outside git (Order Status, Queue Wait); 1 missing (Brand New); "
        "1 unmanaged (Made In The Org)."
    )
    assert body["organization"] == {"name": "Acme Prod", "id": "o-1", "host": "api.mypurecloud.ie"}
    assert RUN is not None and body["ci"] == RUN.to_dict()
    drift = body["drift"]
    assert drift["organization"] == body["organization"]
    assert drift["counts"] == {"changed": 2, "missing": 1, "unmanaged": 1}
    assert drift["actions"][1]["fields"] == [
        {"path": ["timeoutSeconds"], "before_present": True, "after_present": True}
    ]


def every_status_report() -> DriftReport:
    return drift_report(every_status_plan())


def test_the_slack_body_is_blocks_with_a_text_fallback() -> None:
    report = report_with_template_change()
    body = webhook_body(report, org=ORG, run=RUN, fmt="slack")
    assert set(body) == {"text", "blocks"}
    assert body["text"] == webhook_text(report, org=ORG, run=RUN)
    header, section, context = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "dactl drift: the org differs from git"},
    }
    assert section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == (
        "*Drift: 1 changed outside git, 1 missing, 1 unmanaged.*\n"
        "*Changed outside git* (1): Lookup &lt;Customer&gt; &amp; Co "
        "(request.requestTemplate, timeoutSeconds)\n"
        "*Missing* (1): Brand New\n"
        "*Unmanaged* (1): Made In The Org"
    )
    assert context == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "Org: *Acme Prod (api.mypurecloud.ie)* · Repository: "
                "<https://github.com/acme/dactl-actions|acme/dactl-actions> · "
                "<https://github.com/acme/dactl-actions/actions/runs/987654|CI run>",
            }
        ],
    }


def test_slack_without_ci_or_org_and_with_many_actions() -> None:
    live = [live_of(spec(f"Org Action {i:03} " + "x" * 200), f"custom_-_{i}") for i in range(30)]
    report = drift_report(build_plan([], live, INTEGRATIONS, prune=True))
    body = webhook_body(report, fmt="slack")
    assert [b["type"] for b in body["blocks"]] == ["header", "section"]
    section = body["blocks"][1]["text"]["text"]
    assert len(section) <= 3000 and "; and 20 more" in section
    assert body["text"].endswith(" and 20 more).")


def test_the_teams_body_is_one_adaptive_card() -> None:
    body = webhook_body(report_with_template_change(), org=ORG, run=RUN, fmt="teams")
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, summary, facts = card["body"]
    assert title["text"] == "dactl drift: the org differs from git" and title["wrap"] is True
    assert summary["text"] == "Drift: 1 changed outside git, 1 missing, 1 unmanaged."
    assert facts["type"] == "FactSet" and facts["facts"] == [
        {"title": "Org", "value": "Acme Prod (api.mypurecloud.ie)"},
        {"title": "Repository", "value": "acme/dactl-actions"},
        {
            "title": "Changed outside git",
            "value": "Lookup <Customer> & Co (request.requestTemplate, timeoutSeconds)",
        },
        {"title": "Missing", "value": "Brand New"},
        {"title": "Unmanaged", "value": "Made In The Org"},
    ]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the CI run",
            "url": "https://github.com/acme/dactl-actions/actions/runs/987654",
        }
    ]
    outside_ci = webhook_body(report_with_template_change(), fmt="teams")
    card = outside_ci["attachments"][0]["content"]
    assert "actions" not in card and card["body"][2]["facts"][0]["title"] == "Changed outside git"


def test_many_fields_are_counted_not_listed() -> None:
    desired = spec("A")
    live = live_of(desired, "custom_-_a", timeoutSeconds=9)
    live.canonical["request"]["headers"] = {f"X-{i}": "1" for i in range(3)}
    live.canonical["request"]["requestType"] = "POST"
    live.canonical["response"]["successTemplate"] = "{}"
    live.canonical["category"] = "other"
    live.canonical["contract"]["output"]["properties"]["n"] = {"type": "string"}
    report = drift_report(build_plan([desired], [live], INTEGRATIONS))
    text = webhook_body(report, fmt="teams")["attachments"][0]["content"]["body"][2]
    assert text["facts"][0]["value"].endswith(", 1 more)")


# -- the command --------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for key in [k for k in os.environ if k.startswith(("GITHUB_", "GITLAB_CI", "CI_"))]:
        monkeypatch.delenv(key)
    world = World(tmp_path)
    ids = world.seed(action("Get User"))
    world.org.edit(ids["Get User"], timeoutSeconds=8)
    monkeypatch.setattr(orchestrator_module, "connect_genesys", world.org.connect)
    monkeypatch.setenv("GENESYSCLOUD_API_URL", API_URL)
    monkeypatch.chdir(tmp_path)
    yield world


def drift_posting(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> tuple[int, Any]:
    posted: list[Any] = []
    monkeypatch.setattr("reconciler.webhook.post_json", lambda url, body: posted.append(body))
    result = CliRunner().invoke(main, ["drift", "actions", *args], env=env)
    return result.exit_code, posted


def test_drift_posts_in_the_format_asked(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = "https://hooks.example.test/x"
    code, (slack,) = drift_posting(
        monkeypatch, "--webhook", hook, "--webhook-format", "slack", **GITHUB
    )
    assert code == 2 and set(slack) == {"text", "blocks"}
    assert slack["text"].startswith(
        "dactl drift: the org dactl sandbox (api.fake.test) differs from git (repository "
        "acme/dactl-actions, CI run https://github.com/acme/dactl-actions/actions/runs/987654)"
    )
    code, (teams,) = drift_posting(
        monkeypatch, DACTL_DRIFT_WEBHOOK=hook, DACTL_DRIFT_WEBHOOK_FORMAT="teams", **GITLAB
    )
    assert code == 2 and teams["type"] == "message"
    card = teams["attachments"][0]["content"]
    assert card["actions"][0]["url"] == GITLAB["CI_PIPELINE_URL"]
    code, (default,) = drift_posting(monkeypatch, "--webhook", hook)
    assert code == 2 and default["ci"] is None
    assert default["drift"]["actions"][0]["fields"] == [
        {"path": ["timeoutSeconds"], "before_present": True, "after_present": True}
    ]
    code, posted = drift_posting(monkeypatch, "--webhook", hook, "--webhook-format", "xml")
    assert code == 1 and posted == []
