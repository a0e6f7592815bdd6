"""``dactl ci github-pull-request`` and the kit's ``dactl-pull.yml``: one pull request from
the pull branch, opened, updated in place, closed when there is nothing to pull; against an
in-process fake of GitHub's REST API. (The workflow's steps against a fake served on a
loopback port, with git and a real sandbox: tests/e2e/test_pull_e2e.py.)"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler.ci import command, kit
from reconciler.cli import main
from tests.ci.fake_pulls import FakeGitHubPulls
from tests.conftest import REPO_ROOT
from tests.fakes.ci_api import GITHUB_TOKEN, github_env

TEMPLATE = REPO_ROOT / "reconciler" / "ci" / "templates" / "github" / "dactl-pull.yml"
REPORT = "### dactl pull\n\n**Pulled 1 action from the org: 1 file updated, 0 new.**\n"
BRANCH = "dactl/pull"


def run(*args: str) -> Result:
    return CliRunner().invoke(
        main, ["ci", "github-pull-request", "--file", "pull.md", *args], catch_exceptions=False
    )


@pytest.fixture
def fake(ci_env: pytest.MonkeyPatch, tmp_path: Path) -> FakeGitHubPulls:
    fake = FakeGitHubPulls(token=GITHUB_TOKEN)
    for key, value in github_env(tmp_path, GITHUB_REF_NAME="main").items():
        ci_env.setenv(key, value)
    ci_env.setattr(command, "TRANSPORT", fake.transport())
    ci_env.chdir(tmp_path)
    (tmp_path / "pull.md").write_text(REPORT)
    return fake


def test_one_pull_request_is_opened_updated_then_closed(fake: FakeGitHubPulls) -> None:
    first = run("--branch", BRANCH, "--changed")
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        "Created the pull request #1: https://github.example/acme/actions/pull/1\n"
    )
    (pull,) = fake.pull_requests
    assert (pull["head"]["ref"], pull["base"]["ref"]) == (BRANCH, "main")
    assert pull["title"] == "dactl pull: accept the changes made in the org"
    assert pull["body"].startswith("<!-- dactl-pull -->\n### dactl pull\n\n**Pulled 1 action")
    assert "[this run](https://github.example/acme/actions/actions/runs/4242)" in pull["body"]

    Path("pull.md").write_text(REPORT.replace("1 action", "2 actions"))
    second = run("--branch", BRANCH, "--changed", "--title", "Org changes")
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("Updated the pull request #1: ")
    assert len(fake.pull_requests) == 1
    assert "Pulled 2 actions" in pull["body"] and pull["title"] == "Org changes"
    listing = [r for r in fake.requests if r.method == "GET"][-1]
    assert listing.query["head"] == f"acme:{BRANCH}" and listing.query["state"] == "open"

    Path("pull.md").write_text("### dactl pull\n\n**Nothing to pull: the files match the org.**\n")
    third = run("--branch", BRANCH, "--clean")
    assert third.exit_code == 0 and third.stdout.startswith("Closed the pull request #1: ")
    assert pull["state"] == "closed"
    assert fake.comments[1][0]["body"].startswith(
        "<!-- dactl-pull -->\n### dactl pull\n\n**Nothing"
    )
    fourth = run("--branch", BRANCH, "--clean")
    assert fourth.stdout == "No pull request to close: the org matches git.\n"
    assert [w for w in fake.writes()] == [
        ("POST", "/repos/acme/actions/pulls"),
        ("PATCH", "/repos/acme/actions/pulls/1"),
        ("POST", "/repos/acme/actions/issues/1/comments"),
        ("PATCH", "/repos/acme/actions/pulls/1"),
    ]
    assert GITHUB_TOKEN not in "".join(r.stdout + r.stderr for r in (first, second, third))


def test_pull_requests_from_other_branches_and_closed_ones_are_left_alone(
    fake: FakeGitHubPulls,
) -> None:
    assert run("--branch", "someone/else", "--changed").exit_code == 0
    assert run("--branch", BRANCH, "--changed").stdout.startswith("Created the pull request #2")
    assert run("--branch", BRANCH, "--clean").stdout.startswith("Closed the pull request #2")
    assert run("--branch", BRANCH, "--changed").stdout.startswith("Created the pull request #3")
    states = {p["number"]: (p["head"]["ref"], p["state"]) for p in fake.pull_requests}
    assert states == {
        1: ("someone/else", "open"),
        2: (BRANCH, "closed"),
        3: (BRANCH, "open"),
    }


def test_a_branch_github_refuses_is_one_error_line_with_a_hint(fake: FakeGitHubPulls) -> None:
    fake.branches = lambda: {"main"}
    result = run("--branch", BRANCH, "--changed")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(
        "Error: GitHub answered POST repos/acme/actions/pulls with HTTP 422"
    )
    assert "is the branch pushed" in result.stderr and result.stderr.count("\n") == 1
    fake.refuse["POST"] = 403
    refused = run("--branch", BRANCH, "--changed")
    assert "allow GitHub Actions to create pull requests" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--branch", BRANCH], "Error: say what pull found: --changed (exit 2) or --clean"),
        (["--branch", "a b", "--changed"], "Error: --branch 'a b' is not a branch name"),
        (["--branch", "x..y", "--changed"], "Error: --branch 'x..y' is not a branch name"),
        (["--branch", "main", "--changed"], "Error: --branch and --base are both 'main'"),
        (["--branch", BRANCH, "--base", "a:b", "--changed"], "Error: --base 'a:b' is not a"),
        (["--branch", BRANCH, "--changed", "--marker", "a b"], "Error: --marker 'a b': use"),
    ],
)
def test_bad_input_is_one_error_line_and_nothing_is_sent(
    fake: FakeGitHubPulls, args: list[str], message: str
) -> None:
    result = run(*args)
    assert result.exit_code == 1 and result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and fake.requests == []


def test_without_a_base_branch_it_says_where_it_comes_from(
    fake: FakeGitHubPulls, ci_env: pytest.MonkeyPatch
) -> None:
    ci_env.delenv("GITHUB_REF_NAME")
    result = run("--branch", BRANCH, "--changed")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --base: name the branch the pull request goes into")
    assert run("--branch", BRANCH, "--base", "trunk", "--changed").exit_code == 0
    assert fake.pull_requests[0]["base"]["ref"] == "trunk"


def test_the_pull_variant_is_shipped_but_not_written_by_init() -> None:
    assert ".github/workflows/dactl-pull.yml" not in kit.template_files("github")
    files = kit.template_files("github", owner="acme", variants=True)
    text = files[".github/workflows/dactl-pull.yml"]
    assert "uses: acme/dactl@v0" in text and "OWNER" not in text.split("name: dactl pull")[1]
    workflow = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert workflow["env"] == {"DACTL_DIR": "actions", "DACTL_BRANCH": "dactl/pull"}
    steps = {s.get("name"): s for s in workflow["jobs"]["pull"]["steps"]}
    assert 'dactl pull "$DACTL_DIR" --unmanaged --format markdown > pull.md' in steps["Pull"]["run"]
    assert steps["Commit to the branch"]["if"] == "steps.pull.outputs.found == 'changed'"
    assert 'git push --force origin "$DACTL_BRANCH"' in steps["Commit to the branch"]["run"]
    opener = steps["Open, update or close the pull request"]
    assert opener["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert opener["run"] == (
        'dactl ci github-pull-request --file pull.md --branch "$DACTL_BRANCH" "--$FOUND"'
    )


def test_a_lost_answer_to_the_open_is_not_a_second_pull_request_next_run(
    fake: FakeGitHubPulls, ci_env: pytest.MonkeyPatch
) -> None:
    """GitHub opened the pull request but its answer was lost: this run fails with one
    line (a POST is never sent again), and the next run finds and updates that one."""
    real = fake.transport()
    lost: list[str] = []

    def answer_lost(request: httpx.Request) -> httpx.Response:
        response = real.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/pulls") and not lost:
            lost.append(request.url.path)
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    ci_env.setattr(command, "TRANSPORT", httpx.MockTransport(answer_lost))
    first = CliRunner().invoke(
        main, ["ci", "github-pull-request", "--file", "pull.md", "--branch", BRANCH, "--changed"]
    )
    assert first.exit_code == 1 and "Traceback" not in first.output, first.output
    assert len(fake.pull_requests) == 1 and lost
    second = run("--branch", BRANCH, "--changed")
    assert second.exit_code == 0 and second.stdout.startswith("Updated the pull request #1: ")
    assert len(fake.pull_requests) == 1
    assert fake.writes() == [
        ("POST", "/repos/acme/actions/pulls"),
        ("PATCH", "/repos/acme/actions/pulls/1"),
    ]
