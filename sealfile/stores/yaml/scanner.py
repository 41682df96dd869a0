"""The scanner half of the go-yaml v3 port: when each token reaches the parser.

Follows go-yaml's ``scannerc.go``: ``yaml_parser_fetch_more_tokens`` (keep
scanning while the head token could still be a simple key),
``yaml_parser_fetch_next_token`` (one step: skip white space and comments,
unroll indentation into BLOCK-END tokens, scan the token), the simple-key
bookkeeping and ``yaml_parser_roll_indent`` / ``_unroll_indent``.  The
tokens themselves come from libyaml (:mod:`.tokens`); what is replayed is
the order and timing go-yaml creates them in, because that decides which
token each comment is attached to.  The comments are scanned by
:mod:`.comments`.

The parser's side of the queue (``peek_token`` / ``skip_token`` in
``parserc.go``) is here too: peeking may fetch more tokens.
"""
from __future__ import annotations

import bisect
from typing import Iterator

from .comments import ScanComment, scan_block_scalar_comment, scan_comments, scan_line_comment, unfold_comments
from .tokens import (BLOCK_ENTRY, BREAK_RE, BREAKS, BSS, DIRECTIVE, DOC_END, DOC_START, FLOW_ENTRY, FME, FMS,
                     FSE, FSS, KEY, LINE_BREAK_RE, SCALAR, STREAM_END, STREAM_START, VALUE, WS_RE, Token,
                     TokenPlan)

__all__ = ["Scanner"]

#: tokens that end any simple key and close every block (``yaml_parser_unroll_indent(parser, -1)``)
_BOUNDARIES = frozenset((STREAM_END, DOC_START, DOC_END, DIRECTIVE))


class _SimpleKey:
    """A token that may still turn out to be an implicit key (go-yaml ``yaml_simple_key_t``)."""

    __slots__ = ("possible", "tok", "index", "line")

    def __init__(self, possible: bool = False, tok: int = -1, index: int = 0, line: int = 0) -> None:
        self.possible = possible
        self.tok = tok
        self.index = index
        self.line = line


