"""Function actions in the sandbox: draft-only creation, presigned upload, processing, publish."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.seed import EXTRA_INTEGRATIONS

from .helpers import ACTIONS, Api, action_body

FUNCTION_INTEGRATION_ID = next(i for i, _, t in EXTRA_INTEGRATIONS if t == "function-data-actions")
SETTINGS = {"handler": "src/index.handler", "runtime": "nodejs20.x", "description": "echo"}


def function_body(**overrides: Any) -> dict[str, Any]:
    body = action_body(integrationId=FUNCTION_INTEGRATION_ID, category="Function Data Actions")
    body["config"]["request"].pop("requestUrlTemplate", None)
    body.update(overrides)
    return body


def a_zip(text: str = "exports.handler = async () => ({});") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("src/index.js", text)
    return buffer.getvalue()


def upload(api: Api, action_id: str, content: bytes, name: str = "code.zip") -> Any:
    """Ask for the presigned URL and PUT ``content`` there, as a client does."""
    answer = api.post(
        f"{ACTIONS}/{action_id}/draft/function/upload",
        json={"fileName": name, "signedUrlTimeoutSeconds": 60},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return api.http.put(body["url"], content=content, headers=body["headers"])


def publish_function(api: Api, action_id: str, content: bytes | None = None) -> Any:
    """Upload, wait for processing, set the settings, publish with the draft's version."""
    assert upload(api, action_id, content or a_zip()).status_code == 200
    api.clock.advance(1)
    api.put(f"{ACTIONS}/{action_id}/draft/function", json=SETTINGS)
    version = api.get(f"{ACTIONS}/{action_id}/draft").json()["version"]
    return api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": version})


def test_a_function_action_cannot_be_created_published(api: Api) -> None:
    refused = api.post(ACTIONS, json=function_body())
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Integration of type 'function-data-actions' does not support creating published actions"
    )


def test_a_draft_publishes_only_with_its_package_and_settings(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
    early = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": 1})
    assert early.status_code == 400
    messages = " ".join(e["message"] for e in early.json()["errors"])
    assert "package" in messages and "handler" in messages
    published = publish_function(api, action_id)
    assert published.status_code == 200, published.text
    config = api.get(f"{ACTIONS}/{action_id}/function").json()
    assert config["function"]["handler"] == "src/index.handler"
    assert config["function"]["timeoutSeconds"] == 15  # the documented default
    assert config["zip"]["name"] == "code.zip"
    assert config["zip"]["status"] == "Available"
    assert config["function"]["zipId"] == config["zip"]["id"]
    assert api.get(f"{ACTIONS}/{action_id}/draft/function").status_code == 404


def test_an_upload_is_processed_after_the_configured_time(make_api: Any) -> None:
    api = make_api(SandboxConfig(function_processing_ms=5000))
    action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
    assert upload(api, action_id, a_zip()).status_code == 200
    zip_config = api.get(f"{ACTIONS}/{action_id}/draft/function").json()["zip"]
    assert zip_config["status"] == "Transferring"
    api.clock.advance(4)
    assert api.get(f"{ACTIONS}/{action_id}/draft/function").json()["zip"]["status"] == (
        "Transferring"
    )
    api.clock.advance(2)
    assert api.get(f"{ACTIONS}/{action_id}/draft/function").json()["zip"]["status"] == "Available"


def test_a_file_that_is_no_zip_fails_processing_and_keeps_the_previous_package(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
    assert publish_function(api, action_id).status_code == 200
    api.post(f"{ACTIONS}/{action_id}/draft")
    assert upload(api, action_id, b"not a zip", name="broken.zip").status_code == 200
    api.clock.advance(1)
    config = api.get(f"{ACTIONS}/{action_id}/draft/function").json()
    assert config["zip"]["name"] == "code.zip"
    failed = config["uploadExceptionHistory"][0]
    assert (failed["name"], failed["status"]) == ("broken.zip", "InvalidFormat")
    assert failed["errorMessage"]


def test_the_upload_url_checks_its_headers_and_expiry(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
    answer = api.post(
        f"{ACTIONS}/{action_id}/draft/function/upload",
        json={"fileName": "code.zip", "signedUrlTimeoutSeconds": 30},
    ).json()
    assert {"x-amz-meta-functionid", "x-amz-meta-organizationid", "x-amz-tagging"} <= set(
        answer["headers"]
    )
    unsigned = api.http.put(answer["url"], content=a_zip())
    assert unsigned.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in unsigned.text
    api.clock.advance(31)
    expired = api.http.put(answer["url"], content=a_zip(), headers=answer["headers"])
    assert expired.status_code == 403
    assert "expired" in expired.text


def test_upload_requests_are_checked(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
    path = f"{ACTIONS}/{action_id}/draft/function/upload"
    assert api.post(path, json={"fileName": "a b.zip"}).status_code == 400
    too_short = {"fileName": "a.zip", "signedUrlTimeoutSeconds": 0}
    assert api.post(path, json=too_short).status_code == 400
    plain = api.create()["id"]
    api.post(f"{ACTIONS}/{plain}/draft")
    plain_upload = f"{ACTIONS}/{plain}/draft/function/upload"
    assert api.post(plain_upload, json={"fileName": "a.zip"}).status_code == 400
    assert api.get(f"{ACTIONS}/{plain}/function").status_code == 400


def test_function_settings_are_checked(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
    path = f"{ACTIONS}/{action_id}/draft/function"
    for bad in (
        {"runtime": "nodejs20.x"},
        {**SETTINGS, "runtime": "cobol85"},
        {**SETTINGS, "timeoutSeconds": 16},
        {**SETTINGS, "description": "x" * 256},
    ):
        assert api.put(path, json=bad).status_code == 400, bad
    assert api.put(path, json={**SETTINGS, "timeoutSeconds": 15}).status_code == 200


def test_setting_the_function_moves_the_draft_version_unless_configured(make_api: Any) -> None:
    for bumps, expected in ((True, 2), (False, 1)):
        api = make_api(SandboxConfig(function_put_bumps_version=bumps))
        action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
        api.put(f"{ACTIONS}/{action_id}/draft/function", json=SETTINGS)
        assert api.get(f"{ACTIONS}/{action_id}/draft").json()["version"] == expected


def test_a_draft_of_a_published_function_action_keeps_its_package(api: Api) -> None:
    action_id = api.post(f"{ACTIONS}/drafts", json=function_body()).json()["id"]
    assert publish_function(api, action_id).status_code == 200
    draft = api.post(f"{ACTIONS}/{action_id}/draft").json()
    api.put(f"{ACTIONS}/{action_id}/draft/function", json={**SETTINGS, "runtime": "nodejs22.x"})
    version = api.get(f"{ACTIONS}/{action_id}/draft").json()["version"]
    assert version == draft["version"] + 1
    published = api.post(f"{ACTIONS}/{action_id}/draft/publish", json={"version": version})
    assert published.status_code == 200, published.text
    config = api.get(f"{ACTIONS}/{action_id}/function").json()
    assert (config["function"]["runtime"], config["zip"]["name"]) == ("nodejs22.x", "code.zip")


def test_runtimes_are_listed(api: Api) -> None:
    runtimes = api.get(f"{ACTIONS}/functions/runtimes").json()
    assert {"name", "status"} <= set(runtimes[0])
    assert any(r["status"] == "Available" for r in runtimes)
