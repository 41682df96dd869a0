"""sops's rules for changing a document tree at a path (``set`` and ``unset``).

Pure tree manipulation, sops 3.11's quirks included, because scripts depend
on them: missing map keys are appended at the end of the map with the
intermediate maps or lists the remaining path asks for; a list index at or
past the end appends; a scalar in the way is replaced; list indexes count
comment items, as sops's lists hold them as elements.  Where sops 3.11 would
crash (a key used on a list, a negative index) a clear error is raised.
Everything walks in loops: a path may be as long as the tree is deep.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..errors import InvalidSetFormat, KeyNotFound, UnsupportedValue
from .tree import Comment, Mapping, Timestamp
from .treepath import PathComponent

__all__ = ["set_in_tree", "unset_in_tree", "same_tree"]


def same_tree(a: Any, b: Any, *, nan_equal: bool = False) -> bool:
    """sops's ``equals``: structural, and scalars equal only with the same type (1 != 1.0).

    ``nan_equal``: a NaN equals a NaN (whether a written file reads back as its tree; sops's
    ``equals`` has a NaN unequal to itself).

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
        elif not (type(a) is type(b) and (a == b or (nan_equal and a != a and b != b))):
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
            changed = not same_tree(node[i][1], value)
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
        changed = not same_tree(node[pos], value)
        node[pos] = value
        return node, changed, None
    created = _from_path(path, value)
    return created, not same_tree(node, created), None


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
            raise UnsupportedValue(f"Unsupported type: {_go_type(node)} for item '{head}'")


def unset_in_tree(doc: Mapping, path: Sequence[PathComponent]) -> None:
    """Remove the key or list element at ``path`` from ``doc`` (in place); KeyNotFound if absent."""
    if not path:
        raise InvalidSetFormat("Invalid unset index format: the path is empty")
    _unset(doc, list(path))
