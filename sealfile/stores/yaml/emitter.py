"""sealfile documents -> YAML text, byte for byte as sops 3.11 writes it.

sops converts its tree to ``yaml.Node`` values (comments become head
comments of the next key or list item, trailing comments the foot comment of
the last one, every scalar is encoded by go-yaml and re-parsed) and hands
them to go-yaml v3's encoder.  This module rebuilds the same event stream
and runs a port of go-yaml's emitter state machine (``emitterc.go``) over it,
so indentation, quoting, literal blocks, comment placement and the blank
lines go-yaml inserts after foot comments all come out the same.  Lines are
never folded (go-yaml's default width is unlimited).
"""
from __future__ import annotations

import base64
import math
from typing import Any, Generator

from ...errors import EmitError
from ...core.gofmt import format_g
from ...core.tree import Comment, Mapping, Timestamp
from .resolve import needs_double_quotes

__all__ = ["emit_documents", "emit_value"]

# scalar styles
PLAIN, SINGLE, DOUBLE, LITERAL = 1, 2, 3, 4

# event types
(E_STREAM_START, E_STREAM_END, E_DOC_START, E_DOC_END, E_SCALAR, E_SEQ_START, E_SEQ_END,
 E_MAP_START, E_MAP_END) = range(9)

# emitter states
(ST_STREAM_START, ST_FIRST_DOC_START, ST_DOC_START, ST_DOC_CONTENT, ST_DOC_END, ST_FSEQ_FIRST,
 ST_FSEQ_TRAIL, ST_FSEQ_ITEM, ST_FMAP_FIRST_KEY, ST_FMAP_TRAIL_KEY, ST_FMAP_KEY, ST_FMAP_SIMPLE_VALUE,
 ST_FMAP_VALUE, ST_BSEQ_FIRST, ST_BSEQ_ITEM, ST_BMAP_FIRST_KEY, ST_BMAP_KEY, ST_BMAP_SIMPLE_VALUE,
 ST_BMAP_VALUE, ST_END) = range(20)

_BREAKS = "\r\n\x85\u2028\u2029"
_BLANKZ = " \t\r\n\x85\u2028\u2029"


def _printable(c: str) -> bool:
    """go-yaml's ``is_printable`` on one code point (it rejects everything outside the BMP)."""
    o = ord(c)
    if o < 0x7F:
        return o >= 0x20 or o == 0x0A
    if o < 0xA0:
        return False
    if o <= 0xD7FF or 0xE000 <= o <= 0xFFFD:
        return o != 0xFEFF
    return False


class _Analysis:
    """``yaml_emitter_analyze_scalar``'s verdict on one string."""

    __slots__ = ("multiline", "flow_plain", "block_plain", "single", "block", "nbytes")

    def __init__(self, value: str) -> None:
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
        rest = value[1:]
        if rest:
            if any(c in rest for c in ",?[]{}"):
                flow_ind = True
            if ":" in rest:
                flow_ind = True
                i = value.find(":", 1)
                while i >= 0:
                    if i + 1 >= n or value[i + 1] in " \t":
                        block_ind = True
                        break
                    i = value.find(":", i + 1)
            if "#" in rest:
                i = value.find("#", 1)
                while i >= 0:
                    if value[i - 1] in _BLANKZ:
                        flow_ind = block_ind = True
                        break
                    i = value.find("#", i + 1)
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
                if c in _BREAKS:
                    line_breaks = True
                if not _printable(c):
                    special = True
        leading_space = first == " "
        leading_break = first in _BREAKS
        last = value[-1]
        trailing_space = last == " "
        trailing_break = last in _BREAKS
        break_space = space_break = False
        if line_breaks:
            for i in range(n - 1):
                a, b = value[i], value[i + 1]
                if a in _BREAKS and b == " ":
                    break_space = True
                elif a == " " and b in _BREAKS:
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


_ANALYSIS_CACHE: dict[str, _Analysis] = {}


def _analyze(value: str) -> _Analysis:
    a = _ANALYSIS_CACHE.get(value)
    if a is None:
        a = _Analysis(value)
        if len(_ANALYSIS_CACHE) > 50000:
            _ANALYSIS_CACHE.clear()
        _ANALYSIS_CACHE[value] = a
    return a


def _select(style: int, a: _Analysis, value: str, flow: bool, simple_key: bool) -> int:
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


class _Ev:
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
        self.an: _Analysis | None = None


