"""sops's tree -> go-yaml emitter events: what sops and go-yaml's encoder do before emitting.

sops converts its tree to ``yaml.Node`` values (``appendTreeBranch`` /
``appendSequence`` in its ``stores/yaml/store.go``: comments become head
comments of the next key or list item, trailing comments the foot comment
of the last one), and go-yaml's encoder (``encode.go``: ``node``,
``stringv``) turns every scalar into an event with the style it will be
written in: quoted when it would read back as something else, literal
when it spans lines, ``!!binary`` when it is not UTF-8.  The style each
scalar can take comes from ``emitterc.go``'s
``yaml_emitter_analyze_scalar`` and ``yaml_emitter_select_scalar_style``,
ported here as :class:`Analysis` and :func:`select_style`; the events are
written by :mod:`.emitter`.
"""
from __future__ import annotations

import base64
import math
import re
from itertools import chain
from typing import Any, Generator, Iterator

from ...core.gofmt import format_g
from ...core.tree import Comment, Mapping, Timestamp
from ...errors import EmitError
from .resolve import needs_double_quotes

__all__ = [
    "PLAIN", "SINGLE", "DOUBLE", "LITERAL", "E_STREAM_START", "E_STREAM_END", "E_DOC_START", "E_DOC_END",
    "E_SCALAR", "E_SEQ_START", "E_SEQ_END", "E_MAP_START", "E_MAP_END", "BREAKS", "printable", "Analysis",
    "analyze", "string_style", "select_style", "EmitEvent", "scalar_event", "EventBuilder",
]

#: scalar styles
PLAIN, SINGLE, DOUBLE, LITERAL = 1, 2, 3, 4

#: event types
(E_STREAM_START, E_STREAM_END, E_DOC_START, E_DOC_END, E_SCALAR, E_SEQ_START, E_SEQ_END,
 E_MAP_START, E_MAP_END) = range(9)

BREAKS = "\r\n\x85\u2028\u2029"
_BLANKZ = " \t\r\n\x85\u2028\u2029"


def printable(c: str) -> bool:
    """go-yaml's ``is_printable`` on one code point (it rejects everything outside the BMP)."""
    o = ord(c)
    if o < 0x7F:
        return o >= 0x20 or o == 0x0A
    if o < 0xA0:
        return False
    if o <= 0xD7FF or 0xE000 <= o <= 0xFFFD:
        return o != 0xFEFF
    return False


#: ASCII letters, digits and ``_`` first, then also spaces, ``.``, ``/`` and ``-``: nothing go-yaml's
#: analysis reacts to, unless the string ends in a space
_UNREMARKABLE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ ./-]*\Z").match


#: after the first character: a flow indicator, ``:`` before a blank or the end, ``#`` after a blank
_FLOW_INDICATOR = re.compile(r"[,?\[\]{}:]").search
_COLON_BLANK = re.compile(r":(?:[ \t]|\Z)").search
_BLANK_HASH = re.compile("[ \t\r\n\x85\u2028\u2029]#").search


