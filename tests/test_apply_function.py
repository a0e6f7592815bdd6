"""The Function-action steps of apply, against an in-memory fake of the actions API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.apply_function import FunctionWriter
from reconciler.errors import FunctionStepError
from reconciler.packages import Package, load_package


class FakeClient:
    def __init__(self) -> None:
        self.uploads: list[tuple[str, bytes, dict[str, str]]] = []

    def upload(self, url: str, content: bytes, headers: dict[str, str]) -> None:
        self.uploads.append((url, content, headers))


class FakeApi:
    """Answers the function endpoints; ``statuses`` are the zip statuses polls will see."""

    def __init__(self, statuses: list[str], history: list[dict[str, Any]] | None = None) -> None:
        self.client = FakeClient()
        self.statuses = statuses
        self.history = history or []
        self.file_name = ""
        self.polls = 0
        self.settings: list[dict[str, Any]] = []

    def request_function_upload(self, action_id: str, file_name: str) -> dict[str, Any]:
        self.file_name = file_name
        return {"url": "https://uploads.example/x?sig=secret", "headers": {"x-amz-tagging": "t"}}

    def get_function(self, action_id: str, *, draft: bool = False) -> dict[str, Any]:
        status = self.statuses[min(self.polls, len(self.statuses) - 1)]
        self.polls += 1
        zip_config = {"name": self.file_name, "status": status, "errorMessage": "bad"}
        if status == "absent":
            zip_config = {"name": "old.zip", "status": "Available"}
        return {"zip": zip_config, "uploadExceptionHistory": self.history}

    def put_draft_function(self, action_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.settings.append(body)
        return {}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def writer(api: FakeApi, clock: Clock, timeout: float = 10) -> FunctionWriter:
    return FunctionWriter(
        api,  # type: ignore[arg-type]
        processing_timeout=timeout,
        sleep=clock.sleep,
        clock=clock,
    )


@pytest.fixture
def package(tmp_path: Path) -> Package:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "index.js").write_text("exports.handler = 1;\n")
    return load_package(tmp_path / "code")


def canonical(package: Package | None, handler: str = "index.handler") -> dict[str, Any]:
    return {
        "name": "Echo",
        "function": {
            "handler": handler,
            "runtime": "nodejs20.x",
            "timeoutSeconds": 15,
            "description": "",
            "package": package.identity if package else None,
        },
    }


def audit_log() -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    records: list[tuple[str, dict[str, Any]]] = []
    return records, lambda operation, **fields: records.append((operation, fields))


def test_a_new_action_gets_its_package_then_its_settings(package: Package) -> None:
    api, clock = FakeApi(["Transferring", "Transferring", "Available"]), Clock()
    records, audit = audit_log()
    writer(api, clock).write("id-1", canonical(package), None, package, audit)
    ((_url, content, headers),) = api.client.uploads
    assert content == package.zip_bytes() and headers == {"x-amz-tagging": "t"}
    assert api.file_name == package.upload_name
    assert api.polls == 3 and clock.sleeps == [0.25, 0.5]
    assert api.settings == [
        {
            "handler": "index.handler",
            "runtime": "nodejs20.x",
            "timeoutSeconds": 15,
            "description": "",
        }
    ]
    assert [r[0] for r in records] == ["draft.function.upload", "draft.function"]
    assert records[0][1]["package"] == package.identity
    assert "secret" not in repr(records)  # the presigned URL is never recorded


def test_an_unchanged_package_is_not_uploaded_and_unchanged_settings_not_sent(
    package: Package,
) -> None:
    api, clock = FakeApi(["Available"]), Clock()
    _records, audit = audit_log()
    live = canonical(package)
    writer(api, clock).write("id-1", canonical(package, "index.main"), live, package, audit)
    assert api.client.uploads == [] and len(api.settings) == 1
    writer(api, clock).write("id-1", live, live, package, audit)
    assert api.client.uploads == [] and len(api.settings) == 1


def test_a_refused_package_names_the_action_and_the_reason(package: Package) -> None:
    api, clock = FakeApi(["Transferring", "InvalidFormat"]), Clock()
    with pytest.raises(
        FunctionStepError, match=r"'Echo': the org refused the code package .*InvalidFormat: bad"
    ):
        writer(api, clock).write("id-1", canonical(package), None, package, audit_log()[1])
    assert api.settings == []


def test_a_failure_recorded_in_the_history_is_a_refusal(package: Package) -> None:
    api = FakeApi(["absent"])
    api.history = [{"name": package.upload_name, "status": "InvalidFile", "errorMessage": "x"}]
    with pytest.raises(FunctionStepError, match="InvalidFile"):
        writer(api, Clock()).write("id-1", canonical(package), None, package, audit_log()[1])


def test_processing_that_never_ends_is_bounded(package: Package) -> None:
    api, clock = FakeApi(["Transferring"]), Clock()
    with pytest.raises(
        FunctionStepError, match=r"not processed within 10 s \(last status: Transferring\)"
    ):
        writer(api, clock, timeout=10).write(
            "id-1", canonical(package), None, package, audit_log()[1]
        )
    assert clock.now <= 10 and max(clock.sleeps) == 2.0


def test_a_package_change_without_the_package_is_an_error(package: Package) -> None:
    api = FakeApi(["Available"])
    with pytest.raises(FunctionStepError, match="holds no code package to upload"):
        writer(api, Clock()).write("id-1", canonical(package), None, None, audit_log()[1])


def test_an_unmanaged_function_is_left_alone() -> None:
    api = FakeApi(["Available"])
    writer(api, Clock()).write("id-1", {"name": "Echo"}, None, None, audit_log()[1])
    assert api.polls == 0 and api.settings == [] and api.client.uploads == []
