"""Adopting actions into a tree that has files: ``dactl export --name NAME`` and
``--unmanaged`` write only those files (``reconciler.adopt``), never touching the others;
drift names that command for unmanaged actions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.adopt import Adoption
from reconciler.drift import DriftedAction, DriftReport
from reconciler.errors import ExportError
from reconciler.render.drift import render_json, render_markdown, render_text
from reconciler.validate import validate_tree
from tests.fakes.project import World, action, post_body_of

USER, ORDER = "Get User", "Get Order"
MADE = "Made In The Org"
OTHER = "Also In The Org"


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``directory``: its bytes and its mtime (ns)."""
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def in_org(world: World, name: str) -> str:
    """An action made in the org (no file); its id."""
    return world.org.seed(post_body_of(action(name), world.org))


def test_export_name_writes_one_file_and_touches_no_other(world: World) -> None:
    world.seed(action(USER), action(ORDER))
    made = in_org(world, MADE)
    in_org(world, OTHER)
    before = snapshot(world.directory)
    result = world.orchestrator().export(adoption=Adoption((MADE,)))
    assert [(f.name, f.status) for f in result.files] == [(MADE, "new")]
    assert result.file_lines() == [f"new      {world.directory / 'made-in-the-org.yaml'}  ({MADE})"]
    after = snapshot(world.directory)
    assert set(after) - set(before) == {"made-in-the-org.yaml"}
    assert {k: v for k, v in after.items() if k in before} == before  # bytes and mtimes
    assert validate_tree(world.directory).ok
    plan = world.plan().plan
    assert plan.empty and MADE in plan.unchanged and [k.name for k in plan.kept] == [OTHER]
    assert world.org.ids()[MADE] == made


def test_export_unmanaged_adopts_every_action_no_file_claims(world: World) -> None:
    world.seed(action(USER))
    in_org(world, MADE)
    in_org(world, OTHER)
    in_org(world, "Renamed Away")
    world.write(action("Renamed Here", formerNames=["Renamed Away"]))
    before = snapshot(world.directory)
    result = world.orchestrator().export(adoption=Adoption(unmanaged=True))
    assert sorted(f.name for f in result.files) == [OTHER, MADE]
    assert any("'Renamed Away' was left alone" in n for n in result.notes)
    after = snapshot(world.directory)
    assert {k: v for k, v in after.items() if k in before} == before
    report, _ = world.orchestrator().drift()
    assert [(a.status, a.name) for a in report.actions] == [("changed", "Renamed Here")]
    again = world.orchestrator().export(adoption=Adoption(unmanaged=True))
    assert again.files == [] and again.summary().startswith("Exported 0 actions")


def test_adopting_an_action_that_has_a_file(world: World) -> None:
    ids = world.seed(action(USER))
    same = world.orchestrator().export(adoption=Adoption((USER,)))
    assert [(f.name, f.status) for f in same.files] == [(USER, "unchanged")]
    world.org.edit(ids[USER], timeoutSeconds=9)
    differs = r"already has a file, actions/get-user\.yaml, that differs"
    with pytest.raises(ExportError, match=differs):
        world.orchestrator().export(adoption=Adoption((USER,)))
    forced = world.orchestrator().export(adoption=Adoption((USER,)), force=True)
    assert [(f.name, f.status) for f in forced.files] == [(USER, "updated")]
    assert "timeoutSeconds: 9" in (world.directory / "get-user.yaml").read_text()


def test_unknown_renamed_and_duplicate_names_are_refused_before_any_write(world: World) -> None:
    world.seed(action(USER))
    in_org(world, MADE)
    before = snapshot(world.directory)
    with pytest.raises(ExportError, match=r"--name 'Made In The Orgg': no live action .*did you"):
        world.orchestrator().export(adoption=Adoption(("Made In The Orgg",)))
    world.write(action("New Name", formerNames=[MADE]))
    with pytest.raises(ExportError, match="lists it in formerNames"):
        world.orchestrator().export(adoption=Adoption((MADE,)))
    world.remove("New Name")
    in_org(world, MADE)
    with pytest.raises(Exception, match="several live actions share one name"):
        world.orchestrator().export(adoption=Adoption((MADE,)))
    assert snapshot(world.directory) == before  # nothing written, nothing touched
    assert sorted(os.listdir(world.directory)) == ["dactl.yaml", "get-user.yaml"]


def test_a_whole_export_leaves_an_action_a_file_renames_alone(world: World) -> None:
    world.seed(action(USER))
    in_org(world, "Old Name")
    world.write(action("New Name", formerNames=["Old Name"]))
    result = world.orchestrator().export(force=True)
    assert sorted(f.name for f in result.files) == [USER]
    assert any("'Old Name' was left alone" in n for n in result.notes)
    assert validate_tree(world.directory).ok


def test_drift_names_the_adopt_command_in_every_format() -> None:
    report = DriftReport(
        (
            DriftedAction("unmanaged", MADE, "custom_-_1", 1),
            DriftedAction("unmanaged", "It's Mine", "custom_-_2", 1),
        ),
        directory="my actions",
    )
    text = render_text(report)
    assert "      adopt: dactl export --out 'my actions' --name 'Made In The Org'" in text
    assert "Adopt every unmanaged action: dactl export --out 'my actions' --unmanaged" in text
    assert "--name ''\"'\"'" in text or "--name 'It'\"'\"'s Mine'" in text
    assert "`dactl export --out 'my actions' --name 'Made In The Org'`" in render_markdown(report)
    assert "\"adopt\": \"dactl export --out 'my actions' --name 'Made In The Org'\"" in (
        render_json(report)
    )


def test_the_export_command_adopts_by_name_in_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from reconciler import orchestrator as orchestrator_module
    from reconciler.cli import main
    from tests.fakes.org import API_URL

    monkeypatch.setattr(orchestrator_module, "connect_genesys", world.org.connect)
    monkeypatch.setenv("GENESYSCLOUD_API_URL", API_URL)
    world.seed(action(USER))
    in_org(world, MADE)
    runner = CliRunner()
    result = runner.invoke(main, ["export", "--out", "actions", "--name", MADE])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"new      actions/made-in-the-org.yaml  ({MADE})\n"
        "Exported 1 action from 1 integration to actions/ (1 new, 0 updated, 0 unchanged).\n"
    )
    unknown = runner.invoke(main, ["export", "--out", "actions", "--name", "Nope"])
    assert unknown.exit_code == 1
    assert unknown.stderr == "Error: --name 'Nope': no live action of that name in scope\n"
    drift = runner.invoke(main, ["drift", "actions"])
    assert drift.exit_code == 0
