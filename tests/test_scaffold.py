"""``dactl init`` and ``dactl schema`` in this process: what a new repository gets, that a
second run changes nothing, that no file is ever overwritten, and one line per refusal."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler import scaffold
from reconciler.ci.kit import OWNER_PLACEHOLDER, template_files
from reconciler.cli import main
from reconciler.orchestrator import Connection, Orchestrator
from reconciler.scaffold import InitOptions, gitlab_pipeline, init_repository, project_text
from reconciler.validate import validate_tree
from reconciler.validate.editor_schema import SCHEMA_NAMES, schema_file_name
from reconciler.validate.schema import schema_text
from tests.fakes.org import API_URL, FakeOrg
from tests.fakes.project import GENESYS, WEB, action, seed_tree, write_action

SCHEMAS = [f"schemas/{schema_file_name(n)}" for n in SCHEMA_NAMES]


def dactl(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` with its bytes and modification time."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- init ------------------------------------------------------------------------------------


def test_init_writes_a_repository_that_validates_and_a_second_run_changes_nothing(
    here: Path,
) -> None:
    first = dactl("init", "repo", "--ci", "github", "--region", "eu-west-1", "--integration", WEB)
    assert first.exit_code == 0, first.output
    workflows = template_files("github")
    assert len(workflows) >= 3 and all(p.startswith(".github/workflows/") for p in workflows)
    written = [
        "repo/actions/dactl.yaml",
        "repo/.gitignore",
        *(f"repo/{s}" for s in SCHEMAS),
        *(f"repo/{p}" for p in workflows),
    ]
    assert first.stdout.splitlines()[:-2] == [f"created   {p}" for p in written]
    assert first.stdout.splitlines()[-2] == f"Initialized repo: {len(written)} written, 0 kept."
    assert f"install dactl from {OWNER_PLACEHOLDER}: replace OWNER" in first.stderr
    repo = here / "repo"
    project = (repo / "actions" / "dactl.yaml").read_text()
    assert project.startswith("# yaml-language-server: $schema=../schemas/project.schema.json\n")
    assert yaml.safe_load(project) == {
        "region": "eu-west-1",
        "scope": {"integrations": [WEB]},
        "prune": False,
    }
    assert (repo / ".gitignore").read_text().splitlines()[-1] == ".dactl/"
    for name in SCHEMA_NAMES:
        assert (repo / "schemas" / schema_file_name(name)).read_text() == schema_text(name)
    for path, text in workflows.items():
        assert (repo / path).read_text() == text
    report = validate_tree(repo / "actions")
    assert report.ok and report.project.region == "eu-west-1"

    before = snapshot(repo)
    second = dactl("init", "repo", "--ci", "github")
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[:-1] == [f"kept      {p}" for p in written]
    assert second.stdout.splitlines()[-1] == (
        f"Nothing to do in repo: every file is there ({len(written)} kept)."
    )
    assert snapshot(repo) == before


def test_owner_is_written_into_the_ci_files(here: Path) -> None:
    result = dactl("init", "--ci", "github", "--owner", "acme")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    for path, text in template_files("github", owner="acme").items():
        assert (here / path).read_text() == text
        assert OWNER_PLACEHOLDER not in text
    assert "acme/dactl@" in "".join(template_files("github", owner="acme").values())


def test_init_in_the_working_directory_without_options(here: Path) -> None:
    result = dactl("init")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "created   actions/dactl.yaml"
    assert "Initialized .: 6 written, 0 kept." in result.stdout
    assert not (here / ".github").exists() and not (here / ".gitlab-ci.yml").exists()
    text = (here / "actions" / "dactl.yaml").read_text()
    assert yaml.safe_load(text) == {"prune": False}  # the org comes from the environment
    assert "# region: mypurecloud.ie" in text and "#   integrations: [" in text
    assert validate_tree(here / "actions").ok


def test_gitlab_files_go_beside_a_pipeline_that_includes_them(here: Path) -> None:
    result = dactl("init", "--ci", "gitlab")
    assert result.exit_code == 0, result.output
    included = list(template_files("gitlab"))
    assert included and all(p.startswith(".gitlab/") for p in included)
    for path in included:
        assert f"created   {path}" in result.stdout.splitlines()
    assert "created   .gitlab-ci.yml" in result.stdout.splitlines()
    pipeline = yaml.safe_load((here / ".gitlab-ci.yml").read_text())
    assert pipeline == {"include": [{"local": p} for p in included]}
    assert (here / ".gitlab-ci.yml").read_text() == gitlab_pipeline(included)


def test_an_existing_gitlab_pipeline_is_kept_and_a_note_says_what_to_include(here: Path) -> None:
    (here / ".gitlab-ci.yml").write_text("test: {script: [make test]}\n")
    result = dactl("init", "--ci", "gitlab")
    assert result.exit_code == 0, result.output
    assert "kept      .gitlab-ci.yml" in result.stdout.splitlines()
    assert (here / ".gitlab-ci.yml").read_text() == "test: {script: [make test]}\n"
    first = next(iter(template_files("gitlab")))
    assert f"note: .gitlab-ci.yml was kept: add `include: [{{local: {first}}}]`" in result.stderr
    # Once it includes them, nothing more is said about it.
    (here / ".gitlab-ci.yml").write_text(f"include: [{{local: {first}}}]\n")
    again = dactl("init", "--ci", "gitlab")
    assert "was kept" not in again.stderr


def test_existing_files_are_kept_as_they_are(here: Path) -> None:
    ours = next(iter(template_files("github")))
    (here / "actions").mkdir()
    (here / "actions" / "dactl.yml").write_text("region: mypurecloud.com\n")
    (here / ours).parent.mkdir(parents=True)
    (here / ours).write_text("name: ours\n")
    (here / "schemas").mkdir()
    (here / "schemas" / "action.schema.json").write_text("{}\n")
    result = dactl("init", "--ci", "github", "--region", "eu-west-1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "kept      actions/dactl.yml  (exists; --region and --integration were not applied)" in (
        lines
    )
    assert "kept      schemas/action.schema.json  (differs: `dactl schema` rewrites it)" in lines
    assert f"kept      {ours}  (differs from dactl's)" in lines
    assert (here / "actions" / "dactl.yml").read_text() == "region: mypurecloud.com\n"
    assert not (here / "actions" / "dactl.yaml").exists()
    assert (here / ours).read_text() == "name: ours\n"
    assert (here / "schemas" / "action.schema.json").read_text() == "{}\n"
    written = 1 + 3 + len(template_files("github")) - 1  # .gitignore, schemas, workflows
    assert f"Initialized .: {written} written, 3 kept." in result.stdout


@pytest.mark.parametrize(
    ("existing", "after"),
    [
        ("node_modules/\n", "node_modules/\n"),
        ("node_modules/", "node_modules/\n"),  # no final newline: one is added first
        ("", ""),
    ],
)
def test_gitignore_gets_the_line_appended_once(here: Path, existing: str, after: str) -> None:
    (here / ".gitignore").write_text(existing)
    first = dactl("init")
    assert "added     .gitignore  (.dactl/)" in first.stdout.splitlines()
    text = (here / ".gitignore").read_text()
    assert text == after + scaffold.GITIGNORE_BLOCK
    second = dactl("init")
    assert "kept      .gitignore" in second.stdout.splitlines()
    assert (here / ".gitignore").read_text() == text


@pytest.mark.parametrize("line", [".dactl", ".dactl/", "/.dactl/", "**/.dactl", "  .dactl/  "])
def test_a_gitignore_that_ignores_dactl_already_is_kept(here: Path, line: str) -> None:
    (here / ".gitignore").write_text(f"# ours\n{line}\n*.pyc\n")
    result = dactl("init")
    assert "kept      .gitignore" in result.stdout.splitlines()
    assert (here / ".gitignore").read_text() == f"# ours\n{line}\n*.pyc\n"


def test_a_gitignore_that_cannot_be_read_is_left_alone(here: Path) -> None:
    (here / ".gitignore").mkdir()
    result = dactl("init")
    assert result.exit_code == 0
    assert "kept      .gitignore  (cannot be read; add .dactl/)" in result.stdout.splitlines()


def test_without_shipped_templates_a_note_says_so(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scaffold, "template_files", lambda ci, owner=None: {})
    result = dactl("init", "--ci", "gitlab")
    assert result.exit_code == 0
    assert result.stderr == "note: this dactl ships no gitlab CI files; none were written\n"
    assert not (here / ".gitlab-ci.yml").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("init", "--region", "mars-1"), "Error: unknown region 'mars-1' (from --region); use"),
        (("init", "--integration", " "), "Error: --integration: an integration name cannot be"),
        (("init", "afile"), "Error: afile is not a directory"),
        (("init", "blocked"), "Error: cannot write blocked/actions/dactl.yaml: "),
        (("init", "--owner", "acme"), "Error: --owner is written into CI files: add --ci"),
        (("init", "--ci", "github", "--owner", "a b"), "Error: 'a b' is not a GitHub OWNER"),
        (("schema", "--out", "afile"), "Error: afile is not a directory"),
    ],
)
def test_refusals_are_one_error_line_and_exit_1(
    here: Path, args: tuple[str, ...], message: str
) -> None:
    (here / "afile").write_text("x")
    (here / "blocked").mkdir()
    (here / "blocked" / "actions").write_text("a file where the directory goes")
    result = dactl(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message)


def test_an_unknown_ci_is_a_usage_error(here: Path) -> None:
    result = dactl("init", "--ci", "jenkins")
    assert result.exit_code == 1 and not (here / "actions").exists()
    assert "Error: Invalid value for '--ci': 'jenkins' is not one of" in result.stderr


def test_init_options_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="use one of github, gitlab, none"):
        init_repository(tmp_path / "new", InitOptions(ci="jenkins"))
    assert not (tmp_path / "new").exists()


def test_the_project_file_names_each_integration_once() -> None:
    text = project_text(InitOptions(integrations=(WEB, f" {WEB} ", GENESYS)))
    assert yaml.safe_load(text) == {"scope": {"integrations": [WEB, GENESYS]}, "prune": False}


def test_an_initialized_repository_takes_an_export_with_file_schema_comments(
    here: Path, org_env: None
) -> None:
    org = FakeOrg()
    source = here / "source"
    source.mkdir()
    write_action(source, action("Get User"))
    write_action(source, action("Get Order", integration=WEB))
    seed_tree(org, source)
    assert dactl("init", "repo", "--integration", WEB).exit_code == 0
    directory = here / "repo" / "actions"
    result = Orchestrator(directory, Connection(api_url=API_URL), connect=org.connect).export()
    assert [f.name for f in result.files] == ["Get Order"]  # the scope init wrote
    exported = (directory / "get-order.yaml").read_text()
    assert exported.startswith("# yaml-language-server: $schema=../schemas/action-file.schema.json")
    assert validate_tree(directory).ok


# -- schema ----------------------------------------------------------------------------------


def test_schema_writes_every_schema_then_updates_only_what_changed(here: Path) -> None:
    first = dactl("schema", "--out", "editor")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        *(f"created   editor/{schema_file_name(n)}" for n in SCHEMA_NAMES),
        "Wrote 4 schemas to editor (0 unchanged).",
    ]
    for name in SCHEMA_NAMES:
        assert (here / "editor" / schema_file_name(name)).read_text() == schema_text(name)
    (here / "editor" / "project.schema.json").write_text("{}")
    second = dactl("schema", "--out", "editor")
    assert "updated   editor/project.schema.json" in second.stdout.splitlines()
    assert second.stdout.endswith("Wrote 1 schema to editor (3 unchanged).\n")
    assert (here / "editor" / "project.schema.json").read_text() == schema_text("project")


def test_schema_defaults_to_the_schemas_directory(here: Path) -> None:
    result = dactl("schema")
    assert result.exit_code == 0
    assert sorted(os.listdir(here / "schemas")) == sorted(schema_file_name(n) for n in SCHEMA_NAMES)


def test_schema_writes_what_the_repository_holds(here: Path) -> None:
    """The repository's own schemas/ is what `dactl schema` writes (its derived files
    included): regenerating them there changes nothing."""
    shutil.copytree(Path(__file__).resolve().parents[1] / "schemas", here / "schemas")
    result = dactl("schema")
    assert result.stdout.endswith("Wrote 0 schemas to schemas (4 unchanged).\n")


def test_schema_regenerates_the_derived_schemas_from_the_action_schema(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a change to the action schema, `dactl schema` writes derived schemas that
    follow it (not the stale shipped copies)."""
    from reconciler.validate import editor_schema
    from reconciler.validate.schema import load_schema

    changed = load_schema("action")
    changed = {**changed, "properties": {**changed["properties"], "zzNew": {"type": "string"}}}
    monkeypatch.setattr(
        editor_schema,
        "load_schema",
        lambda name: changed if name == "action" else load_schema(name),
    )
    result = dactl("schema", "--out", "editor")
    assert result.exit_code == 0, result.output
    written = (here / "editor" / schema_file_name("action-file")).read_text()
    assert '"zzNew"' in written
    assert '"zzNew"' not in schema_text("action-file")
