"""The export step without a network: reading the target directory, the checks made before
any write, file names that never overwrite another action's file, the schema comment."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import DactlError, ExportError, ValidationError
from reconciler.exporter import prepare_export, write_export
from reconciler.genesys.wire import canonical_live
from reconciler.live import LiveState
from reconciler.plan import Integrations, LiveAction

GID = "gid-1"
INTEGRATION = "Genesys Cloud Data Actions"

RAW: dict[str, Any] = {
    "id": "custom_-_1",
    "version": 3,
    "name": "Get Queue Waiting Count",
    "integrationId": GID,
    "category": INTEGRATION,
    "secure": False,
    "contract": {
        "input": {"inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}}},
        "output": {"successSchema": {"type": "object", "properties": {}}},
    },
    "config": {
        "request": {"requestUrlTemplate": "/api/v2/x/${input.q}", "requestType": "GET"},
        "response": {},
    },
}

OTHER_FILE = "name: Other\nintegration: Genesys Cloud Data Actions\n" + (
    "contract:\n  input: {type: object}\n  output: {type: object}\n"
    "request: {requestUrlTemplate: /api/v2/y, requestType: GET}\n"
)


def state(*actions: dict[str, Any], names: dict[str, str] | None = None) -> LiveState:
    by_id = names or {GID: INTEGRATION}
    return LiveState(
        actions=[LiveAction(a["id"], a["version"], canonical_live(a, by_id)) for a in actions],
        integrations=Integrations(by_id),
        raw={a["id"]: a for a in actions},
    )


def action(action_id: str, name: str, integration_id: str = GID) -> dict[str, Any]:
    out = copy.deepcopy(RAW)
    out.update(id=action_id, name=name, integrationId=integration_id)
    return out


def test_a_fresh_directory_gets_one_file_per_action_and_a_project_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = write_export(prepare_export(out, force=False), state(RAW), scope=())
    assert sorted(p.name for p in out.iterdir()) == ["dactl.yaml", "get-queue-waiting-count.yaml"]
    project = (out / "dactl.yaml").read_text()
    assert project.endswith(f"scope:\n  integrations:\n  - {INTEGRATION}\n")
    assert result.summary() == (
        f"Exported 1 action from 1 integration to {out}/ (1 new, 0 updated, 0 unchanged)."
    )
    assert result.file_lines() == []  # listed only when merging into existing files
    assert result.notes == [f"Wrote {out}/dactl.yaml (scope: {INTEGRATION})."]  # and it is valid


def test_an_empty_org_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = write_export(prepare_export(out, force=False), state(), scope=())
    assert not out.exists()
    assert result.summary() == (
        f"Exported 0 actions from 0 integrations to {out}/ (0 new, 0 updated, 0 unchanged)."
    )


def test_a_new_action_never_takes_the_file_of_another(tmp_path: Path) -> None:
    """With --force, ``get-queue-waiting-count.yaml`` holding another action stays as it is;
    the exported action gets ``-2``."""
    (tmp_path / "get-queue-waiting-count.yaml").write_text(OTHER_FILE)
    result = write_export(prepare_export(tmp_path, force=True), state(RAW), scope=())
    assert (tmp_path / "get-queue-waiting-count.yaml").read_text() == OTHER_FILE
    exported = (tmp_path / "get-queue-waiting-count-2.yaml").read_text()
    assert exported.startswith("name: Get Queue Waiting Count\n")
    assert result.file_lines() == [
        f"new      {tmp_path}/get-queue-waiting-count-2.yaml  (Get Queue Waiting Count)"
    ]


def test_an_unreadable_action_file_is_refused_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ValidationError) as caught:
        prepare_export(tmp_path, force=True)
    assert [p.mark.file.rsplit("/", 1)[-1] for p in caught.value.problems] == ["broken.yaml"]


def test_one_action_in_two_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(OTHER_FILE)
    (tmp_path / "b.yaml").write_text(OTHER_FILE)
    with pytest.raises(ExportError, match=r"'Other' is defined in several files .*a\.yaml"):
        prepare_export(tmp_path, force=True)


def test_an_ambiguous_integration_name_is_refused_before_any_write(tmp_path: Path) -> None:
    names = {GID: INTEGRATION, "gid-2": INTEGRATION}
    live = state(RAW, action("custom_-_2", "Two", "gid-2"), names=names)
    with pytest.raises(ExportError, match="several integrations in the org are named"):
        write_export(prepare_export(tmp_path / "out", force=False), live, scope=())
    assert not (tmp_path / "out").exists()


def test_the_schema_comment_points_into_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "schemas").mkdir(parents=True)
    (repo / ".git").mkdir()
    for kind in ("action", "action-file", "project"):
        (repo / "schemas" / f"{kind}.schema.json").write_text("{}")
    out = repo / "org" / "actions"
    write_export(prepare_export(out, force=False), state(RAW), scope=())
    for name, kind in (("get-queue-waiting-count.yaml", "action-file"), ("dactl.yaml", "project")):
        first = (out / name).read_text().splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../../schemas/{kind}.schema.json"

    # A repository that copied its schemas before the per-file one: the full action schema.
    (repo / "schemas" / "action-file.schema.json").unlink()
    write_export(prepare_export(repo / "older", force=False), state(RAW), scope=())
    first = (repo / "older" / "get-queue-waiting-count.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/action.schema.json"

    # Above the repository root nothing is looked for.
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "action-file.schema.json").write_text("{}")
    (repo / "schemas" / "action.schema.json").unlink()
    write_export(prepare_export(repo / "third", force=False), state(RAW), scope=())
    assert (repo / "third" / "get-queue-waiting-count.yaml").read_text().startswith("name:")


def test_an_export_the_existing_project_file_does_not_cover_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "dactl.yaml").write_text("scope:\n  integrations: [Web Services Data Actions]\n")
    target = prepare_export(tmp_path, force=False)
    result = write_export(target, state(RAW), scope=(INTEGRATION,))
    assert (tmp_path / "dactl.yaml").read_text().startswith("scope:")  # never rewritten
    (note,) = result.notes
    assert note.startswith(f"warning: {tmp_path}/ does not validate now (1 error, first: ")
    assert f"integration: {INTEGRATION!r} is not in the project scope" in note


def test_literal_credentials_in_the_org_are_warned_about_never_shown(tmp_path: Path) -> None:
    out = tmp_path / "out"
    leaky = action("custom_-_2", "Leaky")
    leaky["config"]["request"]["headers"] = {
        "Authorization": "Bearer abc$def123-s3cr3t",  # a "$" alone is not a template
        "X-Api-Key": "k-s3cr3t-9876",
        "X-Templated": "${credentials.token}",
        "Accept": "application/json",
    }
    result = write_export(prepare_export(out, force=False), state(RAW, leaky), scope=())
    assert (out / "leaky.yaml").is_file()
    warnings = [n for n in result.notes if "literal credential" in n]
    assert [w.split(": ", 1)[0].rsplit("/", 1)[-1] for w in warnings] == [
        "leaky.yaml:15:20",
        "leaky.yaml:16:16",
    ]
    for line in warnings:
        assert ": warning: request.headers." in line
        assert "s3cr3t" not in line and "abc" not in line
    assert not any("X-Templated" in n or "Accept" in n for n in result.notes)


def test_an_out_path_under_a_regular_file_is_one_line_naming_the_path(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a directory\n")
    out = afile / "exp"
    with pytest.raises(DactlError) as caught:
        write_export(prepare_export(out, force=False), state(RAW), scope=())
    message = str(caught.value)
    assert message.startswith(f"cannot write {out}/get-queue-waiting-count.yaml: ")
    assert "\n" not in message
    assert afile.read_text() == "not a directory\n"
