"""``dactl pull`` end to end: the real CLI against a real sandbox whose actions an admin
edited out of band, then ``dactl plan`` on the files it wrote; and the CI kit's
``dactl-pull.yml`` run step by step (bash, git, a bare origin) with a fake of GitHub's
REST API served on a loopback port: one pull request, opened, then updated."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.genesys import ActionsApi
from tests.ci.fake_pulls import FakeGitHubPulls
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import Cli, create_in_org, edit_in_org, seed_actions
from tests.fakes.ci_api import GITHUB_TOKEN
from tests.fakes.project import WEB, action

pytestmark = pytest.mark.e2e

TIMEOUT_FILE, HEADER_FILE, MAP_FILE = (
    "create-callback.yaml",
    "update-external-tag.yaml",
    "get-order-status.yaml",
)
COMMENT = "# Reviewed with the contact-centre team; ask before changing.\n"
WORKFLOW = REPO_ROOT / "reconciler" / "ci" / "templates" / "github" / "dactl-pull.yml"


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def ids(cli: Cli) -> dict[str, str]:
    with cli.api() as client:
        return {a["name"]: a["id"] for a in ActionsApi(client).iter_actions()}


def edit(cli: Cli, name: str, **change: Any) -> None:
    """An admin's edit in the UI: one versioned PATCH of the live action, past git."""
    action_id = ids(cli)[name]
    with cli.api() as client:
        api = ActionsApi(client)
        if "translation" in change:
            response = api.get_action_full(action_id)["config"]["response"]
            response["translationMap"].update(change.pop("translation"))
            change["response"] = response
        edit_in_org(api, action_id, **change)


def no_change(cli: Cli) -> None:
    plan = cli.run("plan", "actions", "--detailed-exitcode", "--no-color")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes. The org matches the desired state." in plan.stdout


def test_three_edits_in_an_org_of_twenty_change_exactly_their_three_files(cli: Cli) -> None:
    tree = cli.cwd / "actions"
    for i in range(1, 11):  # ten more actions: twenty in all
        content = action(f"Extra Action {i:02}", integration=WEB)
        path = tree / f"extra-action-{i:02}.yaml"
        path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    for name in (TIMEOUT_FILE, HEADER_FILE, MAP_FILE):
        path = tree / name
        path.write_text(path.read_text().replace("\ncontract:", f"\n{COMMENT}contract:", 1))
    assert len(seed_actions(cli, tree)) == 20
    edit(cli, "Create Callback", timeoutSeconds=25)
    edit(cli, "Update Conversation External Tag", headers={"X-Request-Source": "flows"})
    edit(cli, "Get Order Status", translation={"eta": "$.estimatedDelivery.early"})
    before = snapshot(tree)

    result = cli.run("pull", "actions", "--no-color")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.endswith(
        "Pulled 3 actions from the org: 3 files updated, 0 new.\nChanged fields read git → org.\n"
    )
    after = snapshot(tree)
    assert set(after) == set(before)
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {TIMEOUT_FILE, HEADER_FILE, MAP_FILE}
    texts = {name: (tree / name).read_text() for name in changed}
    assert all(COMMENT in text for text in texts.values())
    assert "timeoutSeconds: 25\n" in texts[TIMEOUT_FILE]
    assert (
        "  headers:\n    Content-Type: application/json\n    X-Request-Source: flows\n"
        in texts[HEADER_FILE]
    )
    assert "    eta: $.estimatedDelivery.early\n" in texts[MAP_FILE]
    for name in changed:  # nothing else of the file moved: one line changed or added
        old = before[name][0].decode().splitlines()
        new = texts[name].splitlines()
        assert len(new) - len(old) in (0, 1) and len(set(new) - set(old)) == 1, name
    no_change(cli)


