"""Semantic checks beyond the schema: policy, scope, duplicates, and risky-looking values."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reconciler.config.loader import ActionDocument
from reconciler.config.model import PLATFORM_DEFAULT_TIMEOUT, ProjectSpec
from reconciler.config.tree import Located
from reconciler.diagnostics import Problem, error, warning
from reconciler.ignore import IgnoreRuleError, parse_rule
from reconciler.secrets import literal_credential, words

_SENSITIVE_WORDS = frozenset(
    {
        "ssn",
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "card",
        "cvv",
        "cvc",
        "iban",
        "pin",
        "passcode",
        "apikey",
        "dob",
        "sin",
    }
)
_SENSITIVE_JOINED = (
    "creditcard",
    "cardnumber",
    "socialsecurity",
    "apikey",
    "accesstoken",
    "clientsecret",
    "birthdate",
    "dateofbirth",
)


def looks_sensitive(name: str) -> bool:
    """Whether an input name suggests personal or secret data."""
    parts = words(name)
    joined = "".join(parts)
    return any(p in _SENSITIVE_WORDS for p in parts) or any(j in joined for j in _SENSITIVE_JOINED)


def check_action(doc: Located, project: ProjectSpec) -> list[Problem]:
    """Per-action semantic checks (needs a schema-valid document)."""
    data: dict[str, Any] = doc.data
    problems = _policy(doc, data, project) + check_ignore_rules(doc)
    integration = data.get("integration")
    if project.integrations and integration and integration not in project.integrations:
        problems.append(
            error(
                doc.value_at(("integration",)),
                f"integration: {integration!r} is not in the project scope "
                f"({', '.join(project.integrations)})",
                rule="scope",
            )
        )
    if not data.get("secure", False):
        props = data.get("contract", {}).get("input", {}).get("properties", {})
        for name in props if isinstance(props, dict) else {}:
            if looks_sensitive(name):
                problems.append(
                    warning(
                        doc.where(("contract", "input", "properties", name)),
                        f"input {name!r} looks sensitive but the action has "
                        "secure: false; its values may be logged",
                        rule="secure",
                    )
                )
    if "requestUrlTemplate" not in data.get("request", {}) and "function" not in data:
        problems.append(
            warning(
                doc.where(("request",)),
                "request: no requestUrlTemplate; only Genesys Function actions have none, "
                "and the org refuses any other action without one",
                rule="url",
            )
        )
    headers = data.get("request", {}).get("headers", {})
    for header, value in headers.items():
        if literal_credential(header, value):
            problems.append(
                warning(
                    doc.value_at(("request", "headers", header)),
                    f"request.headers.{header}: looks like a literal credential "
                    "(value not shown); keep secrets in the integration's "
                    "credentials and reference them instead",
                    rule="credential",
                )
            )
    return problems


def _policy(doc: Located, data: dict[str, Any], project: ProjectSpec) -> list[Problem]:
    low, high = project.timeout_min, project.timeout_max
    timeout = data.get("timeoutSeconds")
    rule = f"the project policy {low}..{high}"
    if timeout is None:
        if not low <= PLATFORM_DEFAULT_TIMEOUT <= high:
            return [
                error(
                    doc.value_at(()),
                    f"timeoutSeconds is not set, so the platform default "
                    f"of {PLATFORM_DEFAULT_TIMEOUT} s applies, outside "
                    f"{rule}",
                    rule="policy",
                )
            ]
        return []
    if isinstance(timeout, int) and not low <= timeout <= high:
        return [
            error(
                doc.value_at(("timeoutSeconds",)),
                f"timeoutSeconds: {timeout} is outside {rule}",
                rule="policy",
            )
        ]
    return []


def check_ignore_rules(doc: Located) -> list[Problem]:
    """Each ``ignore`` rule of a schema-valid action or project file names a field of the
    canonical form (else an error at the rule, with a did-you-mean)."""
    rules = doc.data.get("ignore") if isinstance(doc.data, dict) else None
    problems = []
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        try:
            parse_rule(rule)
        except IgnoreRuleError as exc:
            problems.append(error(doc.value_at(("ignore", i)), f"ignore: {exc}", rule="ignore"))
    return problems


def check_project(doc: Located, project: ProjectSpec) -> list[Problem]:
    """Checks of the project file that the schema cannot express."""
    problems = check_ignore_rules(doc)
    if project.timeout_min > project.timeout_max:
        problems.append(
            error(
                doc.value_at(("policy", "timeoutSeconds")),
                f"policy.timeoutSeconds: min {project.timeout_min} is greater than "
                f"max {project.timeout_max}",
                rule="policy",
            )
        )
    return problems


def check_duplicates(docs: list[ActionDocument]) -> list[Problem]:
    """Two files defining one action name is an error in each of them, naming the others."""
    by_name: dict[str, list[ActionDocument]] = defaultdict(list)
    for doc in docs:
        name = doc.doc.data.get("name") if isinstance(doc.doc.data, dict) else None
        if isinstance(name, str):
            by_name[name].append(doc)
    problems = []
    for name, group in by_name.items():
        if len(group) < 2:
            continue
        for doc in group:
            others = ", ".join(str(o.doc.value_at(("name",))) for o in group if o is not doc)
            problems.append(
                error(
                    doc.doc.value_at(("name",)),
                    f"duplicate action name {name!r} (also in {others})",
                    rule="duplicate",
                )
            )
    return problems


def check_former_names(docs: list[ActionDocument]) -> list[Problem]:
    """``formerNames`` say which live action a file takes over by renaming it, so each
    former name belongs to one file, and is no file's current name (nor its own)."""
    names: dict[str, ActionDocument] = {}
    claims: dict[str, list[tuple[ActionDocument, int]]] = defaultdict(list)
    for doc in docs:
        data = doc.doc.data if isinstance(doc.doc.data, dict) else {}
        if isinstance(data.get("name"), str):
            names.setdefault(data["name"], doc)
        former = data.get("formerNames")
        for i, old in enumerate(former if isinstance(former, list) else ()):
            if isinstance(old, str):
                claims[old].append((doc, i))
    problems = []
    for old, group in claims.items():
        for doc, i in group:
            mark = doc.doc.value_at(("formerNames", i))
            owner = names.get(old)
            if owner is doc:
                message = f"formerNames: {old!r} is this action's own name"
            elif owner is not None:
                where = owner.doc.value_at(("name",))
                message = (
                    f"formerNames: {old!r} is the name of the action in {where}; a name "
                    "belongs to one action"
                )
            elif len(group) > 1:
                others = ", ".join(
                    str(o.doc.value_at(("formerNames", j))) for o, j in group if o is not doc
                )
                message = (
                    f"formerNames: {old!r} is also a former name in {others}; which file "
                    "renames that action cannot be told"
                )
            else:
                continue
            problems.append(error(mark, message, rule="duplicate"))
    return problems
