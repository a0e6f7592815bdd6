"""Genesys Cloud Function actions end to end: the real CLI against a real sandbox.

A Function action carries its code (a directory or a .zip next to its file) and its
settings (handler, runtime, timeout, description). Apply creates and updates it through a
draft: upload, processing, settings, publish. Plan and drift compare the settings and the
package's identity, which travels in the uploaded file's name.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.genesys import ActionsApi
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.e2e.conftest import Cli, requests_by_route, wait_processed

pytestmark = pytest.mark.e2e

ACTION = """\
name: Echo Function
integration: Function Data Actions
contract:
  input: {type: object, properties: {text: {type: string}}}
  output: {type: object, properties: {echo: {type: string}}}
request:
  requestType: POST
  requestTemplate: '{"text": "${input.text}"}'
function:
  handler: src/index.handler
  runtime: nodejs20.x
  timeoutSeconds: 10
  description: Echoes its input
  package: echo-code
"""


def write_tree(root: Path) -> Path:
    """An actions/ tree with one Function action and its two-file package."""
    actions = root / "actions"
    (actions / "echo-code" / "src").mkdir(parents=True)
    (actions / "dactl.yaml").write_text("scope:\n  integrations: [Function Data Actions]\n")
    (actions / "echo.yaml").write_text(ACTION)
    (actions / "echo-code" / "src" / "index.js").write_text(
        "exports.handler = async (input) => ({ echo: input.text });\n"
    )
    (actions / "echo-code" / "package.json").write_text('{"name": "echo", "main": "src"}\n')
    return actions


@pytest.fixture
def fn_cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    """A sandbox whose PUT .../draft/function moves the draft version (the default), or
    does not (parametrized ``False``): the real behaviour is unknown [I]."""
    config = SandboxConfig(function_put_bumps_version=getattr(request, "param", True))
    with SandboxServer(config) as server:
        write_tree(tmp_path)
        yield Cli(server, tmp_path)


def live_function(cli: Cli) -> tuple[str, dict[str, object]]:
    with cli.api() as client:
        api = ActionsApi(client)
        action = next(a for a in api.iter_actions() if a["name"] == "Echo Function")
        return str(action["id"]), api.get_function(str(action["id"]))


@pytest.mark.parametrize(
    "fn_cli", [True, False], indirect=True, ids=["put-bumps-version", "put-keeps-version"]
)
def test_create_then_no_change_then_handler_and_code_changes(fn_cli: Cli) -> None:
    cli = fn_cli
    created = cli.run("apply", "actions", "--auto-approve")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "created custom_-_" in created.stdout and "(through a draft)" in created.stdout
    action_id, config = live_function(cli)
    function = config["function"]
    assert isinstance(function, dict)
    assert (function["handler"], function["runtime"], function["timeoutSeconds"]) == (
        "src/index.handler",
        "nodejs20.x",
        10,
    )
    zip_config = config["zip"]
    assert isinstance(zip_config, dict)
    assert str(zip_config["name"]).startswith("dactl-")  # the identity travels in the name

    unchanged = cli.run("plan", "actions", "--detailed-exitcode")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr

    tree = cli.cwd / "actions"
    (tree / "echo.yaml").write_text(ACTION.replace("src/index.handler", "src/index.main"))
    planned = cli.run("plan", "actions", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in planned.stdout
    assert 'function.handler: "src/index.handler" → "src/index.main"' in planned.stdout
    assert "function.package" not in planned.stdout
    before = cli.sandbox.stats()
    applied = cli.run("apply", "actions", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    routes = requests_by_route(before, cli.sandbox.stats())
    assert "POST /api/v2/integrations/actions/{actionId}/draft/function/upload" not in routes
    assert routes["POST /api/v2/integrations/actions/{actionId}/draft/publish"] == 1
    assert live_function(cli)[1]["function"]["handler"] == "src/index.main"  # type: ignore[index]
    assert live_function(cli)[0] == action_id  # the same id: an update, not a replace

    (tree / "echo-code" / "src" / "index.js").write_text("exports.main = async () => ({});\n")
    planned = cli.run("plan", "actions", "--format", "json", "--detailed-exitcode")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    change = json.loads(planned.stdout)["changes"][0]
    assert (change["kind"], [f["path"] for f in change["fields"]]) == (
        "update",
        [["function", "package"]],
    )
    before = cli.sandbox.stats()
    applied = cli.run("apply", "actions", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    routes = requests_by_route(before, cli.sandbox.stats())
    assert routes["POST /api/v2/integrations/actions/{actionId}/draft/function/upload"] == 1
    assert routes["PUT /function-uploads/{token}"] == 1
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0
    audit_lines = (cli.cwd / ".dactl" / "audit.jsonl").read_text().splitlines()
    audit = [json.loads(line) for line in audit_lines]
    uploads = [r for r in audit if r["operation"] == "draft.function.upload"]
    assert len(uploads) == 2 and all(r["package"].startswith("sha256:") for r in uploads)


def test_a_runtime_changed_through_the_api_is_drift(fn_cli: Cli) -> None:
    cli = fn_cli
    assert cli.run("apply", "actions", "--auto-approve").returncode == 0
    action_id, config = live_function(cli)
    with cli.api() as client:  # what an admin does in the UI: a draft, a new runtime, publish
        api = ActionsApi(client)
        api.create_draft(action_id)
        settings = dict(config["function"])  # type: ignore[arg-type]
        settings["runtime"] = "nodejs22.x"
        api.put_draft_function(action_id, settings)
        api.publish_draft(action_id, int((api.get_draft(action_id) or {})["version"]))
    drift = cli.run("drift", "actions")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert 'function.runtime: "nodejs20.x" → "nodejs22.x"' in drift.stdout
    # Reverting it goes through a reviewed, saved plan like any other change.
    assert cli.run("plan", "actions", "--out", "plan.json").returncode == 0
    applied = cli.run("apply", "plan.json")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "(function.runtime)" in applied.stdout
    assert cli.run("drift", "actions").returncode == 0


def test_a_package_replaced_outside_dactl_shows_as_a_change(fn_cli: Cli) -> None:
    cli = fn_cli
    assert cli.run("apply", "actions", "--auto-approve").returncode == 0
    action_id, config = live_function(cli)
    with cli.api() as client:
        api = ActionsApi(client)
        api.create_draft(action_id)
        answer = api.request_function_upload(action_id, "hotfix.zip")
        package = shutil_zip(cli.cwd / "actions" / "echo-code")
        api.client.upload(answer["url"], package, answer["headers"])
        wait_processed(api, action_id)
        api.put_draft_function(action_id, dict(config["function"]))  # type: ignore[arg-type]
        api.publish_draft(action_id, int((api.get_draft(action_id) or {})["version"]))
    drift = cli.run("drift", "actions")
    assert drift.returncode == 2
    assert "uploaded outside dactl: hotfix.zip" in drift.stdout


def shutil_zip(directory: Path) -> bytes:
    archive = shutil.make_archive(str(directory.parent / "tmp-archive"), "zip", directory)
    data = Path(archive).read_bytes()
    Path(archive).unlink()
    return data


def test_the_package_identity_is_the_same_from_another_checkout(
    fn_cli: Cli, tmp_path: Path
) -> None:
    """A second checkout with other mtimes and modes plans no change: the identity is the
    content's, not the file system's."""
    cli = fn_cli
    assert cli.run("apply", "actions", "--auto-approve").returncode == 0
    other = tmp_path / "other"
    shutil.copytree(cli.cwd / "actions", other / "actions")
    for path in (other / "actions" / "echo-code").rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
        if path.is_file():
            path.chmod(0o755)
    second = Cli(cli.sandbox, other)
    plan = second.run("plan", "actions", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_a_refused_upload_fails_the_action_and_leaves_no_draft(fn_cli: Cli) -> None:
    cli = fn_cli
    cli.sandbox.inject_fault(path="^/function-uploads/", method="PUT", status=403)
    applied = cli.run("apply", "actions", "--auto-approve")
    assert applied.returncode == 1
    assert "Echo Function" in applied.stdout + applied.stderr
    assert "HTTP 403" in applied.stdout + applied.stderr
    assert "Traceback" not in applied.stderr
    with cli.api() as client:
        drafts = client.get_json("/api/v2/integrations/actions/drafts")
    assert drafts["entities"] == []  # the draft-only action was discarded
    assert cli.run("apply", "actions", "--auto-approve").returncode == 0
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0


def test_a_function_file_on_another_integration_or_without_code_is_refused(
    fn_cli: Cli,
) -> None:
    cli = fn_cli
    tree = cli.cwd / "actions"
    (tree / "echo.yaml").write_text(ACTION.replace("  package: echo-code\n", ""))
    plan = cli.run("plan", "actions")
    assert plan.returncode == 1
    assert "published only with its code" in plan.stderr + plan.stdout
    (tree / "dactl.yaml").unlink()
    (tree / "echo.yaml").write_text(
        ACTION.replace("Function Data Actions", "Web Services Data Actions").replace(
            "request:\n", "request:\n  requestUrlTemplate: https://example.com\n"
        )
    )
    plan = cli.run("plan", "actions")
    assert plan.returncode == 1
    assert "function: is only for actions of a Function Data Actions integration" in (
        plan.stderr + plan.stdout
    )


def test_a_missing_package_is_a_validation_error(fn_cli: Cli) -> None:
    cli = fn_cli
    shutil.rmtree(cli.cwd / "actions" / "echo-code")
    result = cli.run("validate", "actions")
    assert result.returncode == 1
    expected = "actions/echo.yaml:14:12: function.package: actions/echo-code: no such directory"
    assert expected in result.stdout


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        (
            "POST",
            r"/draft/function/upload$",
            "/api/v2/integrations/actions/{actionId}/draft/function/upload",
        ),
        ("PUT", r"^/function-uploads/", "/function-uploads/{token}"),
        ("PUT", r"/draft/function$", "/api/v2/integrations/actions/{actionId}/draft/function"),
    ],
    ids=["upload-url", "package-put", "settings-put"],
)
def test_a_lost_response_in_the_function_steps_is_retried_and_converges(
    fn_cli: Cli, method: str, path: str, route: str
) -> None:
    """Each function step is safe to repeat (asking for a URL, a PUT of the same bytes, a
    PUT of the same settings): the server does the work, the answer is lost, dactl sends it
    again, and the action is created once."""
    cli = fn_cli
    cli.sandbox.inject_fault(path=path, method=method, drop_after_write=True)
    before = cli.sandbox.stats()
    applied = cli.run("apply", "actions", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert requests_by_route(before, cli.sandbox.stats())[f"{method} {route}"] == 2
    with cli.api() as client:
        api = ActionsApi(client)
        assert [a["name"] for a in api.iter_actions()].count("Echo Function") == 1
        assert client.get_json("/api/v2/integrations/actions/drafts")["entities"] == []
    assert cli.run("plan", "actions", "--detailed-exitcode").returncode == 0
