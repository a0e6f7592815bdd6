"""``dactl pull`` in this process against the in-memory org: which files change and how,
what is left alone, what is refused (nothing written), the three formats and the exit
codes. (The real CLI against a real sandbox: tests/e2e/test_pull_e2e.py.)"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler import orchestrator as orchestrator_module
from reconciler import pull as pull_module
from reconciler.cli import main
from reconciler.outdir import write_files
from reconciler.pull import PullRefused, prepare_pull, write_pull
from tests.fakes.org import API_URL
from tests.fakes.project import (
    FUNCTIONS,
    GENESYS,
    WEB,
    World,
    action,
    function_action,
    post_body_of,
    seed_tree,
    write_package,
)

USER_FILE = """\
# yaml-language-server: $schema=../schemas/action-file.schema.json
name: Get User
integration: Genesys Cloud Data Actions
timeoutSeconds: 5  # seconds
# The contract: what flows pass in and get back.
contract:
  input:
    type: object
    properties:
      q: {type: string}
  output:
    type: object
    properties:
      out: {type: string}
request:
  requestUrlTemplate: /api/v2/users/${input.q}
  requestType: GET
  headers:
    Accept: application/json  # the API answers JSON
# What the flow gets.
response:
  translationMap:
    out: $.out
  successTemplate: '{"out": ${out}}'
"""
TEMPLATE = """\
# Shared by the Genesys GETs.
integration: Genesys Cloud Data Actions
request:
  requestType: GET
  headers:
    Accept: application/json
    X-Team: routing
"""
ORDER_FILE = """\
name: Get Order
extends: _templates/get.yaml
# keep: the order service is slow
timeoutSeconds: 9
contract:
  input: {type: object, properties: {q: {type: string}}}
  output: {type: object, properties: {}}
request:
  requestUrlTemplate: /api/v2/orders/${input.q}
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["pull", *args], catch_exceptions=False)


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    world = World(tmp_path)
    monkeypatch.setattr(orchestrator_module, "connect_genesys", world.org.connect)
    monkeypatch.setenv("GENESYSCLOUD_API_URL", API_URL)
    monkeypatch.chdir(tmp_path)
    yield world


def write(world: World, name: str, text: str) -> Path:
    path = world.directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def seed_files(world: World, *names: str) -> dict[str, str]:
    """Create the actions of the tree (or those named) in the org as their files say."""
    return seed_tree(world.org, world.directory, only=set(names) or None)


