"""Rule 10 end to end: dactl never refuses what Genesys accepts.

The actions of tests/fixtures/lenient/ (the shape of real admin-UI exports: a GET with a
leftover request template, variables that differ from an input only in letter case,
``$Input``/``${INPUT.x}`` roots, unknown success-template variables) validate with
warnings only. Once in the org, ``dactl export`` writes a tree that validates with no error,
plans as no change, and ``dactl drift`` is not blocked by the lint. ``dactl test
--offline`` fails on what such a template leaves unrendered, after the warnings.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from typing import Any

import pytest

from reconciler.genesys import ActionsApi
from reconciler.genesys.wire import post_body
from tests.conftest import FIXTURES
from tests.e2e.conftest import SANDBOX_INTEGRATIONS, Cli, seed_actions
from tests.validate.test_invalid_fixtures import _expectations

pytestmark = pytest.mark.e2e

LENIENT = FIXTURES / "lenient"
PLACE = re.compile(r"^(?P<file>[^:]+):\d+:\d+: warning: (?P<message>.+)$")


def warnings_of(stdout: str) -> Counter[str]:
    """Each warning line's message (without its place), counted."""
    found: Counter[str] = Counter()
    for line in stdout.splitlines():
        match = PLACE.match(line)
        if match:
            found[match["message"]] += 1
    return found


def made_in_the_org(cli: Cli) -> None:
    """An action created in the org with templates no dactl file wrote: a GET whose request
    template uses undeclared inputs, a ``$Input`` root, an unknown success variable."""
    canonical: dict[str, Any] = {
        "name": "Made In The Admin UI",
        "integrationId": SANDBOX_INTEGRATIONS["Genesys Cloud Data Actions"],
        "category": "Genesys Cloud Data Actions",
        "secure": False,
        "timeoutSeconds": 5,
        "contract": {
            "input": {"type": "object", "properties": {"userId": {"type": "string"}}},
            "output": {"type": "object", "properties": {}},
        },
        "request": {
            "requestUrlTemplate": "/api/v2/users/$Input.userId",
            "requestType": "GET",
            "requestTemplate": '{"queue": "${input.queueId}", "who": "${input.UserID}"}',
        },
        "response": {"translationMap": {}, "successTemplate": '{"x": ${Result}}'},
    }
    with cli.api() as client:
        ActionsApi(client).create_action(post_body(canonical))


def test_what_genesys_accepts_validates_exports_plans_and_drifts_clean(cli: Cli) -> None:
    lenient = cli.cwd / "lenient"
    shutil.copytree(LENIENT, lenient)

    validated = cli.run("validate", "lenient")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    expected = [
        (where.replace("tests/fixtures/lenient/", "lenient/", 1), fragment)
        for case in sorted(LENIENT.glob("*.yaml"))
        for where, fragment in _expectations(case)
    ]
    lines = validated.stdout.splitlines()
    for where, fragment in expected:
        assert any(line.startswith(where) and fragment in line for line in lines), (
            where,
            fragment,
            validated.stdout,
        )
    assert sum(warnings_of(validated.stdout).values()) == len(expected)
    assert validated.stdout.endswith(f"actions valid, {len(expected)} warnings.\n")

    seed_actions(cli, lenient)
    drift = cli.run("drift", "lenient")
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert "No drift: the org matches git." in drift.stdout

    made_in_the_org(cli)
    exported = cli.run("export", "--out", "exported")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "warning" not in exported.stderr  # the exported tree validates

    again = cli.run("validate", "exported")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 errors" not in again.stdout and " error" not in again.stdout
    # The same findings as in the files the actions came from, plus the admin UI's action's.
    found = warnings_of(again.stdout)
    assert found - warnings_of(validated.stdout) == Counter(
        {
            "request.requestUrlTemplate: $Input differs from $input only in case; "
            "Velocity names are case-sensitive": 1,
            "request.requestTemplate: input.queueId is not a property of the input contract "
            "(Genesys does not send the request template on GET)": 1,
            "request.requestTemplate: input.UserID differs from the input 'userId' only in "
            "letter case; Velocity names are case-sensitive, so it never gets that value "
            "(Genesys does not send the request template on GET)": 1,
            "response.successTemplate: $Result is not a translationMap key or a Velocity "
            "built-in (did you mean 'rawResult'?)": 1,
        }
    )
    assert warnings_of(validated.stdout) - found == Counter()

    plan = cli.run("plan", "exported", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout

    drift = cli.run("drift", "exported")
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert "No drift: the org matches git." in drift.stdout

    strict = cli.run("validate", "--strict", "exported")
    assert strict.returncode == 1
    assert strict.stderr.startswith("Error: --strict fails the run on ")


def test_offline_test_fails_on_a_reference_left_unrendered(cli: Cli) -> None:
    shutil.copytree(LENIENT, cli.cwd / "lenient")
    result = cli.run(
        "test", "Patch User Presence Case", "lenient", "--offline", "--input", "userId=u1"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    warning = (
        "lenient/url-variable-case.yaml:17:37: warning: request.requestUrlTemplate: "
        "input.UserId differs from the input 'userId' only in letter case"
    )
    failure = (
        "lenient/url-variable-case.yaml:17:37: request.requestUrlTemplate: ${input.UserId} "
        "was left unrendered (the input is 'userId': Velocity names are case-sensitive)"
    )
    assert warning in out and failure in out, out
    assert out.index(warning) < out.index("Request:") < out.index(failure)
    assert "PATCH /api/v2/users/${input.UserId}/presences/purecloud" in out
    assert out.endswith("FAIL: 2 problems.\n")
    assert "Traceback" not in result.stderr
