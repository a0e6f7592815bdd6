"""Fakes of GitHub and GitLab for the CI kit's unit tests (in process, no server)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from reconciler.ci import command
from tests.fakes.ci_api import GITHUB_TOKEN, GITLAB_TOKEN, FakeGitHub, FakeGitLab


@pytest.fixture
def fake_github() -> FakeGitHub:
    return FakeGitHub(token=GITHUB_TOKEN)


@pytest.fixture
def fake_gitlab() -> FakeGitLab:
    return FakeGitLab(token=GITLAB_TOKEN)


@pytest.fixture
def ci_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No CI variable of the machine running the tests leaks into a test."""
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "CI_", "GITLAB_", "DACTL_GITLAB")):
            monkeypatch.delenv(key)
    monkeypatch.setattr(command, "TRANSPORT", None)
    yield monkeypatch
