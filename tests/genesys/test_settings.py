from __future__ import annotations

import pytest

from reconciler.errors import DactlError, SettingsError
from reconciler.genesys import REGIONS, ConnectionSettings

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "env-id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "env-secret"}


def resolve(env: dict[str, str] | None = None, **kwargs: str | None) -> ConnectionSettings:
    return ConnectionSettings.resolve(env=CREDS if env is None else env, **kwargs)


@pytest.mark.parametrize(("key", "domain"), sorted(REGIONS.items()))
def test_every_region_key_spelling_and_domain_maps_to_hosts(key: str, domain: str) -> None:
    hyphen = key.replace("_", "-")
    for spelling in (key, hyphen, hyphen.upper(), domain):
        settings = resolve(region=spelling)
        assert settings.api_url == f"https://api.{domain}"
        assert settings.login_url == f"https://login.{domain}"
        assert settings.region == hyphen


def test_known_hosts_from_the_table() -> None:
    assert resolve(region="eu-west-1").api_url == "https://api.mypurecloud.ie"
    assert resolve(region="mypurecloud.ie").login_url == "https://login.mypurecloud.ie"
    assert resolve(region="us_east_2").api_url == "https://api.use2.us-gov-pure.cloud"


def test_unknown_region_is_a_one_line_error_listing_valid_keys() -> None:
    with pytest.raises(SettingsError) as info:
        resolve(region="mars-1")
    text = str(info.value)
    assert isinstance(info.value, DactlError)
    assert "\n" not in text
    assert text.startswith("unknown region 'mars-1'")
    for key in ("us-east-1", "eu-west-1", "eusc-de-east-1", "mx-central-1"):
        assert key in text


@pytest.mark.parametrize(
    ("kwargs", "env", "source"),
    [
        ({}, {"GENESYSCLOUD_REGION": "nowhere"}, "(from GENESYSCLOUD_REGION)"),
        ({"region": "nowhere"}, {}, "(from --region)"),
        ({"api_url": "ftp://x"}, {}, "(from --api-url)"),
        ({}, {"GENESYSCLOUD_API_URL": "nowhere"}, "(from GENESYSCLOUD_API_URL)"),
        ({}, {"GENESYSCLOUD_API_REGION": "mypurecloud.ie"}, "(from GENESYSCLOUD_API_REGION)"),
        (
            {"project_region": "nowhere", "project_file": "actions/dactl.yaml"},
            {},
            "(from region in actions/dactl.yaml)",
        ),
        (
            {"project_api_url": "ftp://x", "project_file": "actions/dactl.yaml"},
            {},
            "(from apiUrl in actions/dactl.yaml)",
        ),
        ({"api_url": "http://example.com"}, {}, "plain http to example.com (from --api-url)"),
    ],
)
def test_a_bad_location_names_where_it_came_from_in_the_users_words(
    kwargs: dict[str, str], env: dict[str, str], source: str
) -> None:
    with pytest.raises(SettingsError) as info:
        resolve({**CREDS, **env}, **kwargs)
    text = str(info.value)
    assert source in text and "\n" not in text
    assert "argument" not in text and "environment" not in text


def test_there_is_no_default_region() -> None:
    with pytest.raises(SettingsError) as info:
        resolve(project_file="actions/dactl.yaml")
    assert str(info.value) == (
        "no Genesys Cloud location: pass --region or --api-url, set GENESYSCLOUD_REGION "
        "(or GENESYSCLOUD_API_URL / GENESYSCLOUD_API_REGION), or set region: in "
        "actions/dactl.yaml"
    )
    with pytest.raises(SettingsError, match=r"set region: in dactl\.yaml$"):
        resolve({**CREDS, "GENESYSCLOUD_REGION": " ", "GENESYSCLOUD_API_URL": ""})


