"""What rotate, updatekeys and groups share: keys given as objects or (type, spec) pairs, and key diffs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..keys import KeyContext, MasterKey, parse_key

__all__ = ["KeyLike", "as_keys", "completed", "GroupChange", "diff_key_groups", "effective_threshold"]

#: a key object, or a (key type, spec) pair such as ("age", "age1...")
KeyLike = MasterKey | tuple[str, Any]


def as_keys(items: Sequence[KeyLike]) -> list[MasterKey]:
    """Accept key objects or (type, spec) pairs, so callers need not import key sources."""
    return [parse_key(item[0], item[1]) if isinstance(item, tuple) else item for item in items]


def completed(keys: Sequence[MasterKey], ctx: KeyContext) -> list[MasterKey]:
    """Keys as their services complete them (an Azure key without a version gets the current one).

    sops compares keys only in this form, so an unchanged rule is no change for
    ``updatekeys`` and ``--rm-azure-kv URL`` without a version removes the key.
    """
    return [k.resolved(ctx) for k in keys]


def effective_threshold(groups: int, threshold: int) -> int:
    """What sops's updatekeys and groups record: the value given, or the group count when Shamir needs one."""
    if groups > 1 and threshold == 0:
        return groups
    return threshold


@dataclass(frozen=True)
class GroupChange:
    """One key group before/after, compared by the keys' string forms as sops does."""

    common: tuple[MasterKey, ...] = ()
    added: tuple[MasterKey, ...] = ()
    removed: tuple[MasterKey, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def diff_key_groups(old: Sequence[Sequence[MasterKey]], new: Sequence[Sequence[MasterKey]]) -> list[GroupChange]:
    """Group i of ``old`` against group i of ``new`` (sops's ``DiffKeyGroups``)."""
    out: list[GroupChange] = []
    for i in range(max(len(old), len(new))):
        ours = list(old[i]) if i < len(old) else []
        theirs = list(new[i]) if i < len(new) else []
        our_names = {k.to_string() for k in ours}
        their_names = {k.to_string() for k in theirs}
        out.append(GroupChange(
            common=tuple(k for k in theirs if k.to_string() in our_names),
            added=tuple(k for k in theirs if k.to_string() not in our_names),
            removed=tuple(k for k in ours if k.to_string() not in their_names)))
    return out
