"""A marked comment body under the service's cap."""

from __future__ import annotations

import pytest

from reconciler.ci.body import GITHUB_LIMIT, compose, marker_line, size
from reconciler.errors import CiError
from reconciler.render.plan import MARKDOWN_LIMIT


def test_marker_line() -> None:
    assert marker_line("dactl-plan") == "<!-- dactl-plan -->"
    assert marker_line("dactl-plan:prod.eu_1") == "<!-- dactl-plan:prod.eu_1 -->"
    for bad in ("a -->b", "a--b", "", "-a", "a b", "x" * 101):
        with pytest.raises(CiError, match="--marker"):
            marker_line(bad)


def test_size_counts_as_github_does() -> None:
    assert size("abc") == 3
    assert size("🗑️") == 3  # an astral emoji (2 UTF-16 units) and a variation selector


def test_a_body_that_fits_is_kept_whole() -> None:
    body = compose("<!-- m -->", "### plan\n\ntext\n\n\n", "<sub>footer</sub>", limit=100)
    assert body == "<!-- m -->\n### plan\n\ntext\n\n<sub>footer</sub>\n"
    assert compose("<!-- m -->", "text", "", limit=100) == "<!-- m -->\ntext\n"


def test_the_largest_markdown_plan_fits_a_github_comment() -> None:
    """The renderers stay under MARKDOWN_LIMIT characters; even all of them astral emoji
    (two UTF-16 units each), with marker and footer, they fit GitHub's cap."""
    assert 2 * MARKDOWN_LIMIT > GITHUB_LIMIT  # so the cut below is a real safety net
    text = "| ✏️ | a |\n" * (MARKDOWN_LIMIT // 10)
    body = compose("<!-- dactl-plan -->", text, "<sub>footer</sub>", limit=GITHUB_LIMIT)
    assert size(body) <= GITHUB_LIMIT


def test_a_long_body_is_cut_at_a_line_with_its_fence_and_details_closed() -> None:
    text = "\n".join(
        ["### plan", "<details><summary>one</summary>", "", "```diff"]
        + [f"+ line {i}" for i in range(500)]
        + ["```", "</details>"]
    )
    body = compose("<!-- m -->", text, "<sub>footer</sub>", limit=2_000)
    assert size(body) <= 2_000
    lines = body.split("\n")
    assert lines[0] == "<!-- m -->"
    cut = lines.index("_Cut here to fit a comment: the whole text is in the log of the CI job._")
    assert lines[cut - 3 : cut] == ["```", "</details>", ""]  # closed, then the note
    assert body.endswith(f"{lines[cut]}\n\n<sub>footer</sub>\n")
    kept = lines[5 : cut - 3]
    assert kept == [f"+ line {i}" for i in range(len(kept))] and 100 < len(kept) < 500


def test_a_cut_outside_a_fence_closes_details_only() -> None:
    text = "<details>\n\n```\ncode\n```\n" + "\n".join(["row"] * 1000)
    body = compose("<!-- m -->", text, "", limit=600)
    assert size(body) <= 600
    assert "```\n</details>" not in body and "row\n</details>\n" in body


def test_a_longer_closing_fence_closes_and_a_fence_with_info_does_not() -> None:
    text = "````diff\na\n```text\nb\n`````\n" + "x\n" * 1000
    body = compose("<!-- m -->", text, "", limit=500)
    assert "`````\nx\n" in body and not body.rstrip().endswith("````")