def test_a_field_from_an_extends_template_lands_as_an_override(cli: Cli) -> None:
    tree = cli.cwd / "actions"
    seed_actions(cli, tree)
    template = tree / "_templates" / "genesys-get.yaml"
    before = snapshot(tree)
    edit(cli, "Get Queue Waiting Count", headers={"Accept": "application/vnd.genesys+json"})

    result = cli.run("pull", "actions", "--no-color")
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "      override: request.headers.Accept comes from actions/_templates/genesys-get.yaml; "
        "written in this file (actions/_templates/genesys-get.yaml is unchanged)\n"
    ) in result.stdout
    after = snapshot(tree)
    assert after["_templates/genesys-get.yaml"] == before["_templates/genesys-get.yaml"]
    assert {n for n in before if after[n] != before[n]} == {"get-queue-waiting-count.yaml"}
    text = (tree / "get-queue-waiting-count.yaml").read_text()
    assert text.endswith(
        "  requestUrlTemplate: /api/v2/routing/queues/${input.queueId}/estimatedwaittime\n"
        "  headers:\n    Accept: application/vnd.genesys+json\n"
        "response:\n  translationMap:\n    waiting: $.results[0].estimatedWaitTimeSeconds\n"
        '  translationMapDefaults:\n    waiting: "0"\n'
        "  successTemplate: '{\"waiting\": ${waiting}}'\n"
    )
    assert "Accept: application/json" in template.read_text()
    no_change(cli)


def test_unmanaged_adds_one_file_for_an_action_made_in_the_ui(cli: Cli) -> None:
    tree = cli.cwd / "actions"
    seed_actions(cli, tree)
    made = create_in_org(cli, "Made In The UI")
    before = snapshot(tree)
    listed = cli.run("pull", "actions", "--no-color")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert f"? unmanaged 'Made In The UI'  {made} v1\n" in listed.stdout
    assert snapshot(tree) == before

    result = cli.run("pull", "actions", "--unmanaged", "--no-color")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.startswith("+ new       actions/made-in-the-ui.yaml  ('Made In The UI')\n")
    after = snapshot(tree)
    assert set(after) - set(before) == {"made-in-the-ui.yaml"}
    assert {name: after[name] for name in before} == before  # bytes and mtimes
    assert "name: Made In The UI\n" in (tree / "made-in-the-ui.yaml").read_text()
    no_change(cli)


# --- the CI kit's recipe ------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def repository(cli: Cli, tmp_path: Path) -> Path:
    """A clone of a bare ``origin`` whose ``main`` holds the example tree."""
    origin, repo = tmp_path / "origin.git", tmp_path / "repo"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    shutil.copytree(cli.cwd / "actions", repo / "actions")
    (repo / ".gitignore").write_text(".dactl/\n")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "add", ".")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "tree")
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "--quiet", "origin", "main")
    return repo


@pytest.fixture
def github(repository: Path) -> Iterator[tuple[FakeGitHubPulls, str]]:
    origin = repository.parent / "origin.git"

    def branches() -> set[str]:
        return set(git(origin, "for-each-ref", "--format=%(refname:short)").split())

    fake = FakeGitHubPulls(token=GITHUB_TOKEN, branches=branches)
    with fake.serve() as url:
        yield fake, url


