"""``dactl export`` end to end: the real CLI against a real sandbox seeded with the example
actions (plus the sandbox's own static and custom-auth actions)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from reconciler.genesys import ActionsApi
from reconciler.sandbox.seed import CUSTOM_AUTH_ACTION_ID, STATIC_ACTION_IDS
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import (
    Cli,
    create_in_org,
    edit_in_org,
    requests_by_route,
    seed_actions,
)

pytestmark = pytest.mark.e2e

GENESYS = "Genesys Cloud Data Actions"
WEB = "Web Services Data Actions"
SALESFORCE = "Salesforce Data Actions"  # holds only the sandbox's static actions
UNMANAGEABLE_NAMES = {
    "Web Services Data Actions Custom Auth",
    "Lookup Account by Phone Number",
    "Get Contact by Id",
}


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory``, by relative path, with its bytes."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def exported_names(directory: Path) -> dict[str, str]:
    """Action name -> file name of every action file directly in ``directory``."""
    out = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name != "dactl.yaml":
            out[yaml.safe_load(path.read_text(encoding="utf-8"))["name"]] = path.name
    return out


def test_export_then_plan_shows_no_change(cli: Cli) -> None:
    """DESIGN rule 6 on the example org: the exported tree validates and plans as no change;
    the files carry the editor schema comment where the repository has the schemas."""
    ids = seed_actions(cli, cli.cwd / "actions")
    shutil.copytree(REPO_ROOT / "schemas", cli.cwd / "schemas")

    result = cli.run("export", "--out", "exported")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == (
        "Exported 10 actions from 2 integrations to exported/ (10 new, 0 updated, 0 unchanged).\n"
    )
    out = cli.cwd / "exported"
    assert set(exported_names(out)) == set(ids)
    for path in out.glob("*.yaml"):
        kind = "project" if path.name == "dactl.yaml" else "action-file"
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../schemas/{kind}.schema.json"
    project = yaml.safe_load((out / "dactl.yaml").read_text(encoding="utf-8"))
    assert project == {"scope": {"integrations": [GENESYS, WEB]}}  # no apiUrl, no region

    plan = cli.run("plan", "exported", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout


def test_static_and_custom_auth_actions_are_never_exported(cli: Cli) -> None:
    """The Web Services integration holds the sandbox's custom-auth action, the Salesforce
    one only static actions: named explicitly, neither gets a file."""
    seed_actions(cli, cli.cwd / "actions")
    with cli.api() as client:
        listed = {a["id"] for a in ActionsApi(client).iter_actions(include_auth_actions=True)}
    assert {CUSTOM_AUTH_ACTION_ID, *STATIC_ACTION_IDS} <= listed  # they are in the org

    result = cli.run("export", "--out", "web", "--integration", WEB, "--integration", SALESFORCE)
    assert result.returncode == 0, result.stdout + result.stderr
    names = exported_names(cli.cwd / "web")
    assert names and not set(names) & UNMANAGEABLE_NAMES
    assert all(
        yaml.safe_load((cli.cwd / "web" / f).read_text())["integration"] == WEB
        for f in names.values()
    )
    assert result.stdout.startswith(f"Exported {len(names)} actions from 2 integrations to web/")
    project = yaml.safe_load((cli.cwd / "web" / "dactl.yaml").read_text())
    assert project == {"scope": {"integrations": [SALESFORCE, WEB]}}


def test_without_integration_the_scope_of_an_existing_project_file_is_exported(
    cli: Cli,
) -> None:
    seed_actions(cli, cli.cwd / "actions")
    out = cli.cwd / "scoped"
    out.mkdir()
    (out / "dactl.yaml").write_text(f"# mine\nscope:\n  integrations: [{WEB}]\n")
    before = (out / "dactl.yaml").read_bytes()

    result = cli.run("export", "--out", "scoped")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "dactl.yaml").read_bytes() == before  # an existing project file is kept
    names = exported_names(out)
    assert names and all(
        yaml.safe_load((out / f).read_text())["integration"] == WEB for f in names.values()
    )
    assert result.stdout == (
        f"Exported {len(names)} actions from 1 integration to scoped/ "
        f"({len(names)} new, 0 updated, 0 unchanged).\n"
    )
    assert result.stderr == ""  # the tree validates against the project file
    plan = cli.run("plan", "scoped", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_a_directory_with_action_files_is_refused_without_force(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    before = snapshot(cli.cwd / "actions")
    stats = cli.sandbox.stats()

    result = cli.run("export", "--out", "actions")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "actions/" in result.stderr
    assert "--force" in result.stderr and "empty directory" in result.stderr
    assert snapshot(cli.cwd / "actions") == before
    assert requests_by_route(stats, cli.sandbox.stats()) == {}  # refused before any request


def test_force_rewrites_changed_files_in_place_and_deletes_nothing(cli: Cli) -> None:
    """The example tree after the org changed: the edited action's file is rewritten under
    its own name, a new action gets a new file, every other file stays byte for byte
    (their ``extends`` and comments included), and the tree then plans as no change."""
    ids = seed_actions(cli, cli.cwd / "actions")
    with cli.api() as client:
        edit_in_org(ActionsApi(client), ids["Get Queue Waiting Count"], timeoutSeconds=20)
    create_in_org(cli, "Made In The Org")
    tree = cli.cwd / "actions"
    (tree / "notes.txt").write_text("not an action\n")
    before = snapshot(tree)

    result = cli.run("export", "--out", "actions", "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "updated  actions/get-queue-waiting-count.yaml  (Get Queue Waiting Count)",
        "new      actions/made-in-the-org.yaml  (Made In The Org)",
        "Exported 11 actions from 2 integrations to actions/ (1 new, 1 updated, 9 unchanged).",
    ]
    after = snapshot(tree)
    assert set(after) == {*before, "made-in-the-org.yaml"}  # nothing deleted or renamed
    changed = {p for p in before if after[p] != before[p]}
    assert changed == {"get-queue-waiting-count.yaml"}
    rewritten = yaml.safe_load(after["get-queue-waiting-count.yaml"])
    assert rewritten["name"] == "Get Queue Waiting Count"
    assert rewritten["timeoutSeconds"] == 20 and "extends" not in rewritten
    # The file name of a hand-named file is kept although the export would name it otherwise.
    assert exported_names(tree)["Update Conversation External Tag"] == "update-external-tag.yaml"

    plan = cli.run("plan", "actions", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_an_unknown_integration_is_one_line_naming_those_that_exist(cli: Cli) -> None:
    result = cli.run("export", "--out", "new", "--integration", GENESYS, "--integration", "Nope")
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "no integration named 'Nope' in the org" in line
    assert GENESYS in line and WEB in line and SALESFORCE in line
    assert not (cli.cwd / "new").exists()


def test_two_live_actions_with_one_name_are_an_error_and_nothing_is_written(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    with cli.api() as client:  # without the clash, this edit would be exported
        edit_in_org(ActionsApi(client), ids["Get Queue Waiting Count"], timeoutSeconds=20)
    twin = create_in_org(cli, "Get User Presence", WEB)
    before = snapshot(cli.cwd / "actions")

    for args in (("--out", "fresh"), ("--out", "actions", "--force")):
        result = cli.run("export", *args)
        assert result.returncode == 1, result.stdout
        assert result.stdout == ""
        assert "'Get User Presence'" in result.stderr
        assert ids["Get User Presence"] in result.stderr and twin in result.stderr
    assert not (cli.cwd / "fresh").exists()
    assert snapshot(cli.cwd / "actions") == before


def test_an_export_costs_what_a_plan_costs(cli: Cli) -> None:
    """Cold (``--refresh``) and warm, the same requests by route: same listing, same cache."""
    seed_actions(cli, cli.cwd / "actions")

    def cost(*args: str) -> dict[str, int]:
        before = cli.sandbox.stats()
        result = cli.run(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return requests_by_route(before, cli.sandbox.stats())

    cold_export = cost("export", "--out", "exported", "--refresh")
    cold_plan = cost("plan", "exported", "--refresh")
    # A plan also names the org in its header: one GET /api/v2/organizations/me when cold
    # (--refresh), which an export does not need.
    assert cold_plan.pop("GET /api/v2/organizations/me") == 1
    assert cold_export == cold_plan
    assert cold_export["GET /api/v2/integrations"] == 1
    assert sum(cold_export.values()) == 1 + 1 + 1 + 3 * 10  # token, listing, integrations

    warm_export = cost("export", "--out", "exported", "--force")
    warm_plan = cost("plan", "exported")
    assert warm_export == warm_plan
    assert warm_export == {"POST /oauth/token": 1, "GET /api/v2/integrations/actions": 1}


def test_literal_credentials_from_the_org_are_warned_about_never_printed(cli: Cli) -> None:
    ids = seed_actions(cli, cli.cwd / "actions")
    secret = "Bearer abc$def123-s3cr3t"  # a "$" alone does not make it a template
    with cli.api() as client:
        edit_in_org(
            ActionsApi(client), ids["Get Queue Waiting Count"], headers={"Authorization": secret}
        )
    result = cli.run("export", "--out", "fresh")
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "literal credential" in x]
    assert line.startswith("fresh/get-queue-waiting-count.yaml:")
    assert ": warning: request.headers.Authorization: looks like a literal credential" in line
    assert "s3cr3t" not in result.stdout + result.stderr
    assert secret in (cli.cwd / "fresh" / "get-queue-waiting-count.yaml").read_text()


def test_an_out_path_under_a_regular_file_is_one_line_naming_it(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    (cli.cwd / "afile").write_text("a regular file\n")
    result = cli.run("export", "--out", "afile/exp")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: cannot write afile/exp/") and "Not a directory" in line
    assert (cli.cwd / "afile").read_text() == "a regular file\n"