class Scanner:
    """go-yaml's scanner state around the token queue: comments, indents, lookahead.

    The parser reads tokens with :meth:`peek` and :meth:`skip`; each fetch
    step makes the next group of libyaml's tokens visible, in go-yaml's
    order, and scans the comments before and after it.
    """

    def __init__(self, text: str, plan: TokenPlan) -> None:
        self.text = text
        self.n = len(text)
        self.toks = plan.toks
        self.plan = plan
        self.steps = plan.primaries
        self.nsteps = len(self.steps)
        self.next_step = 0
        self.line_starts = [0] + [m.end() for m in LINE_BREAK_RE.finditer(text)]
        self.pos = 0
        self.indent = -1
        self.indents: list[int] = []
        self.flow_level = 0
        self.allowed = False
        self.simple_keys: list[_SimpleKey] = []
        self.sk_by_tok: dict[int, _SimpleKey] = {}
        self.comments: list[ScanComment] = []
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
        """The 0-based line of text index ``index``."""
        return bisect.bisect_right(self.line_starts, index) - 1

    def col_of(self, index: int) -> int:
        """The 0-based column of text index ``index``."""
        return index - self.line_starts[bisect.bisect_right(self.line_starts, index) - 1]

    def prev_created(self, index: int) -> int:
        """The queued token before ``index`` (tokens not created yet are skipped), or -1."""
        j = index - 1
        while j >= 0 and not self.toks[j].created:
            j -= 1
        return j

    # -- the token queue seen by the parser
    def peek(self) -> Token:
        """parserc.go ``peek_token``: the head token once enough lookahead is scanned, with the
        comments scanned before it handed to the parser."""
        if not self.available:
            toks = self.toks
            h = self.head
            settled = (h + 2 <= self.last and toks[h].created and toks[h + 1].created
                       and toks[h + 2].created and h not in self.sk_by_tok)
            if not settled:
                if self.next_step < self.nsteps:
                    self._fetch_more()
                elif self.plan.error is not None:
                    raise self.plan.error
            self.available = True
        tok = self.toks[self.head]
        if self.comments_head < len(self.comments) and tok.gstart >= self.comments[self.comments_head].token_mark:
            unfold_comments(self, tok)
        return tok

    def skip(self) -> None:
        """``skip_token``: the parser is done with the head token."""
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
        else:
            if self.plan.error is not None and not self._enough_lookahead():
                raise self.plan.error  # go-yaml's scanner would be reading the bad token now
        self.available = True

    def _enough_lookahead(self) -> bool:
        """:meth:`_fetch_more`'s test to stop: three tokens queued from the head, which is no
        simple key still waiting for its ``:``."""
        toks = self.toks
        h = self.head
        if h >= len(toks) or not toks[h].created:
            return False
        count = sum(1 for j in range(h, min(self.last, h + 1024) + 1) if toks[j].created)
        if count < 3:
            return False
        sk = self.sk_by_tok.get(h)
        return sk is None or not self._valid(sk)

    def _valid(self, sk: _SimpleKey) -> bool:
        """``yaml_simple_key_is_valid``: a key candidate goes stale past its line or 1,024 characters."""
        if not sk.possible:
            return False
        if sk.line < self.line_of(self.pos) or sk.index + 1024 < self.pos:
            sk.possible = False
            return False
        return True

    def _save_simple_key(self, tok_index: int) -> None:
        """``yaml_parser_save_simple_key``: token ``tok_index`` may turn out to be a key."""
        if self.allowed:
            self._remove_simple_key()
            tok = self.toks[tok_index]
            sk = _SimpleKey(True, tok_index, tok.start, tok.line)
            self.simple_keys[-1] = sk
            self.sk_by_tok[tok_index] = sk

    def _remove_simple_key(self) -> None:
        """``yaml_parser_remove_simple_key``: the current level's candidate is not a key after all."""
        sk = self.simple_keys[-1]
        if sk.possible:
            sk.possible = False
            self.sk_by_tok.pop(sk.tok, None)

    # -- one fetch step
    def _create(self, index: int) -> None:
        """Token ``index`` enters the queue (the parser may now see it)."""
        self.toks[index].created = True
        if index > self.last:
            self.last = index

    def _fetch_step(self) -> None:
        """One ``yaml_parser_fetch_next_token``: comments before the token, block ends, the token."""
        index = self.steps[self.next_step]
        self.next_step += 1
        prim = self.toks[index]
        kind = prim.kind
        if kind == STREAM_START:
            self.indent = -1
            self.simple_keys.append(_SimpleKey())
            self.allowed = True
            self._create(index)
            return
        scan_mark = self.pos
        self._scan_to_next_token(prim.start if kind != STREAM_END else self.n)
        ends = self.plan.ends.get(index)
        if ends:
            self._place_block_ends(ends, prim, scan_mark)
        if kind in _BOUNDARIES:
            self._fetch_boundary(index, prim)
            return
        if kind == SCALAR:
            comment_mark, end = self._fetch_scalar(index, prim)
        elif kind == VALUE:
            comment_mark, end = self._fetch_value(index, prim), prim.end
        else:
            comment_mark, end = self._fetch_indicator(index, prim), prim.end
        self._create(index)
        self.pos = end
        if kind != BLOCK_ENTRY:
            scan_line_comment(self, comment_mark)

    def _place_block_ends(self, ends: list[int], prim: Token, scan_mark: int) -> None:
        """``yaml_parser_unroll_indent`` before ``prim``: its BLOCK-END tokens, each placed where
        go-yaml places it (before the comments that belong to the block's own indentation)."""
        kind = prim.kind
        it = iter(ends)
        if self.flow_level == 0 and self.indent >= 0:
            self._unroll(prim.col if kind != STREAM_END else self.col_of(self.pos), scan_mark, it)
        if kind in _BOUNDARIES:
            self._unroll(-1, self.pos, it)
        toks = self.toks
        for i in ends:
            toks[i].created = True

    def _fetch_boundary(self, index: int, prim: Token) -> None:
        """A directive, ``---``, ``...`` or the end of the stream: no simple key survives it."""
        self._remove_simple_key()
        self.allowed = False
        self._create(index)
        if prim.kind == DIRECTIVE:
            eol = self.pos
            while eol < self.n and self.text[eol] not in BREAKS:
                eol += 1
            self.pos = self._skip_break(eol)
        elif prim.kind != STREAM_END:
            self.pos = prim.end

    def _fetch_scalar(self, index: int, prim: Token) -> tuple[int, int]:
        """``yaml_parser_fetch_plain_scalar`` / ``_flow_scalar`` / ``_block_scalar``.

        Returns the mark a line comment after it attaches to and where
        scanning resumes: go-yaml's plain scalar scan also eats the white
        space after it (which allows a simple key on the next line), a block
        scalar's the spaces after its last line.
        """
        text = self.text
        comment_mark, end = prim.start, prim.end
        style = prim.style
        if style == "":
            if self.flow_level == 0 and text[prim.start] == ":" and index > 0:
                comment_mark = self.toks[self.prev_created(index)].gstart
            if self.allowed:
                self._save_simple_key(index)
            self.allowed = False
            new_end = WS_RE.match(text, end).end()  # type: ignore[union-attr]
            if new_end != end:
                if BREAK_RE.search(text, end, new_end) is not None:
                    self.allowed = True
                end = new_end
        elif style == "|" or style == ">":
            self._remove_simple_key()
            self.allowed = True
            scan_block_scalar_comment(self, prim)
            while end < self.n and text[end] == " ":
                end += 1
        else:
            if self.allowed:
                self._save_simple_key(index)
            self.allowed = False
        return comment_mark, end

    def _fetch_value(self, index: int, prim: Token) -> int:
        """``yaml_parser_fetch_value``: a ``:`` turns the pending simple key into KEY (and opens a
        block mapping at its column); a line comment after it belongs to the key."""
        plan = self.plan
        comment_mark = prim.start
        if self.flow_level == 0:
            comment_mark = self.toks[self.prev_created(index)].gstart
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
        return comment_mark

    def _fetch_indicator(self, index: int, prim: Token) -> int:
        """Every other token: ``-``, ``?``, flow indicators, anchors, aliases and tags.

        Returns the mark a line comment after it attaches to (for a ``,``,
        the item before it).
        """
        kind = prim.kind
        comment_mark = prim.start
        if kind == BLOCK_ENTRY:
            bss = self.plan.bss.get(index, -1)
            if bss >= 0:
                self._roll(bss)
            self._remove_simple_key()
            self.allowed = True
        elif kind == FSS or kind == FMS:
            if self.allowed:
                self._save_simple_key(index)
            self.simple_keys.append(_SimpleKey())
            self.flow_level += 1
            self.allowed = True
        elif kind == FSE or kind == FME:
            self._remove_simple_key()
            if self.flow_level > 0:
                self.flow_level -= 1
                sk = self.simple_keys.pop()
                self.sk_by_tok.pop(sk.tok, None)
            self.allowed = False
        elif kind == FLOW_ENTRY:
            if self.flow_level > 0:
                comment_mark = self.toks[self.prev_created(index)].gstart
            self._remove_simple_key()
            self.allowed = True
        elif kind == KEY:
            bms = self.plan.bms.get(index, -1)
            if bms >= 0:
                self._roll(bms)
            self._remove_simple_key()
            self.allowed = self.flow_level == 0
        else:  # ALIAS, ANCHOR, TAG
            if self.allowed:
                self._save_simple_key(index)
            self.allowed = False
        return comment_mark

    def _roll(self, index: int) -> None:
        """``yaml_parser_roll_indent``: a block collection opens at the column of token ``index``."""
        if self.flow_level > 0:
            return
        self.indents.append(self.indent)
        self.indent = self.col_of(self.toks[index].start)
        self._create(index)

    def _skip_break(self, p: int) -> int:
        """The index after the line break at ``p`` (CR LF is one break), or ``p`` if there is none."""
        text = self.text
        if p < self.n and text[p] in BREAKS:
            if text[p] == "\r" and p + 1 < self.n and text[p + 1] == "\n":
                return p + 2
            return p + 1
        return p

    def _unroll(self, column: int, scan_mark: int, ends: Iterator[int]) -> None:
        """``yaml_parser_unroll_indent``: close the blocks indented deeper than ``column``.

        go-yaml moves each BLOCK-END back before the comments indented at the
        closing block's own level, so they stay inside the block as its foot.
        """
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

    def _scan_to_next_token(self, target: int) -> None:
        """``yaml_parser_scan_to_next_token``: skip to ``target`` (libyaml's next token), scanning
        the comments on the way; a gap without ``#`` is skipped at once."""
        text = self.text
        n = self.n
        scan_mark = self.pos
        if text.find("#", scan_mark, target) < 0:
            # No comment in this gap: only the line-comment-to-head conversion can matter.
            last = self.toks[self.last] if self.last >= 0 else None
            if not (self.comments and last is not None and last.kind == BLOCK_ENTRY and self.comments[-1].line):
                if self.flow_level == 0 and BREAK_RE.search(text, scan_mark, target) is not None:
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
                prev = self.prev_created(self.last)
                if last.kind == BLOCK_ENTRY and prev >= 0 and self.toks[prev].kind == BSS:
                    c = self.comments[-1]
                    if c.line and not (p < n and text[p] in BREAKS):
                        c.head = c.line
                        c.line = ""
                        if c.start_line == self.line_of(p) - 1:
                            c.token_mark = p
            if p < n and text[p] == "#":
                scan_comments(self, scan_mark)
                p = self.pos
            if p < n and text[p] in BREAKS:
                self.pos = self._skip_break(p)
                if self.flow_level == 0:
                    self.allowed = True
            else:
                break
        if self.pos != target and target <= n:
            # Should not happen for libyaml-validated input; keep the replay aligned anyway.
            self.pos = target

