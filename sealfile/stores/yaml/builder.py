"""The node builder of the go-yaml v3 port: events to ``yaml.Node`` values.

Follows the ``parser`` type of go-yaml's ``decode.go`` (``parser.parse``,
``document``, ``alias``, ``scalar``, ``sequence``, ``mapping``; ``yaml.go``
only calls it), which is where the last comment heuristics live: in a
block mapping a key's foot comment moves to the previous value, and a
value's foot comment moves to its key; a block collection's foot moves to
its last-but-one item.  sops reads these nodes (``yaml.Node``), not Go
values, so the builder is ported as is; anchors point at their nodes and
aliases at their targets, expanded later by :mod:`.converter`.

go-yaml recurses once per nesting level; here open collections wait on an
explicit stack (sops accepts 10,000 block plus 10,000 flow levels).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .parser import (EV_ALIAS, EV_DOC_END, EV_DOC_START, EV_MAP_END, EV_MAP_START, EV_SCALAR, EV_SEQ_END,
                     EV_SEQ_START, EV_STREAM_END, EV_STREAM_START, Event)
from .policy import unknown_anchor_error
from .resolve import MERGE, STR, short_tag

if TYPE_CHECKING:
    from .parser import Parser

__all__ = ["K_DOC", "K_SEQ", "K_MAP", "K_SCALAR", "K_ALIAS", "Node", "NodeBuilder"]

#: node kinds (go-yaml's ``Kind``)
K_DOC, K_SEQ, K_MAP, K_SCALAR, K_ALIAS = range(5)


class Node:
    """A ``yaml.Node`` with the fields sops's store reads."""

    __slots__ = ("kind", "tag", "value", "quoted", "anchor", "alias", "content", "head", "line", "foot",
                 "start", "done")

    def __init__(self, kind: int) -> None:
        self.kind = kind
        self.tag = ""
        self.value = ""
        self.quoted = False
        self.anchor: str | None = None
        self.alias: Node | None = None
        self.content: list[Node] = []
        self.head = ""
        self.line = ""
        self.foot = ""
        self.start = 0  # text index, turned into a line number only for error messages
        self.done = False


