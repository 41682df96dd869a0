"""3-way merge of decrypted document trees, path by path, applied to our tree in place.

What a git merge of an encrypted file needs once every version is decrypted:
each key path is merged on its own (a change on one side only is taken, the
same change on both sides is taken once, different changes are a
:class:`Conflict`), so two branches that changed different values merge
cleanly.  The rules:

* mappings merge key by key; a key only one side added is appended at the
  end of its mapping (where ``set`` puts a new key, so a YAML file keeps its
  layout); a key one side removed and the other left alone is removed;
  removed on one side and changed on the other is a conflict;
* comments belong to the key below them (those after the last key to the
  mapping) and merge as one value per key;
* lists merge element by element while all three have the same length;
  otherwise the side that changed the list wins, and both is a conflict;
* scalars are equal only with the same type (``1`` is not ``1.0``), as sops
  compares them.

Our tree is changed in place and keeps its objects wherever our side is the
result, which is what lets a YAML file keep its layout (see
:mod:`sealfile.stores.yaml.splice`): the merged file differs from ours only
where theirs brought a change.  ``prefer`` decides what a conflicting place
holds afterwards: ours (the merge driver), theirs or the base (the versions
``git resolve`` shows).  Everything runs from an explicit stack: documents
may nest 10,000 levels.
"""
from __future__ import annotations

from typing import Any

from ..core.tree import Branch, Comment, Mapping, rebuild
from ..core.treeedit import same_tree
from ..errors import format_key_path

__all__ = ["Conflict", "merge_documents", "copy_documents", "OURS", "THEIRS", "BASE"]

OURS, THEIRS, BASE = "ours", "theirs", "base"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_DROP = object()


class Conflict:
    """One place both sides changed differently: a document, a key path and what happened (never a value)."""

    __slots__ = ("doc", "path", "reason", "what")

    def __init__(self, doc: int | None, path: tuple, reason: str, what: str = "") -> None:
        self.doc = doc
        self.path = path
        self.reason = reason
        self.what = what

    def where(self, documents: int = 1) -> str:
        """``["db"]["password"]``; prefixed with the document for multi-document files."""
        if self.doc is None:
            return "the documents"
        place = format_key_path(self.path) if self.path else "the top level"
        if self.what:
            place = f"{self.what} {place}"
        return f"document {self.doc + 1}: {place}" if documents > 1 else place

    def describe(self, documents: int = 1) -> str:
        """``["db"]["password"] (changed on both sides)``: for messages (no value, ever)."""
        return f"{self.where(documents)} ({self.reason})"

    def __repr__(self) -> str:
        return f"Conflict({self.describe(2)})"


def _is_map(node: Any) -> bool:
    return isinstance(node, Mapping)


def _is_list(node: Any) -> bool:
    return isinstance(node, list) and not isinstance(node, Mapping)


class _Index:
    """A mapping's keys (``(key, n)`` for the n-th duplicate) with their pairs and the comment items above."""

    __slots__ = ("entries", "order", "trailing")

    def __init__(self, node: Mapping) -> None:
        self.entries: dict[tuple[str, int], tuple[list, list[list]]] = {}
        self.order: list[tuple[str, int]] = []
        seen: dict[str, int] = {}
        pending: list[list] = []
        for pair in node:
            if isinstance(pair[0], Comment):
                pending.append(pair)
                continue
            n = seen.get(pair[0], 0)
            seen[pair[0]] = n + 1
            ident = (pair[0], n)
            self.entries[ident] = (pair, pending)
            self.order.append(ident)
            pending = []
        self.trailing = pending


def _texts(pairs: list[list]) -> tuple[str, ...]:
    return tuple(p[0].text for p in pairs)


