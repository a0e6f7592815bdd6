"""Connection settings: which org to talk to and with which credentials."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from reconciler.errors import DactlError

# Region key -> domain, as in the official SDK's region table (genesys-api.md §6).
REGIONS: dict[str, str] = {
    "us_east_1": "mypurecloud.com",
    "eu_west_1": "mypurecloud.ie",
    "ap_southeast_2": "mypurecloud.com.au",
    "ap_northeast_1": "mypurecloud.jp",
    "eu_central_1": "mypurecloud.de",
    "us_west_2": "usw2.pure.cloud",
    "ca_central_1": "cac1.pure.cloud",
    "ap_northeast_2": "apne2.pure.cloud",
    "eu_west_2": "euw2.pure.cloud",
    "ap_south_1": "aps1.pure.cloud",
    "us_east_2": "use2.us-gov-pure.cloud",
    "sa_east_1": "sae1.pure.cloud",
    "me_central_1": "mec1.pure.cloud",
    "ap_northeast_3": "apne3.pure.cloud",
    "eu_central_2": "euc2.pure.cloud",
    "mx_central_1": "mxc1.pure.cloud",
    "ap_southeast_1": "apse1.pure.cloud",
    "eusc_de_east_1": "edee1.eusc-pure.cloud",
}
DEFAULT_REGION = "us_east_1"  # what the SDK and the Terraform provider default to

ENV_CLIENT_ID = "GENESYSCLOUD_OAUTHCLIENT_ID"
ENV_CLIENT_SECRET = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
ENV_REGION = "GENESYSCLOUD_REGION"
ENV_ACCESS_TOKEN = "GENESYSCLOUD_ACCESS_TOKEN"
ENV_API_URL = "GENESYSCLOUD_API_URL"

_DOMAIN_TO_KEY = {domain: key for key, domain in REGIONS.items()}


class SettingsError(DactlError):
    """Connection settings are missing, unknown or unsafe."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the API lives and how to authenticate; secrets are kept out of ``repr``."""

    api_url: str
    login_url: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    region: str = ""

    def __post_init__(self) -> None:
        _refuse_plain_http(self.api_url)
        _refuse_plain_http(self.login_url)

    @property
    def uses_access_token(self) -> bool:
        """True when a ready token is used instead of client credentials."""
        return self.access_token is not None

    @classmethod
    def resolve(
        cls,
        *,
        api_url: str | None = None,
        region: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        access_token: str | None = None,
        env: Mapping[str, str] = os.environ,
        project_api_url: str | None = None,
        project_region: str | None = None,
    ) -> ConnectionSettings:
        """Merge explicit arguments > ``GENESYSCLOUD_*`` env vars > project-file values.

        The location (api_url or region) is taken from the first level that sets
        either; credentials come only from arguments or the environment.
        """
        location = _pick_location(
            ("argument", api_url, region),
            ("environment", env.get(ENV_API_URL), env.get(ENV_REGION)),
            ("project file", project_api_url, project_region),
        )
        if location is None:
            api, login, label = _region_hosts(DEFAULT_REGION, "default")
        else:
            source, url, reg = location
            if url:
                api, login, label = _custom_hosts(url, source)
            else:
                api, login, label = _region_hosts(reg or "", source)

        cid = _first(client_id, env.get(ENV_CLIENT_ID))
        secret = _first(client_secret, env.get(ENV_CLIENT_SECRET))
        token = _first(access_token, env.get(ENV_ACCESS_TOKEN))
        if token is None:
            _require_client_credentials(cid, secret)
        return cls(
            api_url=api,
            login_url=login,
            client_id=cid,
            client_secret=secret if token is None else None,
            access_token=token,
            region=label,
        )


def region_keys() -> list[str]:
    """The known region keys in their hyphen spelling (``us-east-1``)."""
    return [key.replace("_", "-") for key in REGIONS]


def _first(*values: str | None) -> str | None:
    for value in values:
        if value is not None and value.strip():
            return value.strip()
    return None


def _pick_location(
    *levels: tuple[str, str | None, str | None],
) -> tuple[str, str | None, str | None] | None:
    for source, url, reg in levels:
        url, reg = _first(url), _first(reg)
        if url or reg:
            return source, url, reg
    return None


def _region_hosts(value: str, source: str) -> tuple[str, str, str]:
    text = value.strip().lower().rstrip("/")
    for prefix in ("https://", "api.", "login."):
        text = text.removeprefix(prefix)
    key = text.replace("-", "_")
    if key in REGIONS:
        domain = REGIONS[key]
    elif text in _DOMAIN_TO_KEY:
        domain, key = text, _DOMAIN_TO_KEY[text]
    else:
        raise SettingsError(
            f"unknown region {value!r} (from {source}); use one of "
            f"{', '.join(region_keys())}, a domain such as mypurecloud.ie, or an API URL"
        )
    return f"https://api.{domain}", f"https://login.{domain}", key.replace("_", "-")


def _custom_hosts(url: str, source: str) -> tuple[str, str, str]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"invalid API URL {url!r} (from {source}): expected http(s)://host[:port]"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise SettingsError(
            f"invalid API URL {url!r} (from {source}): no user, query or fragment allowed"
        )
    api = f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    # The sandbox serves /oauth/token on its own host; real orgs use login.<domain>.
    netloc = parts.netloc
    if netloc.lower().startswith("api."):
        netloc = "login." + netloc[len("api.") :]
    login = f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")
    return api, login, parts.netloc


def _require_client_credentials(client_id: str | None, secret: str | None) -> None:
    if client_id and secret:
        return
    if client_id:
        missing = f"{ENV_CLIENT_SECRET} is not set (it is needed with {ENV_CLIENT_ID})"
    elif secret:
        missing = f"{ENV_CLIENT_ID} is not set (it is needed with {ENV_CLIENT_SECRET})"
    else:
        missing = f"set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or {ENV_ACCESS_TOKEN}"
    raise SettingsError(f"no Genesys Cloud credentials: {missing}")


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_plain_http(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname or ""):
        raise SettingsError(
            f"refusing to send credentials over plain http to {parts.netloc}: "
            "use https:// (http is allowed only for loopback hosts such as 127.0.0.1)"
        )
