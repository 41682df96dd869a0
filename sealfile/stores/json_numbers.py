"""JSON numbers after an edit: an unchanged number keeps the float type it was encrypted with.

JSON text cannot tell ``2`` from ``2.0``.  sops 3.11 wrote every number as
``type:float`` and shows it as ``2``, which parses back as an int; without
this, every untouched number of such a file would get a new ciphertext after
an edit.  Only the JSON store needs it (:meth:`JsonStore.reconcile_edit`).
"""
from __future__ import annotations

from typing import Any

from ..core.gofmt import format_f
from ..core.tree import Comment, Mapping

__all__ = ["keep_float_types"]


def keep_float_types(new: Any, old: Any) -> Any:
    """Give an unchanged JSON number back its original float type (in place; returns ``new``).

    JSON text cannot tell ``2`` from ``2.0``: sops 3.11 wrote every number as
    ``type:float`` and shows it as ``2``, which parses back as an int.  Keeping
    the float when the plaintext bytes are the same keeps the IV stash hit, so
    an untouched number keeps its ciphertext.  Pairs of containers wait on an
    explicit stack (an edited file may nest 10,000 levels).
    """
    new = _kept_number(new, old)
    pending = [(new, old)]
    while pending:
        new_node, old_node = pending.pop()
        for slot, index, old_value in _matching_children(new_node, old_node):
            value = slot[index]
            if isinstance(value, list):
                pending.append((value, old_value))
            else:
                slot[index] = _kept_number(value, old_value)
    return new


def _matching_children(new: Any, old: Any) -> list[tuple[list, int, Any]]:
    """(container, index, old counterpart) of ``new``'s children: same key and occurrence, or position."""
    if isinstance(new, Mapping) and isinstance(old, Mapping):
        before: dict[tuple[Any, int], Any] = {}
        counts: dict[Any, int] = {}
        for key, value in old:
            if not isinstance(key, Comment):
                counts[key] = counts.get(key, 0) + 1
                before[(key, counts[key])] = value
        counts.clear()
        out = []
        for item in new:
            if not isinstance(item[0], Comment):
                counts[item[0]] = counts.get(item[0], 0) + 1
                out.append((item, 1, before.get((item[0], counts[item[0]]))))
        return out
    if type(new) is list and type(old) is list:
        return [(new, i, old[i]) for i in range(min(len(new), len(old)))]
    return []


def _kept_number(new: Any, old: Any) -> Any:
    if type(new) is int and type(old) is float and float(new) == old and _same_plaintext(new, old):
        return old
    return new


def _same_plaintext(new: int, old: float) -> bool:
    """Whether the int and the float encrypt to the same bytes (an int as its digits, a float as Go's %f)."""
    return str(new) == format_f(old)