class _Merger:
    def __init__(self, prefer: str) -> None:
        self.prefer = prefer
        self.conflicts: list[Conflict] = []
        self.changed = False
        self.tasks: list[tuple[Any, Any, Any, tuple, int]] = []

    def conflict(self, doc: int | None, path: tuple, reason: str, what: str = "") -> None:
        self.conflicts.append(Conflict(doc, path, reason, what))

    def run(self) -> None:
        while self.tasks:
            b, o, t, path, doc = self.tasks.pop()
            if _is_map(o):
                self.mapping(b if _is_map(b) else Mapping(), o, t, path, doc)
            else:
                self.sequence(b, o, t, path, doc)

    # --- one place ---------------------------------------------------------------------------------

    def slot(self, b: Any, o: Any, t: Any, path: tuple, doc: int) -> Any:
        """The merged value of one place (``o`` itself when ours stands or is merged in place later);
        ``_DROP`` when the place should not exist (a conflict resolved to a base that lacks it)."""
        if _is_map(o) and _is_map(t):
            self.tasks.append((b, o, t, path, doc))
            return o
        if same_tree(o, t):
            return o
        if b is MISSING:
            self.conflict(doc, path, "added on both sides with different values")
            return t if self.prefer == THEIRS else _DROP if self.prefer == BASE else o
        if _is_list(o) and _is_list(t):
            self.tasks.append((b, o, t, path, doc))
            return o
        if same_tree(o, b):
            return t
        if same_tree(t, b):
            return o
        self.conflict(doc, path, "changed on both sides")
        return t if self.prefer == THEIRS else b if self.prefer == BASE else o

    def comments(self, b: list[list] | None, o: list[list] | None, t: list[list] | None, path: tuple, doc: int,
                 what: str) -> list[list]:
        """The comment items above one key (``None``: that side has no opinion, it lacks the key)."""
        if b is None:
            b = o if o is not None else t
        if o is None:
            o = b
        if t is None:
            t = b
        assert o is not None and t is not None and b is not None
        ot, tt = _texts(o), _texts(t)
        if ot == tt or tt == _texts(b):
            return o
        if ot != _texts(b):
            self.conflict(doc, path, "comments changed on both sides", what)
            if self.prefer == OURS:
                return o
            t = t if self.prefer == THEIRS else b
        if len(o) == len(t):
            for mine, other in zip(o, t):  # the same items with new texts: a YAML file keeps its layout
                mine[0] = other[0]
            self.changed = True
            return o
        return [[p[0], None] for p in t]

    # --- containers --------------------------------------------------------------------------------

    def mapping(self, b: Mapping, o: Mapping, t: Mapping, path: tuple, doc: int) -> None:
        bi, oi, ti = _Index(b), _Index(o), _Index(t)
        items: list[list] = []
        added: list[list] = []
        for ident in oi.order:
            opair, ocm = oi.entries[ident]
            bpair, bcm = bi.entries.get(ident, (None, None))
            tpair, tcm = ti.entries.get(ident, (None, None))
            here = path + (ident[0],)
            if tpair is not None:
                value = self.slot(bpair[1] if bpair is not None else MISSING, opair[1], tpair[1], here, doc)
            elif bpair is None:
                value = opair[1]  # we added it
            elif same_tree(opair[1], bpair[1]):
                continue  # they removed it
            else:
                self.conflict(doc, here, "changed on our side, removed on theirs")
                value = _DROP if self.prefer == THEIRS else bpair[1] if self.prefer == BASE else opair[1]
            if value is _DROP:
                continue
            if value is not opair[1]:
                opair[1] = value
                self.changed = True
            items.extend(self.comments(bcm, ocm, tcm, here, doc, "comments above"))
            items.append(opair)
        for ident in ti.order:
            if ident in oi.entries:
                continue
            tpair, tcm = ti.entries[ident]
            bpair, _ = bi.entries.get(ident, (None, None))
            here = path + (ident[0],)
            if bpair is None:
                value = tpair[1]  # they added it
            elif same_tree(tpair[1], bpair[1]):
                continue  # we removed it
            else:
                self.conflict(doc, here, "removed on our side, changed on theirs")
                value = tpair[1] if self.prefer == THEIRS else bpair[1] if self.prefer == BASE else _DROP
            if value is not _DROP:
                added.extend([[p[0], None] for p in tcm])
                added.append([ident[0], value])
        items.extend(self.comments(bi.trailing, oi.trailing, ti.trailing, path, doc, "comments at the end of"))
        items.extend(added)
        if len(items) != len(o) or any(a is not b for a, b in zip(items, o)):
            o[:] = items
            self.changed = True

    def sequence(self, b: Any, o: list, t: list, path: tuple, doc: int) -> None:
        if _is_list(b) and len(b) == len(o) == len(t):
            for i in range(len(o)):
                value = self.slot(b[i], o[i], t[i], path + (i,), doc)
                if value is not o[i] and value is not _DROP:
                    o[i] = value
                    self.changed = True
            return
        if same_tree(o, t) or same_tree(t, b):
            return
        if not same_tree(o, b):
            self.conflict(doc, path, "changed on both sides (elements added or removed)", "the list")
            if self.prefer == OURS:
                return
            t = t if self.prefer == THEIRS else b if _is_list(b) else []
        o[:] = t
        self.changed = True


def merge_documents(base: list[Mapping] | None, ours: list[Mapping], theirs: list[Mapping],
                    prefer: str = OURS) -> tuple[list[Conflict], bool]:
    """Merge theirs' changes since ``base`` into ``ours`` (in place); return the conflicts and whether ours changed.

    ``base`` None: the file has no common ancestor (both sides added it).
    """
    merger = _Merger(prefer)
    b = list(base or [])
    if len(ours) == len(theirs) and len(b) in (0, len(ours)):
        for i in range(len(ours)):
            merger.tasks.append((b[i] if b else Mapping(), ours[i], theirs[i], (), i))
        merger.run()
    elif not (_same_docs(ours, theirs) or _same_docs(theirs, b)):
        if not _same_docs(ours, b):
            merger.conflict(None, (), "documents added or removed on both sides")
            if prefer == OURS:
                return merger.conflicts, False
        ours[:] = theirs if prefer != BASE or _same_docs(ours, b) else b
        merger.changed = True
    return merger.conflicts, merger.changed


def _same_docs(a: list[Mapping], b: list[Mapping]) -> bool:
    return len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))


def _copy_branch(node: Any) -> Branch | None:
    if isinstance(node, Mapping):
        return [v for _, v in node], lambda values: Mapping([[k, v] for (k, _), v in zip(node, values)])
    if isinstance(node, list):
        return node, list
    return None


def copy_documents(docs: list[Mapping]) -> list[Mapping]:
    """A copy of ``docs`` whose containers can be changed without touching the originals (any depth)."""
    return [rebuild(doc, _copy_branch) for doc in docs]
