"""Server text is data: make it safe to print before it reaches a terminal or a CI log.

An error message, a test step's result or an HTML error page comes from the server (or from
whatever answers in its place: a proxy, a hostile host). Printed as it is, an escape sequence
in it could clear the screen, retitle the window (``\\x1b]0;...\\x07``), hide the lines
before it, or move the cursor to forge output; a bidi override could reorder what the
reviewer reads. ``printable`` removes all of that; ``printable_data`` does it to every string
of a decoded JSON value whose only use is to be shown.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["printable", "printable_data"]

# ESC-introduced sequences (ECMA-48): CSI ``ESC [ ... final``; OSC ``ESC ] ... BEL|ST``;
# DCS/SOS/PM/APC ``ESC P|X|^|_ ... ST``; other escapes ``ESC intermediates final``. Each
# also has a one-byte C1 form (0x9b CSI, 0x9d OSC, 0x90/0x98/0x9e/0x9f). An unterminated
# string sequence runs to the end of the text, as a terminal would swallow it.
_SEQUENCES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?
    | (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c]* (?:\x1b\\|\x9c)?
    | \x1b [ -/]* [0-~]?
    """,
    re.VERBOSE,
)
# What is left: C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, line and
# paragraph separators. Tabs and line breaks are handled before this.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_BREAKS = re.compile("\r\n|[\r\n\u2028\u2029\x85\x0b\x0c]")


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` without terminal escape sequences and control characters.

    Tabs become spaces, line breaks too unless ``newlines`` (then ``\\r\\n`` and ``\\r``
    become ``\\n``); every other control character (C0, DEL, C1) and bidi control is
    removed.
    """
    text = _SEQUENCES.sub("", text)
    text = _BREAKS.sub("\n" if newlines else " ", text.replace("\t", " "))
    if newlines:
        return "\n".join(_CONTROLS.sub("", line) for line in text.split("\n"))
    return _CONTROLS.sub("", text)


def printable_data(value: Any) -> Any:
    """A copy of a decoded JSON value with ``printable`` applied to every string, keys
    included (line breaks kept). For values that are only shown, never compared or sent
    back. Decoded answers nest at most ``jsonsafe.MAX_DEPTH`` levels, so recursion is safe."""
    if isinstance(value, str):
        return printable(value, newlines=True)
    if isinstance(value, dict):
        return {printable_data(k): printable_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable_data(v) for v in value]
    return value
