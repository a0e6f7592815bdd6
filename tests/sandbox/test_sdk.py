"""Conformance: the official Genesys Python SDK as a real client of a running sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.process import SandboxServer
from reconciler.sandbox.seed import GENESYS_CLOUD_INTEGRATION_ID, WEB_SERVICES_INTEGRATION_ID

from .helpers import action_body
from .test_functions import FUNCTION_INTEGRATION_ID, a_zip, function_body

sdk = pytest.importorskip("PureCloudPlatformClientV2")
ApiException = sdk.rest.ApiException


@pytest.fixture
def integrations(live: SandboxServer) -> Iterator[Any]:
    """An IntegrationsApi whose token came from the SDK's own client-credentials call."""
    saved_host = sdk.configuration.host
    sdk.configuration.host = live.base_url
    try:
        # The SDK posts to the login host, derived by replacing "//api." with "//login.";
        # a loopback base URL has no "//api." so the token request goes to our /oauth/token.
        client = sdk.api_client.ApiClient().get_client_credentials_token(
            live.client_id, live.client_secret
        )
        assert client.access_token
        try:
            yield sdk.IntegrationsApi(client)
        finally:
            client.get_http_client().rest_client.pool_manager.clear()
    finally:
        sdk.configuration.host = saved_host


def _create(api: Any, **overrides: Any) -> Any:
    # PostActionInput carries JSON Schemas, which the SDK's JsonSchemaDocument model would
    # truncate (no items/enum), so the body goes as a plain dict, as real clients do.
    return api.post_integrations_actions(action_body(**overrides))


def test_create_and_get_with_contract(integrations: Any) -> None:
    created = _create(integrations)
    assert isinstance(created, sdk.Action)
    assert created.id.startswith("custom_-_")
    assert created.version == 1
    assert created.integration_id == GENESYS_CLOUD_INTEGRATION_ID

    action = integrations.get_integrations_action(
        created.id, expand="contract", include_config=True
    )
    assert isinstance(action, sdk.Action)
    assert action.name == "Get Queue Waiting Count"
    assert action.category == "Genesys Cloud Data Actions"
    assert action.secure is False
    assert action.self_uri == f"/api/v2/integrations/actions/{created.id}"
    input_schema = action.contract.input.input_schema
    assert input_schema.type == "object"
    assert input_schema.required == ["queueId"]
    assert input_schema.properties == {"queueId": {"type": "string"}}
    assert action.contract.input.input_schema_uri.endswith("/schemas/inputschema.json")
    assert action.contract.output.success_schema.properties == {"waiting": {"type": "integer"}}
    config = action.config
    assert config.timeout_seconds == 10
    assert config.request.request_type == "GET"
    assert config.request.request_url_template.endswith("/${input.queueId}/estimatedwaittime")
    assert config.request.headers == {"Accept": "application/json"}
    assert config.request.request_template is None
    assert config.request.request_template_uri.endswith("/templates/requesttemplate.vm")
    assert config.response.translation_map == {"waiting": "$.results[0].estimatedWaitTimeSeconds"}
    assert config.response.translation_map_defaults == {"waiting": "0"}
    assert config.response.success_template_uri.endswith("/templates/successtemplate.vm")

    template = integrations.get_integrations_action_template(created.id, "successtemplate.vm")
    assert template == '{"waiting": ${waiting}}'
    minimal = integrations.get_integrations_action(created.id)
    assert minimal.contract is None and minimal.config is None


