"""groups add / delete: a key group more or less, the data key re-split for every group (Shamir).

As with updatekeys, the values stay ciphertext and are written back as read.
"""
from __future__ import annotations

import os
from typing import Sequence

from ..core.sopsfile import SopsFile
from ..errors import KeyGroupError, SealfileError
from ..fileio import atomic_write
from ..keys import MasterKey
from ..settings import Settings
from .files import open_encrypted
from .keygroups import KeyLike, as_keys, effective_threshold

__all__ = ["add_group", "remove_group"]


def _rewrap(sf: SopsFile, groups: Sequence[Sequence[MasterKey]], threshold: int, settings: Settings,
            in_place: bool) -> bytes:
    if not groups:
        raise KeyGroupError("no key groups left to encrypt the data key for", file=sf.path)
    try:
        sf.rewrap(groups, effective_threshold(len(groups), threshold), settings.keys)
    except SealfileError as exc:
        raise exc.with_path(sf.path)
    data = sf.dump()
    if in_place:
        atomic_write(sf.path or "", data)
    return data


def add_group(path: str | os.PathLike[str], keys: Sequence[KeyLike], settings: Settings,
              threshold: int | None = None, *, in_place: bool = False, input_type: str | None = None) -> bytes:
    """Append a key group (Shamir shares are re-split for every group); return the file."""
    p = os.fspath(path)
    sf = open_encrypted(p, settings, input_type=input_type, layout=True)
    try:
        new_group = as_keys(keys)
    except SealfileError as exc:
        raise exc.with_path(p)
    if not new_group:
        raise KeyGroupError("a new key group needs at least one key (--age, --pgp ...)", file=p)
    try:
        sf.unlock(settings.keys, settings.decryption_order)
    except SealfileError as exc:
        raise exc.with_path(p)
    groups = sf.master_keys() + [new_group]
    t = threshold or sf.metadata.shamir_threshold
    if t > len(groups):
        raise KeyGroupError(f"Shamir threshold {t} is more than the {len(groups)} key groups the file "
                            "would have", file=p)
    return _rewrap(sf, groups, t, settings, in_place)


def remove_group(path: str | os.PathLike[str], index: int, settings: Settings, threshold: int | None = None, *,
                 in_place: bool = False, input_type: str | None = None) -> bytes:
    """Delete key group ``index`` (0-based); refused when the threshold could no longer be met."""
    p = os.fspath(path)
    sf = open_encrypted(p, settings, input_type=input_type, layout=True)
    groups = sf.master_keys()
    if not 0 <= index < len(groups):
        raise KeyGroupError(f"there is no key group {index}: the file has {len(groups)} (numbered from 0)", file=p)
    if len(groups) == 1:
        raise KeyGroupError("cannot delete the only key group: nobody could decrypt the file", file=p)
    try:
        sf.unlock(settings.keys, settings.decryption_order)
    except SealfileError as exc:
        raise exc.with_path(p)
    del groups[index]
    t = threshold or sf.metadata.shamir_threshold
    if len(groups) < t:
        raise KeyGroupError(
            "removing this key group will make the Shamir threshold impossible to satisfy: Shamir "
            f"threshold is {t}, but we only have {len(groups)} key groups", file=p)
    return _rewrap(sf, groups, t, settings, in_place)
