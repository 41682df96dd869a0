"""git's 3-way merge of an encrypted file, and the merge driver git runs for it.

sops files do not merge as text: every edit rewrites ``lastmodified`` and
``mac``, so two branches that changed different values always conflict.
Here the three versions git hands over (base, ours, theirs) are decrypted
and merged path by path (:mod:`.treemerge`), their recipients and key groups
too (:mod:`.metamerge`), and the result is encrypted again with a new
``lastmodified`` and MAC:

* the result keeps our data key, unless only theirs rotated it (theirs is
  then the newer key, and the result uses it);
* versions with the same data key share one cipher and its IV memory, so
  every value the result takes from either side keeps that side's exact
  ciphertext: the merged file differs from each side only where the other
  side changed something;
* base and theirs are recognised as using our data key when their MAC
  authenticates under it, so only keys that really differ are unwrapped.

A conflict (the same path changed differently, recipients changed both
ways, no key, a MAC that does not verify) leaves ours as it is: the working
file stays a valid encrypted file, and the message names key paths, never
values.  Versions without sops metadata are merged by ``git merge-file``,
exactly as git merges text.  Nothing here writes plaintext anywhere.
"""
from __future__ import annotations

from typing import Mapping as TMapping, Sequence

from ..core.cipher import Cipher, DataKey
from ..core.mac import mac_aad
from ..core.sopsfile import SopsFile
from ..core.treeedit import same_tree
from ..errors import DecryptError, MetadataError, MetadataNotFound, SealfileError
from ..fileio import atomic_write, read_input
from ..settings import Settings
from ..stores import format_for_path
from .gitrepo import Git
from .metamerge import MetadataPlan, apply_plan, merge_metadata
from .treemerge import OURS, Conflict, copy_documents, merge_documents

__all__ = ["Versions", "MergeResult", "open_versions", "merge", "run_driver", "uses_key"]


class MergeResult:
    """The merged file (``data``), or where it conflicts (``conflicts``), or ``plain``: not sops files at all."""

    def __init__(self, data: bytes | None = None, conflicts: Sequence[str] = (), plain: bool = False) -> None:
        self.data = data
        self.conflicts = list(conflicts)
        self.plain = plain


def uses_key(sf: SopsFile, key: DataKey) -> bool:
    """Whether ``sf`` was written with data key ``key``: its MAC authenticates under it."""
    meta = sf.metadata
    if not meta.mac:
        return False
    try:
        Cipher(key, remember_ivs=False).decrypt_bytes(meta.mac, mac_aad(meta.lastmodified))
    except (DecryptError, MetadataError):
        return False
    return True


class Versions:
    """Three decrypted versions of one file (``base`` None when both sides added it).

    ``holder`` is the version whose data key the result is encrypted with.
    ``ours`` becomes the result: its documents are merged in place.
    """

    def __init__(self, store: object, base: SopsFile | None, ours: SopsFile, theirs: SopsFile,
                 originals: tuple[bytes, bytes], settings: Settings) -> None:
        self.store = store
        self.base, self.ours, self.theirs = base, ours, theirs
        self.originals = originals
        self.settings = settings
        rotated_by_them = (base is not None and ours.data_key == base.data_key and theirs.data_key != ours.data_key)
        self.holder = theirs if rotated_by_them else ours

    @property
    def sides(self) -> list[SopsFile]:
        """Every version, the holder of the result's data key first."""
        rest = [sf for sf in (self.ours, self.theirs, self.base) if sf is not None and sf is not self.holder]
        return [self.holder, *rest]

    def merge_trees(self, prefer: str = OURS) -> tuple[list[Conflict], bool]:
        """Merge into ``ours`` in place; the conflicts, and whether ours changed."""
        base = self.base.docs if self.base is not None else None
        return merge_documents(base, self.ours.docs, self.theirs.docs, prefer)

    def variant(self, prefer: str) -> list:
        """The merged documents with ``prefer``'s version at each conflict (copies: nothing is changed)."""
        base = copy_documents(self.base.docs) if self.base is not None else None
        docs = copy_documents(self.ours.docs)
        merge_documents(base, docs, copy_documents(self.theirs.docs), prefer)
        return docs

    def plan(self, prefer: str = OURS) -> MetadataPlan:
        base = self.base.metadata if self.base is not None else None
        return merge_metadata(base, self.ours.metadata, self.theirs.metadata, prefer)

    def finish(self, plan: MetadataPlan, changed: bool = True) -> bytes:
        """The merged file: ours' documents, the plan's metadata, a new MAC (or a side as it was, when
        the merge changed nothing of it)."""
        ours, theirs = self.ours, self.theirs
        if not changed and self.holder is ours and plan.same_as(ours.metadata):
            return self.originals[0]
        if (theirs.data_key == self.holder.data_key and plan.same_as(theirs.metadata)
                and len(ours.docs) == len(theirs.docs) and all(map(same_tree, ours.docs, theirs.docs))):
            return self.originals[1]
        if self.holder is not ours:
            ours.share_key(self.holder)
        apply_plan(plan, ours, self.sides, self.settings.keys)
        ours.encrypt(self.store)
        return ours.dump(self.store)

    def merge(self) -> MergeResult:
        """The driver's merge: the merged file, or the conflicts (and ours untouched)."""
        conflicts, changed = self.merge_trees()
        plan = self.plan()
        where = [c.describe(len(self.ours.docs)) for c in conflicts] + plan.conflicts
        if where:
            return MergeResult(conflicts=where)
        return MergeResult(self.finish(plan, changed))


