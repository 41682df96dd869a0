"""The parser of the go-yaml v3 port: tokens to events, carrying the comments.

Follows go-yaml's ``parserc.go`` state machine (``yaml_parser_parse`` and
its ``yaml_parser_parse_*`` states) over the token queue of
:class:`.scanner.Scanner`.  libyaml's own parser gives the same events,
but not the comments: go-yaml attaches the comments pending when it peeks
a token to the event it makes next (``yaml_parser_set_event_comments``),
moves a document's leading comment to the document
(``yaml_parser_parse_document_start``) and a comment before ``- `` to the
collection the item opens (``yaml_parser_split_stem_comment``), so the
whole state machine is replayed.  Structural errors seldom reach it
(libyaml has already tokenised the text); those that do are reported with
libyaml's wording, as the fast reader reports them.

This stage is a little over 500 lines: it keeps one method per parser
state, as ``parserc.go`` has one function per state, so that each can be
read side by side with its original; the states hand over to each other
through ``self.state``, which a split would scatter.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import ParseError
from .policy import first_libyaml_error
from .tokens import (ALIAS, ANCHOR, BLOCK_END, BLOCK_ENTRY, BMS, BSS, DIRECTIVE, DOC_END, DOC_START, FLOW_ENTRY,
                     FME, FMS, FSE, FSS, KEY, SCALAR, STREAM_END, TAG, VALUE, Token)

if TYPE_CHECKING:
    from .scanner import Scanner

__all__ = [
    "EV_STREAM_START", "EV_STREAM_END", "EV_DOC_START", "EV_DOC_END", "EV_ALIAS", "EV_SCALAR", "EV_SEQ_START",
    "EV_SEQ_END", "EV_MAP_START", "EV_MAP_END", "Event", "Parser",
]

#: event types (go-yaml's ``yaml_event_type_t``)
(EV_STREAM_START, EV_STREAM_END, EV_DOC_START, EV_DOC_END, EV_ALIAS, EV_SCALAR, EV_SEQ_START,
 EV_SEQ_END, EV_MAP_START, EV_MAP_END) = range(10)


class Event:
    """A parser event with its head, line and foot comments."""

    __slots__ = ("typ", "start", "anchor", "tag", "value", "style", "implicit", "head", "line", "foot", "flow")

    def __init__(self, typ: int, start: int = 0) -> None:
        self.typ = typ
        self.start = start
        self.anchor: str | None = None
        self.tag = ""
        self.value = ""
        self.style = ""
        self.implicit = True
        self.head = ""
        self.line = ""
        self.foot = ""
        self.flow = False


(S_STREAM_START, S_IMPLICIT_DOC_START, S_DOC_START, S_DOC_CONTENT, S_DOC_END, S_BLOCK_NODE,
 S_BLOCK_NODE_OR_INDENTLESS, S_FLOW_NODE, S_BSEQ_FIRST, S_BSEQ, S_INDENTLESS, S_BMAP_FIRST_KEY,
 S_BMAP_KEY, S_BMAP_VALUE, S_FSEQ_FIRST, S_FSEQ, S_FSEQ_MAP_KEY, S_FSEQ_MAP_VALUE, S_FSEQ_MAP_END,
 S_FMAP_FIRST_KEY, S_FMAP_KEY, S_FMAP_VALUE, S_FMAP_EMPTY_VALUE, S_END) = range(24)

_DEFAULT_TAGS = (("!", "!"), ("!!", "tag:yaml.org,2002:"))


class Parser:
    """parserc.go's state machine; comments reach events where go-yaml hands them over."""

    def __init__(self, scanner: Scanner) -> None:
        self.sc = scanner
        self.state = S_STREAM_START
        self.states: list[int] = []
        self.stem_comment: str | None = None
        self.tag_directives: list[tuple[str, str]] = []
        self.done = False

    def error(self, message: str) -> ParseError:
        """A structural error: libyaml's wording for the first error in the text, as the fast
        reader would give it, or ``message`` if libyaml has none (which would be a replay bug)."""
        return first_libyaml_error(self.sc.text) or ParseError(message)

    def _set_comments(self, ev: Event) -> None:
        """``yaml_parser_set_event_comments``: the pending comments go to ``ev``."""
        sc = self.sc
        ev.head, ev.line, ev.foot = sc.head_comment, sc.line_comment, sc.foot_comment
        sc.head_comment = sc.line_comment = sc.foot_comment = ""
        self.stem_comment = None

    def parse(self) -> Event | None:
        """``yaml_parser_parse``: the next event, or None after STREAM-END."""
        if self.done or self.state == S_END:
            return None
        return self._dispatch()

    def _dispatch(self) -> Event:
        """``yaml_parser_state_machine``; the states of block collections, the most frequent, first."""
        s = self.state
        if s == S_BMAP_KEY:
            return self._block_mapping_key(False)
        if s == S_BMAP_VALUE:
            return self._block_mapping_value()
        if s == S_BSEQ:
            return self._block_sequence_entry(False)
        if s == S_BMAP_FIRST_KEY:
            return self._block_mapping_key(True)
        if s == S_STREAM_START:
            tok = self.sc.peek()
            self.state = S_IMPLICIT_DOC_START
            self.sc.skip()
            return Event(EV_STREAM_START, tok.start)
        if s == S_IMPLICIT_DOC_START:
            return self._document_start(True)
        if s == S_DOC_START:
            return self._document_start(False)
        if s == S_DOC_CONTENT:
            return self._document_content()
        if s == S_DOC_END:
            return self._document_end()
        if s == S_BLOCK_NODE:
            return self._node(True, False)
        if s == S_BLOCK_NODE_OR_INDENTLESS:
            return self._node(True, True)
        if s == S_FLOW_NODE:
            return self._node(False, False)
        if s == S_BSEQ_FIRST:
            return self._block_sequence_entry(True)
        if s == S_INDENTLESS:
            return self._indentless_sequence_entry()
        if s == S_FSEQ_FIRST:
            return self._flow_sequence_entry(True)
        if s == S_FSEQ:
            return self._flow_sequence_entry(False)
        if s == S_FSEQ_MAP_KEY:
            return self._flow_sequence_entry_mapping_key()
        if s == S_FSEQ_MAP_VALUE:
            return self._flow_sequence_entry_mapping_value()
        if s == S_FSEQ_MAP_END:
            return self._flow_sequence_entry_mapping_end()
        if s == S_FMAP_FIRST_KEY:
            return self._flow_mapping_key(True)
        if s == S_FMAP_KEY:
            return self._flow_mapping_key(False)
        if s == S_FMAP_VALUE:
            return self._flow_mapping_value(False)
        if s == S_FMAP_EMPTY_VALUE:
            return self._flow_mapping_value(True)
        raise self.error("yaml: internal parser state error")

    def _pop_state(self) -> None:
        """The state saved when the current collection or node began."""
        self.state = self.states.pop()

    def _document_start(self, implicit: bool) -> Event:
        """``yaml_parser_parse_document_start``; an implicit document takes the head comment before its
        first blank line (the rest stays for the first node)."""
        sc = self.sc
        tok = sc.peek()
        if not implicit:
            while tok.kind == DOC_END:
                sc.skip()
                tok = sc.peek()
        if implicit and tok.kind not in (DIRECTIVE, DOC_START, STREAM_END):
            self._process_directives()
            self.states.append(S_DOC_END)
            self.state = S_BLOCK_NODE
            head = ""
            hc = sc.head_comment
            if hc:
                i = len(hc) - 1
                while i > 0:
                    if hc[i] == "\n":
                        if i == len(hc) - 1:
                            head = hc[:i]
                            sc.head_comment = hc[i + 1:]
                            break
                        if hc[i - 1] == "\n":
                            head = hc[:i - 1]
                            sc.head_comment = hc[i + 1:]
                            break
                    i -= 1
            ev = Event(EV_DOC_START, tok.start)
            ev.head = head
            return ev
        if tok.kind != STREAM_END:
            self._process_directives()
            tok = sc.peek()
            if tok.kind != DOC_START:
                raise self.error("yaml: did not find expected <document start>")
            self.states.append(S_DOC_END)
            self.state = S_DOC_CONTENT
            ev = Event(EV_DOC_START, tok.start)
            ev.implicit = False
            sc.skip()
            return ev
        self.state = S_END
        ev = Event(EV_STREAM_END, tok.start)
        sc.skip()
        self.done = True
        return ev

    def _process_directives(self) -> None:
        """``yaml_parser_process_directives``: the %TAG handles in force for the next document."""
        sc = self.sc
        tok = sc.peek()
        directives: list[tuple[str, str]] = []
        while tok.kind == DIRECTIVE:
            name, value = tok.value
            if name == "TAG":
                directives.append((value[0], value[1]))
            sc.skip()
            tok = sc.peek()
        self.tag_directives = directives + [d for d in _DEFAULT_TAGS if d[0] not in {h for h, _ in directives}]

    def _document_content(self) -> Event:
        """``yaml_parser_parse_document_content``: the root node, or an empty scalar."""
        tok = self.sc.peek()
        if tok.kind in (DIRECTIVE, DOC_START, DOC_END, STREAM_END):
            self._pop_state()
            return Event(EV_SCALAR, tok.start)  # empty scalar
        return self._node(True, False)

    def _document_end(self) -> Event:
        """``yaml_parser_parse_document_end``: the comments left over become its foot."""
        sc = self.sc
        tok = sc.peek()
        ev = Event(EV_DOC_END, tok.start)
        if tok.kind == DOC_END:
            sc.skip()
            ev.implicit = False
        self.state = S_DOC_START
        self._set_comments(ev)
        if ev.head and not ev.foot:
            ev.foot = ev.head
            ev.head = ""
        return ev

    def _node(self, block: bool, indentless: bool) -> Event:
        """``yaml_parser_parse_node``: an alias, a scalar, or the start of a collection."""
        sc = self.sc
        tok = sc.peek()
        if tok.kind == ALIAS:
            self._pop_state()
            ev = Event(EV_ALIAS, tok.start)
            ev.anchor = tok.value
            self._set_comments(ev)
            sc.skip()
            return ev
        start = tok.start
        anchor: str | None = None
        tag = ""
        if tok.kind == ANCHOR or tok.kind == TAG:
            anchor, tag, tok = self._properties(tok)
        if indentless and tok.kind == BLOCK_ENTRY:
            self.state = S_INDENTLESS
            ev = Event(EV_SEQ_START, start)
            ev.anchor, ev.tag = anchor, tag
            return ev
        if tok.kind == SCALAR:
            self._pop_state()
            ev = Event(EV_SCALAR, start)
            ev.anchor, ev.tag, ev.value, ev.style = anchor, tag, tok.value, tok.style or ""
            self._set_comments(ev)
            sc.skip()
            return ev
        if tok.kind in (FSS, FMS):
            self.state = S_FSEQ_FIRST if tok.kind == FSS else S_FMAP_FIRST_KEY
            ev = Event(EV_SEQ_START if tok.kind == FSS else EV_MAP_START, start)
            ev.anchor, ev.tag, ev.flow = anchor, tag, True
            self._set_comments(ev)
            return ev
        if block and tok.kind in (BSS, BMS):
            self.state = S_BSEQ_FIRST if tok.kind == BSS else S_BMAP_FIRST_KEY
            ev = Event(EV_SEQ_START if tok.kind == BSS else EV_MAP_START, start)
            ev.anchor, ev.tag = anchor, tag
            if self.stem_comment is not None:
                ev.head = self.stem_comment
                self.stem_comment = None
            return ev
        if anchor is not None or tag:
            self._pop_state()
            ev = Event(EV_SCALAR, start)
            ev.anchor, ev.tag = anchor, tag
            return ev
        raise self.error("yaml: did not find expected node content")

    def _properties(self, tok: Token) -> tuple[str | None, str, Token]:
        """A node's anchor and tag (either order), the tag resolved against the %TAG directives;
        and the token after them."""
        sc = self.sc
        anchor = None
        tag_token: Token | None = None
        for _ in range(2):
            if tok.kind == ANCHOR and anchor is None:
                anchor = tok.value
            elif tok.kind == TAG and tag_token is None:
                tag_token = tok
            else:
                break
            sc.skip()
            tok = sc.peek()
        if tag_token is None:
            return anchor, "", tok
        return anchor, self._resolve_tag(tag_token.value, tag_token.suffix), tok

    def _resolve_tag(self, tag_handle: str | None, tag_suffix: str | None) -> str:
        """A tag's full name: its suffix alone (verbatim ``!<...>``) or the handle's prefix first."""
        if not tag_handle:
            return tag_suffix or ""
        for handle, prefix in self.tag_directives:
            if handle == tag_handle:
                return prefix + (tag_suffix or "")
        raise self.error("yaml: found undefined tag handle")

    def _split_stem(self, stem_len: int) -> None:
        """``yaml_parser_split_stem_comment``: a comment before ``- `` whose item opens a block
        collection belongs to that collection, not to the item."""
        if stem_len == 0:
            return
        tok = self.sc.peek()
        if tok.kind not in (BSS, BMS):
            return
        hc = self.sc.head_comment
        self.stem_comment = hc[:stem_len]
        self.sc.head_comment = "" if len(hc) == stem_len else hc[stem_len + 1:]

    def _block_sequence_entry(self, first: bool) -> Event:
        """``yaml_parser_parse_block_sequence_entry``."""
        sc = self.sc
        if first:
            sc.peek()
            sc.skip()
        tok = sc.peek()
        if tok.kind == BLOCK_ENTRY:
            mark = tok.end
            prior = len(sc.head_comment)
            sc.skip()
            self._split_stem(prior)
            tok = sc.peek()
            if tok.kind not in (BLOCK_ENTRY, BLOCK_END):
                self.states.append(S_BSEQ)
                return self._node(True, False)
            self.state = S_BSEQ
            return Event(EV_SCALAR, mark)
        if tok.kind == BLOCK_END:
            self._pop_state()
            ev = Event(EV_SEQ_END, tok.start)
            sc.skip()
            return ev
        raise self.error("yaml: did not find expected '-' indicator")

    def _indentless_sequence_entry(self) -> Event:
        """``yaml_parser_parse_indentless_sequence_entry``: a ``- `` list at its key's indentation."""
        sc = self.sc
        tok = sc.peek()
        if tok.kind == BLOCK_ENTRY:
            mark = tok.end
            prior = len(sc.head_comment)
            sc.skip()
            self._split_stem(prior)
            tok = sc.peek()
            if tok.kind not in (BLOCK_ENTRY, KEY, VALUE, BLOCK_END):
                self.states.append(S_INDENTLESS)
                return self._node(True, False)
            self.state = S_INDENTLESS
            return Event(EV_SCALAR, mark)
        self._pop_state()
        return Event(EV_SEQ_END, tok.start)

    def _block_mapping_key(self, first: bool) -> Event:
        """``yaml_parser_parse_block_mapping_key``."""
        sc = self.sc
        if first:
            sc.peek()
            sc.skip()
        tok = sc.peek()
        if tok.kind == KEY:
            mark = tok.end
            sc.skip()
            tok = sc.peek()
            if tok.kind not in (KEY, VALUE, BLOCK_END):
                self.states.append(S_BMAP_VALUE)
                return self._node(True, True)
            self.state = S_BMAP_VALUE
            return Event(EV_SCALAR, mark)
        if tok.kind == BLOCK_END:
            self._pop_state()
            ev = Event(EV_MAP_END, tok.start)
            self._set_comments(ev)
            sc.skip()
            return ev
        raise self.error("yaml: did not find expected key")

    def _block_mapping_value(self) -> Event:
        """``yaml_parser_parse_block_mapping_value``."""
        sc = self.sc
        tok = sc.peek()
        if tok.kind == VALUE:
            mark = tok.end
            sc.skip()
            tok = sc.peek()
            if tok.kind not in (KEY, VALUE, BLOCK_END):
                self.states.append(S_BMAP_KEY)
                return self._node(True, True)
            self.state = S_BMAP_KEY
            return Event(EV_SCALAR, mark)
        self.state = S_BMAP_KEY
        return Event(EV_SCALAR, tok.start)

    def _flow_sequence_entry(self, first: bool) -> Event:
        """``yaml_parser_parse_flow_sequence_entry``."""
        sc = self.sc
        if first:
            sc.peek()
            sc.skip()
        tok = sc.peek()
        if tok.kind != FSE:
            if not first:
                if tok.kind == FLOW_ENTRY:
                    sc.skip()
                    tok = sc.peek()
                else:
                    raise self.error("yaml: did not find expected ',' or ']'")
            if tok.kind == KEY:
                self.state = S_FSEQ_MAP_KEY
                ev = Event(EV_MAP_START, tok.start)
                ev.flow = True
                sc.skip()
                return ev
            if tok.kind != FSE:
                self.states.append(S_FSEQ)
                return self._node(False, False)
        self._pop_state()
        ev = Event(EV_SEQ_END, tok.start)
        self._set_comments(ev)
        sc.skip()
        return ev

    def _flow_sequence_entry_mapping_key(self) -> Event:
        """``yaml_parser_parse_flow_sequence_entry_mapping_key``: ``[a: b]``."""
        sc = self.sc
        tok = sc.peek()
        if tok.kind not in (VALUE, FLOW_ENTRY, FSE):
            self.states.append(S_FSEQ_MAP_VALUE)
            return self._node(False, False)
        mark = tok.end
        sc.skip()
        self.state = S_FSEQ_MAP_VALUE
        return Event(EV_SCALAR, mark)

    def _flow_sequence_entry_mapping_value(self) -> Event:
        """``yaml_parser_parse_flow_sequence_entry_mapping_value``."""
        sc = self.sc
        tok = sc.peek()
        if tok.kind == VALUE:
            sc.skip()
            tok = sc.peek()
            if tok.kind not in (FLOW_ENTRY, FSE):
                self.states.append(S_FSEQ_MAP_END)
                return self._node(False, False)
        self.state = S_FSEQ_MAP_END
        return Event(EV_SCALAR, tok.start)

    def _flow_sequence_entry_mapping_end(self) -> Event:
        """``yaml_parser_parse_flow_sequence_entry_mapping_end``."""
        tok = self.sc.peek()
        self.state = S_FSEQ
        return Event(EV_MAP_END, tok.start)

    def _flow_mapping_key(self, first: bool) -> Event:
        """``yaml_parser_parse_flow_mapping_key``."""
        sc = self.sc
        if first:
            sc.peek()
            sc.skip()
        tok = sc.peek()
        if tok.kind != FME:
            if not first:
                if tok.kind == FLOW_ENTRY:
                    sc.skip()
                    tok = sc.peek()
                else:
                    raise self.error("yaml: did not find expected ',' or '}'")
            if tok.kind == KEY:
                sc.skip()
                tok = sc.peek()
                if tok.kind not in (VALUE, FLOW_ENTRY, FME):
                    self.states.append(S_FMAP_VALUE)
                    return self._node(False, False)
                self.state = S_FMAP_VALUE
                return Event(EV_SCALAR, tok.start)
            if tok.kind != FME:
                self.states.append(S_FMAP_EMPTY_VALUE)
                return self._node(False, False)
        self._pop_state()
        ev = Event(EV_MAP_END, tok.start)
        self._set_comments(ev)
        sc.skip()
        return ev

    def _flow_mapping_value(self, empty: bool) -> Event:
        """``yaml_parser_parse_flow_mapping_value``."""
        sc = self.sc
        tok = sc.peek()
        if empty:
            self.state = S_FMAP_KEY
            return Event(EV_SCALAR, tok.start)
        if tok.kind == VALUE:
            sc.skip()
            tok = sc.peek()
            if tok.kind not in (FLOW_ENTRY, FME):
                self.states.append(S_FMAP_KEY)
                return self._node(False, False)
        self.state = S_FMAP_KEY
        return Event(EV_SCALAR, tok.start)