class Analysis:
    """``yaml_emitter_analyze_scalar``'s verdict on one string."""

    __slots__ = ("multiline", "flow_plain", "block_plain", "single", "block", "nbytes")

    def __init__(self, value: str) -> None:
        if _UNREMARKABLE(value) is not None and value[-1] != " ":
            # most keys and values: no indicator, no break, no blank at either end
            self.nbytes = len(value)
            self.multiline = False
            self.flow_plain = self.block_plain = self.single = self.block = True
        else:
            self.analyze(value)

    def analyze(self, value: str) -> None:
        """The whole of ``yaml_emitter_analyze_scalar`` (what :meth:`__init__` shortcuts)."""
        self.nbytes = len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
        if not value:
            self.multiline = False
            self.flow_plain = False
            self.block_plain = True
            self.single = True
            self.block = False
            return
        block_ind = flow_ind = False
        first = value[0]
        n = len(value)
        if n >= 3 and (value.startswith("---") or value.startswith("...")):
            block_ind = flow_ind = True
        followed = n == 1 or value[1] in " \t"
        if first in "#,[]{}&*!|>'\"%@`":
            flow_ind = block_ind = True
        elif first in "?:":
            flow_ind = True
            if followed:
                block_ind = True
        elif first == "-" and followed:
            flow_ind = block_ind = True
        if n > 1:
            if _FLOW_INDICATOR(value, 1) is not None:
                flow_ind = True
                if _COLON_BLANK(value, 1) is not None:
                    block_ind = True
            if _BLANK_HASH(value) is not None:
                flow_ind = block_ind = True
        tab = "\t" in value
        if value.isascii() and value.isprintable():
            special = False
            line_breaks = False
        else:
            special = False
            line_breaks = False
            for c in value:
                if c == "\t":
                    continue
                if c in BREAKS:
                    line_breaks = True
                if not printable(c):
                    special = True
        leading_space = first == " "
        leading_break = first in BREAKS
        last = value[-1]
        trailing_space = last == " "
        trailing_break = last in BREAKS
        break_space = space_break = False
        if line_breaks:
            for i in range(n - 1):
                a, b = value[i], value[i + 1]
                if a in BREAKS and b == " ":
                    break_space = True
                elif a == " " and b in BREAKS:
                    space_break = True
        self.multiline = line_breaks
        fp = bp = sq = bl = True
        if leading_space or leading_break or trailing_space or trailing_break:
            fp = bp = False
        if trailing_space:
            bl = False
        if break_space:
            fp = bp = sq = False
        if space_break or tab or special:
            fp = bp = sq = False
        if space_break or special:
            bl = False
        if line_breaks:
            fp = bp = False
        if flow_ind:
            fp = False
        if block_ind:
            bp = False
        self.flow_plain, self.block_plain, self.single, self.block = fp, bp, sq, bl


#: distinct scalars whose analyses an emit keeps at once
_ANALYSES_KEPT = 16384


def analyze(value: str, analyses: dict[str, Analysis]) -> Analysis:
    """The analysis of ``value``, made once per emit call: keys and common values repeat.

    ``analyses`` belongs to one :class:`EventBuilder`, so the strings it
    holds (plaintext, after a decryption) are dropped with it.
    """
    a = analyses.get(value)
    if a is None:
        if len(analyses) >= _ANALYSES_KEPT:
            analyses.clear()  # bounded: a large file's values are mostly distinct, its keys come back
        a = analyses[value] = Analysis(value)
    return a


def string_style(value: str) -> int:
    """The style sops's encoder asks for a string (before :func:`select_style` checks it): literal
    for several lines, double-quoted where a plain scalar would read back as another type."""
    if "\n" in value:
        return LITERAL
    return DOUBLE if needs_double_quotes(value) else PLAIN


def select_style(style: int, a: Analysis, value: str, flow: bool, simple_key: bool) -> int:
    """``yaml_emitter_select_scalar_style`` for an untagged, implicit scalar."""
    if simple_key and a.multiline:
        style = DOUBLE
    if style == PLAIN:
        if (flow and not a.flow_plain) or (not flow and not a.block_plain):
            style = SINGLE
        if not value and (flow or simple_key):
            style = SINGLE
    if style == SINGLE and not a.single:
        style = DOUBLE
    if style == LITERAL and (not a.block or flow or simple_key):
        style = DOUBLE
    return style


def _encode_base64(raw: bytes) -> str:
    """go-yaml's ``encodeBase64``: 70-column lines, each ending in a newline once there are two."""
    enc = base64.b64encode(raw).decode("ascii")
    if len(enc) // 70 + 1 == 1:
        return enc
    return "".join(enc[i:i + 70] + "\n" for i in range(0, len(enc), 70))


class EmitEvent:
    __slots__ = ("typ", "value", "style", "tag", "head", "line", "foot", "tail", "flow", "an")

    def __init__(self, typ: int) -> None:
        self.typ = typ
        self.value = ""
        self.style = PLAIN
        self.tag = ""
        self.head = ""
        self.line = ""
        self.foot = ""
        self.tail = ""
        self.flow = False
        self.an: Analysis | None = None