def edit_config(world: World, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """An admin's edit of the live action's config in the UI."""
    action_id = world.org.ids()[name]
    published = world.org.published(action_id)
    assert published is not None
    config = copy.deepcopy(published["config"])
    change(config)
    world.org.mutate(action_id, config=config)


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def plan_changes() -> list[Any]:
    result = CliRunner().invoke(main, ["plan", "actions", "--format", "json"])
    assert result.exit_code == 0, result.output
    changes: list[Any] = json.loads(result.stdout)["changes"]
    return changes


@pytest.fixture
def user(world: World) -> Path:
    path = write(world, "get-user.yaml", USER_FILE)
    write(world, "get-other.yaml", USER_FILE.replace("Get User", "Get Other"))
    seed_files(world)
    return path


def test_a_timeout_and_a_header_changed_in_the_org_are_written_into_the_file(
    world: World, user: Path
) -> None:
    other = snapshot(world.directory)["get-other.yaml"]

    def change(config: dict[str, Any]) -> None:
        config["timeoutSeconds"] = 8
        config["request"]["headers"]["X-Trace"] = "on"

    edit_config(world, "Get User", change)
    result = run("actions", "--no-color")
    assert result.exit_code == 2, result.output
    assert result.stdout == (
        "~ updated   actions/get-user.yaml  ('Get User')\n"
        '      request.headers.X-Trace: <absent> → "on"\n'
        "      timeoutSeconds: 5 → 8\n"
        "\n"
        "Pulled 1 action from the org: 1 file updated, 0 new.\n"
        "Changed fields read git → org.\n"
    )
    assert user.read_text() == USER_FILE.replace(
        "timeoutSeconds: 5  #", "timeoutSeconds: 8  #"
    ).replace(
        "    Accept: application/json  # the API answers JSON\n",
        '    Accept: application/json  # the API answers JSON\n    X-Trace: "on"\n',  # not true
    )
    assert snapshot(world.directory)["get-other.yaml"] == other  # bytes and mtime
    assert plan_changes() == []
    again = run("actions")
    assert again.exit_code == 0 and again.stdout == "Nothing to pull: the files match the org.\n"


def test_check_reports_and_exits_as_if_but_writes_nothing(world: World, user: Path) -> None:
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    before = snapshot(world.directory)
    result = run("actions", "--check")
    assert result.exit_code == 2
    assert (
        "Would pull 1 action from the org: 1 file updated, 0 new. Nothing was written (--check)."
        in result.stdout
    )
    assert snapshot(world.directory) == before


def test_removed_and_default_values_are_written_by_leaving_the_key_out(
    world: World, user: Path
) -> None:
    def change(config: dict[str, Any]) -> None:
        del config["timeoutSeconds"]
        del config["request"]["headers"]["Accept"]
        config["response"]["translationMap"] = {}

    edit_config(world, "Get User", change)
    world.org.mutate(world.org.ids()["Get User"], category="Users")
    assert run("actions").exit_code == 2
    text = user.read_text()
    assert "timeoutSeconds" not in text and "headers" not in text and "translationMap" not in text
    assert "category: Users\n" in text
    # every comment is still there, the end-of-line ones of removed keys aside
    for comment in ("# yaml-language-server", "# The contract", "# What the flow gets."):
        assert comment in text
    assert plan_changes() == []
    world.org.mutate(world.org.ids()["Get User"], category=GENESYS)
    assert run("actions").exit_code == 2
    assert "category" not in user.read_text()  # the default: the integration's name
    assert plan_changes() == []


def test_a_field_from_the_template_is_written_as_an_override(world: World) -> None:
    template = write(world, "_templates/get.yaml", TEMPLATE)
    order = write(world, "get-order.yaml", ORDER_FILE)
    seed_files(world)

    def change(config: dict[str, Any]) -> None:
        config["request"]["headers"]["X-Team"] = "orders"

    edit_config(world, "Get Order", change)
    result = run("actions", "--no-color")
    assert result.exit_code == 2, result.output
    assert (
        "      override: request.headers.X-Team comes from actions/_templates/get.yaml; written "
        "in this file (actions/_templates/get.yaml is unchanged)\n"
    ) in result.stdout
    assert template.read_text() == TEMPLATE
    assert order.read_text() == ORDER_FILE + "  headers:\n    X-Team: orders\n"
    assert plan_changes() == []
    as_json = json.loads(run("actions", "--format", "json", "--check").stdout)
    assert as_json["pulled"] is False and as_json["files"] == []


def test_an_override_names_the_template_of_the_chain_that_gives_the_field(world: World) -> None:
    write(world, "_templates/base.yaml", "request:\n  headers:\n    X-Base: one\n")
    get = write(world, "_templates/get.yaml", "extends: base.yaml\n" + TEMPLATE)
    write(world, "get-order.yaml", ORDER_FILE)
    seed_files(world)
    edit_config(world, "Get Order", lambda c: c["request"]["headers"].update({"X-Base": "two"}))
    result = run("actions", "--no-color")
    assert result.exit_code == 2, result.output
    assert "override: request.headers.X-Base comes from actions/_templates/base.yaml;" in (
        result.stdout
    )
    assert get.read_text() == "extends: base.yaml\n" + TEMPLATE
    assert (world.directory / "get-order.yaml").read_text().endswith("    X-Base: two\n")
    assert plan_changes() == []


def test_a_field_the_template_gives_cannot_be_removed_nothing_is_written(
    world: World, user: Path
) -> None:
    write(world, "_templates/get.yaml", TEMPLATE)
    write(world, "get-order.yaml", ORDER_FILE)
    seed_files(world, "Get Order")
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))  # pullable
    edit_config(world, "Get Order", lambda c: c["request"]["headers"].pop("X-Team"))
    before = snapshot(world.directory)
    result = run("actions")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: actions/get-order.yaml: request.headers.X-Team: the org has none, but "
        "actions/_templates/get.yaml gives it one, and a file cannot take away what its "
        "template gives; edit the file by hand\n"
        "Nothing was written.\n"
    )
    assert snapshot(world.directory) == before


PLACEHOLDER_PROJECT = """\
scope:
  integrations: [Web Services Data Actions]
environments:
  dev:
    variables: {host: dev.example.com}
  prod:
    variables: {host: example.com}
"""
HOOK_FILE = """\
name: Post Hook
integration: Web Services Data Actions
timeoutSeconds: 5
contract:
  input: {type: object, properties: {q: {type: string}}}
  output: {type: object, properties: {}}
request:
  requestUrlTemplate: https://{{ var.host }}/hook/${input.q}
  requestType: POST
  headers:
    Origin: "{{ var.host }}"
"""