def test_list_with_paging(integrations: Any) -> None:
    for index in range(5):
        _create(integrations, name=f"SDK paged {index}")
    pages = []
    for number in (1, 2, 3):
        listing = integrations.get_integrations_actions(
            page_size=2, page_number=number, name="SDK paged", include_config=True
        )
        assert isinstance(listing, sdk.ActionEntityListing)
        assert (listing.total, listing.page_count, listing.page_size) == (5, 3, 2)
        assert listing.page_number == number
        assert listing.first_uri and listing.last_uri and listing.self_uri
        assert (listing.next_uri is None) == (number == 3)
        assert (listing.previous_uri is None) == (number == 1)
        pages += listing.entities
    assert [a.name for a in pages] == [f"SDK paged {i}" for i in range(5)]
    assert all(a.config.request.request_type == "GET" for a in pages)
    assert all(a.version == 1 and a.integration_id for a in pages)


def test_patch_and_stale_patch(integrations: Any) -> None:
    created = _create(integrations)
    config = action_body()["config"]
    config["timeoutSeconds"] = 30
    update = sdk.UpdateActionInput()
    update.name = "Renamed by SDK"
    update.version = 1
    update.config = config
    patched = integrations.patch_integrations_action(created.id, update)
    assert (patched.name, patched.version, patched.config.timeout_seconds) == (
        "Renamed by SDK",
        2,
        30,
    )
    with pytest.raises(ApiException) as caught:
        integrations.patch_integrations_action(created.id, update)
    assert caught.value.status == 409
    assert '"code":"conflict"' in caught.value.body


def test_draft_create_patch_publish(integrations: Any) -> None:
    created = _create(integrations)
    draft = integrations.post_integrations_action_draft(created.id)
    assert isinstance(draft, sdk.Action)
    assert draft.version == 1
    update = sdk.UpdateDraftInput()
    update.version = draft.version
    update.name = "Drafted by SDK"
    patched = integrations.patch_integrations_action_draft(created.id, update)
    assert (patched.name, patched.version) == ("Drafted by SDK", 2)
    validation = integrations.get_integrations_action_draft_validation(created.id)
    assert isinstance(validation, sdk.DraftValidationResult)
    assert validation.valid is True

    wrong = sdk.PublishDraftInput()
    wrong.version = 1
    with pytest.raises(ApiException) as caught:
        integrations.post_integrations_action_draft_publish(created.id, wrong)
    assert caught.value.status == 400
    assert "does not match latest draft version 2" in caught.value.body

    publish = sdk.PublishDraftInput()
    publish.version = patched.version
    published = integrations.post_integrations_action_draft_publish(created.id, publish)
    assert (published.name, published.version) == ("Drafted by SDK", 2)
    with pytest.raises(ApiException) as gone:
        integrations.get_integrations_action_draft(created.id)
    assert gone.value.status == 404


def test_draft_only_action(integrations: Any) -> None:
    draft = integrations.post_integrations_actions_drafts(action_body(name="SDK draft only"))
    assert draft.version == 1
    fetched = integrations.get_integrations_action_draft(
        draft.id, expand="contract", include_config=True
    )
    assert fetched.contract.input.input_schema.required == ["queueId"]
    listing = integrations.get_integrations_actions_drafts(name="SDK draft only")
    assert [a.id for a in listing.entities] == [draft.id]
    publish = sdk.PublishDraftInput()
    publish.version = 1
    assert integrations.post_integrations_action_draft_publish(draft.id, publish).version == 1


def test_test_and_execute(integrations: Any) -> None:
    created = _create(integrations)
    result = integrations.post_integrations_action_test(created.id, {"queueId": "q"})
    assert isinstance(result, sdk.TestExecutionResult)
    assert result.success is True
    assert result.final_result == {"waiting": 0}
    assert result.operations[0].step == 1
    with pytest.raises(ApiException) as caught:
        integrations.post_integrations_action_execute(created.id, {"queueId": 1})
    assert caught.value.status == 400
    assert "invalid.schema" in caught.value.body


def test_delete(integrations: Any) -> None:
    created = _create(integrations)
    assert integrations.delete_integrations_action(created.id) is None
    with pytest.raises(ApiException) as caught:
        integrations.get_integrations_action(created.id)
    assert caught.value.status == 404


