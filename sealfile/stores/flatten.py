"""Flattening of the metadata for the flat stores (dotenv and INI), docs/sops-format.md §5.9.

dotenv and INI cannot nest, so sops writes the metadata as one key per leaf:
a map key becomes ``<parent>__map_<key>``, a list index ``<parent>__list_<i>``
(``age__list_0__map_recipient``).  Both stores write the keys sorted (sops 3.11
sorts dotenv; its INI order is random, and 3.13 sorts both), so :func:`flatten`
returns them sorted.  Values stay strings on the way back: converting
``shamir_threshold``/``mac_only_encrypted`` is the metadata layer's business.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from ..errors import MetadataError
from ..core.tree import Branch, Comment, Mapping, Timestamp, rebuild

__all__ = ["flatten", "unflatten", "MAP_SEPARATOR", "LIST_SEPARATOR"]

MAP_SEPARATOR = "__map_"
LIST_SEPARATOR = "__list_"
_SPLIT = re.compile(r"(__map_|__list_)")


def _leaf_text(value: Any) -> str:
    """String form of a metadata leaf, as sops's JSON round trip + EncodeNonStrings gives it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Only shamir_threshold is numeric; sops prints it with "%.0f".
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Timestamp):
        return value.rfc3339()
    raise MetadataError(f"cannot flatten a metadata value of type {type(value).__name__}")


def _walk(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    """Append the flat pairs of ``value`` in document order (an explicit stack: any depth)."""
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        prefix, value = stack.pop()
        if isinstance(value, Mapping):
            children = [(prefix + MAP_SEPARATOR + k, v) for k, v in value if not isinstance(k, Comment)]
        elif isinstance(value, dict):
            children = [(prefix + MAP_SEPARATOR + k, v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            children = [(f"{prefix}{LIST_SEPARATOR}{i}", v) for i, v in enumerate(value)]
        else:
            if value is not None:  # sops skips null leaves (e.g. a group's "hc_vault": null)
                out.append((prefix, _leaf_text(value)))
            continue
        stack.extend(reversed(children))


def flatten(metadata: Mapping, prefix: str) -> list[tuple[str, str]]:
    """``(prefix + flat_key, text)`` pairs sorted by key; nulls and empty containers vanish."""
    out: list[tuple[str, str]] = []
    items = metadata.items() if isinstance(metadata, dict) else metadata
    for k, v in items:
        if isinstance(k, Comment):
            continue
        if not isinstance(k, str):
            raise MetadataError("metadata keys must be strings")
        _walk(prefix + k, v, out)
    out.sort(key=lambda kv: kv[0])
    return out


def _tokens(path: str) -> list[str | int]:
    """Split a flat key into map keys (str) and list indices (int), like sops's tokenizer."""
    parts = _SPLIT.split(path)
    tokens: list[str | int] = [parts[0]]
    for i in range(1, len(parts), 2):
        sep, text = parts[i], parts[i + 1]
        if sep == MAP_SEPARATOR:
            tokens.append(text)
        else:
            if not text.isascii() or not text.isdigit():
                raise MetadataError(f"invalid list index in metadata key {path!r}")
            tokens.append(int(text))
    return tokens


_MISSING = object()


def _tree_branch(node: Any) -> Branch | None:
    if isinstance(node, dict):
        keys = list(node)
        return list(node.values()), lambda values: Mapping([[k, v] for k, v in zip(keys, values)])
    if isinstance(node, list):
        if any(v is _MISSING for v in node):
            raise MetadataError("metadata list with a missing index")
        return node, list
    return None


def _to_tree(node: Any) -> Any:
    return rebuild(node, _tree_branch)


def unflatten(pairs: Iterable[tuple[str, Any]], prefix: str) -> Mapping:
    """Rebuild the metadata mapping from flat pairs.

    Keys not starting with ``prefix`` are ignored and the prefix is removed; a
    repeated key keeps its last value (sops reads the pairs into a Go map).  Map
    order is the order of first appearance.  A key that is both a leaf and a
    parent, a map/list conflict or a gap in list indices raises MetadataError.
    """
    last: dict[str, Any] = {}
    for key, value in pairs:
        if key.startswith(prefix):
            last[key[len(prefix):]] = value
    root: dict[str, Any] = {}
    leaves: set[tuple[str | int, ...]] = set()
    for flat_key, value in last.items():
        tokens = _tokens(flat_key)
        node: Any = root
        for depth, tok in enumerate(tokens):
            is_last = depth == len(tokens) - 1
            here = tuple(tokens[: depth + 1])
            if here in leaves:
                raise MetadataError(f"metadata key {flat_key!r} is both a value and a parent")
            if isinstance(tok, str):
                if not isinstance(node, dict):
                    raise MetadataError(f"metadata key {flat_key!r} mixes a list and a map")
                if is_last:
                    if tok in node:
                        raise MetadataError(f"metadata key {flat_key!r} is both a value and a parent")
                    node[tok] = value
                    leaves.add(here)
                else:
                    nxt = tokens[depth + 1]
                    child = node.setdefault(tok, {} if isinstance(nxt, str) else [])
                    node = child
            else:
                if not isinstance(node, list):
                    raise MetadataError(f"metadata key {flat_key!r} mixes a list and a map")
                if len(node) <= tok:
                    node.extend([_MISSING] * (tok + 1 - len(node)))
                if is_last:
                    if node[tok] is not _MISSING:
                        raise MetadataError(f"metadata key {flat_key!r} is both a value and a parent")
                    node[tok] = value
                    leaves.add(here)
                else:
                    nxt = tokens[depth + 1]
                    if node[tok] is _MISSING:
                        node[tok] = {} if isinstance(nxt, str) else []
                    node = node[tok]
    return _to_tree(root)
