"""The CI run a command runs in, read from the CI's standard variables: the repository and
the run, for drift messages and for saying where a full plan is.

GitHub Actions sets ``GITHUB_REPOSITORY`` (``owner/name``), ``GITHUB_SERVER_URL`` and
``GITHUB_RUN_ID`` (the run's page is ``<server>/<repository>/actions/runs/<run id>``);
GitLab CI sets ``CI_PROJECT_PATH``, ``CI_PROJECT_URL``, ``CI_PIPELINE_URL`` and
``CI_JOB_URL``. A value that does not look like what it should be (a URL that is not
``http(s)``, text with spaces or markup) is left out: these end up in chat messages and
Markdown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_URL = re.compile(r"https?://[^\s<>|\"'`\[\]()]+")
_PATH = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")
_RUN_ID = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CiRun:
    """Where a command runs: the repository, the CI run (GitHub workflow run, GitLab
    pipeline) and the job whose log holds the output."""

    provider: str  # "github" or "gitlab"
    repository: str | None = None  # owner/name, group/project
    repository_url: str | None = None
    run_url: str | None = None
    job_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "repository": self.repository,
            "repository_url": self.repository_url,
            "run_url": self.run_url,
        }


def ci_run(env: Mapping[str, str] | None = None) -> CiRun | None:
    """The CI run of this process, or ``None`` outside GitHub Actions and GitLab CI."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_REPOSITORY"):
        repository = _match(_PATH, env.get("GITHUB_REPOSITORY"))
        server = _match(_URL, (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"))
        repo_url = f"{server}/{repository}" if server and repository else None
        run_id = _match(_RUN_ID, env.get("GITHUB_RUN_ID"))
        run_url = f"{repo_url}/actions/runs/{run_id}" if repo_url and run_id else None
        # GitHub has no variable for the job's own page: the run's page lists its jobs.
        return CiRun("github", repository, repo_url, run_url, run_url)
    if env.get("GITLAB_CI") == "true" or env.get("CI_PROJECT_PATH"):
        return CiRun(
            "gitlab",
            _match(_PATH, env.get("CI_PROJECT_PATH")),
            _match(_URL, env.get("CI_PROJECT_URL")),
            _match(_URL, env.get("CI_PIPELINE_URL")),
            _match(_URL, env.get("CI_JOB_URL")),
        )
    return None


def _match(pattern: re.Pattern[str], value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value and pattern.fullmatch(value) else None
