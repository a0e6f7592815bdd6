"""``dactl test`` end to end: the real CLI against a real sandbox server."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cli, requests_by_route, seed_actions

pytestmark = pytest.mark.e2e

TEST_ROUTE = "POST /api/v2/integrations/actions/{actionId}/test"
PIN = "98127364"
CUSTOMER = "cust-5550199"


def test_a_seeded_action_passes_its_remote_test(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    before = cli.sandbox.stats()
    result = cli.run("test", "Get Queue Waiting Count", "--input", "queueId=q-17")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Test of 'Get Queue Waiting Count' in the org (custom_-_")
    assert "  ✓ 1. Resolve request URL template\n" in result.stdout
    assert "      /api/v2/routing/queues/q-17/estimatedwaittime\n" in result.stdout
    assert 'Result:\n  {\n    "waiting": 0\n  }\n' in result.stdout
    assert result.stdout.endswith("PASS: the test succeeded.\n")
    assert result.stderr == ""
    assert requests_by_route(before, cli.sandbox.stats())[TEST_ROUTE] == 1


def test_invalid_inputs_fail_before_any_request(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    before = cli.sandbox.stats()
    result = cli.run(
        "test", "Create Support Ticket", "--input", "customerId=c1", "--input", "priority=9"
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: input: 'subject' is a required property",
        "Error: input 'priority': does not satisfy maximum 4 (value hidden)",
        "Nothing was run: fix the inputs (see the input contract).",
    ]
    assert requests_by_route(before, cli.sandbox.stats()) == {}


def test_an_action_not_created_yet_says_to_run_apply(cli: Cli) -> None:
    result = cli.run("test", "Get User Presence", "--input", "userId=u1")
    assert result.returncode == 1
    assert (
        "Error: 'Get User Presence' (actions/get-user-presence.yaml) is not in the org yet: "
        "run `dactl apply` to create it, or test the file with --offline"
    ) in result.stderr
    unknown = cli.run("test", "Get User Presense")
    assert unknown.returncode == 1
    assert "did you mean 'Get User Presence'?" in unknown.stderr


def test_a_locally_edited_file_warns_that_the_live_version_is_tested(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    path = cli.cwd / "actions" / "get-queue-waiting-count.yaml"
    path.write_text(path.read_text().replace("timeoutSeconds: 10", "timeoutSeconds: 7"))
    result = cli.run("test", "Get Queue Waiting Count", "--input", "queueId=q1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.startswith(
        "warning: testing the live version; it differs from the file "
        "actions/get-queue-waiting-count.yaml in: timeoutSeconds"
    )


def test_a_secure_action_never_prints_its_inputs(cli: Cli) -> None:
    seed_actions(cli, cli.cwd / "actions")
    result = cli.run(
        "test", "Verify Customer PIN", "--input", f"customerId={CUSTOMER}", "--input", f"pin={PIN}"
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert PIN not in output and CUSTOMER not in output, output
    assert "  ✓ 2. Resolve request body template\n" in result.stdout
    # the result could echo an input: only whether the test succeeded is printed
    assert "Result: hidden (secure action)\n" in result.stdout
    assert '"verified"' not in result.stdout
    assert result.stdout.endswith("PASS: the test succeeded.\n")

    refused = cli.run("test", "Verify Customer PIN", "--input", f"pin={PIN}")
    assert refused.returncode == 1
    assert PIN not in refused.stdout + refused.stderr
    assert "Error: input: 'customerId' is a required property" in refused.stderr


def test_an_action_secure_in_the_org_but_not_in_its_file_never_prints_its_inputs(
    cli: Cli,
) -> None:
    seed_actions(cli, cli.cwd / "actions")
    # the file is out of date: it says secure: false, and has a stricter contract
    path = cli.cwd / "actions" / "verify-customer-pin.yaml"
    text = path.read_text().replace("secure: true", "secure: false")
    path.write_text(
        text.replace("pin: {type: string}", 'pin: {type: string, pattern: "^[0-9]{4}$"}')
    )
    args = ("test", "Verify Customer PIN", "--input", f"customerId={CUSTOMER}")
    refused = cli.run(*args, "--input", f"pin={PIN}")
    assert refused.returncode == 1
    assert PIN not in refused.stdout + refused.stderr, refused.stderr
    assert "Error: input 'pin': does not satisfy pattern" in refused.stderr

    ran = cli.run(*args, "--input", "pin=1234")
    assert ran.returncode == 0, ran.stderr
    output = ran.stdout + ran.stderr
    assert "1234" not in output and CUSTOMER not in output, output
    assert "secure action: step details and the result are hidden" in ran.stdout