def _scalar_event(value: Any) -> _Ev:
    """What ``yaml.Node.Encode(value)`` then ``encoder.node`` turn a leaf into."""
    ev = _Ev(E_SCALAR)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            valid = True
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
            ev.an = _analyze(text)
            ev.style = _select(style, ev.an, text, False, False)
            return ev
        if "\n" in value:
            style = LITERAL
        elif needs_double_quotes(value):
            style = DOUBLE
        else:
            style = PLAIN
        an = _analyze(value)
        ev.value = value
        ev.an = an
        ev.style = _select(style, an, value, False, False)
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
    ev.an = _analyze(text)
    ev.style = PLAIN
    return ev


# ------------------------------------------------------------------------------------------------
# tree -> events (sops's appendTreeBranch / appendSequence, then go-yaml's encoder.node)


def _join_comments(comments: list[str]) -> str:
    return "#" + "\n#".join(comments)


#: a collection's events, produced by a generator that yields the generators of the collections inside it
_Builder = Generator["_Builder", None, None]


class _EventBuilder:
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
        self.events: list[_Ev] = []

    def document(self, branch: Mapping) -> None:
        ev = self.events
        ev.append(_Ev(E_DOC_START))
        self.node(branch, "", "", "")
        ev.append(_Ev(E_DOC_END))

    def node(self, value: Any, head: str, foot: str, tail: str) -> None:
        """The events of ``value`` and everything inside it."""
        builder = self._start(value, head, foot, tail)
        if builder is None:
            return
        stack = [builder]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
            else:
                stack.append(child)

    def _start(self, value: Any, head: str, foot: str, tail: str) -> _Builder | None:
        """A scalar's event right away; for a collection, the generator that builds it."""
        if isinstance(value, Mapping):
            return self._mapping(value, head, foot)
        if isinstance(value, list):
            return self._sequence(value, head, foot)
        if isinstance(value, Comment):
            raise EmitError("a comment cannot be written as a value")
        ev = _scalar_event(value)
        ev.head, ev.foot, ev.tail = head, foot, tail
        self.events.append(ev)
        return None

    def _mapping(self, branch: Mapping, head: str, foot: str) -> _Builder:
        events = self.events
        start = _Ev(E_MAP_START)
        events.append(start)
        comments: list[str] = []
        beginning = True
        pending_tail = ""
        mapping_head = ""
        for item in branch:
            key = item[0]
            if isinstance(key, Comment):
                comments.append(key.text)
                continue
            key_head = ""
            if comments:
                if beginning:
                    mapping_head = _join_comments(comments)
                else:
                    key_head = _join_comments(comments)
                comments = []
            beginning = False
            kev = _scalar_event(key)
            kev.head = key_head
            events.append(kev)
            child = self._start(item[1], "", "", "")
            if child is not None:
                yield child
        if comments:
            if beginning:
                mapping_head = _join_comments(comments)
            else:
                pending_tail = _join_comments(comments)
        # sops puts leading comments on the mapping node itself; the comments that precede it
        # in a parent list are prepended (store.go addCommentsHead).
        start.head = head + "\n" + mapping_head if head and mapping_head else head or mapping_head
        end = _Ev(E_MAP_END)
        end.tail = pending_tail
        end.foot = foot
        events.append(end)

    def _sequence(self, items: list, head: str, foot: str) -> _Builder:
        events = self.events
        start = _Ev(E_SEQ_START)
        events.append(start)
        comments: list[str] = []
        beginning = True
        seq_head = ""
        pending: tuple[Any, str] | None = None  # an item waits until its foot comment is known
        for item in items:
            if isinstance(item, Comment):
                comments.append(item.text)
                continue
            item_head = ""
            if comments:
                if beginning:
                    seq_head = _join_comments(comments)
                else:
                    item_head = _join_comments(comments)
                comments = []
            beginning = False
            if pending is not None:
                child = self._start(pending[0], pending[1], "", "")
                if child is not None:
                    yield child
            pending = (item, item_head)
        if comments and beginning:
            seq_head = _join_comments(comments)
            comments = []
        if head and seq_head:
            start.head = head + "\n" + seq_head
        else:
            start.head = head or seq_head
        if pending is not None:
            child = self._start(pending[0], pending[1], _join_comments(comments) if comments else "", "")
            if child is not None:
                yield child
        end = _Ev(E_SEQ_END)
        end.foot = foot
        events.append(end)


