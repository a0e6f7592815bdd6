"""No false alarms on real definitions: contract and template rules over the shared corpus.

The corpus JSON files hold ``contract`` and ``config`` in the API's own shape. Any error
the rules report there must be a true defect of that source, listed below with the reason.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.tree import Located
from reconciler.diagnostics import Problem
from reconciler.validate.contracts import check_contract
from reconciler.validate.templates import check_templates
from reconciler.velocity.scan import scan
from tests.conftest import CORPUS_DIR

pytestmark = pytest.mark.corpus
if not CORPUS_DIR.is_dir():
    pytest.skip("../shared/corpus is not present (bare clone)", allow_module_level=True)

# file name -> (message fragment, why it is a real defect of the source). None found so far:
# every error the rules could raise on these files would be a false alarm.
KNOWN_DEFECTS: dict[str, list[tuple[str, str]]] = {}


def _corpus_files() -> list[Path]:
    return sorted((CORPUS_DIR / "real-actions").glob("*.json"))


def _as_action(raw: dict[str, Any]) -> dict[str, Any]:
    """The API shape (config/contract wrappers) as our action mapping, for the rules only."""
    config = raw.get("config", {})
    contract = raw.get("contract", {})
    return {
        "name": raw.get("name"),
        "contract": {
            "input": contract.get("input", {}).get("inputSchema"),
            "output": contract.get("output", {}).get("successSchema"),
        },
        "request": config.get("request", {}),
        "response": config.get("response", {}),
    }


def _findings(data: dict[str, Any], name: str) -> list[Problem]:
    doc = Located(data=data, file=name)
    found = check_contract(data["contract"]["input"], doc, ("contract", "input"), "input")
    found += check_contract(data["contract"]["output"], doc, ("contract", "output"), "output")
    return found + check_templates(doc)


def _errors(data: dict[str, Any], name: str) -> list[Problem]:
    return [p for p in _findings(data, name) if p.severity == "error"]


def _load(path: Path) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return raw


def test_corpus_is_there() -> None:
    assert len(_corpus_files()) >= 50


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name[:80])
def test_rules_report_only_known_defects(path: Path) -> None:
    errors = _errors(_as_action(_load(path)), path.name)
    expected = KNOWN_DEFECTS.get(path.name, [])
    assert len(errors) == len(expected), [str(e) for e in errors]
    for (fragment, _reason), problem in zip(expected, errors, strict=True):
        assert fragment in problem.message


def test_rules_engage_on_real_templates() -> None:
    """The corpus exercises the lint: hundreds of input references, each checked."""
    input_refs = 0
    for path in _corpus_files():
        config = _load(path).get("config", {})
        request = config.get("request", {})
        texts = [
            request.get("requestUrlTemplate"),
            request.get("requestTemplate"),
            *request.get("headers", {}).values(),
        ]
        for text in texts:
            if isinstance(text, str):
                input_refs += sum(
                    1 for r in scan(text).references if r.root.lower() == "input" and r.path
                )
    assert input_refs >= 250


def test_a_renamed_input_is_caught_in_every_real_action_that_uses_one() -> None:
    """Sensitivity: drop each action's first used input property; the lint must notice,
    with a warning (Genesys accepts such a template: rule 10), never an error."""
    checked = 0
    for path in _corpus_files():
        data = _as_action(_load(path))
        url = data["request"].get("requestUrlTemplate") or ""
        used = [r.path[0] for r in scan(url).references if r.root.lower() == "input" and r.path]
        props = (data["contract"]["input"] or {}).get("properties", {})
        if not used or used[0] not in props or used[0] == "rawRequest":
            continue
        broken = copy.deepcopy(data)
        del broken["contract"]["input"]["properties"][used[0]]
        found = _findings(broken, path.name)
        assert _errors(broken, path.name) == [], path.name
        messages = [p.message for p in found if p.rule == "template"]
        assert any(f".{used[0]} is not a property of the input contract" in m for m in messages), (
            path.name,
            messages,
        )
        checked += 1
    assert checked >= 20
