"""Changing who can decrypt a file: rotate, updatekeys, groups add / delete.

``rotate`` makes a new data key and re-encrypts every value with it (the IV
stash survives, as in sops).  ``updatekeys`` and ``groups`` keep the data key
and only wrap it again (re-split for Shamir): they never decrypt the values,
so the values, ``lastmodified`` and ``mac`` are written back exactly as read,
as sops does.  Nothing here prints; the CLI shows plans and asks questions.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping as TMapping, Sequence

from . import api
from .core.cipher import DataKey
from .core.datakey import recover_data_key, wrap_data_key
from .errors import ConfigError, ConflictingParameters, ExitCode, SealfileError
from .fileio import atomic_write, read_input, write_result
from .keys import KeyContext, MasterKey
from .core.metadata import Metadata
from .settings import decryption_order as decryption_order_from, environ, resolve_config, store_options
from .stores import store_for
from .core.tree import Mapping

__all__ = ["GroupChange", "KeyUpdatePlan", "KeyedFile", "open_keyed", "diff_key_groups", "rotate_file",
           "plan_key_update", "apply_key_update", "add_group", "remove_group"]

KeyLike = MasterKey | tuple[str, Any]
ConfigArg = Any  # None: search as sops does; False: none; a path; or a Config


# --------------------------------------------------------------------------- helpers

def _keys(items: Sequence[KeyLike]) -> list[MasterKey]:
    """Accept key objects or (type, spec) pairs, so callers need not import key sources."""
    out: list[MasterKey] = []
    for item in items:
        if isinstance(item, tuple):
            out.extend(api.resolve_keys([item]))
        else:
            out.append(item)
    return out


def _completed(keys: Sequence[MasterKey], ctx: KeyContext) -> list[MasterKey]:
    """Keys as the service completes them (an Azure key without a version gets the current one).

    sops compares keys only in this form, so an unchanged rule is no change for
    ``updatekeys`` and ``--rm-azure-kv URL`` without a version removes the key.
    """
    return [k.resolved(ctx) if hasattr(k, "resolved") else k for k in keys]


def _effective_threshold(groups: int, threshold: int) -> int:
    """What sops records: the value as given, or the group count when Shamir needs one."""
    if groups > 1 and threshold == 0:
        return groups
    return threshold


# --------------------------------------------------------------------------- a file opened for re-keying

@dataclass
class KeyedFile:
    """An encrypted file whose values stay ciphertext: only its key groups change.

    ``docs`` are the documents exactly as loaded (values still ``ENC[...]``),
    so writing them back reproduces every value byte for byte, even list items
    that share a path and a plaintext (which a decrypt/re-encrypt round trip
    would collapse onto one IV).
    """

    path: str
    fmt: str
    store: Any
    docs: list[Mapping]
    metadata: Metadata
    env: dict[str, str] = field(repr=False)

    def master_keys(self) -> list[list[MasterKey]]:
        return [[entry.key for entry in group] for group in self.metadata.key_groups]

    def data_key(self, decryption_order: str | Sequence[str] | None = None) -> DataKey:
        """Unwrap the data key from the current groups (no MAC check: values are untouched)."""
        meta = self.metadata
        try:
            return recover_data_key(meta.key_groups, meta.shamir_threshold, KeyContext(self.env),
                                    decryption_order_from(decryption_order, self.env))
        except SealfileError as exc:
            raise exc.with_path(self.path)

    def rewrap(self, data_key: DataKey, groups: Sequence[Sequence[MasterKey]], threshold: int) -> None:
        """Wrap ``data_key`` for ``groups``; every ``enc`` is new, even for keys that stay."""
        t = _effective_threshold(len(groups), threshold)
        if not groups:
            raise SealfileError("no key groups left to encrypt the data key for", path=self.path)
        try:
            self.metadata.key_groups = wrap_data_key(groups, data_key, t, KeyContext(self.env))
        except SealfileError as exc:
            raise exc.with_path(self.path)
        self.metadata.shamir_threshold = t

    def to_bytes(self) -> bytes:
        meta_tree = self.metadata.to_tree(for_json=self.fmt in ("json", "binary"))
        return self.store.dump_encrypted(self.docs, meta_tree)

    def save(self) -> bytes:
        """Atomically replace the file; returns what was written."""
        data = self.to_bytes()
        atomic_write(self.path, data)
        return data


def open_keyed(path: str | os.PathLike[str], *, input_type: str | None = None, config: ConfigArg = None,
               env: TMapping[str, str] | None = None) -> KeyedFile:
    """Load an encrypted file's documents and metadata without decrypting anything."""
    p = os.fspath(path)
    env_map = environ(env)
    fmt, _ = api.resolve_types(p, input_type, None, None)
    try:
        cfg = resolve_config(config, env_map)
        store = store_for(fmt, **cfg.store_options(fmt))
        docs, meta_tree = store.load_encrypted(read_input(p))
        meta = Metadata.from_tree(meta_tree)
    except SealfileError as exc:
        raise exc.with_path(p)
    return KeyedFile(p, fmt, store, docs, meta, env_map)


