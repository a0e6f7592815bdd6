"""Find variable references, definitions and unparseable forms in Apache Velocity templates.

A hand-written, single-pass scanner: it never raises on any input string and runs in
time linear in the template's length (only linear regexes, every character visited a
bounded number of times, nesting capped so Python's recursion limit is never reached).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["Reference", "ScanProblem", "ScanResult", "scan"]

# Tools Genesys documents for data action templates, plus Velocity's own loop helpers.
TOOLS = frozenset(
    {
        "esc",
        "math",
        "encoding",
        "successTemplateUtils",
        "urlTool",
        "credentials",
        "salesforce",
        "msdynamics",
        "foreach",
        "velocityCount",
        "velocityHasNext",
    }
)


@dataclass(frozen=True)
class Reference:
    """One ``$`` reference. ``text`` is its head: up to the first ``(`` or ``[``, with the
    closing ``}`` only for a plain braced chain (``${input.x}``, ``$esc.jsonString``, ``${a.m``)."""

    root: str
    path: tuple[str, ...]
    text: str
    offset: int
    line: int
    column: int
    braced: bool
    quiet: bool


@dataclass(frozen=True)
class ScanProblem:
    """A form the scanner could not parse; the lint reports these as warnings."""

    message: str
    offset: int
    line: int
    column: int


@dataclass(frozen=True)
class ScanResult:
    """Everything :func:`scan` found, references in source order."""

    references: tuple[Reference, ...]
    defined: frozenset[str]
    problems: tuple[ScanProblem, ...]


def scan(template: str) -> ScanResult:
    """Scan a Velocity template; never raises, linear time."""
    scanner = _Scanner(template)
    scanner.text(0, len(template))
    refs = sorted(scanner.refs, key=lambda r: r.offset)
    problems = sorted(scanner.problems, key=lambda p: p.offset)
    return ScanResult(tuple(refs), frozenset(scanner.defined), tuple(problems))


# Velocity identifiers are ASCII only (str.isalpha would accept "é"); "-" is allowed after
# the first character, so "$input.queue-id" is the property "queue-id".
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SPACE = re.compile(r"[ \t]*")
_BLANK = re.compile(r"\s*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TEXT_SPECIAL = re.compile(r"[\\$#]")
_EXPR_SPECIAL = re.compile(r"[$\"'()\[\]{}]")
_DQ_SPECIAL = re.compile(r"[\\\"]")
_EOL = re.compile(r"[\r\n]")
_CLOSER = {"(": ")", "[": "]", "{": "}"}

# Directives that are a parse error without "(...)"; other words after "#" are macro calls
# only when "(" follows, and plain text otherwise (CSS colours, URL fragments, "#1").
_NEEDS_ARGS = frozenset(
    {"set", "if", "elseif", "foreach", "macro", "define", "parse", "include", "evaluate"}
)
_NO_ARGS = frozenset({"else", "end", "stop"})
_BINDS_FIRST = frozenset({"set", "foreach", "define"})
_MAX_DEPTH = 100


class _Scanner:
    """Cursor-free scanner: each method takes a start and a bound and returns where it ended."""

    def __init__(self, source: str) -> None:
        self.s = source
        self.refs: list[Reference] = []
        self.defined: set[str] = set()
        self.problems: list[ScanProblem] = []
        self.depth = 0
        # Set when nesting exceeds _MAX_DEPTH: every loop then unwinds at once, so the
        # recursion stays far below Python's limit and open references are still kept.
        self.aborted = False
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(source)]

    def where(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def problem(self, message: str, offset: int) -> None:
        if self.aborted:
            return
        line, column = self.where(offset)
        self.problems.append(ScanProblem(message, offset, line, column))

    def enter(self, offset: int) -> bool:
        """Go one level deeper; ``False`` (and stop everything) past ``_MAX_DEPTH``."""
        if self.depth >= _MAX_DEPTH:
            message = f"nesting deeper than {_MAX_DEPTH} levels; rest of template not scanned"
            # An empty string body starts at its closing quote's offset or at the very end.
            self.problem(message, min(offset, len(self.s) - 1))
            self.aborted = True
        if self.aborted:
            return False
        self.depth += 1
        return True

    def ident_end(self, i: int, end: int) -> int:
        """End of the identifier starting at ``i``, or ``i`` when there is none."""
        m = _IDENT.match(self.s, i, end)
        return m.end() if m else i

    # -- template text ---------------------------------------------------------------

    def text(self, i: int, end: int) -> None:
        """Scan template text (the whole template, or an interpolated string's body)."""
        s = self.s
        if not self.enter(i):
            return
        while not self.aborted and (m := _TEXT_SPECIAL.search(s, i, end)) is not None:
            i = m.start()
            c = s[i]
            if c == "\\":
                j = i
                while j < end and s[j] == "\\":
                    j += 1
                # An odd run escapes the "$" or "#" after it; an even run is literal
                # backslashes followed by a live reference or directive.
                i = j + 1 if (j - i) % 2 == 1 and j < end and s[j] in "$#" else j
            elif c == "$":
                ref, i = self.reference(i, end)
                if ref is not None:
                    self.refs.append(ref)
            else:
                i = self.hash(i, end)
        self.depth -= 1

    def hash(self, i: int, end: int) -> int:
        """Handle a ``#`` in text: comment, unparsed block, directive, macro call or text."""
        s = self.s
        j = i + 1
        if j >= end:
            return end
        c = s[j]
        if c == "#":
            m = _EOL.search(s, j, end)
            return m.start() if m else end
        if c == "*":
            k = s.find("*#", j + 1, end)
            if k < 0:
                self.problem("unterminated #* comment", i)
                return end
            return k + 2
        if s.startswith("[[", j, end):
            k = s.find("]]#", j + 2, end)
            if k < 0:
                self.problem("unterminated #[[ unparsed content", i)
                return end
            return k + 3
        braced = c == "{"
        start = j + 1 if braced or c == "@" else j
        e = self.ident_end(start, end)
        if e == start:
            return j
        name = s[start:e]
        if braced:
            if e >= end or s[e] != "}":
                return j
            e += 1
        if name in _NO_ARGS or (name == "break" and not s.startswith("(", e, end)):
            return e
        p = _SPACE.match(s, e, end)
        p_end = p.end() if p else e
        if p_end < end and s[p_end] == "(":
            return self.directive(name, i, p_end + 1, end)
        if name in _NEEDS_ARGS:
            self.problem(f"expected ( after #{name}", i)
        return e

    def directive(self, name: str, at: int, i: int, end: int) -> int:
        """Scan a directive's or macro call's arguments; ``i`` is just after ``(``."""
        s = self.s
        bind_all = False
        if name in _BINDS_FIRST or name == "macro":
            m = _BLANK.match(s, i, end)
            p = m.end() if m else i
            if name == "macro":
                # "#macro(name $a $b)": the name is a bare word, every $param is bound.
                i = self.ident_end(p, end)
                bind_all = True
            else:
                ref, q = self.reference(p, end) if p < end and s[p] == "$" else (None, p)
                if ref is None:
                    self.problem(f"#{name} does not start with a $reference", at)
                else:
                    self.defined.add(ref.root)
                    i = q
        return self.expr(i, end, ")", f"#{name}", at, bind_all)

    # -- references -------------------------------------------------------------------

    def reference(self, i: int, end: int) -> tuple[Reference | None, int]:
        """Parse the reference whose ``$`` is at ``i``; ``None`` when the ``$`` is text.

        Nested references (in arguments and indexes) are recorded directly; the head is
        returned so the caller decides whether it is a use or a definition.
        """
        s = self.s
        j = i + 1
        quiet = j < end and s[j] == "!"
        if quiet:
            j += 1
        braced = j < end and s[j] == "{"
        if braced:
            j += 1
        k = self.ident_end(j, end)
        if k == j:
            return None, i + 1
        root = s[j:k]
        path: list[str] = []
        head_end = k
        chain = True  # still a plain property chain: no call or index seen yet
        j = k
        while j < end and not self.aborted:
            c = s[j]
            if c == "." and j + 1 < end and s[j + 1] in _IDENT_START:
                k = self.ident_end(j + 1, end)
                if chain:
                    head_end = k
                if k < end and s[k] == "(":
                    chain = False
                    j = self.expr(k + 1, end, ")", "method call arguments", k)
                else:
                    if chain:
                        path.append(s[j + 1 : k])
                    j = k
            elif c == "[":
                chain = False
                j = self.expr(j + 1, end, "]", "index", j)
            else:
                break
        if braced:
            if j < end and s[j] == "}":
                j += 1
                if chain:
                    head_end = j
            elif j < end and s[j] == "|":
                # Velocity 2 alternate value: ${name|'default'}
                j = self.expr(j + 1, end, "}", "${...|...} alternate value", i)
            else:
                self.problem("unterminated ${ reference", i)
        line, column = self.where(i)
        ref = Reference(root, tuple(path), s[i:head_end], i, line, column, braced, quiet)
        return ref, j

    def expr(
        self, i: int, end: int, closer: str, what: str, at: int, bind_all: bool = False
    ) -> int:
        """Scan an expression up to its ``closer``; return the index just after it.

        Brackets, strings and references nest; on reaching ``end`` first a problem is
        recorded at ``at`` and ``end`` is returned. With ``bind_all``, every reference at
        the outer level is a definition (macro parameters), not a use.
        """
        s = self.s
        if not self.enter(at):
            return end
        stack: list[str] = []
        # Count of each closer on the stack, so a stray closer is checked in O(1).
        pending = {")": 0, "]": 0, "}": 0}
        while True:
            if self.aborted:
                return end
            m = _EXPR_SPECIAL.search(s, i, end)
            if m is None:
                if closer == ")" and what.startswith("#"):
                    self.problem(f"unbalanced parentheses in {what}", at)
                else:
                    self.problem(f"unterminated {what}", at)
                self.depth -= 1
                return end
            i = m.start()
            c = s[i]
            if c == "$":
                ref, i = self.reference(i, end)
                if ref is not None:
                    if bind_all and not stack:
                        self.defined.add(ref.root)
                    else:
                        self.refs.append(ref)
            elif c in "\"'":
                i = self.string(i, end)
            elif c in _CLOSER:
                stack.append(_CLOSER[c])
                pending[_CLOSER[c]] += 1
                i += 1
            elif stack and stack[-1] == c:
                pending[stack.pop()] -= 1
                i += 1
            elif not stack and c == closer:
                self.depth -= 1
                return i + 1
            else:
                self.problem(f"mismatched {c!r} in {what}", i)
                i += 1
                if pending[c]:
                    # Recover by closing everything opened since the matching opener.
                    while (top := stack.pop()) != c:
                        pending[top] -= 1
                    pending[c] -= 1
                elif c == closer:
                    self.depth -= 1
                    return i

    def string(self, i: int, end: int) -> int:
        """Skip a string literal at ``i``; double-quoted bodies are scanned as template."""
        s = self.s
        if s[i] == "'":
            # Single-quoted strings are literal; "''" inside is two adjacent literals.
            k = s.find("'", i + 1, end)
            if k < 0:
                self.problem("unterminated string literal", i)
                return end
            return k + 1
        j = i + 1
        while (m := _DQ_SPECIAL.search(s, j, end)) is not None and s[m.start()] == "\\":
            j = m.start() + 2
        if m is None:
            self.problem("unterminated string literal", i)
            self.text(i + 1, end)
            return end
        self.text(i + 1, m.start())
        return m.start() + 1