def test_categories_and_integrations(integrations: Any) -> None:
    _create(integrations)
    categories = integrations.get_integrations_actions_categories()
    assert "Genesys Cloud Data Actions" in [c.name for c in categories.entities]
    listing = integrations.get_integrations(integration_type="custom-rest-actions")
    assert [i.id for i in listing.entities] == [WEB_SERVICES_INTEGRATION_ID]
    web = integrations.get_integration(WEB_SERVICES_INTEGRATION_ID)
    assert web.name == "Web Services Data Actions"
    assert web.integration_type.id == "custom-rest-actions"
    assert web.intended_state == "ENABLED"


def test_function_action_through_the_sdk(integrations: Any) -> None:
    """The Terraform provider's function flow, on the SDK's own models: draft-only create,
    presigned upload, processing, settings, publish, published settings."""
    body = function_body()
    with pytest.raises(ApiException) as refused:
        integrations.post_integrations_actions(body)
    assert refused.value.status == 400
    draft = integrations.post_integrations_actions_drafts(body)
    assert draft.integration_id == FUNCTION_INTEGRATION_ID
    request = sdk.FunctionUploadRequest()
    request.file_name = "code.zip"
    request.signed_url_timeout_seconds = 120
    answer = integrations.post_integrations_action_draft_function_upload(draft.id, request)
    assert isinstance(answer, sdk.FunctionUploadResponse)
    stored = httpx.put(answer.url, content=a_zip(), headers=answer.headers)
    assert stored.status_code == 200
    deadline = time.monotonic() + 10
    while True:
        config = integrations.get_integrations_action_draft_function(draft.id)
        assert isinstance(config, sdk.FunctionConfig)
        if config.zip is not None and config.zip.status == "Available":
            break
        assert time.monotonic() < deadline, config
        time.sleep(0.05)
    assert config.zip.name == "code.zip"
    function = sdk.Function()
    function.handler = "src/index.handler"
    function.runtime = "nodejs20.x"
    function.description = "echo"
    function.timeout_seconds = 10
    integrations.put_integrations_action_draft_function(draft.id, function)
    version = integrations.get_integrations_action_draft(draft.id).version
    publish = sdk.PublishDraftInput()
    publish.version = version
    integrations.post_integrations_action_draft_publish(draft.id, publish)
    published = integrations.get_integrations_action_function(draft.id)
    assert published.function.handler == "src/index.handler"
    assert published.function.timeout_seconds == 10
    assert published.function.zip_id == published.zip.id
    runtimes = integrations.get_integrations_actions_functions_runtimes()
    assert any(r.name == "nodejs20.x" for r in runtimes)


def test_dependency_tracking_through_the_sdk(integrations: Any, live: SandboxServer) -> None:
    """``ArchitectApi`` reads consumers and the build status with its own models."""
    created = _create(integrations)
    flow = httpx.post(
        f"{live.base_url}/sandbox/flows",
        json={
            "name": "Inbound Main",
            "type": "INBOUNDCALLFLOW",
            "version": "12.0",
            "consumes": [created.id],
        },
    ).json()
    architect = sdk.ArchitectApi(integrations.api_client)
    listing = architect.get_architect_dependencytracking_consumingresources(
        created.id, "DATAACTION", flow_filter="published"
    )
    assert isinstance(listing, sdk.ConsumingResourcesEntityListing)
    assert listing.total == 1 and listing.page_count == 1
    consumer = listing.entities[0]
    assert isinstance(consumer, sdk.Dependency)
    assert (consumer.id, consumer.name, consumer.type, consumer.version) == (
        flow["id"],
        "Inbound Main",
        "INBOUNDCALLFLOW",
        "12.0",
    )
    assert consumer.deleted is False and consumer.state_unknown is False
    status = architect.get_architect_dependencytracking_build()
    assert isinstance(status, sdk.DependencyStatus)
    assert status.status == "OPERATIONAL" and status.date_completed is not None
