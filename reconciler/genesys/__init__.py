"""The Genesys Cloud Platform API client."""
