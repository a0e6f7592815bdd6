"""The Genesys wire shape of an action, both directions: decoding an ``Action`` (and a
Function action's ``FunctionConfig``) into the canonical form, and encoding the canonical
form as request bodies (``PostActionInput``, ``UpdateActionInput``, ``UpdateDraftInput``,
``Function``; field names from the SDK models, docs/genesys-api-notes.md)."""

from __future__ import annotations

import copy
from typing import Any

from reconciler.canonical import Canonical, build, function_part
from reconciler.packages import identity_in_name

# Where the live fetch keeps a Function action's ``FunctionConfig`` (``GET .../function``)
# beside the Action, which has no such field.
FUNCTION_KEY = "dactl:functionConfig"


# -- decoding ---------------------------------------------------------------------------


def canonical_live(action: dict[str, Any], integration_names: dict[str, str]) -> Canonical:
    """The canonical form of a live action (API shape, templates already inlined).

    A Function action carries its ``FunctionConfig`` (``GET .../{id}/function``) under
    ``FUNCTION_KEY``, which the live fetch adds; the Action itself has no such field.
    """
    config = action.get("config") or {}
    contract = action.get("contract") or {}
    integration_id = str(action.get("integrationId", ""))
    out = build(
        name=action.get("name", ""),
        integration_id=integration_id,
        category=action.get("category") or integration_names.get(integration_id),
        secure=bool(action.get("secure", False)),
        timeout=config.get("timeoutSeconds"),
        contract_input=(contract.get("input") or {}).get("inputSchema") or {},
        contract_output=(contract.get("output") or {}).get("successSchema") or {},
        request=config.get("request") or {},
        response=config.get("response") or {},
    )
    function_config = action.get(FUNCTION_KEY)
    if isinstance(function_config, dict):
        out["function"] = canonical_function(function_config)
    return out


def canonical_function(function_config: dict[str, Any]) -> dict[str, Any]:
    """The canonical ``function`` part of a live ``FunctionConfig``: its settings, and its
    code package named by the identity dactl put in the uploaded file's name (the name
    itself, marked, when someone else uploaded it; None when there is no package)."""
    fn = mapping(function_config.get("function"))
    zip_config = mapping(function_config.get("zip"))
    package = None
    name = zip_config.get("name")
    if isinstance(name, str) and name:
        package = identity_in_name(name) or f"uploaded outside dactl: {name}"
    return function_part(
        fn.get("handler") or "",
        fn.get("runtime") or "",
        fn.get("timeoutSeconds"),
        fn.get("description"),
        package,
    )


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def written_action(
    answer: Any, sent: dict[str, Any], integration_names: dict[str, str]
) -> dict[str, Any] | None:
    """The live action a create or ``PATCH`` answered, as a full read would show it: the
    answer with the templates (and, when it holds none, the contract) that were sent, since
    templates come back as URIs. None unless its canonical form is exactly ``sent`` (the
    canonical form written), so a cache never holds what the org may not."""
    if not isinstance(answer, dict) or not isinstance(answer.get("version"), int):
        return None
    if not isinstance(answer.get("config"), dict):
        return None
    full = copy.deepcopy(answer)
    config = full["config"]
    for section, key in (("request", "requestTemplate"), ("response", "successTemplate")):
        part = config.setdefault(section, {})
        if isinstance(part, dict) and part.get(key) is None:
            part[key] = sent[section].get(key)
    if not isinstance(full.get("contract"), dict):
        full["contract"] = contract_body(sent)
    if sent.get("function") is not None or canonical_live(full, integration_names) != sent:
        return None
    return full


# -- encoding ---------------------------------------------------------------------------


def config_body(canonical: dict[str, Any]) -> dict[str, Any]:
    """``ActionConfig`` with inline templates; a PATCH replaces config wholesale, so it is
    always sent whole (an absent ``timeoutSeconds`` clears the timeout)."""
    config: dict[str, Any] = {
        "request": copy.deepcopy(canonical["request"]),
        "response": copy.deepcopy(canonical["response"]),
    }
    if canonical.get("timeoutSeconds") is not None:
        config["timeoutSeconds"] = canonical["timeoutSeconds"]
    return config


def contract_body(canonical: dict[str, Any]) -> dict[str, Any]:
    """``ActionContractInput``."""
    return {
        "input": {"inputSchema": copy.deepcopy(canonical["contract"]["input"])},
        "output": {"successSchema": copy.deepcopy(canonical["contract"]["output"])},
    }


def post_body(canonical: dict[str, Any]) -> dict[str, Any]:
    """``PostActionInput`` for creating an action (or a draft-only action)."""
    return {
        "name": canonical["name"],
        "category": canonical["category"],
        "integrationId": canonical["integrationId"],
        "secure": bool(canonical.get("secure", False)),
        "config": config_body(canonical),
        "contract": contract_body(canonical),
    }


def patch_body(canonical: dict[str, Any], version: int) -> dict[str, Any]:
    """``UpdateActionInput``: name, category and config, guarded by ``version``."""
    return {
        "name": canonical["name"],
        "category": canonical["category"],
        "config": config_body(canonical),
        "version": version,
    }


def draft_patch_body(canonical: dict[str, Any], draft_version: int) -> dict[str, Any]:
    """``UpdateDraftInput``: also carries the contract and ``secure``."""
    return {
        **patch_body(canonical, draft_version),
        "contract": contract_body(canonical),
        "secure": bool(canonical.get("secure", False)),
    }


def function_body(canonical: dict[str, Any]) -> dict[str, Any]:
    """``Function`` for ``PUT .../draft/function``: the settings; the package's ``zipId`` is
    set by the upload itself (as the Terraform provider notes in BuildSdkFunctionConfig)."""
    function = canonical["function"]
    return {
        "handler": function["handler"],
        "runtime": function["runtime"],
        "timeoutSeconds": function["timeoutSeconds"],
        "description": function["description"],
    }
