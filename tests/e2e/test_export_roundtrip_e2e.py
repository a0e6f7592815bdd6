"""DESIGN rule 6 on real data: every corpus action, loaded into a real sandbox and exported
by `dactl export`, plans as "No changes" through the real CLI; an edit to an exported file
does not.

One sandbox and one export serve the whole module (loading the corpus is the slow part);
tests that edit files work on a copy.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.genesys import ActionsApi
from reconciler.live import UNMANAGEABLE_PREFIXES
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.conftest import corpus_dir
from tests.corpus_util import FUNCTION_TYPE, as_post_input
from tests.e2e.conftest import Cli, publish_function_in_org

pytestmark = [pytest.mark.e2e, pytest.mark.corpus]

MIN_EXPORTED = 40
NEVER_MANAGED = ("customAuth", "static")  # DESIGN rule 5: dactl leaves these alone
SKIP_KIND = "actionType {}: never managed"
SKIP_SAME_NAME = "same name on one integration as an earlier file"
EDITED_TEMPLATE = "Update Data Table Row"


@dataclass
class Export:
    """What loading the corpus into the sandbox and exporting it produced."""

    directory: Path
    corpus_files: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    integrations: dict[str, str] = field(default_factory=dict)  # id -> name
    live: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> live action
    files: dict[str, Path] = field(default_factory=dict)  # name -> file in ``directory``


def load_corpus(api: ActionsApi, corpus: Path, export: Export) -> list[str]:
    """Create every loadable corpus action in the org; their ids. Counts what was skipped."""
    integrations = list(api.iter_integrations())
    created: list[str] = []
    seen: set[tuple[str, str]] = set()
    paths = sorted((corpus / "real-actions").glob("*.json"))
    export.corpus_files = len(paths)
    for path in paths:
        item = json.loads(path.read_text(encoding="utf-8"))
        if item.get("actionType") in NEVER_MANAGED:
            export.skipped[SKIP_KIND.format(item["actionType"])] += 1
            continue
        body = as_post_input(item, integrations)
        if (body["integrationId"], body["name"]) in seen:
            export.skipped[SKIP_SAME_NAME] += 1
            continue
        seen.add((body["integrationId"], body["name"]))
        if item.get("integrationType") == FUNCTION_TYPE:
            # Function actions cannot be created published, nor published without code.
            created.append(publish_function_in_org(api, body))
        else:
            created.append(api.create_action(body)["id"])
    return created


def export_corpus(cli: Cli, corpus: Path, root: Path) -> Export:
    """Load the corpus, then export the org with the real ``dactl export`` command."""
    export = Export(root / "exported")
    with cli.api() as client:
        api = ActionsApi(client)
        created = load_corpus(api, corpus, export)
        export.integrations = {str(i["id"]): str(i["name"]) for i in api.iter_integrations()}
        assert set(created) <= {a["id"] for a in api.iter_actions(include_config=False)}
        for action_id in created:
            assert not action_id.startswith(UNMANAGEABLE_PREFIXES)
            live = api.get_action_full(action_id)
            export.live[live["name"]] = live
    result = cli.run("export", "--out", str(export.directory))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    scope = sorted({export.integrations[live["integrationId"]] for live in export.live.values()})
    n = len(export.live)
    assert result.stdout == (
        f"Exported {n} actions from {len(scope)} integrations to {export.directory}/ "
        f"({n} new, 0 updated, 0 unchanged).\n"
    )
    for path in sorted(export.directory.glob("*.yaml")):
        if path.name != "dactl.yaml":
            export.files[yaml.safe_load(path.read_text(encoding="utf-8"))["name"]] = path
    project = yaml.safe_load((export.directory / "dactl.yaml").read_text(encoding="utf-8"))
    assert project == {"scope": {"integrations": scope}}  # no apiUrl: the env names the org
    return export


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, Export]]:
    corpus = corpus_dir()  # skips the module where ../shared is absent
    root = tmp_path_factory.mktemp("export")
    with SandboxServer(SandboxConfig()) as server:
        cli = Cli(server, root)
        yield cli, export_corpus(cli, corpus, root)


def test_every_loadable_corpus_action_is_exported(exported: tuple[Cli, Export]) -> None:
    _, export = exported
    assert set(export.skipped) <= {SKIP_SAME_NAME, *(SKIP_KIND.format(k) for k in NEVER_MANAGED)}
    assert len(export.live) + export.skipped.total() == export.corpus_files, export.skipped
    assert set(export.files) == set(export.live)
    assert len(export.files) >= MIN_EXPORTED, (len(export.files), export.skipped)


def test_export_then_plan_shows_no_change(exported: tuple[Cli, Export]) -> None:
    cli, export = exported
    validated = cli.run("validate", str(export.directory))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert f"OK: {len(export.files)} actions valid" in validated.stdout

    plan = cli.run("plan", str(export.directory), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr
    assert "No changes." in plan.stdout

    body = json.loads(cli.run("plan", str(export.directory), "--format", "json").stdout)
    assert body["changes"] == []
    assert sorted(body["unchanged"]) == sorted(export.files)


def test_an_edited_export_plans_exactly_the_edits(
    exported: tuple[Cli, Export], tmp_path: Path
) -> None:
    cli, export = exported
    edited = shutil.copytree(export.directory, tmp_path / "edited")
    timed = next(name for name in sorted(export.files) if name != EDITED_TEMPLATE)
    path = edited / export.files[timed].name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "timeoutSeconds: 30\n", *lines[2:]]), encoding="utf-8")
    path = edited / export.files[EDITED_TEMPLATE].name
    text = path.read_text(encoding="utf-8")
    line = '    "key":"${input.Key}"\n'
    assert "  requestTemplate: |" in text and line in text
    path.write_text(text.replace(line, '    "key": "${input.Key}"\n'), encoding="utf-8")

    plan = cli.run("plan", str(edited), "--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "Plan: 0 to create, 2 to update (1 timeout change), 0 to replace" in plan.stdout
    body = json.loads(cli.run("plan", str(edited), "--format", "json").stdout)
    fields = {c["name"]: [f["path"] for f in c["fields"]] for c in body["changes"]}
    assert fields == {
        timed: [["timeoutSeconds"]],
        EDITED_TEMPLATE: [["request", "requestTemplate"]],
    }


def test_function_actions_export_their_settings_but_no_package(
    exported: tuple[Cli, Export],
) -> None:
    """A Genesys Function action has no request URL (the function is the target); its
    exported file holds the function's settings and says why it names no package (the org
    offers no download), and it validates without the URL warning other actions get."""
    cli, export = exported
    functions = [
        name
        for name, live in export.live.items()
        if export.integrations[live["integrationId"]] == "Function Data Actions"
    ]
    assert len(functions) == 1
    assert "requestUrlTemplate" not in export.live[functions[0]]["config"]["request"]
    validated = cli.run("validate", str(export.directory), "--format", "json")
    assert validated.returncode == 0, validated.stdout
    url_warnings = [p for p in json.loads(validated.stdout)["problems"] if p["rule"] == "url"]
    assert url_warnings == []
    text = export.files[functions[0]].read_text(encoding="utf-8")
    assert text.startswith("# function.package: the code package cannot be downloaded")
    data = yaml.safe_load(text)
    assert data["function"] == {"handler": "src/index.handler", "runtime": "nodejs20.x"}
    planned = cli.run("plan", str(export.directory))
    assert "package unknown" in planned.stdout, planned.stdout


def test_the_export_applies_to_an_empty_org_and_then_plans_no_change(
    exported: tuple[Cli, Export], tmp_path: Path
) -> None:
    """Import into another org: every corpus action (the Function one through a draft) is
    created by `dactl apply`, and the org then matches the files."""
    _, export = exported
    copy = shutil.copytree(export.directory, tmp_path / "copy")
    # The org hands out no Function package, so its code has to come with the files.
    function_file = next(p for p in copy.glob("*.yaml") if "function:" in p.read_text())
    (copy / "code" / "src").mkdir(parents=True)
    (copy / "code" / "src" / "index.js").write_text("exports.handler = 1;\n")
    function_file.write_text(function_file.read_text() + "  package: code\n")
    with SandboxServer(SandboxConfig()) as server:
        other = Cli(server, tmp_path)  # GENESYSCLOUD_API_URL names the new org
        applied = other.run("apply", str(copy), "--auto-approve")
        assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
        n = len(export.files)
        assert f"Apply complete: {n} created, 0 updated, 0 replaced, 0 deleted." in applied.stdout
        assert applied.stdout.count("(through a draft)") == 1  # the Function action
        plan = other.run("plan", str(copy), "--detailed-exitcode")
        assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr
