"""Where each item of a YAML file's tree sits in its text: what format-preserving writes splice.

:func:`record` reads the text's libyaml events once more (with their
character offsets) alongside the documents a reader already built from the
same text (same typing, same order: the tree and its MAC are untouched),
and notes for every container item the span and style of its value node,
the start of its key, whether the container is a flow collection, and for
every comment item where its ``#`` is.  Comments are matched to the tree's
comment items in text order, which is the tree's order too (an inline
comment that sops moves before its key has no other comment between it and
that key); the match is checked text by text.

The map is compact (flat arrays, one record per container) and holds the
original containers and values, so :mod:`.splice` can tell what changed by
identity.  Files the splice could not rewrite safely get no map at all and
are written by the go-yaml emitter as before: aliases (expanded into
copies), ``<<`` merge keys, comments the tree does not hold one for one (a
comment after a block scalar's header, after ``---``...), documents that
are a scalar, and anything the replay does not understand.
"""
from __future__ import annotations

import re
from array import array
from typing import Any

from ruamel.yaml import events as _ev
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import YAMLError

from ...core.tree import Comment, Mapping
from .reader import parser_source

__all__ = ["SourceMap", "SourcedDocs", "Record", "DocSpan", "record", "attach",
           "PLAIN", "SINGLE", "DOUBLE", "LITERAL", "FOLDED", "CONTAINER", "COMMENT"]

#: item kinds: a scalar value in one of five styles, a container value, a comment item
PLAIN, SINGLE, DOUBLE, LITERAL, FOLDED, CONTAINER, COMMENT = 1, 2, 3, 4, 5, 6, 7
_STYLES = {"": PLAIN, None: PLAIN, "'": SINGLE, '"': DOUBLE, "|": LITERAL, ">": FOLDED}

#: a ``#`` that starts a comment: at the start of the text or after a blank
_COMMENT = re.compile(r"(?<![^ \t\r\n])#")
_HEADER_COMMENT = re.compile(r"[ \t]#")


class Record:
    """One container of the tree as it was read: where it is and what it held.

    ``base`` is the index of its first item in the map's flat arrays;
    ``values`` are the original item values (mappings: also ``pairs``, the
    original ``[key, value]`` lists, which later steps change in place).
    ``cend`` is where its last content ends (a block collection's own end
    mark lies after any trailing comments).
    """

    __slots__ = ("node", "pairs", "values", "flow", "start", "end", "cend", "base", "n")

    def __init__(self, node: list, flow: bool, start: int, base: int) -> None:
        self.node = node
        self.n = len(node)
        if isinstance(node, Mapping):
            self.pairs: tuple | None = tuple(node)
            self.values = tuple([p[1] for p in node])
        else:
            self.pairs = None
            self.values = tuple(node)
        self.flow = flow
        self.start = start
        self.end = start
        self.cend = start
        self.base = base


class DocSpan:
    """One document: its root record (None for an empty document) and where it ends."""

    __slots__ = ("root", "end", "start")

    def __init__(self, start: int) -> None:
        self.start = start
        self.root: Record | None = None
        self.end = start


class SourceMap:
    """The spans of one text's tree items (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.docs: list[DocSpan] = []
        self.records: dict[int, Record] = {}
        #: per item (``record.base + i``): kind, value start, value end, key start (-1: none)
        self.kind = bytearray()
        self.vstart = array("q")
        self.vend = array("q")
        self.kstart = array("q")
        #: where each comment's ``#`` is, in text order
        self.comments = array("q")

    def record_of(self, node: Any) -> Record | None:
        rec = self.records.get(id(node))
        return rec if rec is not None and rec.node is node else None

    def comment_end(self, pos: int) -> int:
        """The end of the comment whose ``#`` is at ``pos`` (its line break excluded)."""
        text = self.text
        eol = text.find("\n", pos)
        if eol < 0:
            eol = len(text)
        if eol > pos and text[eol - 1] == "\r":
            eol -= 1
        return eol


class SourcedDocs(list):
    """Documents that know the text they were read from (``source``; None when not spliceable)."""

    __slots__ = ("source",)

    def __init__(self, docs: list, source: SourceMap | None) -> None:
        super().__init__(docs)
        self.source = source


class _Unmappable(Exception):
    """The text has something :mod:`.splice` must not rewrite (see the module docstring)."""


_REPLAY_ERRORS = (_Unmappable, YAMLError, IndexError, KeyError, AttributeError, TypeError, AssertionError)


def attach(text: str, docs: list[Mapping], data: bytes | None = None) -> SourcedDocs:
    """``docs`` as :class:`SourcedDocs`, with the source map of ``text`` when it can be made (``data``: the
    bytes ``text`` was decoded from, which libyaml can read without a copy)."""
    return SourcedDocs(docs, record(text, docs, data))


def record(text: str, docs: list[Mapping], data: bytes | None = None) -> SourceMap | None:
    """The source map of ``text``, whose documents a reader read as ``docs``; None if unmappable."""
    try:
        return _Recorder(text, docs, data).run()
    except _REPLAY_ERRORS:
        return None


class _Recorder:
    def __init__(self, text: str, docs: list[Mapping], data: bytes | None = None) -> None:
        self.text = text
        self.source = parser_source(text, data)
        self.docs = docs
        self.sm = SourceMap(text)
        self.tree_comments: list[Comment] = []
        self.last = 0  # how far the text has been searched for comments

    def gap(self, upto: int) -> None:
        """Note the comments between the last event and ``upto``."""
        if upto > self.last:
            text = self.text
            if text.find("#", self.last, upto) >= 0:
                append = self.sm.comments.append
                for m in _COMMENT.finditer(text, self.last, upto):
                    append(m.start())
            self.last = upto

    def alloc(self, n: int) -> int:
        sm = self.sm
        base = len(sm.kind)
        sm.kind.extend(bytes(n))
        zeros = array("q", bytes(8 * n))
        sm.vstart.extend(zeros)
        sm.vend.extend(zeros)
        sm.kstart.extend(array("q", [-1]) * n)
        return base

    def run(self) -> SourceMap:
        sm = self.sm
        text = self.text
        docs = self.docs
        kind, vstart, vend, kstart = sm.kind, sm.vstart, sm.vend, sm.kstart
        tree_comments = self.tree_comments
        parser = CParser(self.source)
        try:
            get = parser.get_event
            get()  # stream start
            ndoc = 0
            while True:
                ev = get()
                cls = ev.__class__
                if cls is _ev.StreamEndEvent:
                    self.gap(len(text))
                    break
                # a document
                self.gap(ev.start_mark.index)
                self.last = max(self.last, ev.end_mark.index)
                doc = DocSpan(ev.start_mark.index)
                sm.docs.append(doc)
                if ndoc >= len(docs):
                    raise _Unmappable()
                root = docs[ndoc]
                ndoc += 1
                ev = get()
                cls = ev.__class__
                if cls is _ev.ScalarEvent:
                    if ev.value != "" or ev.style or ev.tag or len(root):
                        raise _Unmappable()  # a scalar document (null): nothing to splice into
                    self.gap(ev.start_mark.index)
                elif cls is _ev.MappingStartEvent:
                    self.collection(get, ev, root, doc)
                else:
                    raise _Unmappable()
                ev = get()  # document end
                self.gap(ev.start_mark.index)
                doc.end = ev.start_mark.index
                self.last = max(self.last, ev.end_mark.index)
            if ndoc != len(docs):
                raise _Unmappable()
        finally:
            parser.dispose()
        # comments: one for one with the tree's comment items, in order, with the same text
        positions = sm.comments
        if len(positions) != len(tree_comments):
            raise _Unmappable()
        for pos, comment in zip(positions, tree_comments):
            if text[pos + 1:sm.comment_end(pos)] != comment.text:
                raise _Unmappable()
        del kind, vstart, vend, kstart
        return sm

    def open(self, node: Any, ev: Any, is_map: bool) -> Record:
        if not isinstance(node, list) or isinstance(node, Mapping) != is_map:
            raise _Unmappable()
        rec = Record(node, bool(ev.flow_style), ev.start_mark.index, self.alloc(len(node)))
        self.sm.records[id(node)] = rec
        return rec

    def collection(self, get: Any, start: Any, root: Mapping, doc: DocSpan) -> None:
        """Walk the root mapping's events and the tree in step (an explicit stack: any depth)."""
        sm = self.sm
        text = self.text
        kind, vstart, vend, kstart = sm.kind, sm.vstart, sm.vend, sm.kstart
        tree_comments = self.tree_comments
        ScalarEvent, AliasEvent = _ev.ScalarEvent, _ev.AliasEvent
        MappingStartEvent, SequenceStartEvent = _ev.MappingStartEvent, _ev.SequenceStartEvent
        self.gap(start.start_mark.index)
        rec = self.open(root, start, True)
        doc.root = rec
        node: list = root
        is_map = True
        want_key = True
        i = 0  # the next tree item of ``node``
        n = len(node)
        base = rec.base
        parents: list[tuple] = []
        content_end = start.start_mark.index

        while True:
            ev = get()
            cls = ev.__class__
            s = ev.start_mark.index
            if s > self.last:
                self.gap(s)
            if cls is AliasEvent:
                raise _Unmappable()
            if is_map and want_key or not is_map:
                # skip (and note) the comment items before the next item
                while i < n:
                    item = node[i]
                    c = item[0] if is_map else item
                    if not isinstance(c, Comment):
                        break
                    kind[base + i] = COMMENT
                    vstart[base + i] = len(tree_comments)
                    tree_comments.append(c)
                    i += 1
            if cls is ScalarEvent:
                e = ev.end_mark.index
                if self.last < e:
                    self.last = e
                style = _STYLES[ev.style]
                if style >= LITERAL and _HEADER_COMMENT.search(text, s, text.find("\n", s) % (len(text) + 1)):
                    raise _Unmappable()  # a comment on a block scalar's header line
                if is_map and want_key:
                    if i >= n or ev.value == "<<" and not ev.style:
                        raise _Unmappable()
                    kstart[base + i] = s
                    want_key = False
                    continue
                if i >= n:
                    raise _Unmappable()
                kind[base + i] = style
                vstart[base + i] = s
                vend[base + i] = e
                content_end = e
                i += 1
                want_key = True
                continue
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                if (is_map and want_key) or i >= n:
                    raise _Unmappable()
                child = node[i][1] if is_map else node[i]
                crec = self.open(child, ev, cls is MappingStartEvent)
                kind[base + i] = CONTAINER
                vstart[base + i] = s
                parents.append((node, is_map, i, n, base, rec))
                node, is_map, rec = child, cls is MappingStartEvent, crec
                i, n, base = 0, len(child), crec.base
                want_key = True
                continue
            # the end of the collection: trailing comment items, then back to the parent
            while i < n:
                item = node[i]
                c = item[0] if is_map else item
                if not isinstance(c, Comment):
                    raise _Unmappable()
                kind[base + i] = COMMENT
                vstart[base + i] = len(tree_comments)
                tree_comments.append(c)
                i += 1
            e = ev.end_mark.index
            if rec.flow:
                content_end = e
                if self.last < e:
                    self.last = e
            rec.end = e
            rec.cend = content_end
            if not parents:
                break
            pnode, pmap, pi, pn, pbase, prec = parents.pop()
            vend[pbase + pi] = rec.cend
            node, is_map, i, n, base, rec = pnode, pmap, pi + 1, pn, pbase, prec
            want_key = True
