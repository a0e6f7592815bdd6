"""Plans as artifacts: ``dactl show PLAN.json`` renders a saved plan exactly as ``dactl
plan`` did (Markdown byte for byte), ``plan --prune`` puts deletes into the reviewed plan,
live actions no file claims are listed as "not managed, kept", ``--out -`` is refused, and
a Markdown plan cut short says where the whole plan is. In process, against the in-memory
org."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler import orchestrator as orchestrator_module
from reconciler.cli import main
from reconciler.plan import Kept, Plan
from reconciler.render.plan import full_plan_where, render_json, render_markdown, render_text
from reconciler.savedplan import PlanOrigin, plan_from_dict, read_saved_plan
from tests.fakes.org import API_URL
from tests.fakes.project import World, action
from tests.test_plan import every_kind_plan, long_template_plan

USER, ORDER, SECURE, OLD = "Get User", "Get Order", "Get Secret", "Made In The Org"
CI_VARIABLES = ("GITHUB_", "GITLAB_CI", "CI_PROJECT_", "CI_PIPELINE_", "CI_JOB_")


class Cli:
    def __init__(self, world: World) -> None:
        self.world = world
        self.org = world.org
        self.root = world.root

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def cli(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    for key in [k for k in os.environ if k.startswith(CI_VARIABLES)]:
        monkeypatch.delenv(key)  # the run must not name the CI run the tests run in
    world = World(tmp_path, safety={"minExisting": 1, "maxUpdatePercent": 10})
    monkeypatch.setattr(orchestrator_module, "connect_genesys", world.org.connect)
    monkeypatch.setenv("GENESYSCLOUD_API_URL", API_URL)
    monkeypatch.chdir(tmp_path)
    yield Cli(world)


def every_kind(cli: Cli) -> None:
    """A create, an update (a timeout, a template, a literal credential header), a replace
    (secure), and a live action no file claims."""
    template = '{\n  "user": "${input.q}",\n  "mode": "full"\n}\n'
    headers = {"Authorization": "Bearer sk-live-0123456789abcdef"}
    cli.world.seed(
        action(
            USER,
            request={
                "requestUrlTemplate": "/api/v2/users/${input.q}",
                "requestType": "POST",
                "requestTemplate": template,
            },
        ),
        action(SECURE),
        action(OLD),
    )
    cli.world.remove(OLD)
    changed = template.replace('"full"', '"short"')
    cli.world.write(
        action(
            USER,
            timeout=9,
            request={
                "requestUrlTemplate": "/api/v2/users/${input.q}",
                "requestType": "POST",
                "requestTemplate": changed,
                "headers": headers,
            },
        ),
        action(SECURE, secure=True),
        action(ORDER),
    )


@pytest.mark.parametrize("prune", [False, True])
def test_show_renders_the_saved_plan_as_plan_did(cli: Cli, prune: bool) -> None:
    every_kind(cli)
    extra = ["--prune"] if prune else []
    planned = cli("plan", "actions", "--format", "markdown", "--out", "plan.json", *extra)
    assert planned.exit_code == 0, planned.output
    shown = cli("show", "plan.json", "--format", "markdown")
    assert shown.exit_code == 0 and shown.stderr == ""
    assert shown.stdout == planned.stdout  # byte for byte: the acceptance of issue 11
    assert cli("show", "plan.json", "--format", "markdown", "--no-color").stdout == shown.stdout
    markdown = planned.stdout
    assert "Org: **dactl sandbox** (`api.fake.test`)" in markdown
    assert "> [!WARNING]" in markdown  # over the project's safety thresholds
    assert '-  "mode": "full"' in markdown and '+  "mode": "short"' in markdown
    assert "(sensitive value)" in markdown and "sk-live" not in markdown
    assert "| ♻️ | Get Secret | delete/create | `secure` |" in markdown
    assert ("| 🗑️ | Made In The Org | delete |" in markdown) is prune
    assert ("Not managed, kept (1)" in markdown) is not prune
    for fmt in ("text", "json"):
        made = cli("plan", "actions", "--format", fmt, *extra).stdout
        assert cli("show", "plan.json", "--format", fmt).stdout == made
    assert "sk-live" not in (cli.root / "plan.json").read_text()


def test_without_prune_live_actions_no_file_claims_are_kept_not_changed(cli: Cli) -> None:
    ids = cli.world.seed(action(USER), action(OLD))
    cli.world.remove(OLD)
    text = cli("plan", "actions", "--detailed-exitcode")
    assert text.exit_code == 0  # kept actions are no changes
    assert text.stdout.endswith(
        "No changes. The org matches the desired state.\n"
        "Not managed, kept (1): live actions in scope that no file claims, left alone "
        "(`--prune` plans their deletion):\n"
        f"  = {OLD!r}  {ids[OLD]} v1\n"
    )
    as_json = json.loads(cli("plan", "actions", "--format", "json").stdout)
    assert as_json["kept"] == [{"name": OLD, "id": ids[OLD], "live_version": 1}]
    assert as_json["counts"]["delete"] == 0 and as_json["changes"] == []
    markdown = cli("plan", "actions", "--format", "markdown").stdout
    assert "<details><summary>Not managed, kept (1)</summary>" in markdown
    assert f"- {OLD} (`{ids[OLD]}`)" in markdown
    pruned = cli("plan", "actions", "--prune", "--detailed-exitcode")
    assert pruned.exit_code == 2 and "kept" not in pruned.stdout
    assert f"  - delete  {OLD!r}  {ids[OLD]} v1" in pruned.stdout
    assert cli.org.writes == []


def test_a_pruned_saved_plan_applies_the_reviewed_delete(cli: Cli) -> None:
    cli.world.seed(action(USER), action(OLD))
    cli.world.remove(OLD)
    assert cli("plan", "actions", "--prune", "--out", "plan.json").exit_code == 0
    refused = cli("apply", "plan.json")  # 1 of 2 is over maxDeletePercent (10 %)
    assert refused.exit_code == 1 and "over the project's safety thresholds" in refused.stderr
    assert cli.org.writes == []
    applied = cli("apply", "plan.json", "--force")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 0 created, 0 updated, 0 replaced, 1 deleted." in applied.stdout
    assert list(cli.org.ids()) == [USER]


def test_a_cut_markdown_plan_says_where_the_whole_plan_is(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/actions")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    body = "\n".join(f'  "field{i}": "{"x" * 60}",' for i in range(40))
    names = [f"Action {i:02}" for i in range(40)]
    cli.world.seed(*(action(n) for n in names))
    for name in names:
        template = "{\n" + body + "\n}\n"
        cli.world.write(
            action(
                name,
                request={
                    "requestUrlTemplate": "/api/v2/x",
                    "requestType": "POST",
                    "requestTemplate": template,
                },
            )
        )
    (cli.root / "out").mkdir()
    planned = cli("plan", "actions", "--format", "markdown", "--out", "out/plan.json")
    assert planned.exit_code == 0
    assert len(planned.stdout) < 60_000
    assert planned.stdout.endswith(
        "details are left out. The full plan is in the saved plan `out/plan.json` (the "
        "job's artifact in CI; `dactl show out/plan.json` prints it); see also the "
        "[CI job log](https://github.com/acme/actions/actions/runs/4242)._\n"
    )
    # Elsewhere, later, with the artifact downloaded under another name: the same bytes.
    for key in [k for k in os.environ if k.startswith("GITHUB_")]:
        monkeypatch.delenv(key)
    (cli.root / "out" / "plan.json").rename(cli.root / "downloaded.json")
    shown = cli("show", "downloaded.json", "--format", "markdown")
    assert shown.stdout == planned.stdout


def test_out_dash_and_bad_plan_files_are_one_error_line(cli: Cli) -> None:
    cli.world.write(action(USER))
    dash = cli("plan", "actions", "--out", "-")
    assert dash.exit_code == 1 and dash.stdout == ""
    assert dash.stderr == (
        "Error: --out -: a saved plan is written to a file (stdout shows the plan in "
        "--format); name a file, such as --out plan.json\n"
    )
    assert not (cli.root / "-").exists() and cli.org.sessions == 0
    missing = cli("show", "nowhere.json")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: nowhere.json: cannot read the plan file")
    assert len(missing.stderr.splitlines()) == 1
    not_a_plan = cli("show", "actions/dactl.yaml")
    assert not_a_plan.exit_code == 1 and "not a saved plan" in not_a_plan.stderr
    assert cli("plan", "actions", "--out", "plan.json").exit_code == 0
    saved = json.loads((cli.root / "plan.json").read_text())
    saved["changes"][0]["live_version"] = "two"
    (cli.root / "plan.json").write_text(json.dumps(saved))
    damaged = cli("show", "plan.json")
    assert damaged.exit_code == 1
    assert damaged.stderr.startswith("Error: plan.json: damaged saved plan")
    assert "Traceback" not in damaged.output


# -- the saved plan holds what the renderers need ------------------------------------------


def round_trip(plan: Plan) -> Plan:
    return plan_from_dict(json.loads(render_json(plan)))


def test_every_kind_of_change_renders_the_same_from_its_json() -> None:
    plan = every_kind_plan()
    again = round_trip(plan)
    assert render_markdown(again) == render_markdown(plan)
    assert render_text(again) == render_text(plan)
    assert render_text(again, color=True) == render_text(plan, color=True)
    assert render_json(again) == render_json(plan)


def test_notes_safety_and_kept_survive_the_round_trip() -> None:
    plan = Plan(
        (),
        unchanged=("A",),
        desired_hash="sha256:x",
        existing=3,
        unsafe=("it would delete 2 of 3 existing actions (67%), over maxDeletePercent 10",),
        notes=("'F': package unknown: the file names no function.package",),
        kept=(Kept("Org Only", "custom_-_1", 4), Kept("No Version", "custom_-_2")),
    )
    again = round_trip(plan)
    assert again == plan
    assert render_markdown(again) == render_markdown(plan)
    many = Plan((), kept=tuple(Kept(f"K{i}", f"id{i}", 1) for i in range(60)))
    assert "- and 10 more" in render_markdown(many)


def test_read_saved_plan_gives_the_plan_its_org_and_origin(tmp_path: Path) -> None:
    body: dict[str, Any] = json.loads(render_json(every_kind_plan()))
    body |= {
        "directory": "actions",
        "org": "key",
        "organization": {"name": "Acme", "id": "o-1", "host": "api.x.test"},
        "origin": {"saved_as": "plan.json", "log_url": "https://ci.example.test/jobs/1"},
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(body))
    saved = read_saved_plan(path)
    assert saved.plan == round_trip(every_kind_plan())
    assert saved.organization is not None and saved.organization.label == "Acme (api.x.test)"
    assert saved.origin == PlanOrigin("plan.json", "https://ci.example.test/jobs/1")
    body.pop("origin")
    body["organization"] = None
    path.write_text(json.dumps(body))
    older = read_saved_plan(path)  # written before origin was recorded
    assert older.origin == PlanOrigin() and older.organization is None


def test_where_the_full_plan_is() -> None:
    assert full_plan_where(None) == "Run `dactl plan` for the full plan."
    assert full_plan_where(PlanOrigin(log_url="https://ci.test/j/1")) == (
        "Run `dactl plan` for the full plan, or see the [CI job log](https://ci.test/j/1)."
    )
    odd = full_plan_where(PlanOrigin("my `plan`.json", "https://ci.test/a)b"))
    assert odd == (
        "The full plan is in the saved plan ``my `plan`.json`` (the job's artifact in CI; "
        "`dactl show 'my plan.json'` prints it)."
    )
    text = render_markdown(long_template_plan(3000), origin=PlanOrigin("p.json"))
    assert len(text) < 60_000
    assert "_The table is cut here: " in text and "`dactl show p.json` prints it" in text
