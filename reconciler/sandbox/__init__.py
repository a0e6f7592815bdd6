"""A local emulator of the Genesys Cloud integration-actions API."""
