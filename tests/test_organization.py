"""The org's name: looked up once, cached, never failing a plan; and how plans show it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.errors import ApiError, AuthError
from reconciler.genesys import ActionsApi, ConnectionSettings, GenesysClient
from reconciler.live import LiveCache
from reconciler.organization import OrgInfo, api_host, lookup_organization
from reconciler.plan import Integrations, build_plan
from reconciler.render.drift import render_json as drift_json
from reconciler.render.drift import render_markdown as drift_markdown
from reconciler.render.plan import render_json, render_markdown, render_text

API = "https://api.mypurecloud.ie"
ME = "/api/v2/organizations/me"
ORG = {"id": "org-1", "name": "Acme Prod", "thirdPartyOrgName": "acme", "version": 3}

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def make_api() -> Iterator[Callable[[Handler], tuple[ActionsApi, list[str]]]]:
    clients: list[GenesysClient] = []

    def make(handler: Handler) -> tuple[ActionsApi, list[str]]:
        seen: list[str] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request.url.path)
            return handler(request)

        settings = ConnectionSettings(api_url=API, login_url=API, access_token="tok")
        client = GenesysClient(
            settings,
            transport=httpx.MockTransport(record),
            max_retries=0,
            sleep=lambda _s: None,
        )
        clients.append(client)
        return ActionsApi(client), seen

    yield make
    for client in clients:
        client.close()


def answer(status: int, body: object = None) -> Handler:
    return lambda _request: httpx.Response(status, json=body)


def test_the_name_is_fetched_once_then_read_from_the_cache(make_api, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    api, seen = make_api(answer(200, ORG))
    cache = LiveCache(tmp_path, "k")
    assert lookup_organization(api, cache, API) == OrgInfo(
        "api.mypurecloud.ie", "Acme Prod", "org-1"
    )
    assert seen == [ME]
    again = lookup_organization(api, LiveCache(tmp_path, "k"), API)
    assert again.label == "Acme Prod (api.mypurecloud.ie)"
    assert seen == [ME]  # no second request
    stored = json.loads((tmp_path / "k" / "organization.json").read_text())
    assert stored["data"] == {"id": "org-1", "name": "Acme Prod"}  # only what is shown


@pytest.mark.parametrize("status", [403, 404, 500])
def test_a_refused_or_failed_lookup_gives_the_host_and_is_not_cached(  # type: ignore[no-untyped-def]
    make_api, tmp_path: Path, status: int
) -> None:
    api, seen = make_api(answer(status, {"message": "no", "code": "missing.permissions"}))
    cache = LiveCache(tmp_path, "k")
    info = lookup_organization(api, cache, API)
    assert info == OrgInfo("api.mypurecloud.ie")
    assert info.label == "api.mypurecloud.ie"
    assert cache.get_organization() is None
    lookup_organization(api, cache, API)
    assert seen == [ME, ME]  # asked again next time


def test_a_body_without_a_name_gives_the_host(make_api) -> None:  # type: ignore[no-untyped-def]
    api, _ = make_api(answer(200, {"id": "x"}))
    assert lookup_organization(api, None, API) == OrgInfo("api.mypurecloud.ie")


def test_a_401_or_a_network_failure_is_raised(make_api) -> None:  # type: ignore[no-untyped-def]
    api, _ = make_api(answer(401, {"message": "bad token", "code": "bad.credentials"}))
    with pytest.raises(AuthError):
        lookup_organization(api, None, API)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    api, _ = make_api(down)
    with pytest.raises(ApiError):
        lookup_organization(api, None, API)


def test_control_characters_in_the_name_cannot_drive_the_terminal(make_api) -> None:  # type: ignore[no-untyped-def]
    api, _ = make_api(answer(200, {"id": "x", "name": "Evil\x1b]0;pwned\x07 Org"}))
    info = lookup_organization(api, None, API)
    assert info.name == "Evil?]0;pwned? Org"


def test_api_host() -> None:
    assert api_host("http://127.0.0.1:8765") == "127.0.0.1:8765"
    assert api_host("https://api.mypurecloud.ie") == "api.mypurecloud.ie"


# --- rendering (fixed name and host: deterministic) ---------------------------------------

ACME = OrgInfo("api.mypurecloud.ie", "Acme | <Prod>", "org-1")


def empty_plan():  # type: ignore[no-untyped-def]
    return build_plan([], [], Integrations.from_names({}))


def test_text_plan_is_headed_by_the_org() -> None:
    text = render_text(empty_plan(), org=ACME)
    assert text == "Org: Acme | <Prod> (api.mypurecloud.ie)\n\n" + render_text(empty_plan())
    assert render_text(empty_plan(), org=OrgInfo("127.0.0.1:9")).startswith("Org: 127.0.0.1:9\n")
    assert "Org:" not in render_text(empty_plan())


def test_markdown_plan_names_the_org_under_the_summary_escaped() -> None:
    text = render_markdown(empty_plan(), org=ACME)
    assert text.startswith("### dactl plan\n\n**No changes.")
    assert "\n\nOrg: **Acme \\| &lt;Prod&gt;** (`api.mypurecloud.ie`)\n" in text


def test_json_plan_has_an_organization_member() -> None:
    body = json.loads(render_json(empty_plan(), org=ACME))
    assert body["organization"] == {
        "name": "Acme | <Prod>",
        "id": "org-1",
        "host": "api.mypurecloud.ie",
    }
    assert "organization" not in json.loads(render_json(empty_plan()))
    body = json.loads(render_json(empty_plan(), org=OrgInfo("api.mypurecloud.ie")))
    assert body["organization"] == {"name": None, "id": None, "host": "api.mypurecloud.ie"}


def test_drift_json_and_markdown_name_the_org() -> None:
    from reconciler.drift import drift_report

    report = drift_report(empty_plan())
    assert json.loads(drift_json(report, org=ACME))["organization"]["name"] == "Acme | <Prod>"
    assert "Org: **Acme \\| &lt;Prod&gt;**" in drift_markdown(report, org=ACME)
