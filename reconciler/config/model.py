"""Typed views of validated files: ``ActionSpec`` and ``ProjectSpec``."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_REQUEST_TEMPLATE = "${input.rawRequest}"
DEFAULT_SUCCESS_TEMPLATE = "${rawResult}"
PLATFORM_DEFAULT_TIMEOUT = 60
FUNCTION_DEFAULT_TIMEOUT = 15  # SDK ``Function.timeoutSeconds``: "Default value 15 seconds"


@dataclass(frozen=True)
class FunctionSpec:
    """The ``function:`` block of a Genesys Cloud Function action.

    ``package`` is the package as written (a path relative to the action file), or None:
    then the org's package is left alone and never compared. ``identity`` is its content
    identity, filled in by validation once the package has been read.
    """

    handler: str
    runtime: str
    timeout_seconds: int | None = None
    description: str | None = None
    package: str | None = None
    package_path: Path | None = None
    identity: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any], action_file: Path | None) -> FunctionSpec:
        package = data.get("package")
        base = action_file.parent if action_file is not None else Path()
        return cls(
            handler=data["handler"],
            runtime=data["runtime"],
            timeout_seconds=data.get("timeoutSeconds"),
            description=data.get("description"),
            package=package,
            package_path=(base / package) if package is not None else None,
        )


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
    function: FunctionSpec | None = None

    @classmethod
    def from_data(
        cls, data: dict[str, Any], source: str, *, path: Path | None = None
    ) -> ActionSpec:
        """Build from a schema-valid action mapping (``path``: the file, for packages)."""
        contract = data.get("contract", {})
        function = data.get("function")
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
            function=FunctionSpec.from_data(function, path) if function is not None else None,
        )


@dataclass(frozen=True)
class ProjectSpec:
    """The project file (``dactl.yaml``); every field optional."""

    source: str | None = None
    region: str | None = None
    api_url: str | None = None
    integrations: tuple[str, ...] = ()
    prune: bool = False
    # Genesys help: "You cannot change the contracts after you publish the action"; only a
    # project that says its org accepts them (immutableContracts: false) takes the draft path.
    immutable_contracts: bool = True
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
            immutable_contracts=bool(data.get("immutableContracts", True)),
            max_update_percent=safety.get("maxUpdatePercent"),
            max_delete_percent=safety.get("maxDeletePercent"),
            min_existing=safety.get("minExisting"),
            timeout_min=timeouts.get("min", 1),
            timeout_max=timeouts.get("max", PLATFORM_DEFAULT_TIMEOUT),
        )
