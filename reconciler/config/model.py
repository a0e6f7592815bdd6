"""Typed views of validated files: ``ActionSpec`` and ``ProjectSpec``."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REQUEST_TEMPLATE = "${input.rawRequest}"
DEFAULT_SUCCESS_TEMPLATE = "${rawResult}"
PLATFORM_DEFAULT_TIMEOUT = 60


@dataclass(frozen=True)
class ActionSpec:
    """One desired action, as written (after ``extends``), in Genesys field names."""

    name: str
    source: str
    integration: str | None = None
    integration_id: str | None = None
    category: str | None = None
    secure: bool = False
    timeout_seconds: int | None = None
    contract_input: dict[str, Any] = field(default_factory=dict)
    contract_output: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any], source: str) -> ActionSpec:
        """Build from a schema-valid action mapping."""
        contract = data.get("contract", {})
        return cls(
            name=data["name"],
            source=source,
            integration=data.get("integration"),
            integration_id=data.get("integrationId"),
            category=data.get("category"),
            secure=bool(data.get("secure", False)),
            timeout_seconds=data.get("timeoutSeconds"),
            contract_input=copy.deepcopy(contract.get("input", {})),
            contract_output=copy.deepcopy(contract.get("output", {})),
            request=copy.deepcopy(data.get("request", {})),
            response=copy.deepcopy(data.get("response", {})),
        )

    @property
    def effective_category(self) -> str | None:
        """The category Genesys will store: the explicit one, else the integration name."""
        return self.category or self.integration


@dataclass(frozen=True)
class ProjectSpec:
    """The project file (``dactl.yaml``); every field optional."""

    source: str | None = None
    region: str | None = None
    api_url: str | None = None
    integrations: tuple[str, ...] = ()
    prune: bool = False
    immutable_contracts: bool = False
    max_update_percent: float | None = None
    max_delete_percent: float | None = None
    min_existing: int | None = None
    timeout_min: int = 1
    timeout_max: int = PLATFORM_DEFAULT_TIMEOUT

    @classmethod
    def from_data(cls, data: dict[str, Any] | None, source: str | None) -> ProjectSpec:
        """Build from a schema-valid project mapping (or defaults when there is none)."""
        data = data or {}
        safety = data.get("safety", {})
        timeouts = data.get("policy", {}).get("timeoutSeconds", {})
        return cls(
            source=source,
            region=data.get("region"),
            api_url=data.get("apiUrl"),
            integrations=tuple(data.get("scope", {}).get("integrations", ())),
            prune=bool(data.get("prune", False)),
            immutable_contracts=bool(data.get("immutableContracts", False)),
            max_update_percent=safety.get("maxUpdatePercent"),
            max_delete_percent=safety.get("maxDeletePercent"),
            min_existing=safety.get("minExisting"),
            timeout_min=timeouts.get("min", 1),
            timeout_max=timeouts.get("max", PLATFORM_DEFAULT_TIMEOUT),
        )
