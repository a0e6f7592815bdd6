"""``dactl pull``: accept into git what was changed in the org outside it.

Drift (``reconciler.drift``, read off a plan with prune on) says which actions changed in
the org; pull rewrites the file of each so that it describes the live action
(``reconciler.pull_files``), and with ``--unmanaged`` adds a file for each in-scope action
that no file claims, as ``dactl export --unmanaged`` writes it. Only those files change.
Actions missing from the org are reported, never deleted from git; fields under ignore
rules are not pulled (the plan already reads them as the org's).

Every file is worked out and checked first; a file that cannot be is a ``PullRefused``
naming it, and nothing is written. Then each file is written atomically (temporary file,
then rename).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reconciler.drift import DriftedAction, DriftReport, drift_report
from reconciler.errors import DactlError
from reconciler.live import LiveState
from reconciler.outdir import write_files
from reconciler.plan import Plan, ignored_note
from reconciler.pull_files import Context, FileRefused, PulledFile, PullRefused, adopt, rewrite
from reconciler.validate import ValidationReport

PULL_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PullReport:
    """What a pull wrote (or, with ``check``, would write), and the drift it was read from.

    ``files``: updated files, new ones, then those left as they are (drifted, but all of
    it left alone: a pending rename, a Function's code), each by path; ``adopting``: ``--unmanaged``
    was given (unmanaged actions got files; else they are only listed).
    """

    drift: DriftReport
    files: tuple[PulledFile, ...] = ()
    check: bool = False
    adopting: bool = False

    @property
    def pulled(self) -> bool:
        """Whether any file changes (or, with ``check``, would)."""
        return any(f.status != "left" for f in self.files)

    def with_status(self, status: str) -> tuple[PulledFile, ...]:
        return tuple(f for f in self.files if f.status == status)

    @property
    def missing(self) -> tuple[DriftedAction, ...]:
        """Actions in git, not in the org: reported, their files kept."""
        return self.drift.with_status("missing")

    @property
    def unmanaged(self) -> tuple[DriftedAction, ...]:
        """Actions in the org that no file claims and that got no file (no ``--unmanaged``)."""
        return () if self.adopting else self.drift.with_status("unmanaged")

    def counts(self) -> dict[str, int]:
        return {
            "updated": len(self.with_status("updated")),
            "new": len(self.with_status("new")),
            "missing": len(self.missing),
            "unmanaged": len(self.unmanaged),
            "left": len(self.with_status("left")),
        }

    def summary(self) -> str:
        """``Pulled 3 actions from the org: 2 files updated, 1 new.``, and what was left."""
        n = self.counts()
        total = n["updated"] + n["new"]
        if total:
            verb = "Would pull" if self.check else "Pulled"
            head = (
                f"{verb} {total} action{'' if total == 1 else 's'} from the org: "
                f"{n['updated']} file{'' if n['updated'] == 1 else 's'} updated, {n['new']} new"
            )
        else:
            head = "Nothing to pull: the files match the org"
        rest = []
        if n["left"]:
            rest.append(
                f"{n['left']} drifted but left as {'it is' if n['left'] == 1 else 'they are'}"
            )
        if n["missing"]:
            rest.append(f"{n['missing']} missing from the org (files kept)")
        if n["unmanaged"]:
            rest.append(f"{n['unmanaged']} unmanaged (--unmanaged adds their files)")
        ignored = ignored_note(self.drift.ignored)
        if ignored:
            rest.append(f"{ignored}, not pulled")
        text = head + ("; " + "; ".join(rest) if rest else "") + "."
        return text + (" Nothing was written (--check)." if self.check and total else "")


def prepare_pull(
    report: ValidationReport,
    live: LiveState,
    plan: Plan,
    *,
    directory: Path,
    unmanaged: bool = False,
    check: bool = False,
) -> PullReport:
    """Work out every file of the pull from a plan made with prune on (``plan``) of the
    validated tree ``report`` against ``live``; writes nothing. ``PullRefused`` (one line
    per file) when any file cannot be pulled."""
    drift = drift_report(plan, str(directory))
    context = Context(report.project, live.integrations)
    docs = {doc.display: doc for doc in report.tree.actions}
    specs = {spec.source: spec for spec in report.actions}
    current = {action.id: action for action in live.actions}
    renames = {c.name: c.renamed_from for c in plan.changes if c.kind != "delete"}
    refused: list[str] = []
    files: list[PulledFile] = []
    for action in drift.with_status("changed"):
        doc = docs.get(action.source or "")
        if doc is None or action.action_id not in current:
            refused.append(f"{action.source or action.name}: not found again (please report this)")
            continue
        try:
            pulled = rewrite(
                doc,
                specs.get(doc.display),
                action,
                current[action.action_id],
                context,
                renamed_from=renames.get(action.name),
            )
        except FileRefused as exc:
            refused.append(str(exc))
            continue
        if pulled is not None:
            files.append(pulled)
    if unmanaged:
        names = [a.name for a in drift.with_status("unmanaged")]
        try:
            files += adopt(report.tree, live, names, directory)
        except (FileRefused, DactlError) as exc:
            refused.append(str(exc))
    if refused:
        raise PullRefused(refused)
    order = {"updated": 0, "new": 1, "left": 2}
    files.sort(key=lambda f: (order[f.status], f.display))
    return PullReport(drift, tuple(files), check=check, adopting=unmanaged)


def write_pull(pull: PullReport) -> list[Path]:
    """Write the files of ``pull`` (none with ``check``), each atomically; the paths.
    Checked again first: a file changed since it was read, a new file's name now taken, or
    a directory that cannot be written to is a ``PullRefused``, and nothing is written."""
    if pull.check:
        return []
    problems = []
    writes = [f for f in pull.files if f.status != "left"]
    for pulled in writes:
        if pulled.status == "new" and pulled.path.exists():
            problems.append(f"{pulled.display}: appeared while pulling; run dactl pull again")
        elif pulled.status == "updated" and _read(pulled.path) != pulled.original:
            problems.append(f"{pulled.display}: changed while pulling; run dactl pull again")
        elif not os.access(pulled.path.parent, os.W_OK):
            problems.append(f"{pulled.display}: cannot write into {pulled.path.parent}")
    if problems:
        raise PullRefused(problems)
    return write_files((f.path, f.text) for f in writes)


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")  # line ends as they are
    except (OSError, UnicodeDecodeError):
        return None


__all__ = ["PULL_FORMAT_VERSION", "PullRefused", "PullReport", "prepare_pull", "write_pull"]
