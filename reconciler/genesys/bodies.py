"""Request bodies in the Genesys shape, built from the canonical form of an action."""

from __future__ import annotations

import copy
from typing import Any


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
