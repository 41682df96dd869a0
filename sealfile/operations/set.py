"""set and unset: change one value of an encrypted file in place (sops's ``set``/``unset``).

The file is decrypted, one place in its first document is changed with sops's
tree rules (:mod:`sealfile.core.treeedit`), and the tree is re-encrypted with
the same data key and IV memory, so only the changed value, ``lastmodified``
and ``mac`` differ on disk.  The value is JSON read as sops 3.11 reads it:
every number becomes a float (``6543`` is ``type:float``), objects keep their
key order and duplicate keys, a top-level array is refused.  Where sops 3.11
would write a file that nothing can decrypt (a ``sops`` top-level key, null
or nested values in dotenv/INI, non-string binary data), a clear error is
raised instead.
"""
from __future__ import annotations

import json
import math
import os
from typing import Any, Sequence

from ..core.sopsfile import SopsFile
from ..core.tree import Branch, Mapping, rebuild
from ..core.treeedit import set_in_tree, unset_in_tree
from ..core.treepath import PathComponent, parse_path
from ..fileio import atomic_write
from ..errors import AlreadyEncrypted, InvalidSetFormat, InvalidTreePath, KeyNotFound, SealfileError
from ..settings import Settings
from ..stores import json_decode
from .decrypt import open_decrypted
from .files import read_input, resolve_types

__all__ = ["parse_tree_path", "parse_value", "parse_legacy_set", "set_value", "unset_value"]


# --- parsing ---------------------------------------------------------------------------------

def parse_tree_path(text: str, *, what: str = "set") -> list[PathComponent]:
    """``["a"][0]`` → ``["a", 0]``; a bad path is sops's "Invalid set index format" (exit 7)."""
    try:
        path = parse_path(text)
    except InvalidTreePath as exc:
        raise InvalidSetFormat(f"Invalid {what} index format: {exc.message}") from None
    if not path:
        raise InvalidSetFormat(f"Invalid {what} index format: the path is empty")
    return path


def _go_float(text: str) -> float:
    """Go decodes every JSON number into a float64 and refuses one that overflows."""
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")
    return value


