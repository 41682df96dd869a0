"""Replays go-yaml v3's comment attribution on top of libyaml's tokens.

sops keeps comments as tree items, and *where* an item lands (before which
key, in which mapping or list) is decided by go-yaml's scanner, parser and
node builder, each with its own heuristics (foot comments split on blank
lines and dedents, block ends repositioned before comments, comments that
wait for the parser to peek a token...).  Guessing that from the text gives
the right answer for simple files only, so this module ports the relevant
go-yaml code, driven by the token list libyaml (C) produced for the same
text: libyaml and go-yaml share their tokeniser, so only the comment
scanning, the token queue timing, the parser state machine and the node
builder are replayed in Python.  The result is converted to sops's tree the
way sops's YAML store converts ``yaml.Node`` values.

Only used for inputs that contain ``#``; see :mod:`.yaml_reader`.
"""
from __future__ import annotations

import bisect
import re
from typing import Any

from ruamel.yaml import events as _ev
from ruamel.yaml import tokens as _tk
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import YAMLError

from ...errors import ParseError
from ...core.tree import Comment, Mapping
from .limits import AliasBudget, DepthCounter
from .reader import _Policy, check_merge_value, document_policy, root_error, value_policy, yaml_error
from .resolve import MERGE, NULL, STR, ResolveError, decode_scalar, resolve, short_tag

__all__ = ["read_with_comments"]

# ---------------------------------------------------------------------------------------------
# tokens

(STREAM_START, STREAM_END, DIRECTIVE, DOC_START, DOC_END, BSS, BMS, BLOCK_END, FSS, FSE, FMS, FME,
 BLOCK_ENTRY, FLOW_ENTRY, KEY, VALUE, ALIAS, ANCHOR, TAG, SCALAR) = range(20)

_KINDS = {
    _tk.StreamStartToken: STREAM_START, _tk.StreamEndToken: STREAM_END,
    _tk.DirectiveToken: DIRECTIVE, _tk.DocumentStartToken: DOC_START,
    _tk.DocumentEndToken: DOC_END, _tk.BlockSequenceStartToken: BSS,
    _tk.BlockMappingStartToken: BMS, _tk.BlockEndToken: BLOCK_END,
    _tk.FlowSequenceStartToken: FSS, _tk.FlowSequenceEndToken: FSE,
    _tk.FlowMappingStartToken: FMS, _tk.FlowMappingEndToken: FME,
    _tk.BlockEntryToken: BLOCK_ENTRY, _tk.FlowEntryToken: FLOW_ENTRY, _tk.KeyToken: KEY,
    _tk.ValueToken: VALUE, _tk.AliasToken: ALIAS, _tk.AnchorToken: ANCHOR, _tk.TagToken: TAG,
    _tk.ScalarToken: SCALAR,
}

_BREAKS = "\r\n\x85\u2028\u2029"
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BREAK_RE = re.compile("[\r\n\x85\u2028\u2029]")
_WS_RE = re.compile("[ \t\r\n\x85\u2028\u2029]*")
_BLANKS = " \t"


class _Tok:
    """One libyaml token; ``gstart`` is where go-yaml places it (BLOCK-END tokens move)."""

    __slots__ = ("kind", "start", "end", "value", "style", "suffix", "gstart", "created", "zero", "col", "line")

    def __init__(self, kind: int, start: int, end: int, line: int, col: int) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.line = line
        self.col = col
        self.gstart = start  # go-yaml's start index (differs for BLOCK-END)
        self.value: Any = None
        self.style: str | None = None
        self.suffix: str | None = None
        self.created = False
        self.zero = start == end


class _Plan:
    """libyaml's tokens grouped by the go-yaml fetch step that creates them.

    ``primaries`` lists the token that each step scans; BLOCK-END tokens are
    created by the step of the next primary token, BLOCK-SEQUENCE-START by its
    ``-``, and a simple key's KEY (and BLOCK-MAPPING-START) by its ``:``.
    """

    __slots__ = ("toks", "primaries", "ends", "key", "bms", "bss")

    def __init__(self) -> None:
        self.toks: list[_Tok] = []
        self.primaries: list[int] = []
        self.ends: dict[int, list[int]] = {}
        self.key: dict[int, int] = {}
        self.bms: dict[int, int] = {}
        self.bss: dict[int, int] = {}


def _read_tokens(text: str) -> _Plan:
    plan = _Plan()
    toks = plan.toks
    primaries = plan.primaries
    kinds = _KINDS
    pending_ends: list[int] = []
    pending_bss = -1
    pending_bms = -1
    depth = 0
    limits = DepthCounter()  # go-yaml's nesting limits (its own flow depth is kept in ``depth``)
    waiting: dict[int, tuple[int, int]] = {}  # flow depth -> (KEY index, BMS index) awaiting their ':'
    parser = CParser(text)
    try:
        get = parser.get_token
        i = -1
        while True:
            t = get()
            i += 1
            kind = kinds[t.__class__]
            sm = t.start_mark
            tok = _Tok(kind, sm.index, t.end_mark.index, sm.line, sm.column)
            toks.append(tok)
            if kind == SCALAR:
                tok.value = t.value
                tok.style = t.style or ""
                if tok.style not in ("|", ">"):
                    limits.possible_key(sm.line)
            elif kind == BLOCK_END:
                limits.block -= 1
                pending_ends.append(i)
                continue
            elif kind == KEY and tok.zero:
                waiting[depth] = (i, pending_bms)
                pending_bms = -1
                continue
            elif kind == BMS or kind == BSS:
                limits.block_open(sm.line, kind == BMS)
                if kind == BMS:
                    pending_bms = i
                else:
                    pending_bss = i
                continue
            elif kind in (ALIAS, ANCHOR):
                tok.value = t.value
                limits.possible_key(sm.line)
            elif kind == TAG:
                tok.value, tok.suffix = t.value
                limits.possible_key(sm.line)
            elif kind == DIRECTIVE:
                tok.value = (t.name, t.value)
            elif kind in (FSS, FMS):
                depth += 1
                limits.flow_open(sm.line)
            elif kind in (FSE, FME):
                depth -= 1
                limits.flow -= 1
            elif kind == VALUE:
                pair = waiting.pop(depth, None)
                if pair is not None:
                    plan.key[i] = pair[0]
                    if pair[1] >= 0:
                        plan.bms[i] = pair[1]
                elif pending_bms >= 0:
                    plan.bms[i] = pending_bms
                    pending_bms = -1
            elif kind == KEY and pending_bms >= 0:
                plan.bms[i] = pending_bms
                pending_bms = -1
            elif kind == BLOCK_ENTRY and pending_bss >= 0:
                plan.bss[i] = pending_bss
                pending_bss = -1
            if pending_ends:
                plan.ends[i] = pending_ends
                pending_ends = []
            primaries.append(i)
            if kind == STREAM_END:
                break
    except YAMLError as exc:
        raise yaml_error(exc) from None
    finally:
        parser.dispose()
    return plan


