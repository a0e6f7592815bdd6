"""The body of a sticky comment: a hidden marker, the Markdown, a footer, under a cap.

The marker (``<!-- dactl-plan -->``) opens the body, so the next run finds the comment
again (a reply quoting it starts with ``>``). GitHub refuses a comment body over 65,536
characters; the Markdown renderers stay under 60,000, and any text still too long (a
file of one's own) is cut at a line, its open code fence and ``<details>`` closed, with
a line that says where the whole text is.
"""

from __future__ import annotations

import re

from reconciler.errors import CiError

GITHUB_LIMIT = 65_536  # characters of a comment or issue body
GITLAB_LIMIT = 1_000_000  # characters of a note
_MARKER = re.compile(r"^[A-Za-z0-9]+(?:[-_.:][A-Za-z0-9]+)*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CUT = "\n_Cut here to fit a comment: the whole text is in the log of the CI job._\n"


def marker_line(name: str) -> str:
    """``<!-- name -->``; ``CiError`` for a name that could end the HTML comment early."""
    if not _MARKER.match(name) or len(name) > 100:
        raise CiError(f"--marker {name!r}: use letters, digits and single - _ . : between them")
    return f"<!-- {name} -->"


def size(text: str) -> int:
    """The length as GitHub counts it, at most: UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def compose(marker: str, text: str, footer: str, *, limit: int) -> str:
    """``marker``, ``text`` and ``footer`` as one body of at most ``limit`` characters;
    ``text`` cut at a line when it must be, with a line that says so."""
    head = marker + "\n"
    tail = "\n" + footer + "\n" if footer else ""
    text = text.rstrip("\n") + "\n"
    if size(head + text + tail) <= limit:
        return head + text + tail
    note = _CUT
    room = limit - size(head + tail + note) - 200  # what closing fences and tags may take
    return head + _cut(text, room) + note + tail


def _cut(text: str, room: int) -> str:
    """The lines of ``text`` that fit in ``room``, with open code fences and ``<details>``
    closed, so that what follows renders as text."""
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        used += size(line) + 1
        if used > room:
            break
        kept.append(line)
    fence: str | None = None
    details = 0
    for line in kept:
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is None:
            details += line.count("<details") - line.count("</details>")
        elif match and _closes(match.group(1), fence, line):
            fence = None
    closing = ([fence] if fence else []) + ["</details>"] * max(details, 0)
    return "\n".join([*kept, *closing]) + "\n"


def _closes(run: str, fence: str, line: str) -> bool:
    """Whether a line starting with the fence run ``run`` closes ``fence`` (CommonMark:
    the same character, at least as many, nothing after)."""
    return run[0] == fence[0] and len(run) >= len(fence) and not line.strip()[len(run) :]
