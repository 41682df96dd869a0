"""rotate: a new data key, every value re-encrypted, optionally keys added or removed.

The IV memory survives the new data key, as in sops, so a rotated file
differs from the old one in every ``data``/``tag`` but not in its IVs.
"""
from __future__ import annotations

import os
from typing import Sequence

from ..errors import ConflictingParameters, KeyGroupError, KeysOfMissingFile, SealfileError
from ..settings import Settings
from .decrypt import open_decrypted
from .files import read_input, resolve_types, write_result
from .keygroups import KeyLike, as_keys, completed

__all__ = ["rotate_file"]


def rotate_file(path: str | os.PathLike[str], settings: Settings, *, add: Sequence[KeyLike] = (),
                remove: Sequence[KeyLike] = (), in_place: bool = False, output: str | None = None,
                input_type: str | None = None, output_type: str | None = None,
                filename_override: str | None = None, ignore_mac: bool = False) -> bytes:
    """New data key, every value re-encrypted; ``add`` keys join the first group and ``remove`` keys
    leave every group (matched by string form).  Writes in place or to ``output`` when asked; returns the file.
    """
    p = os.fspath(path)
    if in_place and output:
        raise ConflictingParameters("Error: cannot operate on both --output and --in-place")
    if (add or remove) and not os.path.exists(p):
        raise KeysOfMissingFile(f'cannot add or remove keys on non-existent file "{os.path.abspath(p)}"', file=p)
    try:
        add_keys, rm_keys = as_keys(add), completed(as_keys(remove), settings.keys)
        fmt_in, fmt_out = resolve_types(p, input_type, output_type, filename_override)
        sf = open_decrypted(read_input(p), settings, input_type=fmt_in, ignore_mac=ignore_mac, path=p, layout=True)
        groups = sf.master_keys()
        groups[0].extend(add_keys)
        gone = {k.to_string() for k in rm_keys}
        groups = [[k for k in g if k.to_string() not in gone] for g in groups]
        if not all(groups):
            raise KeyGroupError("Could not generate data key: empty key group provided (every key of "
                                "a group would be removed)")
        sf.new_data_key()
        sf.rewrap(groups, sf.metadata.shamir_threshold, settings.keys)
        out_store = settings.store(fmt_out)
        sf.encrypt(out_store)
        data = sf.dump(out_store)
    except SealfileError as exc:
        raise exc.with_path(p)
    write_result(data, p, in_place=in_place, output=output)
    return data
