"""sealfile documents -> YAML text, byte for byte as sops 3.11 writes it.

sops hands go-yaml v3's encoder a ``yaml.Node`` tree; :mod:`.encoder`
rebuilds the event stream that makes, and this module runs a port of
go-yaml's emitter state machine (``emitterc.go``: ``yaml_emitter_emit``
and its ``yaml_emitter_emit_*`` states, the ``yaml_emitter_write_*``
writers and the comment processing) over it, so indentation, quoting,
literal blocks, comment placement and the blank lines go-yaml inserts
after foot comments all come out the same.  Lines are never folded
(go-yaml's default width is unlimited).

This stage is longer than 500 lines: it keeps ``emitterc.go``'s shape, one
method per emitter state and per writer, so that each can be checked
against its original; splitting the state machine would scatter states
that hand over to each other.
"""
from __future__ import annotations

import re
import io
from typing import Any, Iterable, Iterator

from ...core.tree import Mapping
from ...errors import EmitError
from .encoder import (BREAKS, DOUBLE, E_DOC_END, E_DOC_START, E_MAP_END, E_MAP_START, E_SCALAR, E_SEQ_END,
                      E_SEQ_START, E_STREAM_END, PLAIN, SINGLE, EmitEvent, EventBuilder, printable,
                      select_style)

__all__ = ["emit_documents", "emit_parts", "emit_value", "double_quoted", "encode_pieces", "encode_all"]

#: a comment cut into runs of characters and single line breaks (each break its own run)
_BREAK_SPLIT = re.compile("([\r\n\x85\u2028\u2029])").split
_HAS_BREAK = re.compile("[\r\n\x85\u2028\u2029]").search

#: written pieces joined and encoded at a time (see :func:`encode_pieces`)
_OUT_BATCH = 8192
_END = object()

#: emitter states (go-yaml's ``yaml_emitter_state_t``)
(ST_STREAM_START, ST_FIRST_DOC_START, ST_DOC_START, ST_DOC_CONTENT, ST_DOC_END, ST_FSEQ_FIRST,
 ST_FSEQ_TRAIL, ST_FSEQ_ITEM, ST_FMAP_FIRST_KEY, ST_FMAP_TRAIL_KEY, ST_FMAP_KEY, ST_FMAP_SIMPLE_VALUE,
 ST_FMAP_VALUE, ST_BSEQ_FIRST, ST_BSEQ_ITEM, ST_BMAP_FIRST_KEY, ST_BMAP_KEY, ST_BMAP_SIMPLE_VALUE,
 ST_BMAP_VALUE, ST_END) = range(20)


def encode_pieces(pieces: list[str], sink: io.BytesIO) -> None:
    """Join ``pieces``, encode them onto ``sink`` and empty the list.

    Large outputs are built from small text pieces; encoding them a batch at a
    time into one buffer (whose ``getvalue()`` hands the buffer over) means a
    file's pieces, its text and its bytes never all exist at once.
    """
    sink.write("".join(pieces).encode("utf-8", "surrogateescape"))
    pieces.clear()


def encode_all(pieces: Iterable[str]) -> bytes:
    """The encoded concatenation of ``pieces``, built as :func:`encode_pieces` says."""
    sink = io.BytesIO()
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= _OUT_BATCH:
            encode_pieces(batch, sink)
    encode_pieces(batch, sink)
    return sink.getvalue()


