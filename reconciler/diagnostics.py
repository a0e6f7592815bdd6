"""Problems found in users' files, each pinned to ``file:line:col``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Mark:
    """A place in a file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One finding: an error (blocks the run) or a warning (printed, exit 0)."""

    mark: Mark
    message: str
    severity: Severity = "error"
    rule: str = "schema"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.mark}: {prefix}{self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by place, then message, so output is stable across runs."""
        return (self.mark.file, self.mark.line, self.mark.column, self.message)

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``--format json``."""
        return {
            "file": self.mark.file,
            "line": self.mark.line,
            "column": self.mark.column,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
        }


def error(mark: Mark, message: str, rule: str = "schema") -> Problem:
    """Shorthand for an error problem."""
    return Problem(mark, message, "error", rule)


def warning(mark: Mark, message: str, rule: str = "lint") -> Problem:
    """Shorthand for a warning problem."""
    return Problem(mark, message, "warning", rule)
