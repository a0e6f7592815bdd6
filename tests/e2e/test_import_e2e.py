"""The guide's workflow on real data, through the real CLI: import every corpus JSON file,
validate, apply to a fresh sandbox, plan (no change), export (the same files).

Refused, and why: the static action and the two custom-auth actions (dactl never manages
those). Everything else imports. The Terraform files: test_import_terraform_e2e.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from reconciler.importer import DEFAULT_INTEGRATIONS
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.conftest import corpus_dir
from tests.e2e.conftest import Cli

pytestmark = [pytest.mark.e2e, pytest.mark.corpus]

REFUSED = {"static": 1, "customAuth": 2}
IMPORTED = 53
RENAMED = 12  # names carrying the admin UI's " - Exported <date> @ <time>" suffix
FUNCTION_ACTIONS = 1  # created through a draft, as the API requires
# Template lint on the imported corpus, by rule: warnings all (rule 10), and only the
# ``$Input.x`` / ``${INPUT.x}`` roots Genesys's own blueprints write.
TEMPLATE_WARNINGS = Counter({"template-case": 3})


def reason(line: str) -> str:
    found = re.search(r": actionType (\w+): ", line)
    return found.group(1) if found else line


def action_files(directory: Path) -> dict[str, bytes]:
    """Action name -> the bytes of its file."""
    out = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name != "dactl.yaml":
            out[yaml.safe_load(path.read_text(encoding="utf-8"))["name"]] = path.read_bytes()
    return out


def test_import_validate_apply_plan_export(tmp_path: Path) -> None:
    corpus = corpus_dir() / "real-actions"  # skips where ../shared is absent
    everything = sorted(corpus.glob("*.json"))
    imported = tmp_path / "imported"
    with SandboxServer(SandboxConfig()) as server:
        cli = Cli(server, tmp_path)

        # Every corpus file at once: refused as a whole, each refusal named, nothing written.
        refused = cli.run("import", *map(str, everything), "--out", str(imported))
        assert refused.returncode == 1, refused.stdout + refused.stderr
        errors = [line for line in refused.stderr.splitlines() if line.startswith("Error: ")]
        assert Counter(map(reason, errors)) == REFUSED, errors
        assert refused.stderr.endswith("Nothing was written.\n")
        assert not imported.exists()

        kept = [str(p) for p in everything if not any(f"Error: {p}: " in e for e in errors)]
        assert len(kept) == IMPORTED == len(everything) - sum(REFUSED.values())
        result = cli.run("import", *kept, "--out", str(imported))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        assert result.stdout.endswith(f"Imported {IMPORTED} actions into {imported}.\n")
        notes = result.stderr.splitlines()
        assumed = [n for n in notes if n.startswith("note: integration type ")]
        assert len(assumed) == len(DEFAULT_INTEGRATIONS)  # the corpus has each type
        assert sum(1 for n in notes if "imported as" in n) == RENAMED
        assert len(action_files(imported)) == IMPORTED

        validated = cli.run("validate", str(imported))
        assert validated.returncode == 0, validated.stdout
        assert f"OK: {IMPORTED} actions valid" in validated.stdout
        report = json.loads(cli.run("validate", "--format", "json", str(imported)).stdout)
        assert report["error_count"] == 0 and len(report["actions"]) == IMPORTED
        lint = Counter(p["rule"] for p in report["problems"] if p["rule"].startswith("template"))
        assert lint == TEMPLATE_WARNINGS, report["problems"]  # real exports carry these

        # The Function action's export holds no code: Genesys publishes none without it,
        # so apply refuses (before any write) until the file names its settings and code.
        assert sum(1 for n in notes if "a Function action: the export holds" in n) == 1
        refused = cli.run("apply", str(imported), "--auto-approve")
        assert refused.returncode == 1
        assert "a Function action is published only with its code" in refused.stderr
        assert "Traceback" not in refused.stderr
        function_file = add_function_code(imported)

        applied = cli.run("apply", str(imported), "--auto-approve")
        assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
        assert f"Apply complete: {IMPORTED} created, 0 updated" in applied.stdout
        assert applied.stdout.count("(through a draft)") == FUNCTION_ACTIONS

        # --refresh: read what the org holds, not what apply's writes answered (cached).
        plan = cli.run("plan", str(imported), "--detailed-exitcode", "--refresh")
        assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr
        assert "No changes." in plan.stdout

        exported = tmp_path / "exported"
        result = cli.run("export", "--out", str(exported), "--refresh")
        assert result.returncode == 0, result.stdout + result.stderr

    scope = yaml.safe_load((imported / "dactl.yaml").read_text(encoding="utf-8"))
    assert scope == yaml.safe_load((exported / "dactl.yaml").read_text(encoding="utf-8"))
    assert_same_files(imported, exported, function_file)
    assert_sorted_inputs_import_as_exported(
        cli, [Path(p) for p in kept], exported, tmp_path, function_file
    )


def add_function_code(directory: Path) -> Path:
    """Give the imported Function action its settings and a package; its file."""
    path = next(
        p
        for p in directory.glob("*.yaml")
        if (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("integration")
        == "Function Data Actions"
    )
    code = directory / "function-code"
    code.mkdir()
    (code / "index.js").write_text("exports.handler = async (input) => input;\n")
    path.write_text(
        path.read_text(encoding="utf-8")
        + "function:\n  handler: index.handler\n  runtime: nodejs20.x\n  package: function-code\n",
        encoding="utf-8",
    )
    return path


def assert_same_files(imported: Path, exported: Path, function_file: Path) -> None:
    """The same actions with the same content. The bytes differ in key order only: the
    sandbox answers with sorted keys (its JSON is serialized so), so `dactl export` writes
    schemas, headers and maps in that order, while an import keeps the order of the file it
    read (in the corpus, `type` before `properties`, for one). The Function action is
    exported without its package, which the org does not hand out."""
    mine, theirs = action_files(imported), action_files(exported)
    assert sorted(mine) == sorted(theirs)
    function_name = yaml.safe_load(function_file.read_text(encoding="utf-8"))["name"]
    for name in mine:
        ours = yaml.safe_load(mine[name])
        if name == function_name:
            assert ours["function"].pop("package") == "function-code"
            assert theirs[name].startswith(b"# function.package: the code package cannot")
        assert ours == yaml.safe_load(theirs[name]), name


def assert_sorted_inputs_import_as_exported(
    cli: Cli, kept: list[Path], exported: Path, tmp_path: Path, function_file: Path
) -> None:
    """With the inputs' keys in the order the org answers in, every imported file is byte
    for byte the file `dactl export` wrote: the only difference above is key order. (But
    the Function action, whose export file names the settings an import cannot know.)"""
    inputs = tmp_path / "sorted-inputs"
    inputs.mkdir()
    for path in kept:
        data = json.loads(path.read_text(encoding="utf-8"))
        (inputs / path.name).write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    again = tmp_path / "imported-sorted"
    result = cli.run("import", *sorted(map(str, inputs.iterdir())), "--out", str(again))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    mine, theirs = action_files(again), action_files(exported)
    assert sorted(mine) == sorted(theirs)
    different = [name for name in mine if mine[name] != theirs[name]]
    assert different == [yaml.safe_load(function_file.read_text(encoding="utf-8"))["name"]]