def run_workflow(cli: Cli, repo: Path, api_url: str) -> list[str]:
    """The ``run:`` steps of the workflow's job, as the runner runs them (bash -eo
    pipefail, ``if:`` and ``${{ }}`` read, ``$GITHUB_OUTPUT`` collected), in ``repo``; the
    ``uses:`` steps (checkout, installing dactl, the cache) are what this test set up. The
    names of the steps that ran."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    shim = repo.parent / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "dactl").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
    (shim / "dactl").chmod(0o755)
    env = {
        k: v for k, v in cli.env().items() if not k.startswith(("GITHUB_", "DACTL_", "CI_", "GIT_"))
    }
    env.update(workflow["env"])
    env.update(
        PATH=f"{shim}{os.pathsep}{env['PATH']}",
        PYTHONPATH=str(REPO_ROOT),
        GITHUB_API_URL=api_url,
        GITHUB_REPOSITORY="acme/actions",
        GITHUB_REF_NAME="main",
        GITHUB_SERVER_URL="https://github.example",
        GITHUB_RUN_ID="77",
    )
    outputs: dict[str, dict[str, str]] = {}
    ran = []
    for number, step in enumerate(workflow["jobs"]["pull"]["steps"]):
        if "run" not in step or not holds(step.get("if"), outputs):
            continue
        out = repo.parent / f"output-{number}"
        out.write_text("")
        step_env = {k: expression(str(v), outputs) for k, v in (step.get("env") or {}).items()}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=repo,
            env={**env, **step_env, "GITHUB_OUTPUT": str(out)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (step["name"], result.stdout, result.stderr)
        assert GITHUB_TOKEN not in result.stdout + result.stderr
        if "id" in step:
            pairs = (line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
            outputs[step["id"]] = dict(pairs)
        ran.append(step["name"])
    return ran


def expression(text: str, outputs: dict[str, dict[str, str]]) -> str:
    """The ``${{ }}`` expressions the workflow's step environments use."""
    text = text.replace("${{ github.token }}", GITHUB_TOKEN)
    for step, values in outputs.items():
        for key, value in values.items():
            text = text.replace(f"${{{{ steps.{step}.outputs.{key} }}}}", value)
    return text


def holds(condition: str | None, outputs: dict[str, dict[str, str]]) -> bool:
    if condition is None:
        return True
    assert condition == "steps.pull.outputs.found == 'changed'", condition
    return outputs.get("pull", {}).get("found") == "changed"


def test_the_ci_recipe_opens_one_pull_request_then_updates_it(
    cli: Cli, repository: Path, github: tuple[FakeGitHubPulls, str]
) -> None:
    fake, url = github
    origin = repository.parent / "origin.git"
    seed_actions(cli, repository / "actions")
    edit(cli, "Create Callback", timeoutSeconds=25)

    assert run_workflow(cli, repository, url) == [
        "Pull",
        "Commit to the branch",
        "Open, update or close the pull request",
    ]
    (pull,) = fake.pull_requests
    assert (pull["number"], pull["head"]["ref"], pull["base"]["ref"]) == (1, "dactl/pull", "main")
    assert pull["body"].startswith("<!-- dactl-pull -->\n### dactl pull\n\n**Pulled 1 action")
    assert "`timeoutSeconds: 15 → 25`" in pull["body"] and "### dactl drift" in pull["body"]
    branch = git(origin, "show", "dactl/pull:actions/create-callback.yaml")
    assert "timeoutSeconds: 25\n" in branch
    assert git(origin, "show", "main:actions/create-callback.yaml") != branch

    # The next day: the pull request is not merged yet, and someone changed another action.
    git(repository, "checkout", "--quiet", "main")
    edit(cli, "Update Conversation External Tag", headers={"X-Request-Source": "flows"})
    run_workflow(cli, repository, url)
    assert len(fake.pull_requests) == 1 and pull["state"] == "open"
    assert "Pulled 2 actions" in pull["body"] and "request.headers.X-Request-Source" in pull["body"]
    assert [w for w in fake.writes()] == [
        ("POST", "/repos/acme/actions/pulls"),
        ("PATCH", "/repos/acme/actions/pulls/1"),
    ]
    log = git(origin, "log", "--format=%s", "main..dactl/pull").splitlines()
    assert log == ["dactl pull: accept the changes made in the org"]  # one commit, pushed over
    tag = git(origin, "show", "dactl/pull:actions/update-external-tag.yaml")
    assert "X-Request-Source: flows" in tag
    assert "timeoutSeconds: 25\n" in git(origin, "show", "dactl/pull:actions/create-callback.yaml")