def open_versions(base: bytes | None, ours: bytes, theirs: bytes, settings: Settings, path: str) -> Versions | None:
    """Load, unlock and decrypt the three versions; None when ours or theirs has no sops metadata.

    A base without metadata (or empty: both sides added the file) counts as no
    base.  Errors (no key, a MAC mismatch, a file that does not parse) are
    raised as they are.
    """
    store = settings.store(format_for_path(path))
    try:
        o = SopsFile.load(ours, store, path=path, layout=True)
        t = SopsFile.load(theirs, store, path=path)
    except MetadataNotFound:
        return None
    b = None
    if base:
        try:
            b = SopsFile.load(base, store, path=path)
        except MetadataNotFound:
            b = None
    keys, order = settings.keys, settings.decryption_order
    o.unlock(keys, order)
    for sf in (t, b):
        if sf is not None:
            if uses_key(sf, o.data_key):
                sf.share_key(o)
            else:
                sf.unlock(keys, order)
    for sf in (o, t, b):
        if sf is not None:
            sf.decrypt()
    return Versions(store, b, o, t, (ours, theirs), settings)


def merge(base: bytes | None, ours: bytes, theirs: bytes, settings: Settings, path: str) -> MergeResult:
    """3-way merge of three versions of the encrypted file ``path`` (its name decides the format)."""
    versions = open_versions(base, ours, theirs, settings, path)
    if versions is None:
        return MergeResult(plain=True)
    return versions.merge()


# --- the driver ------------------------------------------------------------------------------------

def _labels(git: Git, env: TMapping[str, str]) -> list[str]:
    """The conflict labels git itself would use in a merge (``HEAD``, the merge base, the branch)."""
    heads = [(k[len("GITHEAD_"):], v) for k, v in env.items() if k.startswith("GITHEAD_")]
    if len(heads) != 1:
        return ["HEAD", "base", "theirs"]
    sha, name = heads[0]
    try:
        base = git.text(["rev-parse", "--short", git.text(["merge-base", "HEAD", sha])])
    except SealfileError:
        base = "base"
    return ["HEAD", base, name]


def _plain_merge(git: Git, base: str, ours: str, theirs: str, marker_size: int, labels: Sequence[str]) -> int:
    """``git merge-file`` into ``ours``, with git's labels and conflict style: 0 clean, 1 conflicts."""
    style = (git.config_get("merge.conflictStyle", "--includes") or "").lower()
    flags = [f"--{style}"] if style in ("diff3", "zdiff3") else []
    ours_label, base_label, theirs_label = labels
    code = git.status(["merge-file", f"--marker-size={marker_size}", "-L", ours_label, "-L", base_label,
                       "-L", theirs_label, *flags, ours, base, theirs])
    return 0 if code == 0 else 1


def run_driver(base: str, ours: str, theirs: str, marker_size: int, path: str, settings: Settings,
               labels: Sequence[str] = ()) -> tuple[int, list[str]]:
    """What git's merge driver does: merge into the file ``ours``; (exit status, messages for stderr).

    Never raises for a merge that cannot be done: that is a conflict (status
    1) with a message, and ``ours`` is left as git gave it.
    """
    git = Git(settings.env)
    try:
        versions = open_versions(read_input(base), read_input(ours), read_input(theirs), settings, path)
        if versions is None:
            given = [label for label in labels if label and not label.startswith("%")]
            return _plain_merge(git, base, ours, theirs, marker_size,
                                given if len(given) == 3 else _labels(git, settings.env)), []
        result = versions.merge()
        if result.conflicts:
            return 1, [f"{path}: merge conflict in " + "; ".join(result.conflicts),
                       f"{path}: the file keeps our version, still encrypted; resolve it with: "
                       f"sealfile git resolve {path}"]
        assert result.data is not None
        atomic_write(ours, result.data)
        return 0, []
    except SealfileError as exc:
        exc.file = path
        return 1, [f"{exc}", f"{path}: not merged: the file keeps our version, still encrypted"]