def test_genesyscloud_api_region_is_an_api_base_url() -> None:
    settings = resolve({**CREDS, "GENESYSCLOUD_API_REGION": "https://api.mypurecloud.ie/"})
    assert settings.api_url == "https://api.mypurecloud.ie"
    assert settings.login_url == "https://login.mypurecloud.ie"
    assert settings.notices == ()
    # dactl's own GENESYSCLOUD_API_URL wins over it; both are URLs of the same level.
    env = {**CREDS, "GENESYSCLOUD_API_REGION": "https://api.mypurecloud.ie"}
    settings = resolve({**env, "GENESYSCLOUD_API_URL": "http://127.0.0.1:8765"})
    assert settings.api_url == "http://127.0.0.1:8765"


def test_precedence_argument_over_env_over_project_file() -> None:
    env = {**CREDS, "GENESYSCLOUD_REGION": "eu-west-1"}
    assert resolve(env, region="ap-southeast-2", project_region="us-east-1").api_url == (
        "https://api.mypurecloud.com.au"
    )
    assert resolve(env, project_region="us-east-1").api_url == "https://api.mypurecloud.ie"
    assert resolve(CREDS, project_region="mypurecloud.de").api_url == "https://api.mypurecloud.de"


def test_a_region_flag_beats_an_api_url_in_the_environment() -> None:
    env = {**CREDS, "GENESYSCLOUD_API_URL": "http://127.0.0.1:8765"}
    settings = resolve(env, region="eu-west-1")
    assert settings.api_url == "https://api.mypurecloud.ie"
    assert settings.notices == (
        "using --region eu-west-1 (GENESYSCLOUD_API_URL says http://127.0.0.1:8765)",
    )


def test_disagreeing_sources_give_one_notice_naming_each() -> None:
    env = {**CREDS, "GENESYSCLOUD_REGION": "us-east-1"}
    settings = resolve(
        env, region="eu-west-1", project_region="mypurecloud.com", project_file="actions/dactl.yaml"
    )
    assert settings.api_url == "https://api.mypurecloud.ie"
    assert settings.notices == (
        "using --region eu-west-1 (GENESYSCLOUD_REGION says us-east-1, "
        "region in actions/dactl.yaml says mypurecloud.com)",
    )


def test_equal_values_in_other_spellings_are_no_disagreement() -> None:
    env = {**CREDS, "GENESYSCLOUD_API_REGION": "https://api.mypurecloud.ie"}
    settings = resolve(env, region="eu_west_1", project_region="mypurecloud.ie")
    assert settings.api_url == "https://api.mypurecloud.ie"
    assert settings.notices == ()


def test_only_the_differing_sources_are_named_and_an_invalid_overruled_value_too() -> None:
    env = {**CREDS, "GENESYSCLOUD_REGION": "mypurecloud.ie", "GENESYSCLOUD_API_URL": "x"}
    settings = resolve(env, region="eu-west-1", project_api_url="https://u:pw@api.example.com")
    assert settings.notices == (
        "using --region eu-west-1 (GENESYSCLOUD_API_URL says x, "
        "apiUrl in dactl.yaml says https://api.example.com)",
    )
    assert "pw" not in settings.notices[0]


def test_a_url_beats_a_region_at_the_same_level_with_a_notice() -> None:
    env = {
        **CREDS,
        "GENESYSCLOUD_API_URL": "http://127.0.0.1:8765",
        "GENESYSCLOUD_REGION": "eu-west-1",
    }
    settings = resolve(env)
    assert settings.api_url == "http://127.0.0.1:8765"
    assert settings.notices == (
        "using GENESYSCLOUD_API_URL http://127.0.0.1:8765 (GENESYSCLOUD_REGION says eu-west-1)",
    )
    settings = resolve(CREDS, api_url="https://api.mypurecloud.de", region="eu-central-1")
    assert settings.api_url == "https://api.mypurecloud.de" and settings.notices == ()


def test_a_password_in_an_api_url_is_never_quoted() -> None:
    with pytest.raises(SettingsError) as info:
        resolve(api_url="https://user:hunter2@api.example.com")
    assert "hunter2" not in str(info.value)
    assert "(from --api-url)" in str(info.value)


