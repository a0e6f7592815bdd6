"""Help and terminal: one-sentence summaries in ``dactl --help``, the ``GENESYSCLOUD_*``
variables in the help of every command that talks to an org, no option that does
nothing, close matches for mistyped names, and shell completion of action names."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from reconciler import orchestrator as orchestrator_module
from reconciler.cli import main
from reconciler.cli_support import complete_action_names
from tests.fakes.org import API_URL
from tests.fakes.project import World, action

ORG_COMMANDS = ("plan", "apply", "drift", "export", "test")
VARIABLES = (
    "GENESYSCLOUD_OAUTHCLIENT_ID",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    "GENESYSCLOUD_ACCESS_TOKEN",
    "GENESYSCLOUD_API_URL",
    "GENESYSCLOUD_API_REGION",
    "GENESYSCLOUD_REGION",
)


def dactl(*args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False, prog_name="dactl")


@pytest.fixture
def world(tmp_path: Path, org_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    world = World(tmp_path)
    world.seed(action("Get User"), action("Get Order"))
    monkeypatch.setattr(orchestrator_module, "connect_genesys", world.org.connect)
    monkeypatch.setenv("GENESYSCLOUD_API_URL", API_URL)
    monkeypatch.chdir(tmp_path)
    yield world


def test_top_level_summaries_are_one_short_sentence() -> None:
    result = dactl("--help")
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert len(listed) == len(main.commands)  # one line each: nothing wraps
    for line in listed:
        name, summary = line.split(maxsplit=1)
        assert not summary.endswith("..."), f"{name}: the summary is cut: {summary!r}"
        assert summary.endswith("."), f"{name}: {summary!r}"
        assert summary.count(". ") == 0, f"{name}: more than one sentence: {summary!r}"


@pytest.mark.parametrize("command", ORG_COMMANDS)
def test_commands_that_talk_to_an_org_list_the_environment(command: str) -> None:
    text = dactl(command, "--help").stdout
    for variable in VARIABLES:
        assert f"  {variable}  " in text, f"{command} --help lacks {variable}"


@pytest.mark.parametrize("command", ["validate", "import", "show"])
def test_offline_commands_do_not(command: str) -> None:
    assert "GENESYSCLOUD_" not in dactl(command, "--help").stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("validate", "actions", "--no-color"), "--no-color"),  # it prints no colors
        (("validate", "actions", "-v"), "-v"),  # it makes no request to log
        (("import", "x.json", "--out", "d", "--no-color"), "--no-color"),
        (("import", "x.json", "--out", "d", "-v"), "-v"),
        (("export", "--no-color"), "--no-color"),
        (("test", "Get User", "--no-color"), "--no-color"),
        (("test", "Get User", "--concurrency", "4"), "--concurrency"),  # reads one action
        (("show", "plan.json", "-v"), "-v"),  # offline
    ],
)
def test_options_that_would_do_nothing_are_gone(args: tuple[str, ...], option: str) -> None:
    result = dactl(*args)
    assert result.exit_code == 1
    assert f"Error: No such option '{option}'" in result.stderr


def test_the_input_option_reads_as_written() -> None:
    # "KEY=VALUE" would be masked as a secret ("key=...") by the output filter
    assert "--input NAME=VALUE" in dactl("test", "--help").stdout


def test_a_mistyped_target_or_name_suggests_the_close_ones(world: World) -> None:
    plan = dactl("plan", "actions", "--target", "Get Usr")
    assert plan.exit_code == 1
    assert plan.stderr == (
        "Error: --target names no known action: Get Usr (did you mean 'Get User' or 'Get Order'?)\n"
    )
    apply = dactl("apply", "actions", "--auto-approve", "--target", "get order", "--target", "X")
    assert apply.exit_code == 1
    assert apply.stderr == (
        "Error: --target names no known action: X, get order "
        "(get order: did you mean 'Get Order'?)\n"
    )
    test = dactl("test", "Get Ordr", "actions", "--offline")
    assert test.exit_code == 1
    assert test.stderr == (
        "Error: no action is named 'Get Ordr' in actions; did you mean 'Get Order' or 'Get User'?\n"
    )
    assert world.org.writes == []


def complete(words: str, shell: str = "bash") -> list[str]:
    """What ``dactl`` answers the shell completing the last of ``words``."""
    cword = len(shlex.split(words)) - (0 if words.endswith(" ") else 1)
    env = {"_DACTL_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = dactl(**env)
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line]


def test_shell_completion_lists_action_names(world: World) -> None:
    assert complete("dactl plan actions --target G") == [
        "plain,Get\\\\ Order",
        "plain,Get\\\\ User",
    ]
    assert complete("dactl apply --target get\\ u") == ["plain,Get\\\\ User"]
    assert complete("dactl plan elsewhere --target ") == []  # names of that directory
    assert complete("dactl test ") == ["plain,Get\\\\ Order", "plain,Get\\\\ User"]
    assert complete("dactl test Get\\ O", shell="zsh") == ["plain", "Get Order", "_"]
    source = dactl(_DACTL_COMPLETE="bash_source")
    assert source.exit_code == 0 and "complete -o nosort -F _dactl_completion dactl" in (
        source.stdout
    )


def test_completion_reads_the_directory_offline(tmp_path: Path) -> None:
    (tmp_path / "acts").mkdir()
    (tmp_path / "acts" / "a.yaml").write_text("name: Alpha\n")
    (tmp_path / "acts" / "b.yaml").write_text("name: [unclosed\n")  # unreadable: skipped
    (tmp_path / "acts" / "c.yaml").write_text("- a list\n")
    (tmp_path / "acts" / "d.yaml").write_text("name: 12\n")

    def names(**params: object) -> list[str]:
        ctx = click.Context(main, info_name="dactl")
        ctx.params.update(params)
        return [item.value for item in complete_action_names(ctx, main.params[0], "")]

    os.environ.pop("_DACTL_COMPLETE", None)
    assert names(directory=tmp_path / "acts") == ["Alpha"]
    assert names(target=tmp_path / "acts") == ["Alpha"]
    assert names(directory=tmp_path / "nowhere") == []
    assert names(target=tmp_path / "acts" / "a.yaml") == []  # a saved plan: no names
