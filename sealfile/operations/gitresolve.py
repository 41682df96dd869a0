"""sealfile git resolve: finish a conflicted merge of an encrypted file in the editor.

git keeps the three versions of a conflicted file in the index (stages 1,
2 and 3).  They are decrypted and merged as the merge driver merges them;
the editor then shows the merged file, in its format, with each conflicting
place marked the way git marks conflicting lines::

    <<<<<<< ours
    password: ours-value
    ||||||| base
    password: base-value
    =======
    password: theirs-value
    >>>>>>> theirs

Keep what should stay, delete the rest and the markers, save: the file is
encrypted again as the merge driver would have written it (the result's
data key, merged recipients, the ciphertext of every value that did not
change) and written to the working tree; nothing is staged.  The plaintext
lives only in the editor's 0600 file inside a 0700 temp directory
(:class:`~.edit.Workspace`), which the caller removes on every way out.
"""
from __future__ import annotations

import difflib
import os
import re

from ..errors import (AlreadyEncrypted, EmptyDocument, InvalidEdit, MergeConflict, NotConflicted, ParseError,
                      SealfileError)
from ..fileio import atomic_write
from ..settings import Settings
from .files import load_plain
from .gitfilter import decrypted_text
from .gitmerge import Versions, open_versions
from .gitrepo import Git
from .gitsetup import DRIVER
from .treemerge import BASE, THEIRS, copy_documents, merge_documents

__all__ = ["ResolveSession", "start_resolve", "mark_conflicts"]

_MARKER = re.compile(r"^(<{7}|\|{7}|={7}|>{7})( |$)", re.M)


def _lines(text: bytes) -> list[str]:
    s = text.decode("utf-8", "surrogateescape")
    return (s if s.endswith("\n") or not s else s + "\n").splitlines(keepends=True)


def mark_conflicts(ours: bytes, base: bytes, theirs: bytes) -> bytes:
    """``ours`` with every run of lines that differs from ``theirs`` marked as git marks a conflict
    (with the lines of ``base`` there, for diff3-style context)."""
    o, b, t = _lines(ours), _lines(base), _lines(theirs)
    to_base: dict[int, int] = {}
    for i, j, n in difflib.SequenceMatcher(None, o, b, autojunk=False).get_matching_blocks():
        to_base.update((i + k, j + k) for k in range(n))
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, o, t, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(o[i1:i2])
            continue
        before = [to_base[k] for k in range(i1) if k in to_base]
        after = [to_base[k] for k in range(i2, len(o)) if k in to_base]
        lo = before[-1] + 1 if before else 0
        hi = after[0] if after else len(b)
        out += ["<<<<<<< ours\n", *o[i1:i2], "||||||| base\n", *b[lo:max(lo, hi)], "=======\n", *t[j1:j2],
                ">>>>>>> theirs\n"]
    return "".join(out).encode("utf-8", "surrogateescape")


class ResolveSession:
    """One conflicted file: ``initial`` is the text for the editor, :meth:`apply` the encrypted result.

    Has what the CLI's editor loop uses of an edit session (``path``,
    ``filename``, ``initial``, :meth:`apply`); ``conflicts`` names the places.
    """

    def __init__(self, path: str, versions: Versions, plain_view: bool) -> None:
        self.path = path
        self.filename = os.path.basename(os.path.abspath(path))
        self.versions = versions
        self.plain_view = plain_view
        store = versions.store
        self._theirs = store.dump_plain(versions.variant(THEIRS))
        self._base = store.dump_plain(versions.variant(BASE))
        found, _ = versions.merge_trees()  # ours, merged in place: ours at each conflict
        self._plan = versions.plan()
        #: the conflicting places in the values (what the editor shows), and in the metadata (ours is kept)
        self.conflicts = [c.describe(len(versions.ours.docs)) for c in found]
        self.kept_ours = self._plan.conflicts
        self.initial = mark_conflicts(store.dump_plain(versions.ours.docs), self._base, self._theirs)

    @property
    def needs_editor(self) -> bool:
        """Whether values conflict (else :meth:`merged` is the whole answer: the merge merely needed a key,
        or only the metadata conflicted and ours is kept)."""
        return bool(self.conflicts)

    def merged(self) -> bytes:
        """The encrypted result as the merge gives it, without an edit."""
        return self.versions.finish(self._plan)

    def apply(self, edited: bytes) -> bytes:
        """The encrypted file for the edited text; InvalidEdit (the user can fix it) when it cannot be."""
        text = edited.decode("utf-8", "surrogateescape")
        marker = _MARKER.search(text)
        if marker is not None:
            line = text.count("\n", 0, marker.start()) + 1
            raise InvalidEdit(f"conflict markers are still in the file (line {line}): keep one version of each "
                              "marked place and delete the marker lines", ParseError("conflict markers"),
                              file=self.path)
        store = self.versions.store
        try:
            docs = load_plain(store, edited)
            if store.has_metadata(docs):
                raise AlreadyEncrypted("a top-level 'sops' entry is reserved for the metadata")
            if not docs:
                raise EmptyDocument("there must be at least one document")
        except (ParseError, AlreadyEncrypted, EmptyDocument) as exc:
            raise InvalidEdit(f"the edited file cannot be used: {exc.message}", exc, file=self.path) from None
        merged = self.versions.ours.docs
        merge_documents(copy_documents(merged), merged, docs)  # the edit, onto ours' own objects (layout)
        return self.versions.finish(self._plan)

    def save(self, data: bytes) -> None:
        """Write the resolved file to the working tree (in filter mode, as the plaintext git would check out)."""
        if self.plain_view:
            data = decrypted_text(data, self.path, self.versions.settings)
        atomic_write(self.path, data)


def start_resolve(path: str, settings: Settings) -> ResolveSession:
    """Decrypt and merge the three index stages of the conflicted ``path``."""
    git = Git(settings.env)
    stages = git.conflict_stages(path)
    if not stages:
        raise NotConflicted("not in conflict: git lists no unmerged stages for it", file=path)
    if 2 not in stages or 3 not in stages:
        raise MergeConflict("one side deleted the file: keep it with 'git add' or drop it with 'git rm'",
                            file=path)
    blobs = {stage: git.run(["cat-file", "blob", sha]) for stage, sha in stages.items()}
    try:
        versions = open_versions(blobs.get(1), blobs[2], blobs[3], settings, path)
    except SealfileError as exc:
        raise exc.with_path(path)
    if versions is None:
        raise MergeConflict("not an encrypted file (no sops metadata): resolve it as any other git conflict",
                            file=path)
    return ResolveSession(path, versions, git.attribute("filter", path) == DRIVER)
