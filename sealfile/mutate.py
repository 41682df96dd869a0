"""set and unset: change one value of an encrypted file in place (sops's ``set``/``unset``).

The file is decrypted, one place in its first document is changed with sops's
tree rules, and the tree is re-encrypted with the same data key and IV stash,
so only the changed value, ``lastmodified`` and ``mac`` differ on disk.  The
rules are sops 3.11's, quirks included, because scripts depend on them:

* the value is JSON; every number becomes a float (``6543`` is ``type:float``),
  objects keep their key order and duplicate keys, a top-level array is refused;
* missing map keys are appended at the end of the map, with the intermediate
  maps or lists the remaining path asks for; a list index at or past the end
  appends; a scalar in the way is replaced;
* list indexes count comment items, as sops's lists hold them as elements.

Where sops 3.11 would crash (a key used on a list, a negative index) or write a
file that nothing can decrypt (a ``sops`` top-level key, null or nested values
in dotenv/INI, non-string binary data), a clear error is raised instead.
"""
from __future__ import annotations

import json
import math
import os
from typing import Any, Mapping as TMapping, Sequence

from . import api
from .stores import json_decode as deepjson
from .settings import environ, resolve_config, store_options
from .errors import (AlreadyEncrypted, ExitCode, FileMissing, InvalidTreePath, SealfileError)
from .stores import store_for
from .core.tree import Branch, Comment, Mapping, Timestamp, rebuild
from .core.treepath import PathComponent, parse_path

__all__ = ["InvalidSetFormat", "KeyNotFound", "parse_tree_path", "parse_value", "parse_legacy_set",
           "set_in_tree", "unset_in_tree", "set_value", "unset_value"]


class InvalidSetFormat(SealfileError):
    """A set/unset path or a set value that cannot be parsed (sops: ErrorInvalidSetFormat)."""

    exit_code = ExitCode.INVALID_SET_FORMAT


class KeyNotFound(SealfileError):
    """unset of a missing key or index: the only failure ``--idempotent`` forgives, as in sops."""

    exit_code = ExitCode.GENERIC


# --- parsing ---------------------------------------------------------------------------------

def parse_tree_path(text: str, *, what: str = "set") -> list[PathComponent]:
    """``["a"][0]`` → ``["a", 0]``; a bad path is sops's "Invalid set index format" (exit 7)."""
    try:
        path = parse_path(text, exit_code=ExitCode.INVALID_SET_FORMAT)
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
        value = deepjson.loads(_SET_DECODER, raw.decode("utf-8", "replace"))  # Go's depth limit applies
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


# --- tree operations -------------------------------------------------------------------------

def _same(a: Any, b: Any) -> bool:
    """sops's ``equals``: structural, and scalars equal only with the same type (1 != 1.0).

    Compares pairs of nodes from an explicit stack, so values of any depth work.
    """
    pending = [(a, b)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, Mapping):
            if not (isinstance(b, Mapping) and len(a) == len(b)):
                return False
            for (ka, va), (kb, vb) in zip(a, b):
                pending.append((ka, kb))
                pending.append((va, vb))
        elif isinstance(a, list):
            if not (isinstance(b, list) and not isinstance(b, Mapping) and len(a) == len(b)):
                return False
            pending.extend(zip(a, b))
        elif not (type(a) is type(b) and a == b):
            return False
    return True


def _from_path(path: Sequence[PathComponent], leaf: Any) -> Any:
    """sops's ``valueFromPathAndLeaf``: the nodes a missing path creates (ints make lists)."""
    node = leaf
    for comp in reversed(path):
        node = [node] if isinstance(comp, int) else Mapping([[comp, node]])
    return node


def _index(node: list, comp: PathComponent, verb: str) -> int:
    if not isinstance(comp, int) or isinstance(comp, bool):
        raise InvalidSetFormat(f"Invalid {verb} index format: key [{comp!r}] used on a list "
                               "(use an integer index)")
    if comp < 0:
        raise InvalidSetFormat(f"Invalid {verb} index format: negative list index [{comp}]")
    return comp


def _set_step(node: Any, path: Sequence[PathComponent], value: Any) -> tuple[Any, bool, Any]:
    """One step of sops's recursive set: ``(replacement, changed, None)`` when the change is made
    here, or ``(node, False, slot)`` to continue with ``path[1:]`` in the container item ``slot``."""
    head, rest = path[0], path[1:]
    if isinstance(node, Mapping):
        i = node.find(head) if isinstance(head, str) else -1
        if i >= 0:
            if rest:
                return node, False, (node[i], 1)
            changed = not _same(node[i][1], value)
            node[i][1] = value
            return node, changed, None
        created = _from_path(path, value)
        if isinstance(created, Mapping):
            node.append(created[0])
        return node, True, None  # sops: an index on a map adds nothing yet counts as a change
    if isinstance(node, list):
        pos = _index(node, head, "set")
        if pos >= len(node):
            node.append(_from_path(rest, value) if rest else value)
            return node, True, None
        if rest:
            return node, False, (node, pos)
        changed = not _same(node[pos], value)
        node[pos] = value
        return node, changed, None
    created = _from_path(path, value)
    return created, not _same(node, created), None


def set_in_tree(doc: Mapping, path: Sequence[PathComponent], value: Any) -> bool:
    """Set ``value`` at ``path`` in ``doc`` (in place); return whether anything changed.

    Walks down the path in a loop (a path may be as long as the tree is deep);
    a scalar in the way is replaced in its parent's slot.
    """
    if not path:
        raise InvalidSetFormat("Invalid set index format: the path is empty")
    path = list(path)
    node: Any = doc
    slot: tuple[list, int] | None = None  # where ``node`` sits in its parent
    for depth in range(len(path)):
        new, changed, next_slot = _set_step(node, path[depth:], value)
        if next_slot is None:
            if slot is not None and new is not node:
                slot[0][slot[1]] = new
            return changed
        slot = next_slot
        node = slot[0][slot[1]]
    raise AssertionError("a set path always ends in a change")


