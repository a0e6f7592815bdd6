"""Environments in ``dactl.yaml`` and ``{{ var.NAME }}`` placeholders: choosing an
environment, resolving placeholders (types, places of errors), and ``validate_tree`` in one
environment or in every one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.config.environments import choose_environment, environments_from_data
from reconciler.config.loader import load_tree
from reconciler.config.model import ProjectSpec
from reconciler.config.placeholders import (
    as_text,
    has_placeholder,
    placeholder_values,
    resolve_document,
    substitute,
)
from reconciler.diagnostics import Mark
from reconciler.errors import SettingsError
from reconciler.validate import validate_tree

WEB = "Web Services Data Actions"


def project(**data: Any) -> ProjectSpec:
    return ProjectSpec.from_data(data, "actions/dactl.yaml")


ENVIRONMENTS = {
    "dev": {"apiUrl": "https://api.dev.test", "credentialsPrefix": "DEV_",
            "variables": {"host": "dev.example.com", "timeout": 9}},
    "prod": {"region": "eu-west-1", "credentialsPrefix": "PROD_",
             "scope": {"integrations": ["Prod Web"]},
             "variables": {"host": "api.example.com"}},
    "bare": None,
}  # fmt: skip


# -- choosing an environment ----------------------------------------------------------------


def test_an_environment_brings_its_location_scope_variables_and_prefix() -> None:
    base = project(
        region="us-east-1",
        scope={"integrations": [WEB]},
        variables={"timeout": 5, "flag": True},
        environments=ENVIRONMENTS,
    )
    dev = choose_environment(base, "dev")
    assert (dev.api_url, dev.region, dev.location_key) == (
        "https://api.dev.test",
        None,
        "environments.dev.",
    )
    assert dev.integrations == (WEB,) and dev.credentials_prefix == "DEV_"
    assert dev.variables == {"timeout": 9, "flag": True, "host": "dev.example.com"}
    assert dev.environment == "dev"
    prod = base.for_environment("prod")
    assert (prod.region, prod.api_url, prod.integrations) == ("eu-west-1", None, ("Prod Web",))
    bare = base.for_environment("bare")  # nothing of its own: the project's
    assert (bare.region, bare.location_key, bare.credentials_prefix) == ("us-east-1", "", "")
    assert bare.variables == {"timeout": 5, "flag": True}
    assert environments_from_data(None) == {}


def test_choosing_an_environment_refuses_clearly() -> None:
    plain = project()
    assert choose_environment(plain, None) is plain
    with pytest.raises(SettingsError) as none:
        choose_environment(plain, "prod", "DACTL_ENV")
    assert str(none.value) == (
        "DACTL_ENV prod: actions/dactl.yaml declares no environments (add environments: to "
        "it, or run without DACTL_ENV)"
    )
    with_envs = project(environments=ENVIRONMENTS)
    assert choose_environment(with_envs, None, required=False) is with_envs
    with pytest.raises(SettingsError) as missing:
        choose_environment(with_envs, None)
    assert str(missing.value) == (
        "actions/dactl.yaml declares environments (bare, dev, prod): choose one with --env "
        "NAME (or DACTL_ENV)"
    )
    with pytest.raises(SettingsError) as compared:  # compare ignores DACTL_ENV: no hint
        choose_environment(with_envs, None, "compare --env")
    assert str(compared.value).endswith("choose one with --env NAME")
    with pytest.raises(SettingsError) as unknown:
        choose_environment(with_envs, "prd")
    assert str(unknown.value) == (
        "unknown environment 'prd' (from --env); actions/dactl.yaml declares bare, dev, "
        "prod; did you mean 'prod'?"
    )
    with pytest.raises(SettingsError, match=r"declares bare, dev, prod$"):
        choose_environment(with_envs, "zzz")


# -- placeholders ---------------------------------------------------------------------------


def test_a_whole_value_keeps_its_type_and_text_takes_its_text() -> None:
    variables = {"timeout": 9, "debug": False, "rate": 1.5, "host": "h.test"}
    assert substitute("{{ var.timeout }}", variables) == (9, [])
    assert substitute("  {{var.debug}} ", variables) == (False, [])
    assert substitute("https://{{ var.host }}/x?d={{ var.debug }}&r={{var.rate}}", variables) == (
        "https://h.test/x?d=false&r=1.5",
        [],
    )
    assert substitute("{{ var.nope }}", variables) == ("{{ var.nope }}", [(0, "nope")])
    assert substitute("a {{ var.x }} b {{ var.host }}", variables) == (
        "a {{ var.x }} b h.test",
        [(2, "x")],
    )
    assert as_text(True) == "true" and as_text(3) == "3"
    assert has_placeholder("${input.x} {{ var.a }}") and not has_placeholder("{{ a }}")
    assert not has_placeholder(5)  # Velocity and JSON never hold {{ var.


def located(tmp_path: Path, text: str) -> Any:
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    return load_tree(tmp_path / "a.yaml").actions[0].doc


def test_unknown_variables_are_errors_at_their_place(tmp_path: Path) -> None:
    doc = located(
        tmp_path,
        "name: A\n"
        'timeoutSeconds: "{{ var.tiemout }}"\n'
        "request:\n"
        "  requestUrlTemplate: https://{{ var.hots }}/x\n"
        "  requestTemplate: |\n"
        "    {\n"
        '      "a": "{{ var.host }}", "b": "{{ var.missing }}"\n'
        "    }\n",
    )
    variables = {"timeout": 5, "host": "h"}
    resolved, problems = resolve_document(doc, variables, project_file="p.yaml")
    template = resolved.data["request"]["requestTemplate"]
    assert template == '{\n  "a": "h", "b": "{{ var.missing }}"\n}\n'
    shown = [f"{p.mark}: {p.message}" for p in problems]
    assert shown == [
        f"{doc.file}:2:18: timeoutSeconds: unknown variable 'tiemout' (did you mean 'timeout'?); "
        "define it under variables: in p.yaml",
        f"{doc.file}:4:31: request.requestUrlTemplate: unknown variable 'hots' (did you mean "
        "'host'?); define it under variables: in p.yaml",
        f"{doc.file}:7:36: request.requestTemplate: unknown variable 'missing'; define it under "
        "variables: in p.yaml",
    ]
    assert all(p.severity == "error" and p.rule == "placeholder" for p in problems)


def test_names_keys_and_lookalikes(tmp_path: Path) -> None:
    doc = located(
        tmp_path,
        "name: A {{ var.env }}\n"
        "timeoutSeconds: '{{ var.t }}'\n"
        "request:\n"
        "  headers:\n"
        "    '{{ var.h }}': x\n"
        "    X-A: '{{ host }} and {{ var.my-host }}'\n",
    )
    resolved, problems = resolve_document(doc, {"env": "dev", "t": 3, "h": "H"})
    assert resolved.data["name"] == "A {{ var.env }}"  # never resolved
    assert resolved.data["timeoutSeconds"] == 3
    assert ("timeoutSeconds",) not in resolved.scalars  # an integer now
    assert resolved.data["request"]["headers"] == {"{{ var.h }}": "x", "X-A": doc.data[
        "request"]["headers"]["X-A"]}  # fmt: skip
    by_line = {(p.mark.line, p.severity): p.message for p in problems}
    assert by_line[(1, "error")].startswith("name: placeholders are not allowed in an action's")
    assert by_line[(5, "warning")] == (
        "request.headers.{{ var.h }}: placeholders are replaced in values, not in keys; this "
        "key is sent as written"
    )
    lookalikes = [p for p in problems if p.mark.line == 6]
    assert [p.mark.column for p in lookalikes] == [11, 26]
    assert lookalikes[0].message == (
        "request.headers.X-A: '{{ host }}' is not a placeholder (write {{ var.NAME }}, NAME "
        "of letters, digits and _); it is sent as written"
    )
    assert list(placeholder_values(doc.data)) == [(("timeoutSeconds",), "{{ var.t }}")]
    assert list(placeholder_values([{"a": "{{ var.x }}"}])) == [((0, "a"), "{{ var.x }}")]


# -- validate_tree -------------------------------------------------------------------------


def write_tree(root: Path, project_data: dict[str, Any], *actions: str) -> Path:
    directory = root / "actions"
    directory.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(project_data, sort_keys=False)
    (directory / "dactl.yaml").write_text(text, encoding="utf-8")
    for i, text in enumerate(actions):
        (directory / f"a{i}.yaml").write_text(text, encoding="utf-8")
    return directory


ACTION = (
    "name: Get Thing\n"
    f"integration: {WEB}\n"
    'timeoutSeconds: "{{ var.timeout }}"\n'
    "contract:\n"
    "  input: {type: object, properties: {}}\n"
    "  output: {type: object, properties: {}}\n"
    "request:\n"
    '  requestUrlTemplate: "https://{{ var.host }}/x"\n'
    "  requestType: GET\n"
)


def test_validate_checks_every_environment_and_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    environments = {
        "dev": {"variables": {"host": "dev.test", "timeout": 9}},
        "test": {"variables": {"host": "test.test", "timeout": 99}},
        "prod": {"variables": {"timeout": 99}},
    }
    directory = write_tree(
        tmp_path, {"scope": {"integrations": [WEB]}, "environments": environments}, ACTION
    )
    report = validate_tree(directory)
    assert report.environments == ("dev", "test", "prod")
    assert [str(p) for p in report.problems] == [
        "actions/a0.yaml:3:17: env test, prod: timeoutSeconds: 99 is greater than the maximum "
        "of 60",
        "actions/a0.yaml:8:32: env prod: request.requestUrlTemplate: unknown variable 'host'; "
        "define it under variables: in actions/dactl.yaml",
    ]
    assert report.actions == []
    dev = validate_tree(directory, "dev")
    assert dev.ok and dev.project.environment == "dev" and dev.environments == ()
    spec = dev.actions[0]
    assert spec.timeout_seconds == 9 and spec.request["requestUrlTemplate"] == "https://dev.test/x"
    action = dev.tree.actions[0]
    assert action.written is not None
    assert action.written.data["request"]["requestUrlTemplate"] == "https://{{ var.host }}/x"
    assert action.doc.data["timeoutSeconds"] == 9
    with pytest.raises(SettingsError, match="unknown environment 'qa'"):
        validate_tree(directory, "qa")
    with pytest.raises(SettingsError, match="choose one with --env"):
        validate_tree(directory, require_environment=True)


def test_in_every_environment_a_common_problem_is_reported_once(tmp_path: Path) -> None:
    environments = {"dev": {"variables": {"timeout": 5}}, "prod": {"variables": {"timeout": 6}}}
    directory = write_tree(tmp_path, {"environments": environments}, ACTION)
    report = validate_tree(directory)
    assert [p.message for p in report.problems] == [
        "request.requestUrlTemplate: unknown variable 'host'; define it under variables: in "
        f"{report.project.source}"
    ]
    fixed = write_tree(tmp_path, {"environments": environments, "variables": {"host": "h"}}, ACTION)
    ok = validate_tree(fixed)
    assert ok.ok and [a.timeout_seconds for a in ok.actions] == [5]  # the first environment's


def test_a_project_without_environments_uses_its_variables(tmp_path: Path) -> None:
    directory = write_tree(tmp_path, {"variables": {"host": "h.test", "timeout": 7}}, ACTION)
    report = validate_tree(directory)
    assert report.ok and report.actions[0].timeout_seconds == 7
    with pytest.raises(SettingsError, match="declares no environments"):
        validate_tree(directory, "dev")
    bad = write_tree(tmp_path, {"environments": {"dev": {"bogus": 1}}}, ACTION)
    broken = validate_tree(bad, "dev")  # the project file's own problem, not a choice
    assert "unknown key 'environments.dev.bogus'" in [
        p.message.split(";")[0] for p in broken.problems
    ]
    (bad / "dactl.yaml").unlink()
    with pytest.raises(SettingsError, match=r"dactl\.yaml declares no environments"):
        validate_tree(bad, "dev")


def test_the_project_schema_checks_environments(tmp_path: Path) -> None:
    data = {
        "variables": {"my-host": "x", "ok": [1]},
        "environments": {"dev": {"credentialsPrefix": "1X", "apiUrl": "ftp://x"}},
    }
    report = validate_tree(write_tree(tmp_path, data, ACTION))
    messages = sorted(p.message for p in report.problems)
    assert any("'my-host' does not match" in m for m in messages)
    assert any(m.startswith("variables.ok: a list is not of type") for m in messages)
    assert any(m.startswith("environments.dev.credentialsPrefix:") for m in messages)
    assert any(m.startswith("environments.dev.apiUrl:") for m in messages)
    assert Mark("x", 1, 1)  # marks are plain values


def test_editors_accept_a_placeholder_where_validate_resolves_one() -> None:
    from jsonschema import Draft202012Validator

    from reconciler.validate.editor_schema import derived_schemas

    schema = Draft202012Validator(derived_schemas()["action-file"])
    data = yaml.safe_load(ACTION)
    data["secure"] = "{{ var.secure }}"
    data["request"]["requestType"] = " {{var.method}} "
    assert list(schema.iter_errors(data)) == []
    for bad in ("{{ var.timeout }} s", "9", "{{ host }}"):
        assert list(schema.iter_errors({**data, "timeoutSeconds": bad})), bad
    assert list(schema.iter_errors({**data, "timeoutSeconds": 90}))


@pytest.mark.corpus
def test_no_real_action_definition_holds_the_placeholder_syntax() -> None:
    """Why ``{{ var.NAME }}`` is unambiguous: no real definition (admin-UI exports, API
    bodies, Terraform files) of the corpus holds ``{{`` at all."""
    from tests.conftest import corpus_dir

    files = sorted(p for p in (corpus_dir() / "real-actions").iterdir() if p.is_file())
    assert len(files) >= 40
    assert [p.name for p in files if "{{" in p.read_text(encoding="utf-8")] == []
