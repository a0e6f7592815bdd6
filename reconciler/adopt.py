"""Which live actions an export writes: all of them, or, to adopt actions into a tree that
already has files, only those named (``dactl export --name NAME``) or those no file claims
(``--unmanaged``).

A file claims a live action by its ``name`` or by one of its ``formerNames`` (the plan
renames that action). An export never writes a file for an action a file claims by a former
name: that would put it in two files; the rename is carried out by ``dactl apply``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from reconciler.config.loader import LoadedTree
from reconciler.errors import ExportError
from reconciler.identity import LiveAction, refuse_duplicate_names
from reconciler.suggest import did_you_mean


@dataclass(frozen=True)
class Adoption:
    """What to adopt: the actions named, and with ``unmanaged`` every one no file claims.
    Neither: a whole export."""

    names: tuple[str, ...] = ()
    unmanaged: bool = False

    @property
    def active(self) -> bool:
        return bool(self.names) or self.unmanaged


def former_names(tree: LoadedTree) -> dict[str, str]:
    """Each former name listed in the tree's files -> the file that lists it."""
    out: dict[str, str] = {}
    for doc in tree.actions:
        data = doc.doc.data if isinstance(doc.doc.data, dict) else {}
        former = data.get("formerNames")
        for name in former if isinstance(former, list) else ():
            if isinstance(name, str):
                out.setdefault(name, doc.display)
    return out


def select(
    actions: list[LiveAction],
    adoption: Adoption,
    files: Collection[str],
    former: Mapping[str, str],
) -> tuple[list[LiveAction], list[str]]:
    """The live actions to write, and notes on those left alone. ``files``: the action
    names the tree has files for; ``former``: the former names its files list.

    An unknown ``--name`` (with a did-you-mean), one a file renames, or two live actions
    with a selected name are an ``ExportError``, before anything is written.
    """
    live_names = {a.canonical["name"] for a in actions}
    for name in adoption.names:
        if name not in live_names:
            hint = did_you_mean(name, live_names)
            raise ExportError(
                f"--name {name!r}: no live action of that name in scope"
                + (f" ({hint})" if hint else "")
            )
        if name in former and name not in files:
            raise ExportError(
                f"--name {name!r}: {former[name]} lists it in formerNames, so `dactl apply` "
                "renames that action; it is not exported into a second file"
            )
    renamed = sorted(n for n in live_names if n in former and n not in files)
    notes = [
        f"{name!r} was left alone: {former[name]} renames it (formerNames); `dactl apply` "
        "carries the rename out"
        for name in renamed
        if not adoption.names
    ]
    if adoption.active:
        wanted = set(adoption.names)
        if adoption.unmanaged:
            wanted |= live_names - set(files) - set(former)
        chosen = [a for a in actions if a.canonical["name"] in wanted]
    else:
        chosen = [a for a in actions if a.canonical["name"] not in renamed]
    refuse_duplicate_names(chosen)  # before anything is written
    return chosen, notes
