"""``dactl test``: run one action, offline (templates rendered here) or in the org (``/test``).

Offline (``offline``), the request is rendered as Genesys would render it, and with a sample
response the translation map, the success template and the output contract are checked
too. In the org (``remote``), the live action of that name is tested and its steps
reported. For a ``secure`` action no input value is ever part of a result: requests are
shown with ``<input.NAME>`` placeholders, step bodies, error texts and the org's result are
left out, and offline outputs are redacted. ``inputs`` types and checks the inputs given.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.config.model import ActionSpec
from reconciler.config.tree import Located
from reconciler.errors import DactlError
from reconciler.suggest import did_you_mean
from reconciler.validate import ValidationReport

# --- finding the action ------------------------------------------------------------------


def find_spec(report: ValidationReport, name: str) -> ActionSpec | None:
    """The action file's spec for ``name``, if the tree has one."""
    return next((s for s in report.actions if s.name == name), None)


def unknown_action(name: str, names: Iterable[str], where: str) -> DactlError:
    """The error for a name no action has, with the closest names."""
    known = sorted(set(names))
    hint = did_you_mean(name, known)
    if not hint and known:
        hint = "the actions are: " + ", ".join(repr(n) for n in known[:10])
        hint += ", ..." if len(known) > 10 else ""
    elif not hint:
        hint = "it has no actions"
    return DactlError(f"no action is named {name!r} {where}; {hint}")


def require_spec(report: ValidationReport, name: str) -> ActionSpec:
    """The spec of ``name``, or an error naming the closest names."""
    spec = find_spec(report, name)
    if spec is None:
        raise unknown_action(name, (s.name for s in report.actions), f"in {report.tree.root}")
    return spec


def document_of(report: ValidationReport, spec: ActionSpec) -> Located | None:
    return next((a.doc for a in report.tree.actions if a.display == spec.source), None)