class _Comment:
    """go-yaml's ``yaml_comment_t`` (indices into the text; ``start_col`` is 1-based)."""

    __slots__ = ("scan_mark", "token_mark", "start", "start_line", "start_col", "end", "head", "line", "foot")

    def __init__(self) -> None:
        self.scan_mark = 0
        self.token_mark = 0
        self.start = 0
        self.start_line = 0
        self.start_col = 0  # 1-based, as go-yaml stores it
        self.end = 0
        self.head = ""
        self.line = ""
        self.foot = ""


class _SimpleKey:
    """A token that may still turn out to be an implicit key (go-yaml ``yaml_simple_key_t``)."""

    __slots__ = ("possible", "tok", "index", "line")

    def __init__(self, possible: bool = False, tok: int = -1, index: int = 0, line: int = 0) -> None:
        self.possible = possible
        self.tok = tok
        self.index = index
        self.line = line


# ---------------------------------------------------------------------------------------------
# scanner replay


class _Scanner:
    """go-yaml's scanner state around the token queue: comments, indents, lookahead."""

    def __init__(self, text: str, plan: _Plan) -> None:
        self.text = text
        self.n = len(text)
        self.toks = plan.toks
        self.plan = plan
        self.steps = plan.primaries
        self.nsteps = len(self.steps)
        self.next_step = 0
        self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        self.pos = 0
        self.indent = -1
        self.indents: list[int] = []
        self.flow_level = 0
        self.allowed = False
        self.simple_keys: list[_SimpleKey] = []
        self.sk_by_tok: dict[int, _SimpleKey] = {}
        self.comments: list[_Comment] = []
        self.last = -1  # index of the most recently appended token (queue tail)
        self.head = 0  # parser's queue head (list index)
        self.available = False
        self.comments_head = 0
        # parser-side pending comments
        self.head_comment = ""
        self.line_comment = ""
        self.foot_comment = ""

    # -- text helpers
    def line_of(self, index: int) -> int:
        return bisect.bisect_right(self.line_starts, index) - 1

    def col_of(self, index: int) -> int:
        return index - self.line_starts[bisect.bisect_right(self.line_starts, index) - 1]

    def newlines_at(self, index: int) -> int:
        """go-yaml's ``parser.newlines``: line breaks since the last non-blank character."""
        text = self.text
        count = 0
        i = index - 1
        while i >= 0:
            c = text[i]
            if c == " " or c == "\t":
                i -= 1
                continue
            if c == "\n":
                count += 1
                if i > 0 and text[i - 1] == "\r":
                    i -= 1
                i -= 1
                continue
            if c in _BREAKS:
                count += 1
                i -= 1
                continue
            break
        return count

    def _prev_created(self, index: int) -> int:
        j = index - 1
        while j >= 0 and not self.toks[j].created:
            j -= 1
        return j

    # -- the token queue seen by the parser
    def peek(self) -> _Tok:
        """``peek_token``: the head token once enough lookahead is scanned, comments unfolded."""
        if not self.available:
            toks = self.toks
            h = self.head
            settled = (h + 2 <= self.last and toks[h].created and toks[h + 1].created
                       and toks[h + 2].created and h not in self.sk_by_tok)
            if not settled and self.next_step < self.nsteps:
                self._fetch_more()
            self.available = True
        tok = self.toks[self.head]
        if self.comments_head < len(self.comments) and tok.gstart >= self.comments[self.comments_head].token_mark:
            self._unfold(tok)
        return tok

    def skip(self) -> None:
        self.available = False
        self.head += 1

    def _fetch_more(self) -> None:
        """``yaml_parser_fetch_more_tokens``: two tokens of lookahead, more while a simple key is pending."""
        toks = self.toks
        nsteps = self.nsteps
        while self.next_step < nsteps:
            h = self.head
            if toks[h].created:
                if h + 2 <= self.last and toks[h + 1].created and toks[h + 2].created:
                    sk = self.sk_by_tok.get(h)
                    if sk is None or not self._valid(sk):
                        break
                    self._fetch_step()
                    continue
                count = 0
                j = h
                while j <= self.last and count < 3:
                    if toks[j].created:
                        count += 1
                    j += 1
                if count >= 3:
                    sk = self.sk_by_tok.get(h)
                    if sk is None or not self._valid(sk):
                        break
            self._fetch_step()
        self.available = True

    def _valid(self, sk: _SimpleKey) -> bool:
        if not sk.possible:
            return False
        if sk.line < self.line_of(self.pos) or sk.index + 1024 < self.pos:
            sk.possible = False
            return False
        return True

    def _unfold(self, tok: _Tok) -> None:
        comments = self.comments
        start = tok.gstart
        while self.comments_head < len(comments) and start >= comments[self.comments_head].token_mark:
            c = comments[self.comments_head]
            if c.head:
                if tok.kind == BLOCK_END:
                    break
                self.head_comment = self.head_comment + "\n" + c.head if self.head_comment else c.head
            if c.foot:
                self.foot_comment = self.foot_comment + "\n" + c.foot if self.foot_comment else c.foot
            if c.line:
                self.line_comment = self.line_comment + "\n" + c.line if self.line_comment else c.line
            comments[self.comments_head] = _Comment()
            self.comments_head += 1

    # -- simple keys
    def _save_simple_key(self, tok_index: int) -> None:
        if self.allowed:
            self._remove_simple_key()
            tok = self.toks[tok_index]
            sk = _SimpleKey(True, tok_index, tok.start, tok.line)
            self.simple_keys[-1] = sk
            self.sk_by_tok[tok_index] = sk

    def _remove_simple_key(self) -> None:
        sk = self.simple_keys[-1]
        if sk.possible:
            sk.possible = False
            self.sk_by_tok.pop(sk.tok, None)

    # -- one fetch step
    def _create(self, index: int) -> None:
        self.toks[index].created = True
        if index > self.last:
            self.last = index

    def _fetch_step(self) -> None:
        """One ``yaml_parser_fetch_next_token``: comments before the token, block ends, the token."""
        index = self.steps[self.next_step]
        self.next_step += 1
        toks = self.toks
        plan = self.plan
        prim = toks[index]
        kind = prim.kind
        if kind == STREAM_START:
            self.indent = -1
            self.simple_keys.append(_SimpleKey())
            self.allowed = True
            self._create(index)
            return
        scan_mark = self.pos
        self._scan_to_next_token(prim.start if kind != STREAM_END else self.n)
        ends = plan.ends.get(index)
        if ends:
            it = iter(ends)
            if self.flow_level == 0 and self.indent >= 0:
                self._unroll(prim.col if kind != STREAM_END else self.col_of(self.pos), scan_mark, it)
            if kind in (STREAM_END, DOC_START, DOC_END, DIRECTIVE):
                self._unroll(-1, self.pos, it)
            for i in ends:
                toks[i].created = True
        if kind in (STREAM_END, DOC_START, DOC_END, DIRECTIVE):
            self._remove_simple_key()
            self.allowed = False
            self._create(index)
            if kind == DIRECTIVE:
                eol = self.pos
                while eol < self.n and self.text[eol] not in _BREAKS:
                    eol += 1
                self.pos = self._skip_break(eol)
            elif kind != STREAM_END:
                self.pos = prim.end
            return
        text = self.text
        comment_mark = prim.start
        end = prim.end
        if kind == SCALAR:
            style = prim.style
            if style == "":
                if self.flow_level == 0 and text[prim.start] == ":" and index > 0:
                    comment_mark = toks[self._prev_created(index)].gstart
                if self.allowed:
                    self._save_simple_key(index)
                self.allowed = False
                m = _WS_RE.match(text, end)
                new_end = m.end()
                if new_end != end:
                    if _BREAK_RE.search(text, end, new_end) is not None:
                        self.allowed = True
                    end = new_end
            elif style == "|" or style == ">":
                self._remove_simple_key()
                self.allowed = True
                self._block_scalar_comment(prim)
                while end < self.n and text[end] == " ":
                    end += 1
            else:
                if self.allowed:
                    self._save_simple_key(index)
                self.allowed = False
        elif kind == VALUE:
            if self.flow_level == 0:
                comment_mark = toks[self._prev_created(index)].gstart
            key = plan.key.get(index, -1)
            bms = plan.bms.get(index, -1)
            if key >= 0:
                sk = self.simple_keys[-1]
                sk.possible = False
                self.sk_by_tok.pop(sk.tok, None)
                self._create(key)
                if bms >= 0:
                    self._roll(bms)
                self.allowed = False
            else:
                if bms >= 0:
                    self._roll(bms)
                self.allowed = self.flow_level == 0
        elif kind == BLOCK_ENTRY:
            bss = plan.bss.get(index, -1)
            if bss >= 0:
                self._roll(bss)
            self._remove_simple_key()
            self.allowed = True
        elif kind in (FSS, FMS):
            if self.allowed:
                self._save_simple_key(index)
            self.simple_keys.append(_SimpleKey())
            self.flow_level += 1
            self.allowed = True
        elif kind in (FSE, FME):
            self._remove_simple_key()
            if self.flow_level > 0:
                self.flow_level -= 1
                sk = self.simple_keys.pop()
                self.sk_by_tok.pop(sk.tok, None)
            self.allowed = False
        elif kind == FLOW_ENTRY:
            if self.flow_level > 0:
                comment_mark = toks[self._prev_created(index)].gstart
            self._remove_simple_key()
            self.allowed = True
        elif kind == KEY:
            bms = plan.bms.get(index, -1)
            if bms >= 0:
                self._roll(bms)
            self._remove_simple_key()
            self.allowed = self.flow_level == 0
        else:  # ALIAS, ANCHOR, TAG
            if self.allowed:
                self._save_simple_key(index)
            self.allowed = False
        self._create(index)
        self.pos = end
        if kind != BLOCK_ENTRY:
            self._scan_line_comment(comment_mark)

    def _roll(self, index: int) -> None:
        if self.flow_level > 0:
            return
        self.indents.append(self.indent)
        self.indent = self.col_of(self.toks[index].start)
        self._create(index)

    def _skip_break(self, p: int) -> int:
        text = self.text
        if p < self.n and text[p] in _BREAKS:
            if text[p] == "\r" and p + 1 < self.n and text[p + 1] == "\n":
                return p + 2
            return p + 1
        return p

    def _unroll(self, column: int, scan_mark: int, ends: Any) -> None:
        if self.flow_level > 0:
            return
        block_mark = scan_mark - 1
        comments = self.comments
        while self.indent > column:
            stop_index = block_mark
            for i in range(len(comments) - 1, -1, -1):
                c = comments[i]
                if c.end < stop_index:
                    break
                if c.start_col == self.indent + 1:
                    block_mark = c.start
                stop_index = c.scan_mark
            idx = next(ends, None)
            if idx is not None:
                self.toks[idx].gstart = block_mark
            self.indent = self.indents.pop() if self.indents else -1

    def _block_scalar_comment(self, prim: _Tok) -> None:
        """The ``| # comment`` on a block scalar's header line (a line comment of the scalar)."""
        text = self.text
        p = prim.start + 1
        while p < self.n and text[p] in "+-0123456789":
            p += 1
        while p < self.n and text[p] in _BLANKS:
            p += 1
        if p < self.n and text[p] == "#":
            eol = p
            while eol < self.n and text[eol] not in _BREAKS:
                eol += 1
            c = _Comment()
            c.token_mark = prim.start
            c.start = p
            c.start_line = self.line_of(p)
            c.start_col = self.col_of(p)
            c.line = text[p:eol]
            self.comments.append(c)

    def _scan_line_comment(self, token_mark: int) -> None:
        text = self.text
        p = self.pos
        if p >= self.n:
            return
        c = text[p]
        if c != "#" and c != " " and c != "\t":
            return
        if self.newlines_at(p) > 0:
            return
        limit = p + 512
        while p < self.n and p < limit and text[p] in _BLANKS:
            p += 1
        if p < self.n and p < limit and text[p] == "#":
            eol = p
            while eol < self.n and text[eol] not in _BREAKS:
                eol += 1
            c = _Comment()
            c.token_mark = token_mark
            c.start = p
            c.start_line = self.line_of(p)
            c.start_col = self.col_of(p)
            c.line = text[p:eol]
            self.comments.append(c)
            self.pos = eol

    def _scan_to_next_token(self, target: int) -> None:
        text = self.text
        n = self.n
        scan_mark = self.pos
        if text.find("#", scan_mark, target) < 0:
            # No comment in this gap: only the line-comment-to-head conversion can matter.
            last = self.toks[self.last] if self.last >= 0 else None
            if not (self.comments and last is not None and last.kind == BLOCK_ENTRY and self.comments[-1].line):
                if self.flow_level == 0 and _BREAK_RE.search(text, scan_mark, target) is not None:
                    self.allowed = True
                self.pos = target
                return
        while True:
            p = self.pos
            while p < n and (text[p] == " " or (text[p] == "\t" and (self.flow_level > 0 or not self.allowed))):
                p += 1
            self.pos = p
            if self.comments and self.last >= 1:
                last = self.toks[self.last]
                prev = self._prev_created(self.last)
                if last.kind == BLOCK_ENTRY and prev >= 0 and self.toks[prev].kind == BSS:
                    c = self.comments[-1]
                    if c.line and not (p < n and text[p] in _BREAKS):
                        c.head = c.line
                        c.line = ""
                        if c.start_line == self.line_of(p) - 1:
                            c.token_mark = p
            if p < n and text[p] == "#":
                self._scan_comments(scan_mark)
                p = self.pos
            if p < n and text[p] in _BREAKS:
                self.pos = self._skip_break(p)
                if self.flow_level == 0:
                    self.allowed = True
            else:
                break
        if self.pos != target and target <= n:
            # Should not happen for libyaml-validated input; keep the replay aligned anyway.
            self.pos = target

    def _scan_comments(self, scan_mark: int) -> None:
        text = self.text
        n = self.n
        tok = self.toks[self.last]
        if tok.kind == FLOW_ENTRY:
            prev = self._prev_created(self.last)
            if prev >= 0:
                tok = self.toks[prev]
        token_mark = tok.gstart
        start = start_line = start_col = 0
        next_indent = self.indent if self.indent > 0 else 0
        recent_empty = False
        newlines = self.newlines_at(self.pos)
        first_empty = newlines <= 1
        line = self.line_of(self.pos)
        column = self.col_of(self.pos)
        body = ""
        has_text = False
        foot_line = -1
        if self.line_of(scan_mark) > 0:
            foot_line = line - newlines + 1
            if newlines == 0 and column > 1:
                foot_line += 1
        base = self.pos
        peek = 0
        flow = self.flow_level > 0
        while peek < 512:
            column += 1
            idx = base + peek
            c = text[idx] if idx < n else "\0"
            if c == " " or c == "\t":
                peek += 1
                continue
            close_flow = flow and (c == "]" or c == "}")
            if close_flow or c == "\0" or c in _BREAKS:
                if close_flow or not recent_empty:
                    if close_flow or (first_empty and ((start_line == foot_line and tok.kind != VALUE)
                                                       or start_col - 1 < next_indent)):
                        if has_text:
                            if start_col - 1 < next_indent:
                                token_mark = start
                            cm = _Comment()
                            cm.scan_mark, cm.token_mark = scan_mark, token_mark
                            cm.start, cm.start_line, cm.start_col = start, start_line, start_col
                            cm.end = idx
                            cm.foot = body
                            self.comments.append(cm)
                            scan_mark = idx
                            token_mark = scan_mark
                            body = ""
                            has_text = False
                    elif has_text and c != "\0":
                        body += "\n"
                if close_flow or c == "\0":
                    break
                first_empty = False
                recent_empty = True
                column = 0
                line += 1
                peek += 1
                continue
            if has_text and (close_flow or (column - 1 < next_indent and column != start_col)):
                cm = _Comment()
                cm.scan_mark, cm.token_mark = scan_mark, token_mark
                cm.start, cm.start_line, cm.start_col = start, start_line, start_col
                cm.end = idx
                cm.foot = body
                self.comments.append(cm)
                scan_mark = idx
                token_mark = scan_mark
                body = ""
                has_text = False
            if c != "#":
                break
            if not has_text:
                start, start_line, start_col = idx, line, column
            else:
                body += "\n"
            recent_empty = False
            eol = idx
            while eol < n and text[eol] not in _BREAKS:
                eol += 1
            body += text[idx:eol]
            has_text = True
            self.pos = eol
            base = eol
            peek = 0
            column = 0
            line = self.line_of(eol)
            next_indent = self.indent if self.indent > 0 else 0
            peek += 1
        if has_text:
            cm = _Comment()
            cm.scan_mark, cm.token_mark = scan_mark, start
            cm.start, cm.start_line, cm.start_col = start, start_line, start_col
            cm.end = base + peek - 1
            cm.head = body
            self.comments.append(cm)