class _Emitter:
    """emitterc.go's ``yaml_emitter_t``: events in, text out, one method per state."""

    def __init__(self, events: list[EmitEvent], indent: int, more: Iterator[None] | None = None) -> None:
        #: the events to write; with ``more``, a window the builder refills each time ``more`` is stepped
        self.events = events
        self.more = more
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

    def run(self) -> bytes:
        """The text of every event, encoded.  The written pieces are joined and encoded a batch at a
        time, and events already written are dropped before the builder adds more: a large
        document's pieces and events never all exist at once."""
        events = self.events
        out = self.out
        done = io.BytesIO()
        more = self.more
        while True:
            if more is not None and self.pos + 1 >= len(events):  # one event of lookahead (_next_is)
                del events[:self.pos]
                self.pos = 0
                if next(more, _END) is _END:
                    more = None
                continue
            pos = self.pos
            if pos >= len(events):
                break
            ev = events[pos]
            if (self.state == ST_BMAP_KEY and ev.typ == E_SCALAR and pos + 1 < len(events)
                    and self._plain_pair(ev, events[pos + 1])):
                self.pos = pos + 2
            else:
                self._analyze_event(ev)
                self._dispatch(ev)
                self.pos = pos + 1
            if len(out) >= _OUT_BATCH:
                encode_pieces(out, done)
        encode_pieces(out, done)
        return done.getvalue()

    def _plain_pair(self, key: EmitEvent, value: EmitEvent) -> bool:
        """Write ``key: value`` at once when both are plain scalars with no comment, tag or pending
        comment in a block mapping (most lines of most files); False, with nothing written, otherwise.

        Exactly what :meth:`_block_mapping_key` then :meth:`_block_mapping_value` do in that case:
        :meth:`_write_indent`, the key, ``:``, a blank and the value, and the same state afterwards
        (every push of a state or an indent there is popped again).
        """
        if (value.typ != E_SCALAR or key.head or key.line or key.foot or key.tail or key.tag or value.head
                or value.line or value.foot or value.tail or value.tag or self.flow_level or self.head_comment
                or self.line_comment or self.foot_comment or self.tail_comment or self.key_line_comment):
            return False
        ka, va = key.an, value.an
        if (key.style != PLAIN or value.style != PLAIN or not key.value or not value.value or ka is None
                or va is None or ka.multiline or ka.nbytes > 128 or not ka.block_plain or not va.block_plain):
            return False
        self._write_indent()
        self._put(key.value + ": " + value.value)
        self.whitespace = self.indention = self.open_ended = False
        self.root_context = self.sequence_context = self.simple_key_context = False
        self.mapping_context = True
        return True

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
        """go-yaml's ``yaml_emitter_write_comment``, a run of characters between breaks at a time."""
        breaks = False
        pound = False
        for run in _BREAK_SPLIT(comment) if _HAS_BREAK(comment) is not None else (comment,):
            if not run:
                continue
            if run in BREAKS:
                self._write_break_char(run)
                breaks = True
                pound = False
                continue
            if breaks:
                self._write_indent()
            if not pound:
                if run[0] != "#":
                    self._put("# ")
                pound = True
            self._put(run)
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
    def _analyze_event(self, ev: EmitEvent) -> None:
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
    def _dispatch(self, ev: EmitEvent) -> None:
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

    def _document_start(self, ev: EmitEvent, first: bool) -> None:
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

    def _document_content(self, ev: EmitEvent) -> None:
        self.states.append(ST_DOC_END)
        self._process_head_comment()
        self._emit_node(ev, True, False, False, False)
        self._process_line_comment()
        self._process_foot_comment()

    def _document_end(self, ev: EmitEvent) -> None:
        if ev.typ != E_DOC_END:
            raise EmitError("expected DOCUMENT-END")
        self.foot_indent = 0
        self._process_foot_comment()
        self.foot_indent = -1
        self._write_indent()
        self.state = ST_DOC_START

    def _flow_sequence_item(self, ev: EmitEvent, first: bool, trail: bool) -> None:
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

    def _flow_mapping_key(self, ev: EmitEvent, first: bool, trail: bool) -> None:
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

    def _flow_mapping_value(self, ev: EmitEvent, simple: bool) -> None:
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

    def _block_sequence_item(self, ev: EmitEvent, first: bool) -> None:
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

    def _block_mapping_key(self, ev: EmitEvent, first: bool) -> None:
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

    def _block_mapping_value(self, ev: EmitEvent, simple: bool) -> None:
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

    def _check_simple_key(self, ev: EmitEvent) -> bool:
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

    def _emit_node(self, ev: EmitEvent, root: bool, sequence: bool, mapping: bool, simple_key: bool) -> None:
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

    def _emit_scalar(self, ev: EmitEvent) -> None:
        an = ev.an
        assert an is not None
        value = ev.value
        style = select_style(ev.style, an, value, self.flow_level > 0, self.simple_key_context)
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
            if bom or c in BREAKS or c == '"' or c == "\\" or not printable(c):
                parts.append(_escape(c))
            else:
                parts.append(c)
        self._put("".join(parts))
        self._write_indicator('"', False, False, False)
        self.whitespace = False
        self.indention = False

    def _write_literal(self, value: str) -> None:
        self._write_indicator("|", True, False, False)
        if value and (value[0] == " " or value[0] in BREAKS):
            self._write_indicator(str(self.best_indent), False, False, False)
        self.open_ended = False
        chomp = ""
        if not value:
            chomp = "-"
        else:
            last = value[-1]
            if last not in BREAKS:
                chomp = "-"
            elif len(value) == 1:
                chomp = "+"
                self.open_ended = True
            elif value[-2] in BREAKS:
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
            if c in BREAKS:
                self._write_break_char(c)
                breaks = True
                i += 1
                continue
            if breaks:
                self._write_indent()
            j = i
            while j < n and value[j] not in BREAKS:
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


def double_quoted(value: str) -> str:
    """``value`` as the double-quoted scalar go-yaml writes (one line: every break escaped)."""
    bom = value[:1] == "\ufeff"
    return '"' + "".join(_escape(c) if bom or c in BREAKS or c == '"' or c == "\\" or not printable(c) else c
                         for c in value) + '"'


def emit_documents(docs: list[Mapping], indent: int = 4, metadata: Mapping | None = None) -> bytes:
    """Documents (each with ``sops: metadata`` appended when given) as sops writes them."""
    if indent < 0:
        raise EmitError("YAML Negative indentation not accepted")
    for doc in docs:
        if not isinstance(doc, Mapping):
            raise EmitError("a YAML document must be a mapping")
    builder = EventBuilder()

    def steps() -> Iterator[None]:
        for doc in docs:
            if metadata is not None:
                doc = Mapping([*doc, ["sops", metadata]])
            yield from builder.document_steps(doc)

    return _Emitter(builder.events, indent or 4, steps()).run()


def emit_parts(parts: Iterator[Mapping], indent: int = 4) -> bytes:
    """One document whose root mapping is the concatenation of ``parts``, taken one at a time (a large
    file read in regions): the same bytes as :func:`emit_documents` of the whole mapping."""
    if indent < 0:
        raise EmitError("YAML Negative indentation not accepted")
    builder = EventBuilder()
    return _Emitter(builder.events, indent or 4, builder.mapping_parts(parts)).run()


def emit_value(node: Any, indent: int = 4) -> bytes:
    """One value as its own YAML document (sops ``EmitValue`` / ``yaml.Marshal``)."""
    builder = EventBuilder()
    builder.events.append(EmitEvent(E_DOC_START))
    builder.node(node, "", "", "")
    builder.events.append(EmitEvent(E_DOC_END))
    # yaml.Marshal uses go-yaml's default indentation of 4
    return _Emitter(builder.events, 4).run()
