"""Connection settings: which org to talk to and with which credentials."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from reconciler.errors import SettingsError
from reconciler.secrets import register_client_credentials, register_secret

# Region key -> domain, as in the official SDK's region table (docs/genesys-api-notes.md).
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

ENV_CLIENT_ID = "GENESYSCLOUD_OAUTHCLIENT_ID"
ENV_CLIENT_SECRET = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
ENV_REGION = "GENESYSCLOUD_REGION"
ENV_ACCESS_TOKEN = "GENESYSCLOUD_ACCESS_TOKEN"
ENV_API_URL = "GENESYSCLOUD_API_URL"
# An API base URL such as https://api.mypurecloud.ie: "Blueprints commonly set
# GENESYSCLOUD_API_REGION=https://api.<domain>" (docs/genesys-api-notes.md, env vars).
ENV_API_REGION = "GENESYSCLOUD_API_REGION"

_DOMAIN_TO_KEY = {domain: key for key, domain in REGIONS.items()}


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the API lives and how to authenticate; secrets are kept out of ``repr``."""

    api_url: str
    login_url: str
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    region: str = ""
    # One line per other source of the location that said something else (for stderr).
    notices: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        _refuse_plain_http(self.api_url)
        _refuse_plain_http(self.login_url)
        # Any later echo of these exact values (an error body, a log line) is masked.
        register_client_credentials(self.client_id, self.client_secret)
        register_secret(self.access_token)

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
        project_file: str | None = None,
        env_prefix: str = "",
        project_keys: str = "",
    ) -> ConnectionSettings:
        """Merge the command line > ``GENESYSCLOUD_*`` env vars > the project file.

        ``api_url``/``region`` are the ``--api-url``/``--region`` flags as typed (never
        filled from the environment: that is read here, from ``env``). The location is the
        first value set, in this order: ``--api-url``, ``--region``; ``GENESYSCLOUD_API_URL``,
        ``GENESYSCLOUD_API_REGION``, ``GENESYSCLOUD_REGION``; ``apiUrl``, ``region`` of
        ``project_file``. So a URL wins over a region given at the same level. There is no
        default org (the Terraform provider has no default region either, docs/genesys-api-notes.md
        §10): with no location at all, ``SettingsError``. Every other source that names a
        different org becomes one line of ``notices``. Credentials come only from arguments
        or the environment.

        For an environment of the project (``--env``), ``env_prefix`` is its
        ``credentialsPrefix``: every ``GENESYSCLOUD_*`` variable is read with it
        (``PROD_GENESYSCLOUD_REGION``), the unprefixed ones not at all; ``project_keys`` says
        where in the file its location is (``environments.prod.``).
        """
        where = project_file or "dactl.yaml"
        api_url_var, api_region_var = env_prefix + ENV_API_URL, env_prefix + ENV_API_REGION
        region_var = env_prefix + ENV_REGION
        candidates = [
            _Candidate("--api-url", api_url, True),
            _Candidate("--region", region, False),
            _Candidate(api_url_var, env.get(api_url_var), True),
            _Candidate(api_region_var, env.get(api_region_var), True),
            _Candidate(region_var, env.get(region_var), False),
            _Candidate(f"{project_keys}apiUrl in {where}", project_api_url, True),
            _Candidate(f"{project_keys}region in {where}", project_region, False),
        ]
        given = [c for c in candidates if c.value]
        if not given:
            raise SettingsError(
                "no Genesys Cloud location: pass --region or --api-url, set "
                f"{region_var} (or {api_url_var} / {api_region_var}), or set "
                f"{project_keys}region: in {where}"
            )
        chosen = given[0]
        api, login, label = chosen.hosts()
        notices = _disagreements(chosen, api, given[1:])

        cid = _first(client_id, env.get(env_prefix + ENV_CLIENT_ID))
        secret = _first(client_secret, env.get(env_prefix + ENV_CLIENT_SECRET))
        token = _first(access_token, env.get(env_prefix + ENV_ACCESS_TOKEN))
        if token is None:
            _require_client_credentials(cid, secret, env_prefix)
        return cls(
            api_url=api,
            login_url=login,
            client_id=cid,
            client_secret=secret if token is None else None,
            access_token=token,
            region=label,
            notices=notices,
        )


class _Candidate:
    """One place the location may come from, named in the user's words."""

    def __init__(self, source: str, value: str | None, is_url: bool) -> None:
        self.source = source
        self.value = _first(value) or ""
        self.is_url = is_url

    def hosts(self) -> tuple[str, str, str]:
        """(API URL, login URL, label); ``SettingsError`` naming the source when invalid."""
        if self.is_url:
            return _custom_hosts(self.value, self.source)
        return _region_hosts(self.value, self.source)

    def shown(self) -> str:
        """The value for a notice: a URL without any user or password in it."""
        if not self.is_url:
            return self.value
        parts = urlsplit(self.value)
        if parts.username is None and parts.password is None:
            return self.value
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme}://{host}{parts.path}"


def _disagreements(chosen: _Candidate, api: str, others: list[_Candidate]) -> tuple[str, ...]:
    """One notice naming the sources overruled by ``chosen`` that point elsewhere (an
    invalid overruled value counts as elsewhere); none when they all agree."""
    differing: list[str] = []
    for other in others:
        try:
            same = other.hosts()[0].lower() == api.lower()
        except SettingsError:
            same = False
        if not same:
            differing.append(f"{other.source} says {other.shown()}")
    if not differing:
        return ()
    return (f"using {chosen.source} {chosen.shown()} ({', '.join(differing)})",)


def region_keys() -> list[str]:
    """The known region keys in their hyphen spelling (``us-east-1``)."""
    return [key.replace("_", "-") for key in REGIONS]


def known_region(value: str, source: str) -> str:
    """The key (``eu-west-1``) of a region key or domain; ``SettingsError`` naming
    ``source`` and the known regions when it is none."""
    return _region_hosts(value, source)[2]


def _first(*values: str | None) -> str | None:
    for value in values:
        if value is not None and value.strip():
            return value.strip()
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
    if parts.username is not None or parts.password is not None:
        # Not quoted: a password in the URL must not reach the terminal or a CI log.
        raise SettingsError(
            f"invalid API URL (from {source}): no user or password allowed in the URL"
        )
    if parts.query or parts.fragment:
        raise SettingsError(
            f"invalid API URL {url!r} (from {source}): no user, query or fragment allowed"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise SettingsError(
            f"refusing to send credentials over plain http to {parts.netloc} (from {source}): "
            "use https:// (http is allowed only for loopback hosts such as 127.0.0.1)"
        )
    api = f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    # The sandbox serves /oauth/token on its own host; real orgs use login.<domain>.
    netloc = parts.netloc
    if netloc.lower().startswith("api."):
        netloc = "login." + netloc[len("api.") :]
    login = f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")
    return api, login, parts.netloc


def _require_client_credentials(client_id: str | None, secret: str | None, prefix: str) -> None:
    if client_id and secret:
        return
    cid_var, secret_var = prefix + ENV_CLIENT_ID, prefix + ENV_CLIENT_SECRET
    if client_id:
        missing = f"{secret_var} is not set (it is needed with {cid_var})"
    elif secret:
        missing = f"{cid_var} is not set (it is needed with {secret_var})"
    else:
        missing = f"set {cid_var} and {secret_var}, or {prefix}{ENV_ACCESS_TOKEN}"
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