# ---------------------------------------------------------------------------------------------
# parser replay (parserc.go)

(EV_STREAM_START, EV_STREAM_END, EV_DOC_START, EV_DOC_END, EV_ALIAS, EV_SCALAR, EV_SEQ_START,
 EV_SEQ_END, EV_MAP_START, EV_MAP_END) = range(10)


class _Event:
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


class _Parser:
    """parserc.go's state machine; comments reach events where go-yaml hands them over."""

    def __init__(self, scanner: _Scanner) -> None:
        self.sc = scanner
        self.state = S_STREAM_START
        self.states: list[int] = []
        self.stem_comment: str | None = None
        self.tag_directives: list[tuple[str, str]] = []
        self.done = False

    # comment plumbing
    def _set_comments(self, ev: _Event) -> None:
        sc = self.sc
        ev.head, ev.line, ev.foot = sc.head_comment, sc.line_comment, sc.foot_comment
        sc.head_comment = sc.line_comment = sc.foot_comment = ""
        self.stem_comment = None

    def parse(self) -> _Event | None:
        if self.done or self.state == S_END:
            return None
        return self._dispatch()

    def _dispatch(self) -> _Event:
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
            return _Event(EV_STREAM_START, tok.start)
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
        if s == S_BSEQ:
            return self._block_sequence_entry(False)
        if s == S_INDENTLESS:
            return self._indentless_sequence_entry()
        if s == S_BMAP_FIRST_KEY:
            return self._block_mapping_key(True)
        if s == S_BMAP_KEY:
            return self._block_mapping_key(False)
        if s == S_BMAP_VALUE:
            return self._block_mapping_value()
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
        raise ParseError("yaml: internal parser state error")

    def _pop_state(self) -> None:
        self.state = self.states.pop()

    def _document_start(self, implicit: bool) -> _Event:
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
            ev = _Event(EV_DOC_START, tok.start)
            ev.head = head
            return ev
        if tok.kind != STREAM_END:
            self._process_directives()
            tok = sc.peek()
            if tok.kind != DOC_START:
                raise ParseError("yaml: did not find expected <document start>")
            self.states.append(S_DOC_END)
            self.state = S_DOC_CONTENT
            ev = _Event(EV_DOC_START, tok.start)
            ev.implicit = False
            sc.skip()
            return ev
        self.state = S_END
        ev = _Event(EV_STREAM_END, tok.start)
        sc.skip()
        self.done = True
        return ev

    def _process_directives(self) -> None:
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

    def _document_content(self) -> _Event:
        tok = self.sc.peek()
        if tok.kind in (DIRECTIVE, DOC_START, DOC_END, STREAM_END):
            self._pop_state()
            return _Event(EV_SCALAR, tok.start)  # empty scalar
        return self._node(True, False)

    def _document_end(self) -> _Event:
        sc = self.sc
        tok = sc.peek()
        ev = _Event(EV_DOC_END, tok.start)
        if tok.kind == DOC_END:
            sc.skip()
            ev.implicit = False
        self.state = S_DOC_START
        self._set_comments(ev)
        if ev.head and not ev.foot:
            ev.foot = ev.head
            ev.head = ""
        return ev

    def _node(self, block: bool, indentless: bool) -> _Event:
        sc = self.sc
        tok = sc.peek()
        if tok.kind == ALIAS:
            self._pop_state()
            ev = _Event(EV_ALIAS, tok.start)
            ev.anchor = tok.value
            self._set_comments(ev)
            sc.skip()
            return ev
        start = tok.start
        anchor = None
        tag_handle = tag_suffix = None
        has_tag = False
        if tok.kind == ANCHOR:
            anchor = tok.value
            sc.skip()
            tok = sc.peek()
            if tok.kind == TAG:
                has_tag = True
                tag_handle, tag_suffix = tok.value, tok.suffix
                sc.skip()
                tok = sc.peek()
        elif tok.kind == TAG:
            has_tag = True
            tag_handle, tag_suffix = tok.value, tok.suffix
            sc.skip()
            tok = sc.peek()
            if tok.kind == ANCHOR:
                anchor = tok.value
                sc.skip()
                tok = sc.peek()
        tag = ""
        if has_tag:
            if not tag_handle:
                tag = tag_suffix or ""
            else:
                for handle, prefix in self.tag_directives:
                    if handle == tag_handle:
                        tag = prefix + (tag_suffix or "")
                        break
                else:
                    raise ParseError("yaml: found undefined tag handle")
        if indentless and tok.kind == BLOCK_ENTRY:
            self.state = S_INDENTLESS
            ev = _Event(EV_SEQ_START, start)
            ev.anchor, ev.tag = anchor, tag
            return ev
        if tok.kind == SCALAR:
            self._pop_state()
            ev = _Event(EV_SCALAR, start)
            ev.anchor, ev.tag, ev.value, ev.style = anchor, tag, tok.value, tok.style or ""
            self._set_comments(ev)
            sc.skip()
            return ev
        if tok.kind in (FSS, FMS):
            self.state = S_FSEQ_FIRST if tok.kind == FSS else S_FMAP_FIRST_KEY
            ev = _Event(EV_SEQ_START if tok.kind == FSS else EV_MAP_START, start)
            ev.anchor, ev.tag, ev.flow = anchor, tag, True
            self._set_comments(ev)
            return ev
        if block and tok.kind in (BSS, BMS):
            self.state = S_BSEQ_FIRST if tok.kind == BSS else S_BMAP_FIRST_KEY
            ev = _Event(EV_SEQ_START if tok.kind == BSS else EV_MAP_START, start)
            ev.anchor, ev.tag = anchor, tag
            if self.stem_comment is not None:
                ev.head = self.stem_comment
                self.stem_comment = None
            return ev
        if anchor is not None or tag:
            self._pop_state()
            ev = _Event(EV_SCALAR, start)
            ev.anchor, ev.tag = anchor, tag
            return ev
        raise ParseError("yaml: did not find expected node content")

    def _split_stem(self, stem_len: int) -> None:
        if stem_len == 0:
            return
        tok = self.sc.peek()
        if tok.kind not in (BSS, BMS):
            return
        hc = self.sc.head_comment
        self.stem_comment = hc[:stem_len]
        self.sc.head_comment = "" if len(hc) == stem_len else hc[stem_len + 1:]

    def _block_sequence_entry(self, first: bool) -> _Event:
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
            return _Event(EV_SCALAR, mark)
        if tok.kind == BLOCK_END:
            self._pop_state()
            ev = _Event(EV_SEQ_END, tok.start)
            sc.skip()
            return ev
        raise ParseError("yaml: did not find expected '-' indicator")

    def _indentless_sequence_entry(self) -> _Event:
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
            return _Event(EV_SCALAR, mark)
        self._pop_state()
        return _Event(EV_SEQ_END, tok.start)

    def _block_mapping_key(self, first: bool) -> _Event:
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
            return _Event(EV_SCALAR, mark)
        if tok.kind == BLOCK_END:
            self._pop_state()
            ev = _Event(EV_MAP_END, tok.start)
            self._set_comments(ev)
            sc.skip()
            return ev
        raise ParseError("yaml: did not find expected key")

    def _block_mapping_value(self) -> _Event:
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
            return _Event(EV_SCALAR, mark)
        self.state = S_BMAP_KEY
        return _Event(EV_SCALAR, tok.start)

    def _flow_sequence_entry(self, first: bool) -> _Event:
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
                    raise ParseError("yaml: did not find expected ',' or ']'")
            if tok.kind == KEY:
                self.state = S_FSEQ_MAP_KEY
                ev = _Event(EV_MAP_START, tok.start)
                ev.flow = True
                sc.skip()
                return ev
            if tok.kind != FSE:
                self.states.append(S_FSEQ)
                return self._node(False, False)
        self._pop_state()
        ev = _Event(EV_SEQ_END, tok.start)
        self._set_comments(ev)
        sc.skip()
        return ev

    def _flow_sequence_entry_mapping_key(self) -> _Event:
        sc = self.sc
        tok = sc.peek()
        if tok.kind not in (VALUE, FLOW_ENTRY, FSE):
            self.states.append(S_FSEQ_MAP_VALUE)
            return self._node(False, False)
        mark = tok.end
        sc.skip()
        self.state = S_FSEQ_MAP_VALUE
        return _Event(EV_SCALAR, mark)

    def _flow_sequence_entry_mapping_value(self) -> _Event:
        sc = self.sc
        tok = sc.peek()
        if tok.kind == VALUE:
            sc.skip()
            tok = sc.peek()
            if tok.kind not in (FLOW_ENTRY, FSE):
                self.states.append(S_FSEQ_MAP_END)
                return self._node(False, False)
        self.state = S_FSEQ_MAP_END
        return _Event(EV_SCALAR, tok.start)

    def _flow_sequence_entry_mapping_end(self) -> _Event:
        tok = self.sc.peek()
        self.state = S_FSEQ
        return _Event(EV_MAP_END, tok.start)

    def _flow_mapping_key(self, first: bool) -> _Event:
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
                    raise ParseError("yaml: did not find expected ',' or '}'")
            if tok.kind == KEY:
                sc.skip()
                tok = sc.peek()
                if tok.kind not in (VALUE, FLOW_ENTRY, FME):
                    self.states.append(S_FMAP_VALUE)
                    return self._node(False, False)
                self.state = S_FMAP_VALUE
                return _Event(EV_SCALAR, tok.start)
            if tok.kind != FME:
                self.states.append(S_FMAP_EMPTY_VALUE)
                return self._node(False, False)
        self._pop_state()
        ev = _Event(EV_MAP_END, tok.start)
        self._set_comments(ev)
        sc.skip()
        return ev

    def _flow_mapping_value(self, empty: bool) -> _Event:
        sc = self.sc
        tok = sc.peek()
        if empty:
            self.state = S_FMAP_KEY
            return _Event(EV_SCALAR, tok.start)
        if tok.kind == VALUE:
            sc.skip()
            tok = sc.peek()
            if tok.kind not in (FLOW_ENTRY, FME):
                self.states.append(S_FMAP_KEY)
                return self._node(False, False)
        self.state = S_FMAP_KEY
        return _Event(EV_SCALAR, tok.start)