def _reject_constant(_: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _go_string(text: str) -> str:
    """Go turns a lone surrogate escape (``"\\ud800"``) into U+FFFD."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


def _value_branch(value: Any) -> Branch | None:
    if isinstance(value, list):
        return value, list
    if isinstance(value, tuple):  # the object hook's marker: a list of (key, value) pairs
        pairs = value[0]
        return [v for _, v in pairs], lambda values: Mapping([[_go_string(k), v]
                                                              for (k, _), v in zip(pairs, values)])
    return None


def _value_leaf(value: Any) -> Any:
    return _go_string(value) if isinstance(value, str) else value


def _to_tree(value: Any) -> Any:
    return rebuild(value, _value_branch, _value_leaf)


#: how sops 3.11 reads a set value: every number a float64, objects as ordered pairs
_SET_DECODER = json.JSONDecoder(object_pairs_hook=lambda pairs: (pairs,), parse_int=_go_float,
                                parse_float=_go_float, parse_constant=_reject_constant)


def parse_value(text: str | bytes) -> Any:
    """Decode a set value as sops 3.11 does; raise InvalidSetFormat (exit 7) when it cannot.

    Invalid UTF-8 becomes U+FFFD as in Go.  The messages never quote the value.
    """
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    try:
        value = json_decode.loads(_SET_DECODER, raw.decode("utf-8", "replace"))  # Go's depth limit applies
    except json.JSONDecodeError as exc:
        raise InvalidSetFormat(f"Value for --set is not valid JSON ({exc.msg} at line {exc.lineno} "
                               f"column {exc.colno})") from None
    except ValueError:
        raise InvalidSetFormat("Value for --set is not valid JSON") from None
    if isinstance(value, list):
        raise InvalidSetFormat("Invalid --set value format: the value cannot be a JSON array "
                               "(set the elements one by one, or wrap them in an object)")
    return _to_tree(value)


def parse_legacy_set(text: str) -> tuple[str, str]:
    """Split sops's legacy ``--set '<path> <json>'`` argument at the first ``"] "``.

    Checks as sops does, value first: bad JSON is "not valid JSON", a bad path
    "Invalid --set format" (both exit 7).
    """
    head, sep, value_json = text.partition("] ")
    if not sep:
        raise InvalidSetFormat("Invalid --set format: expected '<path> <json value>', "
                               "e.g. '[\"key\"] \"value\"'")
    path_text = (head + "]").rstrip(" ")
    parse_value(value_json)
    try:
        parse_tree_path(path_text)
    except InvalidSetFormat as exc:
        raise InvalidSetFormat(exc.message.replace("Invalid set index format", "Invalid --set format")) from None
    return path_text, value_json


# --- files -----------------------------------------------------------------------------------

def _components(tree_path: str | Sequence[PathComponent], what: str) -> list[PathComponent]:
    if isinstance(tree_path, str):
        return parse_tree_path(tree_path, what=what)
    path = list(tree_path)
    if not path or not all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in path):
        raise InvalidSetFormat(f"Invalid {what} index format: components must be keys (str) or indexes (int)")
    return path


def _open(path: str, settings: Settings, input_type: str | None, filename_override: str | None,
          ignore_mac: bool) -> SopsFile:
    fmt, _ = resolve_types(path, input_type, None, filename_override)
    return open_decrypted(read_input(path), settings, input_type=fmt, ignore_mac=ignore_mac, path=path, layout=True)


def _write(sf: SopsFile, output_type: str | None, settings: Settings) -> None:
    store = sf.store if not output_type or output_type == sf.store.name else settings.store(output_type)
    if store.has_metadata(sf.docs):
        raise AlreadyEncrypted("the result would contain a top-level 'sops' entry (or, for dotenv, a "
                               "key starting with 'sops_'); that name is reserved for the metadata")
    sf.encrypt(store)
    atomic_write(sf.path or "", sf.dump(store))


def set_value(path: str | os.PathLike[str], tree_path: str | Sequence[PathComponent], value_json: str | bytes,
              settings: Settings, *, idempotent: bool = False, input_type: str | None = None,
              output_type: str | None = None, filename_override: str | None = None,
              ignore_mac: bool = False) -> bool:
    """Set the JSON value ``value_json`` at ``tree_path`` in an encrypted file, in place.

    Returns whether the file was written: with ``idempotent`` an unchanged
    value leaves the file untouched.
    """
    p = os.fspath(path)
    try:
        comps = _components(tree_path, "set")
        value = parse_value(value_json)
        sf = _open(p, settings, input_type, filename_override, ignore_mac)
        if not sf.docs:
            sf.docs.append(Mapping())
        if not set_in_tree(sf.docs[0], comps, value) and idempotent:
            return False
        _write(sf, output_type, settings)
    except SealfileError as exc:
        raise exc.with_path(p)
    return True


def unset_value(path: str | os.PathLike[str], tree_path: str | Sequence[PathComponent], settings: Settings, *,
                idempotent: bool = False, input_type: str | None = None, output_type: str | None = None,
                filename_override: str | None = None, ignore_mac: bool = False) -> bool:
    """Remove the key or list element at ``tree_path`` from an encrypted file, in place.

    A missing key or index raises KeyNotFound (exit 1), or with ``idempotent``
    returns False without writing.  Returns whether the file was written.
    """
    p = os.fspath(path)
    try:
        comps = _components(tree_path, "unset")
        sf = _open(p, settings, input_type, filename_override, ignore_mac)
        try:
            unset_in_tree(sf.docs[0] if sf.docs else Mapping(), comps)
        except KeyNotFound:
            if idempotent:
                return False
            raise
        _write(sf, output_type, settings)
    except SealfileError as exc:
        raise exc.with_path(p)
    return True
