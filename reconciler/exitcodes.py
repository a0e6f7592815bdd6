"""Exit codes of every command, in one place (README "Exit codes")."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a dactl process tells its caller (a CI job, a script)."""

    OK = 0  # done: valid, applied, no drift, passed
    ERROR = 1  # an error, a refusal, a failed change or test; also a mistyped command
    CHANGES = 2  # plan --detailed-exitcode: changes present; drift: drift found
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