def test_placeholders_stay_where_the_org_holds_what_they_resolve_to(world: World) -> None:
    (world.directory / "dactl.yaml").write_text(PLACEHOLDER_PROJECT, encoding="utf-8")
    hook = write(world, "post-hook.yaml", HOOK_FILE)
    content = action("Post Hook", integration="Web Services Data Actions")
    content["request"] = {
        "requestUrlTemplate": "https://dev.example.com/hook/${input.q}",
        "requestType": "POST",
        "headers": {"Origin": "dev.example.com"},
    }
    content["response"] = {}
    content["contract"]["output"] = {"type": "object", "properties": {}}
    world.org.seed(post_body_of(content, world.org))
    assert plan_changes_env("dev") == []

    def change(config: dict[str, Any]) -> None:
        config["timeoutSeconds"] = 12
        config["request"]["headers"]["Origin"] = "other.example.com"

    edit_config(world, "Post Hook", change)
    result = run("actions", "--env", "dev", "--no-color")
    assert result.exit_code == 2, result.output
    assert (
        "      no placeholder: request.headers.Origin ({{ var.host }}): the org's value is not "
        "what the placeholder resolves to here, so it is written as the org has it\n"
    ) in result.stdout
    text = hook.read_text()
    assert "requestUrlTemplate: https://{{ var.host }}/hook/${input.q}\n" in text
    assert 'Origin: "other.example.com"\n' in text and "timeoutSeconds: 12\n" in text
    assert plan_changes_env("dev") == []

    # A list the org changed is pulled whole: its placeholder stays where it still fits.
    hook.write_text(
        text.replace("q: {type: string}", 'q: {type: string, enum: ["{{ var.host }}", a]}')
    )
    content["contract"]["input"]["properties"]["q"]["enum"] = ["dev.example.com", "a", "b"]
    action_id = world.org.ids()["Post Hook"]
    world.org.mutate(action_id, contract=post_body_of(content, world.org)["contract"])
    assert run("actions", "--env", "dev").exit_code == 2
    assert "q: {type: string, enum: ['{{ var.host }}', a, b]}" in hook.read_text()
    assert plan_changes_env("dev") == []


def plan_changes_env(env: str) -> list[Any]:
    result = CliRunner().invoke(main, ["plan", "actions", "--env", env, "--format", "json"])
    assert result.exit_code == 0, result.output
    changes: list[Any] = json.loads(result.stdout)["changes"]
    return changes


def test_missing_actions_are_reported_and_kept_unmanaged_ones_listed(
    world: World, user: Path
) -> None:
    write(world, "not-yet.yaml", USER_FILE.replace("Get User", "Not Yet Created"))
    made = world.org.seed(post_body_of(action("Made In The Org"), world.org))
    before = snapshot(world.directory)
    result = run("actions", "--no-color")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "! missing   'Not Yet Created'  actions/not-yet.yaml\n"
        "      in git, not in the org: its file is kept (`dactl apply` creates the action "
        "again; or remove the file)\n"
        f"? unmanaged 'Made In The Org'  {made} v1\n"
        "      in the org, no file: not adopted (`dactl pull --unmanaged` adds its file)\n"
        "\n"
        "Nothing to pull: the files match the org; 1 missing from the org (files kept); "
        "1 unmanaged (--unmanaged adds their files).\n"
    )
    assert snapshot(world.directory) == before

    adopted = run("actions", "--unmanaged", "--no-color")
    assert adopted.exit_code == 2, adopted.output
    assert adopted.stdout.startswith(
        "+ new       actions/made-in-the-org.yaml  ('Made In The Org')\n"
    )
    after = snapshot(world.directory)
    assert set(after) - set(before) == {"made-in-the-org.yaml"}
    assert {k: after[k] for k in before} == before
    assert "name: Made In The Org\n" in (world.directory / "made-in-the-org.yaml").read_text()


def test_ignored_fields_are_not_pulled(world: World, user: Path) -> None:
    user.write_text(
        USER_FILE.replace("name: Get User\n", "name: Get User\nignore: [timeoutSeconds]\n")
    )
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    before = snapshot(world.directory)
    result = run("actions")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Nothing to pull: the files match the org; ignored: 1 field, not pulled.\n"
    )
    assert snapshot(world.directory) == before


