"""filestatus: whether a file is encrypted, as sops's ``filestatus`` decides (metadata with a version and a MAC)."""
from __future__ import annotations

import os

from ..core.metadata import Metadata
from ..errors import MetadataError, ParseError, SealfileError
from ..settings import Settings
from .files import read_input, resolve_types

__all__ = ["file_status"]


def file_status(path: str | os.PathLike[str], settings: Settings, *, input_type: str | None = None,
                filename_override: str | None = None) -> dict[str, bool]:
    """``{"encrypted": bool}``; nothing is decrypted, so no key is needed."""
    p = os.fspath(path)
    fmt, _ = resolve_types(p, input_type, None, filename_override)
    store = settings.store(fmt)
    try:
        data = read_input(p)
    except SealfileError as exc:
        raise exc.with_path(p)
    try:
        _, meta_tree = store.load_encrypted(data)
        meta = Metadata.from_tree(meta_tree)
    except MetadataError:
        return {"encrypted": False}
    except ParseError as exc:
        if store.opaque:  # any plain binary file; sops 3.11 fails on it instead
            return {"encrypted": False}
        raise exc.with_path(p)
    except SealfileError as exc:
        raise exc.with_path(p)
    return {"encrypted": bool(meta.version) and bool(meta.mac)}