# --------------------------------------------------------------------------- diffs

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


# --------------------------------------------------------------------------- updatekeys

@dataclass
class KeyUpdatePlan:
    """What ``updatekeys`` would do to one file; :func:`apply_key_update` carries it out."""

    path: str
    groups: list[list[MasterKey]]
    changes: list[GroupChange]
    old_threshold: int
    new_threshold: int
    file: KeyedFile = field(repr=False)

    @property
    def keys_change(self) -> bool:
        return any(c.changed for c in self.changes)

    @property
    def threshold_changes(self) -> bool:
        return self.old_threshold != self.new_threshold

    @property
    def changed(self) -> bool:
        return self.keys_change or self.threshold_changes


def plan_key_update(path: str | os.PathLike[str], *, shamir_threshold: int | None = None,
                    input_type: str | None = None, config: ConfigArg = None,
                    env: TMapping[str, str] | None = None) -> KeyUpdatePlan:
    """Compare a file's key groups with its creation rule; nothing is decrypted or written.

    The threshold kept is the file's (or ``shamir_threshold``), capped at the
    rule's number of groups, as in sops.  A config is required.
    """
    p = os.fspath(path)
    env_map = environ(env)
    if os.path.isdir(p):
        raise SealfileError("can't operate on a directory", path=p)
    if not os.path.exists(p):
        raise SealfileError(f'no such file: "{os.path.abspath(p)}"', path=p)
    cfg = resolve_config(config, env_map)
    if cfg.path is None:
        raise ConfigError("config file not found", path=p)
    keyed = open_keyed(p, input_type=input_type, config=cfg, env=env_map)
    try:
        rule = cfg.rule_for(os.path.abspath(p))
        if rule is None:
            raise ConfigError(f"the config file {cfg.path} does not contain any creation rule")
        ctx = KeyContext(env_map)  # one context: credentials are looked up once for every group
        groups = [_completed(g, ctx) for g in api.rule_keys(rule)]
    except SealfileError as exc:
        raise exc.with_path(p)
    old_t = keyed.metadata.shamir_threshold
    new_t = min(shamir_threshold or old_t, len(groups))
    return KeyUpdatePlan(p, groups, diff_key_groups(keyed.master_keys(), groups), old_t, new_t, keyed)


def apply_key_update(plan: KeyUpdatePlan, *, decryption_order: str | Sequence[str] | None = None) -> bytes:
    """Re-wrap the file's data key for the plan's groups and write the file in place."""
    keyed = plan.file
    data_key = keyed.data_key(decryption_order)
    if not plan.groups or not all(plan.groups):
        raise SealfileError("the creation rule gives an empty key group: refusing to write a file "
                            "nobody can decrypt", path=plan.path)
    keyed.rewrap(data_key, plan.groups, plan.new_threshold)
    return keyed.save()


# --------------------------------------------------------------------------- groups add / delete

def _emit(keyed: KeyedFile, in_place: bool) -> bytes:
    return keyed.save() if in_place else keyed.to_bytes()