# ---------------------------------------------------------------------------------------------
# node builder (yaml.go's parser type)

K_DOC, K_SEQ, K_MAP, K_SCALAR, K_ALIAS = range(5)


class _Node:
    """A ``yaml.Node`` with the fields sops's store reads."""

    __slots__ = ("kind", "tag", "value", "quoted", "anchor", "alias", "content", "head", "line", "foot",
                 "start", "done")

    def __init__(self, kind: int) -> None:
        self.kind = kind
        self.tag = ""
        self.value = ""
        self.quoted = False
        self.anchor: str | None = None
        self.alias: _Node | None = None
        self.content: list[_Node] = []
        self.head = ""
        self.line = ""
        self.foot = ""
        self.start = 0  # text index, turned into a line number only for error messages
        self.done = False


class _Builder:
    """yaml.go's node builder: events -> nodes, moving foot comments between keys as it does."""

    def __init__(self, parser: _Parser, scanner: _Scanner) -> None:
        self.p = parser
        self.sc = scanner
        self.event: _Event | None = None
        self.anchors: dict[str, _Node] = {}
        self.started = False

    def _peek(self) -> int:
        if self.event is None:
            ev = self.p.parse()
            if ev is None:
                ev = _Event(EV_STREAM_END)
            self.event = ev
        return self.event.typ

    def _expect(self, typ: int) -> None:
        self._peek()
        if self.event is None or self.event.typ != typ:
            raise ParseError("yaml: unexpected event sequence")
        self.event = None

    def _node(self, kind: int, default_tag: str, tag: str) -> _Node:
        ev = self.event
        assert ev is not None
        n = _Node(kind)
        if tag and tag != "!":
            n.tag = short_tag(tag)
        elif default_tag:
            n.tag = default_tag
        n.start = ev.start
        n.head, n.line, n.foot = ev.head, ev.line, ev.foot
        return n

    def document(self) -> _Node | None:
        if not self.started:
            self._expect(EV_STREAM_START)
            self.started = True
        typ = self._peek()
        if typ == EV_STREAM_END:
            return None
        if typ != EV_DOC_START:
            raise ParseError("yaml: unexpected event sequence")
        n = self._node(K_DOC, "", "")
        self._expect(EV_DOC_START)
        n.content.append(self._parse())
        if self._peek() == EV_DOC_END:
            assert self.event is not None
            n.foot = self.event.foot
        self._expect(EV_DOC_END)
        return n

    def _parse(self) -> _Node:
        """One node with everything inside it, as yaml.go's recursive ``parse`` builds it.

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
                raise ParseError("yaml: unexpected event sequence")
            if not stack:
                return node
            self._attach(stack[-1], node)

    def _alias(self) -> _Node:
        ev = self.event
        assert ev is not None
        n = self._node(K_ALIAS, "", "")
        n.value = ev.anchor or ""
        n.alias = self.anchors.get(n.value)
        if n.alias is None:
            raise ParseError("yaml: unknown anchor referenced")
        self._expect(EV_ALIAS)
        return n

    def _scalar(self) -> _Node:
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
        ev = self.event
        assert ev is not None
        n = self._node(K_SEQ, "!!seq", ev.tag)
        if ev.anchor is not None:
            n.anchor = ev.anchor
            self.anchors[ev.anchor] = n
        self._expect(EV_SEQ_START)
        return _Open(n, EV_SEQ_END, False)

    def _mapping(self) -> _Open:
        ev = self.event
        assert ev is not None
        n = self._node(K_MAP, "!!map", ev.tag)
        if ev.anchor is not None:
            n.anchor = ev.anchor
            self.anchors[ev.anchor] = n
        self._expect(EV_MAP_START)
        return _Open(n, EV_MAP_END, not ev.flow)

    def _attach(self, frame: _Open, child: _Node) -> None:
        """A finished child joins its collection; a mapping moves foot comments as yaml.go does."""
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

    def _finish(self, frame: _Open) -> _Node:
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

    def __init__(self, node: _Node, end: int, block: bool) -> None:
        self.node = node
        self.end = end
        self.block = block
        self.key: _Node | None = None


# ---------------------------------------------------------------------------------------------
# nodes -> sops tree (sops's stores/yaml/store.go)


def _comments(text: str, out: list, in_map: bool) -> None:
    """sops's appendCommentToMap/List: one item per non-empty line, without its ``#``."""
    if text:
        for line in text.split("\n"):
            if line:
                if in_map:
                    out.append([Comment(line[1:]), None])
                else:
                    out.append(Comment(line[1:]))


