"""sealfile log: the audit trail of one encrypted file, from git history, without a single secret.

For every commit that changed the file (following renames): who, when, and
what changed compared with the version before it: key paths added, removed
and changed, recipients added and removed, data key rotations
(:func:`~.gitdiff.compare`, keyless: changes are seen in the ciphertext).
"""
from __future__ import annotations

import json
from typing import Any

from ..settings import Settings
from .gitdiff import FileChanges, compare
from .gitrepo import Commit, Git

__all__ = ["HistoryEntry", "file_history", "render_history", "REPORT_FORMATS"]

#: ``--format`` values of ``sealfile log`` (the second is the name of the stdlib module that writes it)
REPORT_FORMATS = ("text", json.__name__)


class HistoryEntry:
    """One commit of the file's history and what it changed."""

    def __init__(self, commit: Commit, changes: FileChanges) -> None:
        self.commit = commit
        self.changes = changes

    def as_dict(self) -> dict[str, Any]:
        c = self.commit
        return {"commit": c.sha, "author": c.author, "email": c.email, "date": c.date, "subject": c.subject,
                "parent": c.parent, "path": c.path,
                "renamed_from": c.old_path if c.old_path != c.path else None, "deleted": c.deleted, **self.changes.as_dict()}


def file_history(path: str, settings: Settings, *, revision: str | None = None, git: Git | None = None
                 ) -> list[HistoryEntry]:
    """The commits that changed ``path``, newest first, each with its changes against its first parent."""
    git = git or Git(settings.env)
    entries = []
    for c in git.history(path, revision):
        before = git.blob(f"{c.parent}:{c.old_path}") if c.parent else None
        after = None if c.deleted else git.blob(f"{c.sha}:{c.path}")
        entries.append(HistoryEntry(c, compare(before, after, c.path, settings)))
    return entries


def render_history(entries: list[HistoryEntry], fmt: str = "text") -> str:
    """The entries as text for a terminal, PR comment or CI log, or as JSON."""
    if fmt != "text":
        return json.dumps([e.as_dict() for e in entries], indent=2, ensure_ascii=False) + "\n"
    out: list[str] = []
    for e in entries:
        c = e.commit
        out.append(f"commit {c.sha}")
        out.append(f"Author: {c.author} <{c.email}>")
        out.append(f"Date:   {c.date}")
        out.append(f"    {c.subject}")
        facts = e.changes.lines()
        if c.deleted:
            facts.insert(0, f"deleted  {c.path}")
        elif c.old_path != c.path:
            facts.insert(0, f"renamed  from {c.old_path}")
        out.extend(f"  {line}" for line in facts or ["(no change to values or recipients)"])
        out.append("")
    return "\n".join(out)
