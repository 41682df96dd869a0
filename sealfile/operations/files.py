"""What every operation does with files: which formats, reading, opening as a SopsFile, writing.

Kept here so that encrypt, decrypt, edit, set, rotate and the rest agree on
sops's rules: a format is its flag or else the file name's extension (a name
given with ``--filename-override`` wins), ``-`` is standard input, and a
write goes in place, to ``--output``, or nowhere (the caller prints it).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import ConflictingParameters, SealfileError
from ..fileio import read_input, write_result
from ..settings import Settings
from ..stores import format_for_path

if TYPE_CHECKING:
    from ..core.sopsfile import SopsFile

__all__ = ["resolve_types", "read_input", "open_encrypted", "write_result", "check_io", "load_plain", "STDIN"]

STDIN = "-"


def resolve_types(path: str, input_type: str | None, output_type: str | None,
                  filename_override: str | None) -> tuple[str, str]:
    """As sops: each side is its flag or else the format of the file name's extension."""
    name = filename_override or ("" if path in (STDIN, "/dev/stdin") else path)
    return input_type or format_for_path(name), output_type or format_for_path(name)


def check_io(path: str | None, in_place: bool, output: str | None) -> str:
    """The input path (``-`` for standard input), refusing combinations sops refuses (exit 8)."""
    if in_place and output:
        raise ConflictingParameters("Error: cannot operate on both --output and --in-place")
    if path is None or path == STDIN:
        if in_place:
            raise ConflictingParameters("Error: cannot use --in-place with standard input")
        return STDIN
    return path


def load_plain(store: Any, data: bytes, *, layout: bool = False) -> list:
    """A plaintext file's documents; with ``layout``, remembering their text where the format can
    (so that writing them back keeps the file's layout: YAML)."""
    if layout and getattr(store, "keeps_layout", False):
        return store.load_plain(data, layout=True)
    return store.load_plain(data)


def open_encrypted(path: str | os.PathLike[str], settings: Settings, *, input_type: str | None = None,
                   filename_override: str | None = None, whole_payload: bool = False,
                   data: bytes | None = None, layout: bool = False) -> "SopsFile":
    """Read and parse an encrypted file (``data`` when the bytes are at hand already).

    The file is named in any error.  ``whole_payload`` and ``layout`` as for :meth:`SopsFile.load`.
    """
    from ..core.sopsfile import SopsFile

    p = os.fspath(path)
    fmt, _ = resolve_types(p, input_type, None, filename_override)
    try:
        raw = read_input(p) if data is None else data
        return SopsFile.load(raw, settings.store(fmt), path=None if p == STDIN else p, whole_payload=whole_payload,
                             layout=layout)
    except SealfileError as exc:
        raise exc.with_path(None if p == STDIN else p)


def named(path: str) -> str | None:
    """The file name errors should carry (None for standard input)."""
    return None if path == STDIN else path
