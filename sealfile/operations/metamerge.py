"""3-way merge of the ``sops`` metadata of three versions of a file: recipients, key groups, selector.

Recipients are compared by key type and sops's string form of the key (as
``updatekeys`` compares them).  Each key group merges as a set: a recipient
one side added is added, one that one side removed is removed.  Different
numbers of key groups on both sides, or both sides changing the Shamir
threshold, the selector or the MAC mode differently, are conflicts.

Writing the merged recipients needs no key service when it can be avoided:
an entry whose ``enc`` wraps the result's data key (from the version whose
key the result uses, or from a single-group version with the same data key)
is copied as it is; only a recipient that none of them wrapped for is
wrapped anew.  Several key groups hold Shamir shares, which differ between
any two splits, so a changed multi-group layout is wrapped anew as a whole.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..core.datakey import wrap_data_key
from ..core.metadata import Metadata
from ..core.sopsfile import SopsFile
from ..core import versions
from ..errors import VersionCompareError
from ..keys import KeyContext, KeyEntry
from .treemerge import BASE, OURS, THEIRS

__all__ = ["MetadataPlan", "merge_metadata", "apply_plan", "recipient", "recipient_groups"]

Ident = tuple[str, str]


def recipient(entry: KeyEntry) -> Ident:
    """A recipient as sops compares them: key type and the key's string form."""
    return entry.key.type_name, entry.key.to_string()


def recipient_groups(meta: Metadata) -> list[list[Ident]]:
    return [[recipient(e) for e in group] for group in meta.key_groups]


class MetadataPlan:
    """The merged recipients (per group), threshold, selector and MAC mode; ``conflicts`` says where it failed."""

    def __init__(self) -> None:
        self.groups: list[list[Ident]] = []
        self.threshold = 0
        self.selector: Any = None
        self.mac_only_encrypted = False
        self.version = ""
        self.conflicts: list[str] = []

    def same_as(self, meta: Metadata) -> bool:
        """Whether ``meta`` already says what this plan says (then its key groups can be kept as they are)."""
        return (recipient_groups(meta) == self.groups and meta.shamir_threshold == self.threshold
                and meta.selector == self.selector and meta.mac_only_encrypted == self.mac_only_encrypted)


def _pick(b: Any, o: Any, t: Any, what: str, plan: MetadataPlan, prefer: str) -> Any:
    if o == t or t == b:
        return o
    if o == b:
        return t
    plan.conflicts.append(what)
    return t if prefer == THEIRS else b if prefer == BASE else o


def _merge_group(b: list[Ident], o: list[Ident], t: list[Ident]) -> list[Ident]:
    """Added on either side: in; removed on either side: out; our order, then theirs' additions."""
    return [x for x in o if x in t or x not in b] + [x for x in t if x not in o and x not in b]


def merge_metadata(base: Metadata | None, ours: Metadata, theirs: Metadata, prefer: str = OURS) -> MetadataPlan:
    plan = MetadataPlan()
    bg = recipient_groups(base) if base is not None else None
    og, tg = recipient_groups(ours), recipient_groups(theirs)
    if og == tg or tg == bg:
        plan.groups = og
    elif og == bg:
        plan.groups = tg
    elif len(og) == len(tg) and (bg is None or len(bg) == len(og)):
        plan.groups = [_merge_group(bg[i] if bg else [], og[i], tg[i]) for i in range(len(og))]
    else:
        plan.conflicts.append("sops key groups (groups added or removed on both sides)")
        plan.groups = tg if prefer == THEIRS else bg if prefer == BASE and bg is not None else og
    if not all(plan.groups):
        plan.conflicts.append("sops key groups (a group would be left without recipients)")
        plan.groups = og
    b = base if base is not None else ours
    plan.threshold = _pick(b.shamir_threshold, ours.shamir_threshold, theirs.shamir_threshold,
                           "sops shamir_threshold", plan, prefer)
    plan.selector = _pick(b.selector, ours.selector, theirs.selector, "the sops selector (which values are "
                          "encrypted)", plan, prefer)
    plan.mac_only_encrypted = _pick(b.mac_only_encrypted, ours.mac_only_encrypted, theirs.mac_only_encrypted,
                                    "sops mac_only_encrypted", plan, prefer)
    try:
        plan.version = theirs.version if versions.is_newer(theirs.version, ours.version) else ours.version
    except VersionCompareError:
        plan.version = ours.version
    return plan


def apply_plan(plan: MetadataPlan, result: SopsFile, sides: Sequence[SopsFile], keys: KeyContext) -> None:
    """Give ``result`` (which holds the data key the merged file uses) the merged metadata.

    ``sides`` are all versions, the one whose data key ``result`` uses first.
    Only recipients that no version with this data key has an ``enc`` for are
    wrapped anew (all of them when several key groups changed).
    """
    meta = result.metadata
    meta.selector, meta.mac_only_encrypted, meta.version = plan.selector, plan.mac_only_encrypted, plan.version
    for side in sides:  # a version that has these very groups for this data key: its entries, as they are
        if (side.data_key == result.data_key and recipient_groups(side.metadata) == plan.groups
                and side.metadata.shamir_threshold == plan.threshold):
            meta.key_groups, meta.shamir_threshold = side.metadata.key_groups, plan.threshold
            return
    known: dict[Ident, KeyEntry] = {}
    for side in reversed(sides):
        for group in side.metadata.key_groups:
            known.update((recipient(e), e) for e in group)
    if len(plan.groups) > 1:
        result.rewrap([[known[i].key for i in group] for group in plan.groups], plan.threshold, keys)
        return
    usable: dict[Ident, KeyEntry] = {}
    for side in reversed(sides):  # entries that wrap this very data key (one group: the key itself)
        if len(side.metadata.key_groups) == 1 and side.data_key == result.data_key:
            usable.update((recipient(e), e) for e in side.metadata.key_groups[0])
    group: list[KeyEntry] = []
    for ident in plan.groups[0]:
        entry = usable.get(ident)
        if entry is None:
            entry = wrap_data_key([[known[ident].key]], result.data_key, 0, keys)[0][0]
        group.append(entry)
    meta.key_groups, meta.shamir_threshold = [group], plan.threshold