class _Frame:
    """A sequence or mapping being converted; ``pending`` is the child whose value is in progress."""

    __slots__ = ("n", "out", "is_map", "handled", "policy", "is_top", "seen", "i", "release", "pending")

    def __init__(self, n: _Node, out: list, is_map: bool, handled: bool, policy: _Policy, is_top: bool,
                 release: int | None) -> None:
        self.n = n
        self.out = out
        self.is_map = is_map
        self.handled = handled
        self.policy = policy
        self.is_top = is_top
        self.seen: set | None = set() if is_map and policy.dups else None
        self.i = 0
        self.release = release  # the alias target this frame expands: released when it is done
        self.pending: Any = None


class _Converter:
    """go-yaml nodes -> sops tree items (store.go nodeToTreeValue / appendYamlNodeToTreeBranch).

    store.go recurses through the nodes and follows aliases; here collections
    wait on an explicit stack, and every node is counted as go-yaml's decoder
    counts it, so an alias bomb stops before it is expanded.
    """

    def __init__(self, scanner: _Scanner) -> None:
        self.active: set[int] = set()
        self.line_of = scanner.line_of
        self.budget = AliasBudget()

    def lineno(self, n: _Node) -> int:
        return self.line_of(n.start) + 1

    def scalar(self, n: _Node, policy: _Policy) -> Any:
        tag = n.tag
        if tag == MERGE and n.value == "<<":
            tag = ""
        try:
            return decode_scalar(n.value, tag, n.quoted)
        except ResolveError as exc:
            if policy.strict:
                raise ParseError(f"yaml: line {self.lineno(n)}: {exc}") from None
            return None

    def _enter(self, n: _Node, handled: bool, policy: _Policy) -> Any:
        """Start converting ``n``: a scalar's value right away, a collection's frame otherwise."""
        budget = self.budget
        budget.count()
        kind = n.kind
        if kind == K_SCALAR:
            return self.scalar(n, policy)
        release = None
        if kind == K_ALIAS:
            target = n.alias
            assert target is not None
            if id(target) in self.active or not target.done:
                raise ParseError("yaml: anchor value contains itself")
            budget.depth += 1
            budget.count()  # the target, decoded again through the alias
            if target.kind == K_SCALAR:
                value = self.scalar(target, policy)
                budget.depth -= 1
                return value
            self.active.add(id(target))
            release = id(target)
            n, handled, kind = target, False, target.kind
        if kind == K_SEQ:
            frame = _Frame(n, [], False, handled, policy, False, release)
        elif kind == K_MAP:
            frame = _Frame(n, Mapping(), True, handled, policy, False, release)
        else:
            return None
        if not handled:
            _comments(n.head, frame.out, frame.is_map)
            _comments(n.line, frame.out, frame.is_map)
        return frame

    def _run(self, root: _Frame) -> Any:
        """Convert a collection and everything in it, one frame per open collection."""
        stack = [root]
        while True:
            frame = stack[-1]
            child = self._step_map(frame) if frame.is_map else self._step_seq(frame)
            if child is not None:
                stack.append(child)
                continue
            value = self._finish(stack.pop())
            if not stack:
                return value
            parent = stack[-1]
            if parent.is_map:
                self._put_pair(parent, value)
            else:
                self._put_item(parent, value)

    def _step_seq(self, f: _Frame) -> _Frame | None:
        """Convert items until one is a collection (its frame is returned) or the list is done."""
        content = f.n.content
        out = f.out
        while f.i < len(content):
            item = content[f.i]
            f.i += 1
            _comments(item.head, out, False)
            _comments(item.line, out, False)
            f.pending = item
            result = self._enter(item, True, f.policy)
            if result.__class__ is _Frame:
                return result
            self._put_item(f, result)
        return None

    def _put_item(self, f: _Frame, value: Any) -> None:
        f.out.append(value)
        _comments(f.pending.foot, f.out, False)

    def _step_map(self, f: _Frame) -> _Frame | None:
        """Convert pairs until a value is a collection (its frame is returned) or the map is done."""
        content = f.n.content
        out = f.out
        policy = f.policy
        while f.i < len(content) - 1:
            k, v = content[f.i], content[f.i + 1]
            f.i += 2
            _comments(k.head, out, True)
            _comments(k.line, out, True)
            simple = v.kind in (K_SCALAR, K_ALIAS)
            if simple:
                _comments(v.head, out, True)
                _comments(v.line, out, True)
            key, ident = self.key(k, policy)
            seen = f.seen
            if seen is not None:
                if ident in seen:
                    raise ParseError(f"yaml: unmarshal errors: line {self.lineno(k)}: "
                                     "mapping key already defined")
                seen.add(ident)
            f.pending = (k, v, simple, key)
            result = self._enter(v, simple, value_policy(policy, f.is_top, key))
            if result.__class__ is _Frame:
                return result
            self._put_pair(f, result)
        return None

    def _put_pair(self, f: _Frame, value: Any) -> None:
        k, v, simple, key = f.pending
        if f.policy.strict and k.kind == K_SCALAR and k.value == "<<" and k.tag == MERGE:
            check_merge_value(value, v.kind == K_ALIAS)
        out = f.out
        out.append([key, value])
        if simple:
            _comments(v.foot, out, True)
        _comments(k.foot, out, True)

    def _finish(self, f: _Frame) -> Any:
        if not f.handled:
            _comments(f.n.foot, f.out, f.is_map)
        if f.release is not None:
            self.active.discard(f.release)
            self.budget.depth -= 1
        return f.out

    def key(self, n: _Node, policy: _Policy) -> tuple[Any, tuple]:
        budget = self.budget
        budget.count()
        if n.kind == K_SCALAR:
            return self.scalar(n, policy), ("s", n.value)
        if n.kind == K_ALIAS and n.alias is not None and n.alias.kind == K_SCALAR:
            budget.depth += 1
            budget.count()
            budget.depth -= 1
            return self.scalar(n.alias, policy), ("a", n.value)
        raise ParseError(f"yaml: line {self.lineno(n)}: complex keys are not supported")

    def branch(self, n: _Node, out: Mapping, handled: bool, policy: _Policy, is_top: bool,
               index: int = 0) -> Mapping:
        """A document, or what an alias at its root points to, as the items of ``out``."""
        if not handled:
            _comments(n.head, out, True)
            _comments(n.line, out, True)
        kind = n.kind
        if kind == K_DOC:
            self.budget = AliasBudget()  # go-yaml counts each document on its own
            self.budget.count()
            for item in n.content:
                out = self.branch(item, out, False, policy, True, index)
        elif kind == K_SEQ:
            raise root_error(index, "seq")
        elif kind == K_MAP:
            self.budget.count()
            frame = _Frame(n, out, True, True, policy, is_top, None)  # head/line/foot are handled here
            self._run(frame)
        elif kind == K_SCALAR:
            self.budget.count()
            tag = n.tag or resolve("", n.value)[0]
            if tag == NULL:
                return out  # an empty document ("---" alone or "~"): no items, and sops skips its foot
            raise root_error(index, tag[2:] if tag.startswith("!!") else "str")
        elif kind == K_ALIAS:
            target = n.alias
            assert target is not None
            if target.kind == K_SEQ:
                raise root_error(index, "seq")
            self.budget.count()
            self.budget.depth += 1
            out = self.branch(target, out, False, policy, is_top, index)
            self.budget.depth -= 1
        if not handled:
            _comments(n.foot, out, True)
        return out


def read_with_comments(text: str, mode: str) -> list[Mapping]:
    """Documents of ``text`` with comments placed where sops 3.11 places them."""
    plan = _read_tokens(text)
    scanner = _Scanner(text, plan)
    builder = _Builder(_Parser(scanner), scanner)
    conv = _Converter(scanner)
    docs: list[Mapping] = []
    while True:
        try:
            node = builder.document()
        except ParseError:
            _validate(text)  # libyaml's own wording for structural errors, when it has one
            raise
        except (IndexError, KeyError, AssertionError, AttributeError, TypeError, StopIteration):
            _validate(text)
            # The replay lost step with libyaml's tokens: refuse rather than drop comments silently.
            raise ParseError("yaml: cannot place the comments of this file as sops does") from None
        if node is None:
            break
        index = len(docs)
        policy = document_policy(index, mode)
        docs.append(conv.branch(node, Mapping(), False, policy, True, index))
    return docs


def _validate(text: str) -> None:
    """Let libyaml's parser report structural errors with its own wording."""
    parser = CParser(text)
    end = _ev.StreamEndEvent
    try:
        while parser.get_event().__class__ is not end:
            pass
    except YAMLError as exc:
        raise yaml_error(exc) from None
    finally:
        parser.dispose()