def scalar_event(value: Any, analyses: dict[str, Analysis]) -> EmitEvent:
    """What ``yaml.Node.Encode(value)`` then ``encoder.node`` turn a leaf into."""
    ev = EmitEvent(E_SCALAR)
    if isinstance(value, str):
        valid = True
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                valid = False
        if not valid:
            try:
                raw = value.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                raise EmitError("a string holds characters that cannot be written") from None
            text = _encode_base64(raw)
            ev.tag = "!!binary"
            style = LITERAL if "\n" in text else PLAIN
            ev.value = text
            ev.an = analyze(text, analyses)
            ev.style = select_style(style, ev.an, text, False, False)
            return ev
        an = analyze(value, analyses)
        ev.value = value
        ev.an = an
        ev.style = select_style(string_style(value), an, value, False, False)
        if ev.style == PLAIN and value == "<<":
            ev.tag = "!!merge"
        return ev
    if value is None:
        text = "null"
    elif value is True:
        text = "true"
    elif value is False:
        text = "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if math.isnan(value):
            text = ".nan"
        elif math.isinf(value):
            text = ".inf" if value > 0 else "-.inf"
        else:
            text = format_g(value)
    elif isinstance(value, Timestamp):
        text = value.rfc3339()
    else:
        raise EmitError(f"cannot write a value of type {type(value).__name__} to YAML")
    ev.value = text
    ev.an = analyze(text, analyses)
    ev.style = PLAIN
    return ev


def _join_comments(comments: list[str]) -> str:
    """Comment items as one go-yaml comment (each line with its ``#``)."""
    return "#" + "\n#".join(comments)


#: a collection's events, produced by a generator that yields the generators of the collections inside it
_Builder = Generator["_Builder", None, None]


#: events a builder gathers before an emitter takes them (see :meth:`EventBuilder.document_steps`)
BATCH = 4096
#: what a collection's builder yields to hand over the events it has so far (not a child builder)
_PAUSE = object()


