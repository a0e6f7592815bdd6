"""Render validation reports (``dactl validate``): text, JSON, GitHub workflow commands
(annotations on the pull request's files) and a GitLab Code Quality report."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import PurePath
from typing import Any

from reconciler.diagnostics import Problem
from reconciler.validate import ValidationReport

FORMAT_VERSION = 1
GITHUB_TITLE = "dactl validate"
# GitLab's severities are info, minor, major, critical and blocker.
_GITLAB_SEVERITY = {"error": "major", "warning": "minor"}


def render_text(report: ValidationReport) -> str:
    """One ``file:line:col: message`` line per problem, then a summary line."""
    lines = [str(p) for p in report.problems]
    files = len(report.tree.actions) + (1 if report.tree.project else 0)
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        lines.append(f"{_n(errors, 'error')}, {_n(warnings, 'warning')} in {_n(files, 'file')}.")
    elif not report.tree.actions:
        lines.append(f"No action files found under {report.tree.root} (nothing to check).")
    else:
        extra = f", {_n(warnings, 'warning')}" if warnings else ""
        envs = report.environments
        every = f" in every environment ({', '.join(envs)})" if envs else ""
        if report.project.environment is not None:
            every = f" in environment {report.project.environment}"
        lines.append(f"OK: {_n(len(report.actions), 'action')} valid{every}{extra}.")
    return "\n".join(lines) + "\n"


def render_json(report: ValidationReport) -> str:
    """A versioned JSON document for tools."""
    body = {
        "format_version": FORMAT_VERSION,
        "valid": report.ok,
        "error_count": len(report.errors),
        "warning_count": len(report.warnings),
        "actions": sorted(a.name for a in report.actions),
        "environments": list(report.environments)
        or ([report.project.environment] if report.project.environment else []),
        "problems": [p.as_dict() for p in report.problems],
    }
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def render_github(report: ValidationReport) -> str:
    """One GitHub Actions workflow command per problem (``::error file=F,line=L,col=C,
    title=dactl validate::message``, ``::warning ...``), then the summary line, which the
    runner prints as it is. GitHub shows each on the file's line in the pull request."""
    lines = []
    for problem in report.problems:
        properties = {"file": _posix(problem.mark.file)}
        if problem.mark.line > 0:
            properties["line"] = str(problem.mark.line)
            if problem.mark.column > 0:
                properties["col"] = str(problem.mark.column)
        properties["title"] = GITHUB_TITLE
        shown = ",".join(f"{k}={github_property(v)}" for k, v in properties.items())
        lines.append(f"::{problem.severity} {shown}::{github_data(problem.message)}")
    summary = render_text(report).splitlines()[-1]
    return "\n".join([*lines, summary]) + "\n"


def github_data(text: str) -> str:
    """A workflow command's message, escaped as the runner unescapes it
    (actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value (actions/toolkit ``escapeProperty``): the
    message's escapes, and ``:`` and ``,``, which end a property."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_gitlab(report: ValidationReport) -> str:
    """A GitLab Code Quality report (``artifacts:reports:codequality``): one issue per
    problem. Its fingerprint hashes the file, the rule and the message, not the line, so
    an issue keeps its identity when lines above it move; the same finding twice in one
    file gets a count in its hash."""
    seen: Counter[str] = Counter()
    issues = []
    for problem in report.problems:
        key = "\0".join((_posix(problem.mark.file), problem.rule, problem.message))
        seen[key] += 1
        if seen[key] > 1:
            key += f"\0{seen[key]}"
        issues.append(_gitlab_issue(problem, hashlib.sha256(key.encode()).hexdigest()))
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _gitlab_issue(problem: Problem, fingerprint: str) -> dict[str, Any]:
    return {
        "description": problem.message,
        "check_name": f"dactl/{problem.rule}",
        "fingerprint": fingerprint,
        "severity": _GITLAB_SEVERITY[problem.severity],
        "location": {
            "path": _posix(problem.mark.file),
            "lines": {"begin": max(problem.mark.line, 1)},
        },
    }


def _posix(path: str) -> str:
    """A path with forward slashes, as both CI systems name files in the repository."""
    return PurePath(path).as_posix()


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