def add_group(path: str | os.PathLike[str], keys: Sequence[KeyLike], threshold: int | None = None, *,
              in_place: bool = False, input_type: str | None = None, config: ConfigArg = None,
              decryption_order: str | Sequence[str] | None = None,
              env: TMapping[str, str] | None = None) -> bytes:
    """Append a key group (Shamir shares are re-split for every group); return the file."""
    keyed = open_keyed(path, input_type=input_type, config=config, env=env)
    try:
        new_group = _keys(keys)
    except SealfileError as exc:
        raise exc.with_path(keyed.path)
    if not new_group:
        raise SealfileError("a new key group needs at least one key (--age, --pgp ...)", path=keyed.path)
    data_key = keyed.data_key(decryption_order)
    groups = keyed.master_keys() + [new_group]
    t = threshold or keyed.metadata.shamir_threshold
    if t > len(groups):
        raise SealfileError(f"Shamir threshold {t} is more than the {len(groups)} key groups the file "
                            "would have", path=keyed.path)
    keyed.rewrap(data_key, groups, t)
    return _emit(keyed, in_place)


def remove_group(path: str | os.PathLike[str], index: int, threshold: int | None = None, *,
                 in_place: bool = False, input_type: str | None = None, config: ConfigArg = None,
                 decryption_order: str | Sequence[str] | None = None,
                 env: TMapping[str, str] | None = None) -> bytes:
    """Delete key group ``index`` (0-based); refused when the threshold could no longer be met."""
    keyed = open_keyed(path, input_type=input_type, config=config, env=env)
    groups = keyed.master_keys()
    if not 0 <= index < len(groups):
        raise SealfileError(f"there is no key group {index}: the file has {len(groups)} "
                            f"(numbered from 0)", path=keyed.path)
    if len(groups) == 1:
        raise SealfileError("cannot delete the only key group: nobody could decrypt the file",
                            path=keyed.path)
    data_key = keyed.data_key(decryption_order)
    del groups[index]
    t = threshold or keyed.metadata.shamir_threshold
    if len(groups) < t:
        raise SealfileError(
            "removing this key group will make the Shamir threshold impossible to satisfy: Shamir "
            f"threshold is {t}, but we only have {len(groups)} key groups", path=keyed.path)
    keyed.rewrap(data_key, groups, t)
    return _emit(keyed, in_place)


# --------------------------------------------------------------------------- rotate

def rotate_file(path: str | os.PathLike[str], *, add: Sequence[KeyLike] = (), remove: Sequence[KeyLike] = (),
                in_place: bool = False, output: str | None = None, input_type: str | None = None,
                output_type: str | None = None, filename_override: str | None = None,
                ignore_mac: bool = False, decryption_order: str | Sequence[str] | None = None,
                indent: int | None = None, config: ConfigArg = None,
                env: TMapping[str, str] | None = None) -> bytes:
    """New data key, every value re-encrypted; ``add`` keys join the first group and
    ``remove`` keys leave every group (matched by string form).  Returns the file.
    """
    p = os.fspath(path)
    if in_place and output:
        raise ConflictingParameters("Error: cannot operate on both --output and --in-place")
    env_map = environ(env)
    if (add or remove) and not os.path.exists(p):
        raise SealfileError(f'cannot add or remove keys on non-existent file "{os.path.abspath(p)}"',
                            path=p, exit_code=ExitCode.CANNOT_CHANGE_KEYS_FROM_NONEXISTENT)
    try:
        add_keys, rm_keys = _keys(add), _completed(_keys(remove), KeyContext(env_map))
        cfg = resolve_config(config, env_map)
    except SealfileError as exc:
        raise exc.with_path(p)
    df = api.open_file(p, input_type=input_type, filename_override=filename_override, ignore_mac=ignore_mac,
                       decryption_order=decryption_order, indent=indent, env=env_map, config=cfg)
    groups = df.master_keys()
    groups[0].extend(add_keys)
    gone = {k.to_string() for k in rm_keys}
    groups = [[k for k in g if k.to_string() not in gone] for g in groups]
    threshold = df.metadata.shamir_threshold
    try:
        if not all(groups):
            raise SealfileError("Could not generate data key: empty key group provided (every key of "
                                "a group would be removed)")
        df.new_data_key()
        df.rewrap(groups, threshold)
        _, out_fmt = api.resolve_types(p, input_type, output_type, filename_override)
        out_store = store_for(out_fmt, **store_options(cfg, out_fmt, indent))
        data = df.reencrypt(out_store, json_nulls=out_fmt in ("json", "binary"))
    except SealfileError as exc:
        raise exc.with_path(p)
    write_result(data, p, in_place=in_place, output=output)
    return data
