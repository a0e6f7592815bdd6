"""The one owner of what counts as a secret, and of hiding it on the way out.

Three kinds of knowledge live here:

- **Names**: which header (or JSON key, or query parameter) carries a credential
  (``credential_header``), and whether a header value is a credential written in clear
  rather than templated (``literal_credential``). Validate's lint, the plan renderer and
  the tester ask these.
- **Known values**: the client secret and access token dactl read from the environment,
  and every bearer token it fetched, are registered (``register_secret``) by the code that
  reads them; any exact echo of one is masked, wherever it appears in a text.
- **Patterns** in free text (``redact_text``): a password in a URL
  (``https://id:SECRET@host`` -> ``https://id:***@host``), secret-looking query parameters
  (``?client_secret=***``), ``Bearer``/``Basic``/``Token`` values, credential header lines
  (``Authorization: ***``, ``Cookie: ***``), JSON-ish pairs (``"password": "***"``).
  ``redact_value`` does the same for data (a mapping's credential keys by name).

The channels apply them once, on the way out: everything the CLI prints goes through
``redacting_output`` (a filtering stdout/stderr, and a filter on the logging handlers),
saved plans through the plan renderer, audit lines and webhook bodies through
``redact_value``. Action files are not redacted: they hold what their author wrote, or
what the org holds (``dactl export``), and must round-trip.

Patterns cannot know every secret: a value is masked when its name says it is secret, its
form does (``Bearer ...``), or dactl knows it. A value split across two writes to a stream
is not seen whole; dactl writes each message in one piece.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any, TextIO, cast
from urllib.parse import quote, quote_plus

MASK = "***"
SENSITIVE = "(sensitive value)"  # what a whole credential value is shown as in reports

# --- names ------------------------------------------------------------------------------

# A header is a credential header when its name holds one of these words (``Cookie``,
# ``X-Client-Secret``, ``Private-Token``, ``Proxy-Authorization``), or "key" together with
# one of _KEY_QUALIFIERS (``X-API-Key``, ``api_key``, ``X-Auth-Key``, but not
# ``Idempotency-Key``).
_CREDENTIAL_WORDS = frozenset(
    {
        "authorization",
        "auth",
        "cookie",
        "secret",
        "token",
        "password",
        "passwd",
        "pwd",
        "credential",
        "credentials",
        "session",
        "signature",
        "apikey",
    }
)
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "secret", "private", "auth", "subscription", "client"}
)
# Query parameters that are secret although no header would be named so (``?key=``, ``?sig=``).
_SECRET_PARAMETERS = frozenset({"key", "sig", "pass", "pw"})
# A template call on a literal string (``$encoding.base64("admin:Hunter2")``) templates nothing.
_LITERAL_ARGUMENT = re.compile(r"""\(\s*(["'])([^"'$]{6,})\1""")
_SCHEME_TOKEN = re.compile(r"^\s*(basic|bearer|token|apikey)\s+\S{6,}", re.IGNORECASE)


def words(name: str) -> list[str]:
    """Split an identifier into lowercase words: ``customerSSN_last4`` -> customer, ssn, last4."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+|\s+", spaced) if w]


def credential_header(name: str) -> bool:
    """Whether a header's (or key's) name says it carries a credential (see _CREDENTIAL_WORDS)."""
    parts = set(words(name))
    if parts & _CREDENTIAL_WORDS:
        return True
    return "key" in parts and bool(parts & _KEY_QUALIFIERS)


def secret_parameter(name: str) -> bool:
    """Whether a query parameter's name says its value is secret (``client_secret``,
    ``access_token``, ``api_key``, ``key``, ``sig``, ``X-Amz-Signature``, ...)."""
    return credential_header(name) or name.lower() in _SECRET_PARAMETERS


def literal_credential(header: str, value: str) -> bool:
    """Whether a header value looks like a secret written in clear (not templated).

    A ``$`` alone does not make a value templated: secrets hold ``$`` too. The value is
    templated only when it holds a real Velocity reference, as the template scanner finds
    them: a braced one (``${credentials.token}``, ``$!{input.key}``, ``${anything}``), or an
    unbraced one to a member of a variable Genesys gives templates (``$credentials.token``,
    ``$!input.key``, ``$encoding.base64(...)``, ``$authResponse.access_token``). In
    ``Bearer abc$def123`` the ``$def123`` names no such variable, so it is text and the value
    is a literal credential. A template call on a literal string, as in
    ``Basic $encoding.base64("admin:Hunter2Secret")``, hides nothing: still a literal.
    """
    if not value.strip():
        return False
    if _templated(value) and not _LITERAL_ARGUMENT.search(value):
        return False
    return credential_header(header) or bool(_SCHEME_TOKEN.match(value))


def _templated(value: str) -> bool:
    if "$" not in value:
        return False
    # Imported here, as only templated-looking values need it (the scanner depends on
    # nothing of dactl's).
    from reconciler.velocity.scan import TOOLS, scan

    roots = TOOLS | {"input", "authResponse"}
    for ref in scan(value).references:
        head = ref.text.removeprefix("$").removeprefix("!")  # "credentials.token"
        if ref.braced or (ref.root in roots and head.startswith(f"{ref.root}.")):
            return True
    return False


# What a value already hidden or left as a placeholder looks like: ``***``, ``(sensitive
# value)``, ``<credentials.token>``, ``Bearer <credentials.token>``, ``Bearer ***``.
_PLACEHOLDER = re.compile(r"(?:[A-Za-z]+\s+)?(?:<[^<>]*>|\([^()]*\)|\*+)")


def _hidden_value(name: str, value: str) -> bool:
    """Whether ``value`` of the entry ``name`` must be masked: a credential name and a
    literal value (not templated, not a placeholder)."""
    text = value.strip()
    if not text or _PLACEHOLDER.fullmatch(text) or not credential_header(name):
        return False
    return literal_credential(name, text)


# --- known values -----------------------------------------------------------------------

MIN_KNOWN_LENGTH = 8  # shorter values would mask ordinary words of the output


class _Known:
    """The exact secret values this process has read (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
        with self._lock:
            new = {f for f in forms if len(f) >= MIN_KNOWN_LENGTH} - self._values
            if new:
                self._values |= new
                self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)  # longest first
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            return self._pattern


_KNOWN = _Known()


def register_secret(value: str | None) -> None:
    """Remember a secret value (client secret, access token, bearer token) so that any
    output holding it exactly (or URL- or JSON-encoded) shows ``***`` instead. Values under
    ``MIN_KNOWN_LENGTH`` characters are not remembered."""
    if value and value.strip():
        _KNOWN.add(value.strip())


def register_client_credentials(client_id: str | None, client_secret: str | None) -> None:
    """The client secret, and the ``Basic`` credential made of it (``base64(id:secret)``),
    which a server may echo without the word ``Basic``."""
    register_secret(client_secret)
    if client_id and client_secret:
        raw = f"{client_id}:{client_secret}".encode()
        register_secret(base64.b64encode(raw).decode("ascii"))


def forget_secrets() -> None:
    """Forget every registered value (for tests)."""
    _KNOWN.clear()


# --- text -------------------------------------------------------------------------------

# ``scheme://user:password@`` or ``scheme://token@``; the password may hold an ``@`` (the
# last one before the host ends the user part). Lengths are bounded: linear on any input.
_USERINFO = re.compile(
    r"(?P<scheme>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{0,30}://)"
    r"(?P<user>[^\s/?#@:\"'<>\\]{0,256})"
    r"(?::(?P<password>[^\s/?#\"'<>\\]{0,1024}))?@"
)
# ``name=value`` after ``?``, ``&``, ``;``, a space or the start: a query parameter, a
# form-encoded body, a cookie pair.
_PARAMETER = re.compile(
    r"(?<![\w.\-$%])(?P<name>[A-Za-z][\w.\-\[\]]{0,63})=(?P<value>[^&\s#\"'<>;]{1,4096})"
)
_SCHEME_VALUE = re.compile(
    r"\b(?P<scheme>Bearer|Basic|Token|Apikey)(?P<sep>[ \t]+)"
    r"(?P<value>[A-Za-z0-9\-._~+/]{6,4096}=*)",
    re.IGNORECASE,
)
# A header line: ``Authorization: Bearer x``, ``  Cookie: a=b``, ``+Set-Cookie: ...``.
_HEADER_LINE = re.compile(
    r"(?m)^(?P<lead>[ \t>|+\-*]*)(?P<name>[A-Za-z][\w\-]{0,63})(?P<sep>[ \t]*:[ \t]*)"
    r"(?P<value>[^\r\n]{1,8192})$"
)
# A quoted key and its quoted (or numeric) value: ``"client_secret": "x"``, ``'pwd': 'x'``.
_QUOTED_PAIR = re.compile(
    r"""(?P<q>["'])(?P<name>[A-Za-z][\w\-]{0,63})(?P=q)(?P<sep>[ \t]*[:=][ \t]*)"""
    r"""(?:(?P<q2>["'])(?P<value>(?:\\.|(?!(?P=q2))[^\\\r\n]){0,8192})(?P=q2)"""
    r"""|(?P<number>-?\d[\d.eE+\-]{0,63}))"""
)


def redact_text(text: str) -> str:
    """``text`` with every secret this module can recognise replaced by ``***``."""
    if not text:
        return text
    known = _KNOWN.pattern()
    if known is not None:
        text = known.sub(MASK, text)
    if ":" in text:
        text = _HEADER_LINE.sub(_header_line, text)
        text = _USERINFO.sub(_userinfo, text)
    if '"' in text or "'" in text:
        text = _QUOTED_PAIR.sub(_quoted_pair, text)
    if "=" in text:
        text = _PARAMETER.sub(_parameter, text)
    return _SCHEME_VALUE.sub(_scheme_value, text)


def _header_line(match: re.Match[str]) -> str:
    if not _hidden_value(match["name"], match["value"]):
        return match[0]
    return f"{match['lead']}{match['name']}{match['sep']}{MASK}"


def _userinfo(match: re.Match[str]) -> str:
    user, password = match["user"], match["password"]
    if password is not None:
        if not password or _reference(password):
            return match[0]
        return f"{match['scheme']}{user}:{MASK}@"
    if not user or _reference(user):
        return match[0]
    return f"{match['scheme']}{MASK}@"  # a user part alone is often a token


def _quoted_pair(match: re.Match[str]) -> str:
    name, value = match["name"], match["value"]
    if value is None:  # a number
        if not credential_header(name):
            return match[0]
        return f'{match["q"]}{name}{match["q"]}{match["sep"]}"{MASK}"'
    if not _hidden_value(name, value):
        return match[0]
    q, q2 = match["q"], match["q2"]
    return f"{q}{name}{q}{match['sep']}{q2}{MASK}{q2}"


def _parameter(match: re.Match[str]) -> str:
    value = match["value"]
    if not secret_parameter(match["name"]) or _reference(value) or value.strip("*") == "":
        return match[0]
    return f"{match['name']}={MASK}"


def _scheme_value(match: re.Match[str]) -> str:
    value = match["value"]
    if not _tokenish(value):
        return match[0]
    return f"{match['scheme']}{match['sep']}{MASK}"


def _tokenish(value: str) -> bool:
    """Whether the word after ``Bearer``/``Basic``/``Token`` is a credential rather than
    prose ("Token endpoint", "Bearer tokens"): a digit, a punctuation mark of a token,
    mixed case, or length."""
    return (
        any(c.isdigit() for c in value)
        or any(c in "-._~+/=" for c in value)
        or (value.lower() != value and value.upper() != value)
        or len(value) >= 20
    )


def _reference(value: str) -> bool:
    """A template reference or placeholder rather than a value (``${input.x}``, ``<x>``)."""
    return value.startswith(("$", "<", "%24", "%3C", "%3c", "{{"))


def redact_value(value: Any) -> Any:
    """``value`` (JSON-like data) with secrets hidden: the value of a key that names a
    credential (``Authorization``, ``X-API-Key``, ``Cookie``, ``client_secret``) becomes
    ``(sensitive value)`` unless templated, as does a whole string that is one
    (``Bearer ...``); every other string is passed through ``redact_text``."""
    if isinstance(value, Mapping):
        return {k: _entry(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    if isinstance(value, str):
        return SENSITIVE if literal_credential("", value) else redact_text(value)
    return value


def _entry(key: Any, value: Any) -> Any:
    if isinstance(key, str) and credential_header(key):
        if isinstance(value, str) and _hidden_value(key, value):
            return SENSITIVE
        if isinstance(value, int | float) and not isinstance(value, bool):
            return SENSITIVE
    return redact_value(value)


# --- channels ---------------------------------------------------------------------------


class RedactingStream(io.TextIOBase):
    """A text stream that writes ``redact_text`` of everything to the stream it wraps.

    It has no ``buffer``: Click (and anything else) cannot write around it in bytes.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.wrapped = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # Click probes for a binary stream with b""
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.wrapped.write(redact_text(text))
        return len(text)

    def flush(self) -> None:
        self.wrapped.flush()

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        """Closing the wrapper leaves the real stream open (it belongs to the process)."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.wrapped, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        errors = getattr(self.wrapped, "errors", None)
        return str(errors) if errors is not None else None


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (arguments merged in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


@contextlib.contextmanager
def redacting_output() -> Iterator[None]:
    """For the block: ``sys.stdout`` and ``sys.stderr`` redact what is written to them,
    and the logging handlers present (with Python's last-resort handler) redact records."""
    out, err = sys.stdout, sys.stderr
    log_filter = RedactingFilter()
    handlers = [*logging.getLogger().handlers, logging.lastResort]
    for handler in handlers:
        if handler is not None:
            handler.addFilter(log_filter)
    sys.stdout = cast(TextIO, RedactingStream(out))
    sys.stderr = cast(TextIO, RedactingStream(err))
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        sys.stdout, sys.stderr = out, err
        for handler in handlers:
            if handler is not None:
                handler.removeFilter(log_filter)


def redact_canonical(path: tuple[str | int, ...], value: Any) -> Any:
    """``value`` (found at ``path`` of a canonical action) with literal credentials in
    request headers hidden (templated header values stay visible), and every other string
    passed through ``redact_text`` (a password in a URL, ``"client_secret": "..."``
    in a template, a known secret value)."""
    if isinstance(value, dict):
        return {k: redact_canonical((*path, k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_canonical((*path, i), v) for i, v in enumerate(value)]
    if len(path) == 3 and path[:2] == ("request", "headers"):
        if isinstance(value, str) and literal_credential(str(path[2]), value):
            return SENSITIVE
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and credential_header(str(path[2])):
            return SENSITIVE
    if isinstance(value, str):
        return redact_text(value)
    return value
