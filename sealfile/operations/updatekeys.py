"""updatekeys: make a file's key groups what its creation rule says now, keeping the data key.

The values are never decrypted: the data key is unwrapped and wrapped again
for the rule's keys, and the documents, ``lastmodified`` and ``mac`` are
written back exactly as read, as sops does.  Planning and applying are two
steps so that a caller (the CLI) can show the plan and ask first.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..core.sopsfile import SopsFile
from ..errors import ConfigError, FileMissing, KeyGroupError, NotAFile, SealfileError
from ..fileio import atomic_write
from ..keys import MasterKey
from ..settings import Settings
from .encrypt import rule_keys
from .files import open_encrypted
from .keygroups import GroupChange, completed, diff_key_groups, effective_threshold

__all__ = ["KeyUpdatePlan", "plan_key_update", "apply_key_update"]


@dataclass
class KeyUpdatePlan:
    """What ``updatekeys`` would do to one file; :func:`apply_key_update` carries it out."""

    path: str
    groups: list[list[MasterKey]]
    changes: list[GroupChange]
    old_threshold: int
    new_threshold: int
    file: SopsFile = field(repr=False)
    settings: Settings = field(repr=False)

    @property
    def keys_change(self) -> bool:
        return any(c.changed for c in self.changes)

    @property
    def threshold_changes(self) -> bool:
        return self.old_threshold != self.new_threshold

    @property
    def changed(self) -> bool:
        return self.keys_change or self.threshold_changes


def plan_key_update(path: str | os.PathLike[str], settings: Settings, *, shamir_threshold: int | None = None,
                    input_type: str | None = None) -> KeyUpdatePlan:
    """Compare a file's key groups with its creation rule; nothing is decrypted or written.

    The threshold kept is the file's (or ``shamir_threshold``), capped at the
    rule's number of groups, as in sops.  A config is required.
    """
    p = os.fspath(path)
    if os.path.isdir(p):
        raise NotAFile("can't operate on a directory", file=p)
    if not os.path.exists(p):
        raise FileMissing(f'no such file: "{os.path.abspath(p)}"', file=p)
    cfg = settings.config
    if cfg.path is None:
        raise ConfigError("config file not found", file=p)
    sf = open_encrypted(p, settings, input_type=input_type, layout=True)
    try:
        rule = cfg.rule_for(os.path.abspath(p))
        if rule is None:
            raise ConfigError(f"the config file {cfg.path} does not contain any creation rule")
        groups = [completed(g, settings.keys) for g in rule_keys(rule)]
    except SealfileError as exc:
        raise exc.with_path(p)
    old_t = sf.metadata.shamir_threshold
    new_t = min(shamir_threshold or old_t, len(groups))
    return KeyUpdatePlan(p, groups, diff_key_groups(sf.master_keys(), groups), old_t, new_t, sf, settings)


def apply_key_update(plan: KeyUpdatePlan) -> bytes:
    """Re-wrap the file's data key for the plan's groups and write the file in place; returns it."""
    sf, settings = plan.file, plan.settings
    try:
        sf.unlock(settings.keys, settings.decryption_order)
        if not plan.groups or not all(plan.groups):
            raise KeyGroupError("the creation rule gives an empty key group: refusing to write a file "
                                "nobody can decrypt")
        sf.rewrap(plan.groups, effective_threshold(len(plan.groups), plan.new_threshold), settings.keys)
    except SealfileError as exc:
        raise exc.with_path(plan.path)
    data = sf.dump()
    atomic_write(plan.path, data)
    return data
