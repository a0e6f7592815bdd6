"""The seam between the reconciler and the org: what plan, apply, drift, export and test
need of it, as protocols.

``reconciler.genesys.ActionsApi`` (over a ``GenesysClient``) is the one implementation
that talks HTTP; tests give the reconciler an in-memory org instead (``tests/fakes``).
Nothing here does I/O. Every method answers the Genesys wire shapes (raw dicts) and raises
what ``ActionsApi`` raises: ``ApiError`` (``AuthError``, ``ConflictError``, ...) with the
status, Genesys code and correlation id of the failed call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from reconciler.genesys.settings import ConnectionSettings

T = TypeVar("T")
R = TypeVar("R")


class OrgClient(Protocol):
    """What the reconciler uses of the transport under an ``OrgApi``."""

    @property
    def settings(self) -> ConnectionSettings:
        """Where the org is (``api_url``) and who connects (``client_id``)."""
        ...

    @property
    def requests_sent(self) -> int:
        """Requests sent so far (what a plan cost)."""
        ...

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over ``items`` (concurrently, within the client's bound), results in
        order; on Ctrl-C, items not yet started are not started."""
        ...

    def upload(self, url: str, content: bytes, headers: Mapping[str, str]) -> None:
        """PUT a code package to a presigned upload URL, with the headers the API gave."""
        ...


class OrgApi(Protocol):
    """The integration-actions API of one org, as the reconciler uses it."""

    @property
    def client(self) -> OrgClient: ...

    # -- the org -------------------------------------------------------------------------

    def get_organization(self) -> Any:
        """``GET /api/v2/organizations/me``: an ``Organization`` (``id``, ``name``)."""
        ...

    def iter_integrations(self) -> Iterator[dict[str, Any]]:
        """Every integration (``id``, ``name``, ``integrationType``)."""
        ...

    # -- published actions ---------------------------------------------------------------

    def iter_actions(
        self, *, include_config: bool = True, page_size: int = 100, name: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every published action (``name``: those whose name contains it)."""
        ...

    def get_action(
        self, action_id: str, *, expand_contract: bool = True, include_config: bool = True
    ) -> dict[str, Any]: ...

    def get_action_full(self, action_id: str) -> dict[str, Any]:
        """The action with contract, config and inline templates."""
        ...

    def create_action(self, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def patch_action(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def delete_action(self, action_id: str) -> None: ...

    def wait_until_gone(self, action_id: str) -> None:
        """Return once the deleted action reads 404; ``ApiError`` when it still reads."""
        ...

    # -- drafts --------------------------------------------------------------------------

    def create_draft(self, action_id: str) -> dict[str, Any]: ...

    def create_draft_only(self, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def iter_drafts(self, *, name: str | None = None) -> Iterator[dict[str, Any]]: ...

    def get_draft(self, action_id: str) -> dict[str, Any] | None:
        """The draft with contract and config; None when there is none."""
        ...

    def get_draft_full(self, action_id: str) -> dict[str, Any] | None: ...

    def patch_draft(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def delete_draft(self, action_id: str) -> None: ...

    def validate_draft(self, action_id: str) -> dict[str, Any]:
        """``DraftValidationResult``: ``{"valid": bool, "errors": [...]}``."""
        ...

    def publish_draft(self, action_id: str, version: int) -> dict[str, Any]: ...

    # -- Function actions ----------------------------------------------------------------

    def get_function(self, action_id: str, *, draft: bool = False) -> dict[str, Any]: ...

    def put_draft_function(self, action_id: str, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def request_function_upload(self, action_id: str, file_name: str) -> dict[str, Any]:
        """``FunctionUploadResponse``: ``url`` and ``headers`` for ``client.upload``."""
        ...

    # -- dependency tracking -------------------------------------------------------------

    def consuming_resources(
        self, object_id: str, object_type: str, *, flow_filter: str | None = None
    ) -> list[dict[str, Any]]:
        """The ``Dependency`` objects (flows) that consume an action (``DATAACTION`` or
        ``SECUREACTION``), every page; ``flow_filter``: ``published`` or ``checkedIn``."""
        ...

    def dependency_build(self) -> dict[str, Any]:
        """The dependency-tracking build's ``DependencyStatus``."""
        ...

    # -- running -------------------------------------------------------------------------

    def test_action(self, action_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """``TestExecutionResult`` of the published action."""
        ...


if TYPE_CHECKING:
    from reconciler.genesys import ActionsApi, GenesysClient

    def _satisfies(api: ActionsApi, client: GenesysClient) -> tuple[OrgApi, OrgClient]:
        """Never called: mypy proves here that the HTTP implementation fits the seam."""
        return api, client