_GO_TYPES = ((bool, "bool"), (str, "string"), (int, "int"), (float, "float64"),
             (Timestamp, "time.Time"), (Comment, "sops.Comment"))


def _go_type(node: Any) -> str:
    if node is None:
        return "<nil>"
    return next((name for cls, name in _GO_TYPES if isinstance(node, cls)), type(node).__name__)


def _unset(node: Any, path: Sequence[PathComponent]) -> None:
    """Remove the item at ``path`` below ``node``, walking down in a loop (any path length)."""
    for depth, head in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, Mapping):
            i = node.find(head) if isinstance(head, str) else -1
            if i < 0:
                raise KeyNotFound(f"Key not found: {head}")
            if last:
                del node[i]
                return
            node = node[i][1]
        elif isinstance(node, list):
            pos = _index(node, head, "unset")
            if pos >= len(node):
                raise KeyNotFound(f"Index {pos} out of bounds")
            if last:
                del node[pos]
                return
            node = node[pos]
        else:
            raise SealfileError(f"Unsupported type: {_go_type(node)} for item '{head}'")


def unset_in_tree(doc: Mapping, path: Sequence[PathComponent]) -> None:
    """Remove the key or list element at ``path`` from ``doc`` (in place); KeyNotFound if absent."""
    if not path:
        raise InvalidSetFormat("Invalid unset index format: the path is empty")
    _unset(doc, list(path))


# --- files -----------------------------------------------------------------------------------

def _components(tree_path: str | Sequence[PathComponent], what: str) -> list[PathComponent]:
    if isinstance(tree_path, str):
        return parse_tree_path(tree_path, what=what)
    path = list(tree_path)
    if not path or not all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in path):
        raise InvalidSetFormat(f"Invalid {what} index format: components must be keys (str) or indexes (int)")
    return path


def _open(path: str, *, input_type: str | None, filename_override: str | None, ignore_mac: bool,
          decryption_order: str | Sequence[str] | None, indent: int | None,
          env: TMapping[str, str] | None, config: Any) -> api.DecryptedFile:
    try:
        return api.open_file(path, input_type=input_type, filename_override=filename_override,
                             ignore_mac=ignore_mac, decryption_order=decryption_order, indent=indent,
                             env=env, config=config)
    except FileMissing as exc:
        exc.exit_code = ExitCode.COULD_NOT_READ_INPUT  # sops set/unset: "Error reading file", exit 2
        raise


def _write(df: api.DecryptedFile, output_type: str | None, indent: int | None,
           env: TMapping[str, str] | None, config: Any) -> None:
    fmt = output_type or df.format or "yaml"
    store = df.store
    if output_type and output_type != df.format:
        store = store_for(fmt, **store_options(resolve_config(config, environ(env)), fmt, indent))
    if store.has_metadata(df.docs):
        raise AlreadyEncrypted("the result would contain a top-level 'sops' entry (or, for dotenv, a "
                               "key starting with 'sops_'); that name is reserved for the metadata")
    df.save(df.reencrypt(store, json_nulls=fmt in ("json", "binary")))


def set_value(path: str | os.PathLike[str], tree_path: str | Sequence[PathComponent],
              value_json: str | bytes, *, idempotent: bool = False, input_type: str | None = None,
              output_type: str | None = None, filename_override: str | None = None,
              ignore_mac: bool = False, decryption_order: str | Sequence[str] | None = None,
              indent: int | None = None, env: TMapping[str, str] | None = None,
              config: Any = None) -> bool:
    """Set the JSON value ``value_json`` at ``tree_path`` in an encrypted file, in place.

    Returns whether the file was written: with ``idempotent`` an unchanged
    value leaves the file untouched.  ``config`` is a path, a Config, None
    (search as sops does) or False (none).
    """
    p = os.fspath(path)
    try:
        comps = _components(tree_path, "set")
        value = parse_value(value_json)
        df = _open(p, input_type=input_type, filename_override=filename_override, ignore_mac=ignore_mac,
                   decryption_order=decryption_order, indent=indent, env=env, config=config)
        if not df.docs:
            df.docs.append(Mapping())
        if not set_in_tree(df.docs[0], comps, value) and idempotent:
            return False
        _write(df, output_type, indent, env, config)
    except SealfileError as exc:
        raise exc.with_path(p)
    return True


def unset_value(path: str | os.PathLike[str], tree_path: str | Sequence[PathComponent], *,
                idempotent: bool = False, input_type: str | None = None, output_type: str | None = None,
                filename_override: str | None = None, ignore_mac: bool = False,
                decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
                env: TMapping[str, str] | None = None, config: Any = None) -> bool:
    """Remove the key or list element at ``tree_path`` from an encrypted file, in place.

    A missing key or index raises KeyNotFound (exit 1), or with ``idempotent``
    returns False without writing.  Returns whether the file was written.
    """
    p = os.fspath(path)
    try:
        comps = _components(tree_path, "unset")
        df = _open(p, input_type=input_type, filename_override=filename_override, ignore_mac=ignore_mac,
                   decryption_order=decryption_order, indent=indent, env=env, config=config)
        try:
            unset_in_tree(df.docs[0] if df.docs else Mapping(), comps)
        except KeyNotFound:
            if idempotent:
                return False
            raise
        _write(df, output_type, indent, env, config)
    except SealfileError as exc:
        raise exc.with_path(p)
    return True
