"""Shared test helpers: repository paths and the corpus location."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
FIXTURES = REPO_ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _no_registered_secrets() -> Iterator[None]:
    """Each test starts with no known secret values: one test's client secret (the
    sandbox's, often) must not mask another test's output in this process."""
    from reconciler.secrets import forget_secrets

    forget_secrets()
    yield
    forget_secrets()


@pytest.fixture
def org_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials for the in-memory org (``tests/fakes``): a token in the environment,
    and no other ``GENESYSCLOUD_*`` setting."""
    for key in [k for k in os.environ if k.startswith("GENESYSCLOUD_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GENESYSCLOUD_ACCESS_TOKEN", "fake-org-token")


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run with the repository root as working directory, so paths print as users see them."""
    monkeypatch.chdir(REPO_ROOT)
    yield REPO_ROOT


def corpus_dir() -> Path:
    """The shared corpus, or a skip where ``../shared`` is absent (a bare clone)."""
    if not CORPUS_DIR.is_dir():
        pytest.skip("../shared/corpus is not present (bare clone)")
    return CORPUS_DIR
