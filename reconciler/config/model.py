"""Typed views of validated files: ``ActionSpec`` and ``ProjectSpec``."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reconciler.config.environments import EnvironmentSpec, environments_from_data

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
    former_names: tuple[str, ...] = ()  # names it had before: a rename keeps the id
    ignore: tuple[str, ...] = ()  # field paths plan and drift leave alone (reconciler.ignore)

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
            former_names=tuple(data.get("formerNames", ())),
            ignore=tuple(data.get("ignore", ())),
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
    ignore: tuple[str, ...] = ()  # field paths every action's plan and drift leave alone
    # Placeholder values ({{ var.NAME }}) and the environments the tree is applied to; once
    # one is chosen (``for_environment``), ``environment`` names it, and the location,
    # scope and variables above are its own.
    variables: dict[str, Any] = field(default_factory=dict)
    environments: dict[str, EnvironmentSpec] = field(default_factory=dict)
    environment: str | None = None
    credentials_prefix: str = ""
    location_key: str = ""  # where in the file the location came from: "environments.X."

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
            ignore=tuple(data.get("ignore", ())),
            variables=dict(data.get("variables") or {}),
            environments=environments_from_data(data.get("environments")),
        )

    def for_environment(self, name: str) -> ProjectSpec:
        """The project as environment ``name`` sees it: its location (else the project's),
        its scope (else the project's), the project's variables with its own over them,
        and its credentials prefix. ``KeyError`` for an environment it does not declare."""
        env = self.environments[name]
        located = env.region is not None or env.api_url is not None
        return replace(
            self,
            region=env.region if located else self.region,
            api_url=env.api_url if located else self.api_url,
            location_key=f"environments.{name}." if located else "",
            integrations=self.integrations if env.integrations is None else env.integrations,
            variables={**self.variables, **env.variables},
            environment=name,
            credentials_prefix=env.credentials_prefix,
        )
