"""The Genesys Cloud Platform API client: settings, auth, HTTP client and the actions API."""

from reconciler.errors import SettingsError

from .actions import ActionsApi
from .auth import AccessTokenAuth, ClientCredentialsAuth
from .client import GenesysClient
from .settings import REGIONS, ConnectionSettings

__all__ = [
    "REGIONS",
    "AccessTokenAuth",
    "ActionsApi",
    "ClientCredentialsAuth",
    "ConnectionSettings",
    "GenesysClient",
    "SettingsError",
]
