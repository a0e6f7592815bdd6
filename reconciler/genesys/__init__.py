"""The Genesys Cloud Platform API client: settings, auth, HTTP client and the actions API."""

from .actions import ActionsApi
from .auth import AccessTokenAuth, ClientCredentialsAuth
from .client import GenesysClient
from .settings import REGIONS, ConnectionSettings, SettingsError

__all__ = [
    "REGIONS",
    "AccessTokenAuth",
    "ActionsApi",
    "ClientCredentialsAuth",
    "ConnectionSettings",
    "GenesysClient",
    "SettingsError",
]