def test_api_url_beats_region_at_the_same_level_and_levels_do_not_mix() -> None:
    env = {**CREDS, "GENESYSCLOUD_API_URL": "http://127.0.0.1:8765"}
    assert resolve(env, project_region="eu-west-1").api_url == "http://127.0.0.1:8765"
    assert resolve(env, region="eu-west-1").api_url == "https://api.mypurecloud.ie"
    assert resolve(CREDS, project_api_url="http://localhost:9000/").api_url == (
        "http://localhost:9000"
    )


def test_credentials_argument_over_env() -> None:
    settings = resolve(region="eu-west-1", client_id="arg-id", client_secret="arg-secret")
    assert (settings.client_id, settings.client_secret) == ("arg-id", "arg-secret")
    settings = resolve(region="eu-west-1")
    assert (settings.client_id, settings.client_secret) == ("env-id", "env-secret")


def test_access_token_alone_is_enough() -> None:
    settings = resolve(
        {"GENESYSCLOUD_ACCESS_TOKEN": "ready-token", "GENESYSCLOUD_REGION": "eu-west-1"}
    )
    assert settings.access_token == "ready-token"
    assert settings.uses_access_token


def test_missing_credentials_name_the_env_vars() -> None:
    with pytest.raises(SettingsError) as info:
        resolve({"GENESYSCLOUD_REGION": "eu-west-1"})
    text = str(info.value)
    assert "\n" not in text
    for name in (
        "GENESYSCLOUD_OAUTHCLIENT_ID",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET",
        "GENESYSCLOUD_ACCESS_TOKEN",
    ):
        assert name in text
    with pytest.raises(SettingsError, match="GENESYSCLOUD_OAUTHCLIENT_SECRET is not set"):
        resolve({"GENESYSCLOUD_OAUTHCLIENT_ID": "only-id"}, region="eu-west-1")


def test_empty_env_values_count_as_unset() -> None:
    env = {**CREDS, "GENESYSCLOUD_REGION": "  ", "GENESYSCLOUD_API_URL": ""}
    assert resolve(env, project_region="eu-west-1").api_url == "https://api.mypurecloud.ie"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765", "http://127.1.2.3", "http://localhost:8765", "http://[::1]:8765"],
)
def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    settings = resolve(api_url=url)
    assert settings.api_url == url
    assert settings.login_url == url  # the sandbox serves /oauth/token on the same host


@pytest.mark.parametrize(
    "url", ["http://example.com", "http://10.0.0.5:8765", "http://api.mypurecloud.com"]
)
def test_plain_http_is_refused_elsewhere(url: str) -> None:
    with pytest.raises(SettingsError) as info:
        resolve(api_url=url)
    assert "refusing to send credentials over plain http" in str(info.value)
    assert "\n" not in str(info.value)


def test_api_host_maps_to_login_host_like_the_sdk() -> None:
    settings = resolve(api_url="https://api.example.com/")
    assert settings.api_url == "https://api.example.com"
    assert settings.login_url == "https://login.example.com"
    assert settings.region == "api.example.com"


@pytest.mark.parametrize("url", ["ftp://x", "not a url", "https://host/?q=1", "https://u:p@host"])
def test_invalid_api_url(url: str) -> None:
    with pytest.raises(SettingsError, match="invalid API URL"):
        resolve(api_url=url)


def test_secrets_are_not_in_repr() -> None:
    settings = resolve(
        region="us-east-1", client_secret="top-secret-1", access_token="tok-secret-2"
    )
    text = repr(settings)
    assert "top-secret-1" not in text
    assert "tok-secret-2" not in text
    assert "api.mypurecloud.com" in text
    text = repr(resolve(region="us-east-1", client_secret="top-secret-1"))
    assert "top-secret-1" not in text


def test_direct_construction_also_refuses_plain_http() -> None:
    with pytest.raises(SettingsError, match="plain http"):
        ConnectionSettings(api_url="http://example.com", login_url="http://example.com")
