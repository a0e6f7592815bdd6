"""In-memory stand-ins for what dactl talks to, for unit tests without a server."""