class NodeBuilder:
    """decode.go's ``parser``: events -> nodes, moving foot comments between keys as it does."""

    def __init__(self, parser: Parser) -> None:
        self.p = parser
        self.event: Event | None = None
        self.anchors: dict[str, Node] = {}
        self.started = False

    def _peek(self) -> int:
        """``parser.peek``: the type of the next event, parsed once."""
        if self.event is None:
            ev = self.p.parse()
            if ev is None:
                ev = Event(EV_STREAM_END)
            self.event = ev
        return self.event.typ

    def _expect(self, typ: int) -> None:
        """``parser.expect``: consume the next event, which must be of type ``typ``."""
        self._peek()
        if self.event is None or self.event.typ != typ:
            raise self.p.error("yaml: unexpected event sequence")
        self.event = None

    def _node(self, kind: int, default_tag: str, tag: str) -> Node:
        """``parser.node``: a node for the current event, with its tag and comments.

        A plain scalar keeps an empty tag (go-yaml resolves it here; the
        converter resolves it when it decodes the value).
        """
        ev = self.event
        assert ev is not None
        n = Node(kind)
        if tag and tag != "!":
            n.tag = short_tag(tag)
        elif default_tag:
            n.tag = default_tag
        n.start = ev.start
        n.head, n.line, n.foot = ev.head, ev.line, ev.foot
        return n

    def document(self) -> Node | None:
        """``parser.document``: the next document node, or None at the end of the stream."""
        if not self.started:
            self._expect(EV_STREAM_START)
            self.started = True
        typ = self._peek()
        if typ == EV_STREAM_END:
            return None
        if typ != EV_DOC_START:
            raise self.p.error("yaml: unexpected event sequence")
        n = self._node(K_DOC, "", "")
        self._expect(EV_DOC_START)
        n.content.append(self._parse())
        if self._peek() == EV_DOC_END:
            assert self.event is not None
            n.foot = self.event.foot
        self._expect(EV_DOC_END)
        return n

    def _parse(self) -> Node:
        """One node with everything inside it, as decode.go's recursive ``parser.parse`` builds it.

        Open collections wait on an explicit stack, so nesting is limited only
        by the scanner's depth check (10,000 block plus 10,000 flow levels).
        """
        stack: list[_Open] = []
        while True:
            typ = self._peek()
            if stack and typ == stack[-1].end and stack[-1].key is None:
                node = self._finish(stack.pop())
            elif typ == EV_SCALAR:
                node = self._scalar()
            elif typ == EV_ALIAS:
                node = self._alias()
            elif typ == EV_MAP_START:
                stack.append(self._mapping())
                continue
            elif typ == EV_SEQ_START:
                stack.append(self._sequence())
                continue
            else:
                raise self.p.error("yaml: unexpected event sequence")
            if not stack:
                return node
            self._attach(stack[-1], node)

    def _alias(self) -> Node:
        """``parser.alias``: an alias node pointing at its anchor's node."""
        ev = self.event
        assert ev is not None
        n = self._node(K_ALIAS, "", "")
        n.value = ev.anchor or ""
        n.alias = self.anchors.get(n.value)
        if n.alias is None:
            raise unknown_anchor_error()
        self._expect(EV_ALIAS)
        return n

    def _scalar(self) -> Node:
        """``parser.scalar``: quoted scalars are ``!!str``, a plain ``<<`` is ``!!merge``."""
        ev = self.event
        assert ev is not None
        quoted = bool(ev.style)
        default = STR if quoted else (MERGE if ev.value == "<<" else "")
        n = self._node(K_SCALAR, default, ev.tag)
        n.value = ev.value
        n.quoted = quoted
        if ev.anchor is not None:
            n.anchor = ev.anchor
            self.anchors[ev.anchor] = n
        n.done = True
        self._expect(EV_SCALAR)
        return n

    def _sequence(self) -> _Open:
        """``parser.sequence`` up to its items (the items are read by :meth:`_parse`)."""
        ev = self.event
        assert ev is not None
        n = self._node(K_SEQ, "!!seq", ev.tag)
        if ev.anchor is not None:
            n.anchor = ev.anchor
            self.anchors[ev.anchor] = n
        self._expect(EV_SEQ_START)
        return _Open(n, EV_SEQ_END, False)

    def _mapping(self) -> _Open:
        """``parser.mapping`` up to its pairs (read by :meth:`_parse`); only a block mapping moves
        foot comments."""
        ev = self.event
        assert ev is not None
        n = self._node(K_MAP, "!!map", ev.tag)
        if ev.anchor is not None:
            n.anchor = ev.anchor
            self.anchors[ev.anchor] = n
        self._expect(EV_MAP_START)
        return _Open(n, EV_MAP_END, not ev.flow)

    def _attach(self, frame: _Open, child: Node) -> None:
        """A finished child joins its collection; a mapping moves foot comments as decode.go does."""
        content = frame.node.content
        content.append(child)
        if frame.end == EV_SEQ_END:
            return
        k = frame.key
        if k is None:  # child is a key
            if frame.block and child.foot:
                if len(content) > 2:
                    content[-3].foot = child.foot
                    child.foot = ""
            frame.key = child
            return
        if not k.foot and child.foot:
            k.foot = child.foot
            child.foot = ""
        frame.key = None

    def _finish(self, frame: _Open) -> Node:
        """The collection's end event: its line and foot comments, then it is complete."""
        n = frame.node
        assert self.event is not None
        n.line, n.foot = self.event.line, self.event.foot
        if frame.block and n.foot and len(n.content) > 1:
            n.content[-2].foot = n.foot
            n.foot = ""
        self._expect(frame.end)
        n.done = True
        return n


class _Open:
    """A collection the builder is still reading (``key``: a mapping's key awaiting its value)."""

    __slots__ = ("node", "end", "block", "key")

    def __init__(self, node: Node, end: int, block: bool) -> None:
        self.node = node
        self.end = end
        self.block = block
        self.key: Node | None = None

