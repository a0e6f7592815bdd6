"""Every Terraform file of the corpus through the real CLI, one at a time: `dactl import`
(with the `--var` values and the `--integration` its refusals ask for, as a user would
supply them), which validates what it writes (its `OK:` line), then `apply` to a fresh
sandbox and `plan` = no change; or a
refusal, each problem one `Error:` line naming the file and what dactl cannot read, and
nothing written. The two counts are printed and recorded (`record_property`).

The values supplied are placeholders derived from the refusals alone: a string for each
variable `no value for var.X, ...` names, `false` for one that must be true or false, and
a sandbox integration where `pass --integration NAME` is asked.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.process import SandboxServer
from tests.conftest import corpus_dir
from tests.e2e.conftest import Cli

pytestmark = [pytest.mark.e2e, pytest.mark.corpus]

ROUND_TRIPPED = 24
# Refused files (a fragment of the name) -> what the refusal says dactl cannot read.
REFUSED = {
    "callback-prioritization__terraform__main.tf": "is a module's output",
    "survey-sms-delivery-blueprint": "is a module's output",
    "update-data-table-row-data-action-module__main.tf": (
        "%{ for obj in var.data_table_custom_fields }: var.data_table_custom_fields is a string"
    ),
    "function_config_example.tf": "function_config.file_content_hash is not an argument",
    "genesyscloud_integration_action__resource.tf": "local.working_dir is not defined",
    "genesyscloud_integration_custom_auth_action__resource.tf": "never manages custom-auth",
}
NO_VALUE = re.compile(r": no value for ((?:var\.\w+(?:, )?)+): pass --var")
NOT_BOOL = re.compile(r"expected true or false, got .* \(from var\.(\w+)\)")
NOT_NUMBER = re.compile(r"expected a (?:whole )?number, got .* \(from var\.(\w+)\)")


def errors_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


def import_as_asked(
    run: Callable[..., subprocess.CompletedProcess[str]], path: Path, out: Path
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`dactl import PATH`, then again with what each refusal asks for, until it imports or
    a refusal asks for nothing more. The result and the options given."""
    variables: dict[str, str] = {}
    integration: list[str] = []
    while True:
        options = [f"--var={k}={v}" for k, v in sorted(variables.items())] + integration
        result = run("import", str(path), "--out", str(out), *options)
        if result.returncode == 0:
            return result, options
        asked, before = dict(variables), list(integration)
        for line in errors_of(result):
            if found := NO_VALUE.search(line):
                for name in found[1].split(", "):
                    asked.setdefault(name.removeprefix("var."), f"Placeholder {name[4:]}")
            elif found := NOT_BOOL.search(line):
                asked[found[1]] = "false"
            elif found := NOT_NUMBER.search(line):
                asked[found[1]] = "1"
            elif "pass --integration NAME" in line and not integration:
                function = "function_config" in path.read_text(encoding="utf-8")
                name = "Function Data Actions" if function else "Genesys Cloud Data Actions"
                integration = ["--integration", name]
        if asked == variables and integration == before:
            return result, options  # refused for something no option supplies
        variables = asked


SHARDS = 3  # this module and test_import_terraform_shard{1,2}_e2e.py: run side by side


def corpus_files() -> list[Path]:
    files = sorted((corpus_dir() / "real-actions").glob("*.tf"))
    assert len(files) == 30
    return files


def expected_refusal(path: Path) -> str | None:
    """What the refusal of ``path`` must say (None: it must round-trip)."""
    found = [reason for fragment, reason in REFUSED.items() if fragment in path.name]
    assert len(found) <= 1, path
    return found[0] if found else None


def test_the_corpus_counts() -> None:
    """24 files round-trip and 6 are refused, each by a name of its own."""
    files = corpus_files()
    refused = [p for p in files if expected_refusal(p) is not None]
    assert len(refused) == len(REFUSED)
    assert len(files) - len(refused) == ROUND_TRIPPED


def run_shard(shard: int, tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    """Every file of one shard of the corpus, each against a fresh sandbox: it imports,
    validates, applies and plans as no change, or is refused as ``REFUSED`` says."""
    files = corpus_files()[shard::SHARDS]
    round_tripped: list[str] = []
    refused: dict[str, list[str]] = {}
    for number, path in enumerate(files):
        out = tmp_path / f"tf{number}" / "actions"
        with SandboxServer(SandboxConfig()) as server:
            cli = Cli(server, tmp_path)
            result, options = import_as_asked(cli.run, path, out)
            assert "Traceback" not in result.stderr, result.stderr
            reason = expected_refusal(path)
            if result.returncode != 0:
                refused[path.name] = assert_refused(result, path, out)
                assert reason is not None, (path.name, refused[path.name])
                assert any(reason in line for line in refused[path.name]), refused[path.name]
                continue
            assert reason is None, f"{path.name} imported, but should be refused: {reason}"
            assert result.stdout.endswith(f"into {out}.\n"), result.stdout + result.stderr
            # import validates what it wrote (exit 1 otherwise): the same check as validate
            assert re.search(r"^OK: \d+ actions? valid", result.stdout, re.M), result.stdout
            round_trip(cli, out, path, options)
            round_tripped.append(path.name)
    summary = (
        f"Terraform corpus, shard {shard + 1} of {SHARDS}: {len(round_tripped)} files "
        f"imported, applied and planned as no change; {len(refused)} refused"
    )
    print(summary)
    for name, lines in sorted(refused.items()):
        print(f"  refused {name}:", *(f"\n    {line}" for line in lines))
    record_property("terraform_round_tripped", len(round_tripped))
    record_property("terraform_refused", len(refused))
    record_property("terraform_refusals", refused)
    assert len(round_tripped) + len(refused) == len(files)


@pytest.mark.timeout(600)  # 10 fresh sandboxes, about 25 s alone; more beside other tests
def test_every_corpus_terraform_file_round_trips_or_is_refused_in_one_line(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    run_shard(0, tmp_path, record_property)


def assert_refused(result: subprocess.CompletedProcess[str], path: Path, out: Path) -> list[str]:
    """A refusal: exit 1, nothing written, and every problem one line that names the file
    (and the resource, when it is about one). Its lines, less the file's path."""
    assert result.returncode == 1 and result.stdout == "", result.stdout + result.stderr
    assert result.stderr.endswith("Nothing was written.\n"), result.stderr
    assert not out.exists()
    lines = errors_of(result)
    assert lines and len(lines) == len(result.stderr.splitlines()) - 1, result.stderr
    resource = re.compile(rf'Error: {re.escape(str(path))}:\d+: resource "[\w-]+" "[\w-]+": ')
    for line in lines:
        assert line.startswith(f"Error: {path}"), line
        if not line.startswith(f"Error: {path}: no value for"):
            assert resource.match(line), line
    return [line.removeprefix(f"Error: {path}") for line in lines]


def round_trip(cli: Cli, out: Path, path: Path, options: list[str]) -> None:
    """Apply to the (fresh) sandbox, then plan: no change."""
    where = f"{path.name} {options}"
    applied = cli.run("apply", str(out), "--auto-approve")
    assert applied.returncode == 0, f"{where}\n{applied.stdout}{applied.stderr}"
    assert re.search(r"Apply complete: [1-9]\d* created, 0 updated", applied.stdout), applied.stdout
    # --refresh: read what the org holds, not what apply's writes answered (cached).
    plan = cli.run("plan", str(out), "--detailed-exitcode", "--refresh")
    assert plan.returncode == 0, f"{where}\n{plan.stdout}{plan.stderr}"
    assert "No changes." in plan.stdout, plan.stdout
