"""Which org: no silent default, flag > environment > dactl.yaml with a notice, the org's
name in plans and in the apply prompt; and .dactl/ (live content) stays out of git."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from reconciler.sandbox.config import DEFAULT_ORG_ID
from reconciler.sandbox.process import SandboxProcess
from tests.e2e.conftest import Cli, requests_by_route, seed_actions

ME = "GET /api/v2/organizations/me"
NO_LOCATION = (
    "Error: no Genesys Cloud location: pass --region or --api-url, set GENESYSCLOUD_REGION "
    "(or GENESYSCLOUD_API_URL / GENESYSCLOUD_API_REGION), or set region: in {where}\n"
)


def host(cli: Cli) -> str:
    return cli.sandbox.base_url.split("//", 1)[1]


def add_to_project(cli: Cli, text: str) -> None:
    project = cli.cwd / "actions" / "dactl.yaml"
    project.write_text(project.read_text() + text)


# --- the org's name ------------------------------------------------------------------------


def test_text_markdown_and_json_plans_name_the_org_looked_up_once(cli: Cli) -> None:
    before = cli.sandbox.stats()
    text = cli.run("plan", "actions")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"Org: dactl sandbox ({host(cli)})\n\n  + create")

    markdown = cli.run("plan", "actions", "--format", "markdown")
    assert markdown.stdout.startswith("### dactl plan\n\n**Plan: 10 to create")
    assert f"\n\nOrg: **dactl sandbox** (`{host(cli)}`)\n" in markdown.stdout

    result = cli.run("plan", "actions", "--format", "json", "--out", "plan.json")
    organization = {"name": "dactl sandbox", "id": DEFAULT_ORG_ID, "host": host(cli)}
    assert json.loads(result.stdout)["organization"] == organization
    saved = json.loads((cli.cwd / "plan.json").read_text())
    assert saved["organization"] == organization
    assert re.fullmatch(r"[0-9a-f]{16}", saved["org"])  # still the hash that ties it to the org

    # Cached beside the live actions: the three plans asked once.
    assert requests_by_route(before, cli.sandbox.stats())[ME] == 1
    applied = cli.run("apply", "plan.json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert applied.stdout.startswith(f"Org: dactl sandbox ({host(cli)})\n")


def test_a_refused_org_lookup_plans_anyway_naming_the_host(cli: Cli) -> None:
    cli.sandbox.inject_fault(path="/organizations/me$", status=403, count=10)
    result = cli.run("plan", "actions", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout)["organization"] == {
        "name": None,
        "id": None,
        "host": host(cli),
    }
    text = cli.run("plan", "actions")
    assert text.returncode == 0 and text.stdout.startswith(f"Org: {host(cli)}\n\n")


def test_the_apply_prompt_names_the_org_of_dactl_sandbox_org_name(workdir: Path) -> None:
    with SandboxProcess("--org-name", "Acme Prod") as sandbox:
        cli = Cli(sandbox, workdir)  # type: ignore[arg-type]
        before = sandbox.stats()
        result = cli.on_a_terminal("no", "apply", "actions")
        made = requests_by_route(before, sandbox.stats())
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith(f"Org: Acme Prod ({host(cli)})\n")
    assert (
        f"Apply these 10 changes to Acme Prod ({host(cli)})? Only 'yes' is accepted"
        in result.stdout
    )
    assert "Apply cancelled; nothing was changed." in result.stdout
    assert not [route for route in made if not route.startswith(("GET ", "POST /oauth"))]


# --- which org: no default, precedence, notices, sources ------------------------------------


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("plan", "actions"), "actions/dactl.yaml"),
        (("drift", "actions"), "actions/dactl.yaml"),
        (("export", "--out", "fresh"), "fresh/dactl.yaml"),
    ],
)
def test_no_location_is_one_line_naming_every_way(
    cli: Cli, args: tuple[str, ...], where: str
) -> None:
    before = cli.sandbox.stats()
    result = cli.run(*args, GENESYSCLOUD_API_URL="")
    assert result.returncode == 1
    assert result.stderr == NO_LOCATION.format(where=where)
    assert requests_by_route(before, cli.sandbox.stats()) == {}


def test_genesyscloud_api_region_is_an_api_base_url(cli: Cli) -> None:
    result = cli.run(
        "plan", "actions", GENESYSCLOUD_API_URL="", GENESYSCLOUD_API_REGION=cli.sandbox.base_url
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"Org: dactl sandbox ({host(cli)})\n")


def test_the_environment_beats_the_file_and_says_so(cli: Cli) -> None:
    add_to_project(cli, "region: mypurecloud.com\n")
    result = cli.run("plan", "actions")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"note: using GENESYSCLOUD_API_URL {cli.sandbox.base_url} "
        "(region in actions/dactl.yaml says mypurecloud.com)\n"
    )


def test_a_flag_beats_the_environment_and_the_file_and_says_so(cli: Cli) -> None:
    add_to_project(cli, "region: mypurecloud.com\n")
    result = cli.run(
        "plan",
        "actions",
        "--api-url",
        cli.sandbox.base_url,
        GENESYSCLOUD_API_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"note: using --api-url {cli.sandbox.base_url} (GENESYSCLOUD_API_URL says "
        "http://127.0.0.1:9, region in actions/dactl.yaml says mypurecloud.com)\n"
    )


def test_region_flag_beats_an_api_url_in_the_environment(cli: Cli) -> None:
    """Once, click filled --api-url from GENESYSCLOUD_API_URL and it silently beat --region."""
    before = cli.sandbox.stats()
    result = cli.run("plan", "actions", "--region", "nowhere-1")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: unknown region 'nowhere-1' (from --region); ")
    assert len(result.stderr.splitlines()) == 1
    assert requests_by_route(before, cli.sandbox.stats()) == {}


def test_the_file_alone_is_used_and_a_url_beats_a_region_beside_it(cli: Cli) -> None:
    add_to_project(cli, f"apiUrl: {cli.sandbox.base_url}\nregion: mypurecloud.com\n")
    result = cli.run("plan", "actions", GENESYSCLOUD_API_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"note: using apiUrl in actions/dactl.yaml {cli.sandbox.base_url} "
        "(region in actions/dactl.yaml says mypurecloud.com)\n"
    )


def test_equal_values_are_no_disagreement(cli: Cli) -> None:
    add_to_project(cli, f"apiUrl: {cli.sandbox.base_url}/\n")
    result = cli.run("plan", "actions", "--api-url", cli.sandbox.base_url)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "env", "project", "expected"),
    [
        (
            (),
            {"GENESYSCLOUD_REGION": "mars-north-1"},
            "",
            "'mars-north-1' (from GENESYSCLOUD_REGION)",
        ),
        (
            (),
            {"GENESYSCLOUD_API_REGION": "api.mypurecloud.ie"},
            "",
            "invalid API URL 'api.mypurecloud.ie' (from GENESYSCLOUD_API_REGION)",
        ),
        ((), {}, "region: nowhere\n", "'nowhere' (from region in actions/dactl.yaml)"),
        (
            ("--api-url", "http://api.example.com"),
            {},
            "",
            "plain http to api.example.com (from --api-url)",
        ),
    ],
    ids=["env-region", "env-api-region", "file-region", "flag-api-url"],
)
def test_a_bad_location_error_names_its_source(
    cli: Cli, args: tuple[str, ...], env: dict[str, str], project: str, expected: str
) -> None:
    add_to_project(cli, project)
    result = cli.run("plan", "actions", *args, **{"GENESYSCLOUD_API_URL": "", **env})
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and expected in line, line
    assert "argument" not in line and "environment" not in line


# --- .dactl/ stays out of git ---------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    home = cwd.parent / "git-home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,  # no user-wide excludes that could hide .dactl/
        "GIT_CONFIG_NOSYSTEM": "1",
        "XDG_CONFIG_HOME": str(home),
        "HOME": str(home),
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_live_content_in_dactl_stays_out_of_git_and_is_private(cli: Cli) -> None:
    git(cli.cwd, "init", "-q")
    seed_actions(cli, cli.cwd / "actions")
    queue = cli.cwd / "actions" / "get-queue-waiting-count.yaml"
    queue.write_text(queue.read_text().replace("timeoutSeconds: 10", "timeoutSeconds: 5"))
    for args in (
        ("export", "--out", "exported"),
        ("plan", "actions"),
        ("apply", "actions", "--auto-approve"),
    ):
        result = cli.run(*args)
        assert result.returncode == 0, result.stdout + result.stderr

    dactl = cli.cwd / ".dactl"
    assert (dactl / "audit.jsonl").exists()
    cached = [p for p in (dactl / "cache").rglob("*") if p.is_file()]
    assert len(cached) > 10 and any(p.name == "organization.json" for p in cached)
    assert {stat.S_IMODE(p.stat().st_mode) for p in cached} == {0o600}
    dirs = [dactl, *[p for p in (dactl / "cache").rglob("*") if p.is_dir()], dactl / "cache"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in dirs} == {0o700}

    status = git(cli.cwd, "status", "--porcelain", "--untracked-files=all")
    assert "exported/" in status and "actions/" in status  # git does list the rest
    assert ".dactl" not in status, status

    # The control: it is the .gitignore dactl wrote that keeps the live content out.
    (dactl / ".gitignore").unlink()
    assert ".dactl/cache/" in git(cli.cwd, "status", "--porcelain", "--untracked-files=all")


def test_a_users_dactl_gitignore_is_left_alone(cli: Cli) -> None:
    (cli.cwd / ".dactl").mkdir()
    (cli.cwd / ".dactl" / ".gitignore").write_text("cache/\n")
    result = cli.run("plan", "actions")
    assert result.returncode == 0, result.stderr
    assert (cli.cwd / ".dactl" / ".gitignore").read_text() == "cache/\n"
    assert any((cli.cwd / ".dactl" / "cache").rglob("*.json"))