# ------------------------------------------------------------------------------------------------
# the emitter (emitterc.go)


class _Emitter:
    def __init__(self, events: list[_Ev], indent: int) -> None:
        self.events = events
        self.pos = 0
        self.best_indent = indent if 2 <= indent <= 9 else 2
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.open_ended = False
        self.foot_indent = -1
        self.indent = -1
        self.indents: list[int] = []
        self.states: list[int] = []
        self.state = ST_FIRST_DOC_START
        self.flow_level = 0
        self.root_context = False
        self.sequence_context = False
        self.mapping_context = False
        self.simple_key_context = False
        self.head_comment = ""
        self.line_comment = ""
        self.foot_comment = ""
        self.tail_comment = ""
        self.key_line_comment = ""
        self.scalar_style = PLAIN

    def run(self) -> str:
        events = self.events
        n = len(events)
        while self.pos < n:
            ev = events[self.pos]
            self._analyze_event(ev)
            self._dispatch(ev)
            self.pos += 1
        return "".join(self.out)

    # -- low level writers
    def _put(self, s: str) -> None:
        self.out.append(s)
        self.column += len(s)

    def _put_break(self) -> None:
        self.out.append("\n")
        self.column = 0
        self.indention = True

    def _write_break_char(self, c: str) -> None:
        if c == "\n":
            self._put_break()
        else:
            self.out.append(c)
            self.column = 0
            self.indention = True

    def _write_indent(self) -> None:
        indent = self.indent if self.indent >= 0 else 0
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self._put_break()
        if self.foot_indent == indent:
            self._put_break()
        if self.column < indent:
            self._put(" " * (indent - self.column))
        self.whitespace = True
        self.foot_indent = -1

    def _write_indicator(self, indicator: str, need_whitespace: bool, is_whitespace: bool,
                         is_indention: bool) -> None:
        if need_whitespace and not self.whitespace:
            self._put(" ")
        self._put(indicator)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention
        self.open_ended = False

    def _write_comment(self, comment: str) -> None:
        breaks = False
        pound = False
        for c in comment:
            if c in _BREAKS:
                self._write_break_char(c)
                breaks = True
                pound = False
            else:
                if breaks:
                    self._write_indent()
                if not pound:
                    if c != "#":
                        self._put("# ")
                    pound = True
                self._put(c)
                self.indention = False
                breaks = False
        if not breaks:
            self._put_break()
        self.whitespace = True

    # -- comments
    def _process_head_comment(self) -> None:
        if self.tail_comment:
            self._write_indent()
            self._write_comment(self.tail_comment)
            self.tail_comment = ""
            self.foot_indent = self.indent if self.indent >= 0 else 0
        if not self.head_comment:
            return
        self._write_indent()
        self._write_comment(self.head_comment)
        self.head_comment = ""

    def _process_line_comment(self, linebreak: bool = False) -> None:
        if not self.line_comment:
            if linebreak:
                self._put_break()
            return
        if not self.whitespace:
            self._put(" ")
        self._write_comment(self.line_comment)
        self.line_comment = ""

    def _process_foot_comment(self) -> None:
        if not self.foot_comment:
            return
        self._write_indent()
        self._write_comment(self.foot_comment)
        self.foot_comment = ""
        self.foot_indent = self.indent if self.indent >= 0 else 0

    # -- analysis
    def _analyze_event(self, ev: _Ev) -> None:
        if ev.head:
            self.head_comment = ev.head
        if ev.line:
            self.line_comment = ev.line
        if ev.foot:
            self.foot_comment = ev.foot
        if ev.tail:
            self.tail_comment = ev.tail

    def _increase_indent(self, flow: bool, indentless: bool) -> None:
        self.indents.append(self.indent)
        if self.indent < 0:
            self.indent = self.best_indent if flow else 0
        elif not indentless:
            if self.states and self.states[-1] == ST_BSEQ_ITEM:
                self.indent += 2
            else:
                b = self.best_indent
                self.indent = b * ((self.indent + b) // b)

    def _pop_indent(self) -> None:
        self.indent = self.indents.pop()

    def _pop_state(self) -> None:
        self.state = self.states.pop()

    def _next_is(self, typ: int) -> bool:
        nxt = self.pos + 1
        return nxt < len(self.events) and self.events[nxt].typ == typ

    # -- state machine
    def _dispatch(self, ev: _Ev) -> None:
        s = self.state
        if s == ST_BMAP_SIMPLE_VALUE:
            self._block_mapping_value(ev, True)
        elif s == ST_BMAP_KEY:
            self._block_mapping_key(ev, False)
        elif s == ST_BMAP_FIRST_KEY:
            self._block_mapping_key(ev, True)
        elif s == ST_BSEQ_ITEM:
            self._block_sequence_item(ev, False)
        elif s == ST_BSEQ_FIRST:
            self._block_sequence_item(ev, True)
        elif s == ST_BMAP_VALUE:
            self._block_mapping_value(ev, False)
        elif s == ST_FIRST_DOC_START:
            self._document_start(ev, True)
        elif s == ST_DOC_START:
            self._document_start(ev, False)
        elif s == ST_DOC_CONTENT:
            self._document_content(ev)
        elif s == ST_DOC_END:
            self._document_end(ev)
        elif s == ST_FSEQ_FIRST:
            self._flow_sequence_item(ev, True, False)
        elif s == ST_FSEQ_TRAIL:
            self._flow_sequence_item(ev, False, True)
        elif s == ST_FSEQ_ITEM:
            self._flow_sequence_item(ev, False, False)
        elif s == ST_FMAP_FIRST_KEY:
            self._flow_mapping_key(ev, True, False)
        elif s == ST_FMAP_TRAIL_KEY:
            self._flow_mapping_key(ev, False, True)
        elif s == ST_FMAP_KEY:
            self._flow_mapping_key(ev, False, False)
        elif s == ST_FMAP_SIMPLE_VALUE:
            self._flow_mapping_value(ev, True)
        elif s == ST_FMAP_VALUE:
            self._flow_mapping_value(ev, False)
        else:
            raise EmitError("expected nothing after STREAM-END")

    def _document_start(self, ev: _Ev, first: bool) -> None:
        if ev.typ == E_DOC_START:
            if not first:
                self._write_indent()
                self._write_indicator("---", True, False, False)
                self._write_indent()
            if self.head_comment:
                self._process_head_comment()
                self._put_break()
            self.state = ST_DOC_CONTENT
            return
        if ev.typ == E_STREAM_END:
            self.state = ST_END
            return
        raise EmitError("expected DOCUMENT-START or STREAM-END")

    def _document_content(self, ev: _Ev) -> None:
        self.states.append(ST_DOC_END)
        self._process_head_comment()
        self._emit_node(ev, True, False, False, False)
        self._process_line_comment()
        self._process_foot_comment()

    def _document_end(self, ev: _Ev) -> None:
        if ev.typ != E_DOC_END:
            raise EmitError("expected DOCUMENT-END")
        self.foot_indent = 0
        self._process_foot_comment()
        self.foot_indent = -1
        self._write_indent()
        self.state = ST_DOC_START

    def _flow_sequence_item(self, ev: _Ev, first: bool, trail: bool) -> None:
        if first:
            self._write_indicator("[", True, True, False)
            self._increase_indent(True, False)
            self.flow_level += 1
        if ev.typ == E_SEQ_END:
            self.flow_level -= 1
            self._pop_indent()
            if self.column == 0:
                self._write_indent()
            self._write_indicator("]", False, False, False)
            self._process_line_comment()
            self._process_foot_comment()
            self._pop_state()
            return
        if not first and not trail:
            self._write_indicator(",", False, False, False)
        self._process_head_comment()
        if self.column == 0:
            self._write_indent()
        if self.line_comment or self.foot_comment or self.tail_comment:
            self.states.append(ST_FSEQ_TRAIL)
        else:
            self.states.append(ST_FSEQ_ITEM)
        self._emit_node(ev, False, True, False, False)
        if self.line_comment or self.foot_comment or self.tail_comment:
            self._write_indicator(",", False, False, False)
        self._process_line_comment()
        self._process_foot_comment()

    def _flow_mapping_key(self, ev: _Ev, first: bool, trail: bool) -> None:
        if first:
            self._write_indicator("{", True, True, False)
            self._increase_indent(True, False)
            self.flow_level += 1
        if ev.typ == E_MAP_END:
            if (self.head_comment or self.foot_comment or self.tail_comment) and not first and not trail:
                self._write_indicator(",", False, False, False)
            self._process_head_comment()
            self.flow_level -= 1
            self._pop_indent()
            self._write_indicator("}", False, False, False)
            self._process_line_comment()
            self._process_foot_comment()
            self._pop_state()
            return
        if not first and not trail:
            self._write_indicator(",", False, False, False)
        self._process_head_comment()
        if self.column == 0:
            self._write_indent()
        if self._check_simple_key(ev):
            self.states.append(ST_FMAP_SIMPLE_VALUE)
            self._emit_node(ev, False, False, True, True)
            return
        self._write_indicator("?", True, False, False)
        self.states.append(ST_FMAP_VALUE)
        self._emit_node(ev, False, False, True, False)

    def _flow_mapping_value(self, ev: _Ev, simple: bool) -> None:
        if simple:
            self._write_indicator(":", False, False, False)
        else:
            self._write_indicator(":", True, False, False)
        if self.line_comment or self.foot_comment or self.tail_comment:
            self.states.append(ST_FMAP_TRAIL_KEY)
        else:
            self.states.append(ST_FMAP_KEY)
        self._emit_node(ev, False, False, True, False)
        if self.line_comment or self.foot_comment or self.tail_comment:
            self._write_indicator(",", False, False, False)
        self._process_line_comment()
        self._process_foot_comment()

    def _block_sequence_item(self, ev: _Ev, first: bool) -> None:
        if first:
            self._increase_indent(False, False)
        if ev.typ == E_SEQ_END:
            self._pop_indent()
            self._pop_state()
            return
        self._process_head_comment()
        self._write_indent()
        self._write_indicator("-", True, False, True)
        self.states.append(ST_BSEQ_ITEM)
        self._emit_node(ev, False, True, False, False)
        self._process_line_comment()
        self._process_foot_comment()

    def _block_mapping_key(self, ev: _Ev, first: bool) -> None:
        if first:
            self._increase_indent(False, False)
        self._process_head_comment()
        if ev.typ == E_MAP_END:
            self._pop_indent()
            self._pop_state()
            return
        self._write_indent()
        if self.line_comment:
            self.key_line_comment = self.line_comment
            self.line_comment = ""
        if self._check_simple_key(ev):
            self.states.append(ST_BMAP_SIMPLE_VALUE)
            self._emit_node(ev, False, False, True, True)
            return
        self._write_indicator("?", True, False, True)
        self.states.append(ST_BMAP_VALUE)
        self._emit_node(ev, False, False, True, False)

    def _block_mapping_value(self, ev: _Ev, simple: bool) -> None:
        if simple:
            self._write_indicator(":", False, False, False)
        else:
            self._write_indent()
            self._write_indicator(":", True, False, True)
        if self.key_line_comment:
            if ev.typ == E_SCALAR:
                if not self.line_comment:
                    self.line_comment = self.key_line_comment
                    self.key_line_comment = ""
            elif not ev.flow and ev.typ in (E_MAP_START, E_SEQ_START):
                self.line_comment, self.key_line_comment = self.key_line_comment, self.line_comment
                self._process_line_comment()
                self.line_comment, self.key_line_comment = self.key_line_comment, self.line_comment
        self.states.append(ST_BMAP_KEY)
        self._emit_node(ev, False, False, True, False)
        self._process_line_comment()
        self._process_foot_comment()

    def _check_simple_key(self, ev: _Ev) -> bool:
        typ = ev.typ
        if typ == E_SCALAR:
            an = ev.an
            assert an is not None
            if an.multiline:
                return False
            return an.nbytes + len(ev.tag) <= 128  # value plus tag handle and suffix
        if typ == E_SEQ_START:
            return self._next_is(E_SEQ_END)
        if typ == E_MAP_START:
            return self._next_is(E_MAP_END)
        return False

    def _emit_node(self, ev: _Ev, root: bool, sequence: bool, mapping: bool, simple_key: bool) -> None:
        self.root_context = root
        self.sequence_context = sequence
        self.mapping_context = mapping
        self.simple_key_context = simple_key
        typ = ev.typ
        if typ == E_SCALAR:
            self._emit_scalar(ev)
        elif typ == E_SEQ_START:
            if self.flow_level > 0 or ev.flow or self._next_is(E_SEQ_END):
                self.state = ST_FSEQ_FIRST
            else:
                self.state = ST_BSEQ_FIRST
        elif typ == E_MAP_START:
            if self.flow_level > 0 or ev.flow or self._next_is(E_MAP_END):
                self.state = ST_FMAP_FIRST_KEY
            else:
                self.state = ST_BMAP_FIRST_KEY
        else:
            raise EmitError("expected SCALAR, SEQUENCE-START or MAPPING-START")

    def _emit_scalar(self, ev: _Ev) -> None:
        an = ev.an
        assert an is not None
        value = ev.value
        style = _select(ev.style, an, value, self.flow_level > 0, self.simple_key_context)
        if ev.tag:
            # !!merge / !!binary: written as a "!!" handle and suffix before the value
            if not self.whitespace:
                self._put(" ")
            self._put(ev.tag)
            self.whitespace = False
            self.indention = False
        self._increase_indent(True, False)
        if style == PLAIN:
            self._write_plain(value)
        elif style == SINGLE:
            self._write_single(value)
        elif style == DOUBLE:
            self._write_double(value)
        else:
            self._write_literal(value)
        self._pop_indent()
        self._pop_state()

    # -- scalar writers
    def _write_plain(self, value: str) -> None:
        if value and not self.whitespace:
            self._put(" ")
        if value:
            self._put(value)
            self.whitespace = False
        self.indention = False
        if self.root_context:
            self.open_ended = True

    def _write_single(self, value: str) -> None:
        self._write_indicator("'", True, False, False)
        self._put(value.replace("'", "''"))
        self._write_indicator("'", False, False, False)
        self.whitespace = False
        self.indention = False

    def _write_double(self, value: str) -> None:
        self._write_indicator('"', True, False, False)
        bom = value[:1] == "\ufeff"
        parts: list[str] = []
        for c in value:
            if bom or c in _BREAKS or c == '"' or c == "\\" or not _printable(c):
                parts.append(_escape(c))
            else:
                parts.append(c)
        self._put("".join(parts))
        self._write_indicator('"', False, False, False)
        self.whitespace = False
        self.indention = False

    def _write_literal(self, value: str) -> None:
        self._write_indicator("|", True, False, False)
        if value and (value[0] == " " or value[0] in _BREAKS):
            self._write_indicator(str(self.best_indent), False, False, False)
        self.open_ended = False
        chomp = ""
        if not value:
            chomp = "-"
        else:
            last = value[-1]
            if last not in _BREAKS:
                chomp = "-"
            elif len(value) == 1:
                chomp = "+"
                self.open_ended = True
            elif value[-2] in _BREAKS:
                chomp = "+"
                self.open_ended = True
        if chomp:
            self._write_indicator(chomp, False, False, False)
        self._process_line_comment(True)
        self.whitespace = True
        breaks = True
        i = 0
        n = len(value)
        while i < n:
            c = value[i]
            if c in _BREAKS:
                self._write_break_char(c)
                breaks = True
                i += 1
                continue
            if breaks:
                self._write_indent()
            j = i
            while j < n and value[j] not in _BREAKS:
                j += 1
            self._put(value[i:j])
            self.indention = False
            breaks = False
            i = j


_ESCAPES = {
    "\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
    "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
}


def _escape(c: str) -> str:
    e = _ESCAPES.get(c)
    if e is not None:
        return "\\" + e
    o = ord(c)
    if 0xDC80 <= o <= 0xDCFF:  # a surrogateescape'd byte: Go would see the raw byte
        return "\\x%02X" % (o - 0xDC00)
    if o <= 0xFF:
        return "\\x%02X" % o
    if o <= 0xFFFF:
        return "\\u%04X" % o
    return "\\U%08X" % o


def emit_documents(docs: list[Mapping], indent: int = 4, metadata: Mapping | None = None) -> bytes:
    """Documents (each with ``sops: metadata`` appended when given) as sops writes them."""
    if indent < 0:
        raise EmitError("YAML Negative indentation not accepted")
    builder = _EventBuilder()
    for doc in docs:
        if not isinstance(doc, Mapping):
            raise EmitError("a YAML document must be a mapping")
        if metadata is not None:
            doc = Mapping(list(doc) + [["sops", metadata]])
        builder.document(doc)
    return _Emitter(builder.events, indent or 4).run().encode("utf-8", "surrogateescape")


def emit_value(node: Any, indent: int = 4) -> bytes:
    """One value as its own YAML document (sops ``EmitValue`` / ``yaml.Marshal``)."""
    builder = _EventBuilder()
    builder.events.append(_Ev(E_DOC_START))
    builder.node(node, "", "", "")
    builder.events.append(_Ev(E_DOC_END))
    # yaml.Marshal uses go-yaml's default indentation of 4
    return _Emitter(builder.events, 4).run().encode("utf-8", "surrogateescape")
