"""Terraform's string syntax: the escapes of a quoted string's literal text, the ``~``
strip markers of template directives, and a template's text parsed as a quoted string (how
heredocs and template files are read with the same parser)."""

from __future__ import annotations

import re
from typing import Any

from hcl2.api import parses
from hcl2.rules.strings import StringRule

from reconciler.terraform.values import Unsupported

_ESCAPES = re.compile(
    r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))|(\$\$\{)|(%%\{)|(\$\{|%\{)", re.S
)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
STRIP_LEFT, STRIP_RIGHT = object(), object()  # a directive's ~ before / after it


def hides_a_template(token: str) -> bool:
    """Whether an escaped ``$${...}`` token (the parser ends it at the first ``}``) holds a
    live ``${`` or ``%{`` after its escape, as in ``"$${input.${k}}"``."""
    return any(m[6] for m in _ESCAPES.finditer(token, 3))


def decode(text: str) -> str:
    """Literal text of a quoted string: backslash escapes, ``$${`` and ``%%{``."""

    def one(match: re.Match[str]) -> str:
        code = match[1] or match[2]
        if code:
            return chr(int(code, 16))
        if match[3] is not None:
            if match[3] not in _SIMPLE_ESCAPES:
                raise Unsupported(f"the escape \\{match[3]} (Terraform has no such escape)")
            return _SIMPLE_ESCAPES[match[3]]
        if match[4] or match[5]:
            return match[0][1:]
        raise Unsupported(
            f"a {match[6]}...}} inside an escaped $${{...}}: dactl cannot read it exactly"
        )

    return _ESCAPES.sub(one, text)


def join_segments(segments: list[Any]) -> str:
    """Template segments as one string, applying the ``~`` strip markers to the literal
    text beside them."""
    out: list[tuple[str, str]] = []
    strip_next = False
    for segment in segments:
        if segment is STRIP_LEFT:
            if out and out[-1][0] == "text":
                out[-1] = ("text", out[-1][1].rstrip())
        elif segment is STRIP_RIGHT:
            strip_next = True
        else:
            kind, text = segment
            out.append((kind, text.lstrip() if strip_next and kind == "text" else text))
            strip_next = False
    return "".join(text for _, text in out)


def parse_string(quoted: str, what: str) -> StringRule:
    try:
        body = parses(f'x = "{quoted}"\n').body
    except Exception as exc:  # the parser's own errors: a template it cannot read
        raise Unsupported(f"{what} cannot be parsed: {str(exc).splitlines()[0]}") from exc
    string = getattr(getattr(body.children[0], "expression", None), "expression", None)
    if not isinstance(string, StringRule):
        raise Unsupported(f"{what} cannot be parsed as a template")
    return string
