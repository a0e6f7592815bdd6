"""Helpers shared by the sandbox tests: a fake clock, an authenticated client, bodies."""

from __future__ import annotations

import copy
import warnings
from typing import Any

from starlette.applications import Starlette

from reconciler.sandbox.seed import GENESYS_CLOUD_INTEGRATION_ID, GENESYS_CLOUD_INTEGRATION_NAME

with warnings.catch_warnings():
    # Starlette asks for httpx2 on import; httpx works and is what the project installs.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ACTIONS = "/api/v2/integrations/actions"


class FakeClock:
    """A monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Api:
    """A TestClient that carries a bearer token, plus the app it talks to."""

    def __init__(self, app: Starlette, client: TestClient, clock: FakeClock) -> None:
        self.app = app
        self.http = client
        self.clock = clock
        self.token = self.new_token()

    @property
    def runtime(self) -> Any:
        return self.app.state.sandbox

    def new_token(self) -> str:
        config = self.app.state.sandbox.config
        response = self.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(config.client_id, config.client_secret),
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def create(self, **overrides: Any) -> dict[str, Any]:
        response = self.post(ACTIONS, json=action_body(**overrides))
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def action_body(**overrides: Any) -> dict[str, Any]:
    """A valid PostActionInput; keyword arguments replace top-level fields."""
    body: dict[str, Any] = {
        "name": "Get Queue Waiting Count",
        "category": GENESYS_CLOUD_INTEGRATION_NAME,
        "integrationId": GENESYS_CLOUD_INTEGRATION_ID,
        "secure": False,
        "config": {
            "timeoutSeconds": 10,
            "request": {
                "requestUrlTemplate": "/api/v2/routing/queues/${input.queueId}/estimatedwaittime",
                "requestType": "GET",
                "headers": {"Accept": "application/json"},
                "requestTemplate": "${input.rawRequest}",
            },
            "response": {
                "translationMap": {"waiting": "$.results[0].estimatedWaitTimeSeconds"},
                "translationMapDefaults": {"waiting": "0"},
                "successTemplate": '{"waiting": ${waiting}}',
            },
        },
        "contract": {
            "input": {
                "inputSchema": {
                    "type": "object",
                    "required": ["queueId"],
                    "properties": {"queueId": {"type": "string"}},
                }
            },
            "output": {
                "successSchema": {
                    "type": "object",
                    "properties": {"waiting": {"type": "integer"}},
                }
            },
        },
    }
    body.update(copy.deepcopy(overrides))
    return body
