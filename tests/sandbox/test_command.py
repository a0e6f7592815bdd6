"""The click command: flags, help text, and the loopback-only default."""

from __future__ import annotations

import pytest
from click.core import ParameterSource
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.sandbox.command import check_bind_host
from reconciler.sandbox.config import is_loopback


def test_help_documents_default_credentials() -> None:
    result = CliRunner().invoke(main, ["sandbox", "--help"])
    assert result.exit_code == 0
    assert "dactl-sandbox-secret" in result.output
    for flag in (
        "--port",
        "--state",
        "--latency-ms",
        "--rate-limit",
        "--mutable-contracts",
        "--function-processing-ms",
        "--seed",
        "--token-ttl",
        "--max-page-size",
        "--conflict-code",
    ):
        assert flag in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_needs_explicit_host() -> None:
    check_bind_host("127.0.0.1", ParameterSource.DEFAULT)
    check_bind_host("0.0.0.0", ParameterSource.COMMANDLINE)
    for source in (ParameterSource.ENVIRONMENT, ParameterSource.DEFAULT_MAP, None):
        with pytest.raises(Exception, match="non-loopback"):
            check_bind_host("0.0.0.0", source)


def test_environment_cannot_make_it_bind_everywhere() -> None:
    # Even if someone enables click's auto env vars, 0.0.0.0 from the environment is refused
    # before anything is bound.
    result = CliRunner().invoke(
        main, ["sandbox"], env={"DACTL_SANDBOX_HOST": "0.0.0.0"}, auto_envvar_prefix="DACTL"
    )
    assert result.exit_code == 1  # a usage error, like every error (2 means drift)
    assert "non-loopback" in result.output


def test_bad_state_file_is_a_clean_error(tmp_path: object) -> None:
    from pathlib import Path

    state = Path(str(tmp_path)) / "state.json"
    state.write_text("[]")
    result = CliRunner().invoke(main, ["sandbox", "--port", "0", "--state", str(state)])
    assert result.exit_code == 1
    assert "state" in result.output
