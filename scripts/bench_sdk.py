"""The baseline of ``make bench``: a plain sequential script on the official Python SDK
(PureCloudPlatformClientV2) that reads every custom action of an org as a cold plan does:
the listing (100 a page), then each action with its contract and config, and its two
templates, one request after another.

Run as a process of its own, so that its time includes its start-up, as dactl's does::

    python scripts/bench_sdk.py BASE_URL CLIENT_ID CLIENT_SECRET [--obey-retry-after]

With ``--obey-retry-after``, a 429 answer is waited out (its ``Retry-After`` seconds) and
the request sent again: the simplest script that copes with a rate limit. Prints one
JSON line: actions read, requests sent, 429s met.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import PureCloudPlatformClientV2 as sdk

T = TypeVar("T")
TEMPLATES = ("requesttemplate.vm", "successtemplate.vm")


class Counter:
    """Requests sent and 429s met."""

    def __init__(self, obey_retry_after: bool) -> None:
        self.obey = obey_retry_after
        self.requests = 0
        self.rejected = 0

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        while True:
            self.requests += 1
            try:
                return fn(*args, **kwargs)
            except sdk.rest.ApiException as exc:
                if exc.status != 429 or not self.obey:
                    raise
                self.rejected += 1
                headers = exc.headers or {}
                time.sleep(float(headers.get("Retry-After", "1")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("client_id")
    parser.add_argument("client_secret")
    parser.add_argument("--obey-retry-after", action="store_true")
    args = parser.parse_args()
    # The SDK derives the login host by replacing "//api." in the host; a loopback sandbox
    # URL has none, so the token request goes to the sandbox's own /oauth/token.
    sdk.configuration.host = args.base_url
    client = sdk.api_client.ApiClient().get_client_credentials_token(
        args.client_id, args.client_secret
    )
    api = sdk.IntegrationsApi(client)
    counter = Counter(args.obey_retry_after)
    ids: list[str] = []
    page = 1
    while True:
        listing = counter.call(api.get_integrations_actions, page_size=100, page_number=page)
        ids += [a.id for a in listing.entities or [] if a.id.startswith("custom_-_")]
        if not listing.entities or page >= (listing.page_count or 0):
            break
        page += 1
    for action_id in ids:
        counter.call(api.get_integrations_action, action_id, expand="contract", include_config=True)
        for name in TEMPLATES:
            counter.call(api.get_integrations_action_template, action_id, name)
    print(
        json.dumps(
            {"actions": len(ids), "requests": counter.requests + 1, "rejected": counter.rejected}
        )
    )


if __name__ == "__main__":
    main()