def test_target_pulls_only_the_named_action(world: World, user: Path) -> None:
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    edit_config(world, "Get Other", lambda c: c.update(timeoutSeconds=9))
    result = run("actions", "--target", "Get Other")
    assert result.exit_code == 2
    assert "timeoutSeconds: 5  #" in user.read_text()
    assert "timeoutSeconds: 9  #" in (world.directory / "get-other.yaml").read_text()
    typo = run("actions", "--target", "Get Usr")
    assert typo.exit_code == 1
    assert typo.stderr.startswith("Error: --target names no known action: Get Usr (did you mean")


def test_json_and_markdown_list_the_files_and_fields(world: World, user: Path) -> None:
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    as_json = json.loads(run("actions", "--check", "--format", "json").stdout)
    assert as_json["format_version"] == 1 and as_json["pulled"] is True
    assert as_json["check"] is True
    assert as_json["counts"] == {"updated": 1, "new": 0, "missing": 0, "unmanaged": 0, "left": 0}
    (pulled,) = as_json["files"]
    assert pulled["path"] == "actions/get-user.yaml" and pulled["status"] == "updated"
    assert pulled["fields"] == [["timeoutSeconds"]]
    (drifted,) = as_json["drift"]["actions"]
    assert drifted["fields"][0]["before"] == 5 and drifted["fields"][0]["after"] == 8
    markdown = run("actions", "--format", "markdown").stdout
    assert markdown.startswith(
        "### dactl pull\n\n**Pulled 1 action from the org: 1 file updated, 0 new.**\n"
    )
    assert "| ✏️ | `actions/get-user.yaml` | Get User | `timeoutSeconds: 5 → 8` |" in markdown
    assert "### dactl drift" in markdown  # the drift report it was read from, below
    assert "or `dactl pull` writes the org's change into the files" in markdown


def test_help_lists_the_connection_variables() -> None:
    text = CliRunner().invoke(main, ["pull", "--help"]).stdout
    assert "  GENESYSCLOUD_OAUTHCLIENT_SECRET  " in text and "  DACTL_ENV  " in text
    assert "--unmanaged" in text and "--check" in text and "--target NAME" in text
    listed = CliRunner().invoke(main, ["--help"]).stdout
    assert "  pull  " in listed


def test_a_pending_rename_is_not_pulled_back(world: World, user: Path) -> None:
    user.write_text(
        USER_FILE.replace("name: Get User\n", "name: Find User\nformerNames: [Get User]\n")
    )
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    result = run("actions", "--no-color")
    assert result.exit_code == 2, result.output
    assert "      not pulled: name: the file renames 'Get User' to 'Find User'" in result.stdout
    text = user.read_text()
    assert text.startswith("# yaml-language-server") and "name: Find User\n" in text
    assert "timeoutSeconds: 8  #" in text


def test_a_multi_line_template_and_a_contract_change(world: World, user: Path) -> None:
    def change(config: dict[str, Any]) -> None:
        config["response"]["successTemplate"] = '{\n  "out": ${out}\n}'

    edit_config(world, "Get User", change)
    action_id = world.org.ids()["Get User"]
    published = world.org.published(action_id)
    assert published is not None
    contract = copy.deepcopy(published["contract"])
    contract["output"]["successSchema"]["properties"]["count"] = {"type": "integer"}
    world.org.mutate(action_id, contract=contract)
    assert run("actions").exit_code == 2
    text = user.read_text()
    assert '  successTemplate: |-\n    {\n      "out": ${out}\n    }\n' in text
    assert "      out: {type: string}\n      count: {type: integer}\n" in text
    assert plan_changes() == []


def test_a_file_whose_indentation_cannot_be_kept_gets_dactl_s_and_says_so(
    world: World,
) -> None:
    odd = USER_FILE.replace("request:\n  requestUrlTemplate", "request:\n   requestUrlTemplate")
    odd = odd.replace(
        "\n  requestType: GET\n  headers:\n    Accept",
        "\n   requestType: GET\n   headers:\n     Accept",
    )
    path = write(world, "get-user.yaml", odd)
    seed_files(world)
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    result = run("actions", "--no-color")
    assert result.exit_code == 2, result.output
    assert (
        "      note: actions/get-user.yaml: written with dactl's indentation (its own could not "
        "be kept)\n"
    ) in result.stdout
    text = path.read_text()
    assert "timeoutSeconds: 8  # seconds\n" in text
    assert "request:\n  requestUrlTemplate: /api/v2/users/${input.q}\n  requestType: GET\n" in text


def prepared(world: World, **kw: Any) -> Any:
    """What ``dactl pull`` works out, before it writes."""
    result = world.orchestrator().plan(prune=True)
    return prepare_pull(result.report, result.live, result.plan, directory=Path("actions"), **kw)


