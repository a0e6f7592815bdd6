"""Shard 2 of the Terraform corpus round trip (``test_import_terraform_e2e``): its own
module, so that the shards run side by side on the test workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_import_terraform_e2e import run_shard

pytestmark = [pytest.mark.e2e, pytest.mark.corpus]


@pytest.mark.timeout(600)
def test_every_corpus_terraform_file_round_trips_or_is_refused_in_one_line(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    run_shard(1, tmp_path, record_property)