class EventBuilder:
    """The events go-yaml's encoder produces for the ``yaml.Node`` tree sops builds.

    Comments before a key or list item become its head comment; comments
    before the first one belong to the mapping or list itself; trailing ones
    become the foot of the last key (emitted as the mapping end's tail) or of
    the last list item.

    A tree may nest deeper than Python's recursion limit, so a collection's
    builder does not call the builders of the collections inside it: it
    yields them, and :meth:`node` runs them from an explicit stack.
    """

    def __init__(self) -> None:
        self.events: list[EmitEvent] = []
        #: each distinct scalar's analysis, for this builder's events only
        self.analyses: dict[str, Analysis] = {}

    def document(self, branch: Mapping) -> None:
        for _ in self.document_steps(branch):
            pass

    def document_steps(self, branch: Mapping) -> Iterator[None]:
        """Append a document's events to :attr:`events` a batch at a time, yielding after each batch,
        so an emitter can write and drop them as they come (a large file's events never all exist)."""
        ev = self.events
        ev.append(EmitEvent(E_DOC_START))
        yield from self.node_steps(branch, "", "", "")
        ev.append(EmitEvent(E_DOC_END))

    def node(self, value: Any, head: str, foot: str, tail: str) -> None:
        """The events of ``value`` and everything inside it."""
        for _ in self.node_steps(value, head, foot, tail):
            pass

    def node_steps(self, value: Any, head: str, foot: str, tail: str) -> Iterator[None]:
        """:meth:`node`, yielding whenever a batch of events is ready."""
        builder = self._start(value, head, foot, tail)
        if builder is not None:
            yield from self._run(builder)

    def _run(self, builder: _Builder) -> Iterator[None]:
        """Run a collection's builder and the builders it hands over, from an explicit stack."""
        stack = [builder]
        events = self.events
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
            elif child is not _PAUSE:
                stack.append(child)
            if len(events) >= BATCH:
                yield

    def _start(self, value: Any, head: str, foot: str, tail: str) -> _Builder | None:
        """A scalar's event right away; for a collection, the generator that builds it."""
        if isinstance(value, Mapping):
            return self._mapping(value, head, foot)
        if isinstance(value, list):
            return self._sequence(value, head, foot)
        if isinstance(value, Comment):
            raise EmitError("a comment cannot be written as a value")
        ev = scalar_event(value, self.analyses)
        ev.head, ev.foot, ev.tail = head, foot, tail
        self.events.append(ev)
        return None

    def _mapping(self, branch: Mapping, head: str, foot: str) -> _Builder:
        return self._mapping_items(iter(branch), head, foot)

    def mapping_parts(self, parts: Iterator[Mapping]) -> Iterator[None]:
        """A document whose root mapping comes in parts (a large file read a region at a time): the
        events of the mapping the parts make together, each part taken only when its turn comes."""
        self.events.append(EmitEvent(E_DOC_START))
        yield from self._run(self._mapping_items(chain.from_iterable(parts), "", ""))
        self.events.append(EmitEvent(E_DOC_END))

    def _mapping_items(self, items: Iterator[list], head: str, foot: str) -> _Builder:
        events = self.events
        # the comments before the first key are the mapping's own (sops puts leading comments on the
        # mapping node, after the ones that precede it in a parent list: store.go addCommentsHead);
        # known before the start event goes out, as the emitter may write it at once
        lead: list[str] = []
        first = None
        for item in items:
            if not isinstance(item[0], Comment):
                first = item
                break
            lead.append(item[0].text)
        mapping_head = _join_comments(lead) if lead else ""
        start = EmitEvent(E_MAP_START)
        start.head = head + "\n" + mapping_head if head and mapping_head else head or mapping_head
        events.append(start)
        comments: list[str] = []
        for item in () if first is None else chain((first,), items):
            key = item[0]
            if isinstance(key, Comment):
                comments.append(key.text)
                continue
            if len(events) >= BATCH:
                yield _PAUSE  # a long mapping of scalars: let the emitter take what is ready
            key_head = ""
            if comments:
                key_head = _join_comments(comments)
                comments = []
            kev = scalar_event(key, self.analyses)
            kev.head = key_head
            events.append(kev)
            child = self._start(item[1], "", "", "")
            if child is not None:
                yield child
        end = EmitEvent(E_MAP_END)
        end.tail = _join_comments(comments) if comments else ""
        end.foot = foot
        events.append(end)

    def _sequence(self, items: list, head: str, foot: str) -> _Builder:
        events = self.events
        lead = _leading_comments(items, False)
        seq_head = _join_comments([items[i].text for i in range(lead)]) if lead else ""
        start = EmitEvent(E_SEQ_START)
        start.head = head + "\n" + seq_head if head and seq_head else head or seq_head
        events.append(start)
        comments: list[str] = []
        pending: tuple[Any, str] | None = None  # an item waits until its foot comment is known
        for i in range(lead, len(items)):
            item = items[i]
            if isinstance(item, Comment):
                comments.append(item.text)
                continue
            if len(events) >= BATCH:
                yield _PAUSE
            item_head = ""
            if comments:
                item_head = _join_comments(comments)
                comments = []
            if pending is not None:
                child = self._start(pending[0], pending[1], "", "")
                if child is not None:
                    yield child
            pending = (item, item_head)
        if pending is not None:
            child = self._start(pending[0], pending[1], _join_comments(comments) if comments else "", "")
            if child is not None:
                yield child
        end = EmitEvent(E_SEQ_END)
        end.foot = foot
        events.append(end)


def _leading_comments(items: list, is_map: bool) -> int:
    """How many comment items open a mapping's (``[key, value]``) or a list's items."""
    n = 0
    for item in items:
        if not isinstance(item[0] if is_map else item, Comment):
            break
        n += 1
    return n