def test_nothing_is_written_when_a_file_changed_or_a_name_was_taken_meanwhile(
    world: World, user: Path
) -> None:
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    world.org.seed(post_body_of(action("Made In The Org"), world.org))
    pull = prepared(world, unmanaged=True)
    assert [f.status for f in pull.files] == ["updated", "new"]
    user.write_text(USER_FILE.replace("# seconds", "# seconds, said Ann"))
    (world.directory / "made-in-the-org.yaml").write_text("name: Someone Else's\n")
    with pytest.raises(PullRefused) as refused:
        write_pull(pull)
    assert refused.value.lines() == [
        "Error: actions/get-user.yaml: changed while pulling; run dactl pull again",
        "Error: actions/made-in-the-org.yaml: appeared while pulling; run dactl pull again",
    ]
    assert "said Ann" in user.read_text() and "timeoutSeconds: 5" in user.read_text()
    (world.directory / "made-in-the-org.yaml").unlink()
    assert write_pull(prepared(world, check=True)) == []  # --check writes nothing


def test_an_action_moved_to_another_integration_is_written_with_its_name(
    world: World, user: Path
) -> None:
    web = {i["name"]: i["id"] for i in world.org.store.integrations()}[WEB]
    world.org.mutate(world.org.ids()["Get User"], integrationId=web)
    result = run("actions", "--no-color")
    assert result.exit_code == 2, result.output
    text = user.read_text()
    assert "integration: Web Services Data Actions\n" in text
    assert "category: Genesys Cloud Data Actions\n" in text  # it kept its category
    assert plan_changes() == []


@pytest.fixture
def functions(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    world = World(tmp_path, scope=(FUNCTIONS,))
    monkeypatch.setattr(orchestrator_module, "connect_genesys", world.org.connect)
    monkeypatch.setenv("GENESYSCLOUD_API_URL", API_URL)
    monkeypatch.chdir(tmp_path)
    world.write(function_action())
    world.apply()
    return world


def test_a_function_s_code_is_left_and_its_settings_pulled(functions: World) -> None:
    path = functions.directory / "echo-function.yaml"
    write_package(functions.directory / "echo-code", "exports.handler = async () => ({});\n")
    before = path.read_bytes()
    result = run("actions", "--no-color")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "= left      actions/echo-function.yaml  ('Echo Function')\n      function.package: "
    )
    assert (
        "      not pulled: function.package: the org's code package cannot be downloaded; "
        "the file's package is kept\n"
    ) in result.stdout
    assert "1 drifted but left as it is." in result.stdout
    assert path.read_bytes() == before

    path.write_text(path.read_text().replace("src/index.handler", "src/index.main"))
    result = run("actions", "--no-color")
    assert result.exit_code == 2, result.output
    assert "handler: src/index.handler\n" in path.read_text()
    assert "package: echo-code\n" in path.read_text()


def test_a_file_with_windows_line_ends_keeps_them(world: World, user: Path) -> None:
    user.write_bytes(USER_FILE.replace("\n", "\r\n").encode())
    edit_config(world, "Get User", lambda c: c.update(timeoutSeconds=8))
    assert run("actions").exit_code == 2
    assert user.read_bytes() == USER_FILE.replace("5  #", "8  #").replace("\n", "\r\n").encode()
    assert plan_changes() == []


def test_a_pull_killed_between_two_files_converges_on_the_next_run(
    world: World, user: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or a kill) after the first file is written: every file is either the old
    one or the new one, never half; the next pull writes the rest; then nothing is left."""
    for name in ("Get User", "Get Other"):
        edit_config(world, name, lambda config: config.update(timeoutSeconds=9))
    written: list[Path] = []

    def first_then_killed(files: Iterable[tuple[Path, str]]) -> list[Path]:
        for path, text in files:
            if written:
                raise KeyboardInterrupt
            write_files([(path, text)])
            written.append(path)
        return written

    with monkeypatch.context() as patch:
        patch.setattr(pull_module, "write_files", first_then_killed)
        killed = CliRunner().invoke(main, ["pull", "actions"])
    assert killed.exit_code == 130 and written, killed.output
    texts = [p.read_text() for p in sorted(world.directory.glob("get-*.yaml"))]
    assert sorted("timeoutSeconds: 9" in t for t in texts) == [False, True]
    again = run("actions")
    assert again.exit_code == 2 and "1 file updated" in again.stdout, again.output
    assert run("actions").exit_code == 0
    assert plan_changes() == []
