"""Comment scanning: the part of go-yaml v3's scanner that libyaml does not have.

go-yaml's ``scannerc.go`` records each comment as a ``yaml_comment_t``
while it skips white space (``yaml_parser_scan_to_next_token``): a comment
on a token's line is that token's *line* comment
(``yaml_parser_scan_line_comment``), comment lines before the next token
are split into *foot* comments of what came before and a *head* comment of
what follows (``yaml_parser_scan_comments``).  Each comment carries the
mark of the token it is attached to, and the parser hands it over when it
peeks that token (``yaml_parser_unfold_comments`` in ``parserc.go``).

The functions here work on a :class:`.scanner.Scanner`'s state (its text,
position, indentation and token queue) and append to its comment list; they
are the comment side of the scanner replay, kept apart because they are
the heuristic part sops's comment placement depends on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .tokens import BLANKS, BLOCK_END, BREAKS, FLOW_ENTRY, VALUE, Token

if TYPE_CHECKING:
    from .scanner import Scanner

__all__ = ["ScanComment", "newlines_before", "unfold_comments", "scan_block_scalar_comment",
           "scan_line_comment", "scan_comments"]


class ScanComment:
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


def _span(scan_mark: int, token_mark: int, start: int, start_line: int, start_col: int,
          end: int) -> ScanComment:
    """A head or foot comment block (its text is set by the caller)."""
    cm = ScanComment()
    cm.scan_mark, cm.token_mark = scan_mark, token_mark
    cm.start, cm.start_line, cm.start_col = start, start_line, start_col
    cm.end = end
    return cm


def _line_comment(sc: Scanner, token_mark: int, start: int, eol: int) -> ScanComment:
    """A comment after a token on its own line: the line comment of ``token_mark``'s token."""
    c = ScanComment()
    c.token_mark = token_mark
    c.start = start
    c.start_line = sc.line_of(start)
    c.start_col = sc.col_of(start)
    c.line = sc.text[start:eol]
    return c


def newlines_before(text: str, index: int) -> int:
    """go-yaml's ``parser.newlines``: line breaks since the last non-blank character."""
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
        if c in BREAKS:
            count += 1
            i -= 1
            continue
        break
    return count


def unfold_comments(sc: Scanner, tok: Token) -> None:
    """parserc.go ``yaml_parser_unfold_comments``: hand the parser the comments scanned before ``tok``.

    They accumulate in the scanner's pending head, line and foot comments
    until the parser sets them on its next event.  A head comment waits
    when the token is a BLOCK-END: it belongs to what follows the block.
    """
    comments = sc.comments
    start = tok.gstart
    while sc.comments_head < len(comments) and start >= comments[sc.comments_head].token_mark:
        c = comments[sc.comments_head]
        if c.head:
            if tok.kind == BLOCK_END:
                break
            sc.head_comment = sc.head_comment + "\n" + c.head if sc.head_comment else c.head
        if c.foot:
            sc.foot_comment = sc.foot_comment + "\n" + c.foot if sc.foot_comment else c.foot
        if c.line:
            sc.line_comment = sc.line_comment + "\n" + c.line if sc.line_comment else c.line
        comments[sc.comments_head] = ScanComment()
        sc.comments_head += 1




def scan_block_scalar_comment(sc: Scanner, prim: Token) -> None:
    """The ``| # comment`` on a block scalar's header line: a line comment of the scalar.

    go-yaml scans it inside ``yaml_parser_scan_block_scalar``, right after the
    indicators; libyaml skips it, so it is read from the text here.
    """
    text = sc.text
    p = prim.start + 1
    while p < sc.n and text[p] in "+-0123456789":
        p += 1
    while p < sc.n and text[p] in BLANKS:
        p += 1
    if p < sc.n and text[p] == "#":
        eol = p
        while eol < sc.n and text[eol] not in BREAKS:
            eol += 1
        sc.comments.append(_line_comment(sc, prim.start, p, eol))


def scan_line_comment(sc: Scanner, token_mark: int) -> None:
    """scannerc.go ``yaml_parser_scan_line_comment``: a ``#`` on the line of the token just scanned.

    ``token_mark`` is where the comment's token starts; for a ``:`` or ``,``
    it is the token before it, so the comment lands on the key or item.
    """
    text = sc.text
    p = sc.pos
    if p >= sc.n:
        return
    c = text[p]
    if c != "#" and c != " " and c != "\t":
        return
    if newlines_before(text, p) > 0:
        return
    limit = p + 512
    while p < sc.n and p < limit and text[p] in BLANKS:
        p += 1
    if p < sc.n and p < limit and text[p] == "#":
        eol = p
        while eol < sc.n and text[eol] not in BREAKS:
            eol += 1
        sc.comments.append(_line_comment(sc, token_mark, p, eol))
        sc.pos = eol


def scan_comments(sc: Scanner, scan_mark: int) -> None:
    """scannerc.go ``yaml_parser_scan_comments``: the comment lines before the next token.

    Lines are grouped into foot comments of what precedes them (split on a
    blank line or on a dedent below the current indentation) and a final
    head comment of the next token; where each block ends up depends on
    ``token_mark``, the token it is attached to, exactly as in go-yaml.
    """
    text = sc.text
    n = sc.n
    tok = sc.toks[sc.last]
    if tok.kind == FLOW_ENTRY:
        prev = sc.prev_created(sc.last)
        if prev >= 0:
            tok = sc.toks[prev]
    token_mark = tok.gstart
    start = start_line = start_col = 0
    next_indent = sc.indent if sc.indent > 0 else 0
    recent_empty = False
    newlines = newlines_before(text, sc.pos)
    first_empty = newlines <= 1
    line = sc.line_of(sc.pos)
    column = sc.col_of(sc.pos)
    body = ""
    has_text = False
    foot_line = -1
    if sc.line_of(scan_mark) > 0:
        foot_line = line - newlines + 1
        if newlines == 0 and column > 1:
            foot_line += 1
    base = sc.pos
    peek = 0
    flow = sc.flow_level > 0
    while peek < 512:
        column += 1
        idx = base + peek
        c = text[idx] if idx < n else "\0"
        if c == " " or c == "\t":
            peek += 1
            continue
        close_flow = flow and (c == "]" or c == "}")
        if close_flow or c == "\0" or c in BREAKS:
            if close_flow or not recent_empty:
                if close_flow or (first_empty and ((start_line == foot_line and tok.kind != VALUE)
                                                   or start_col - 1 < next_indent)):
                    if has_text:
                        if start_col - 1 < next_indent:
                            token_mark = start
                        cm = _span(scan_mark, token_mark, start, start_line, start_col, idx)
                        cm.foot = body
                        sc.comments.append(cm)
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
            cm = _span(scan_mark, token_mark, start, start_line, start_col, idx)
            cm.foot = body
            sc.comments.append(cm)
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
        while eol < n and text[eol] not in BREAKS:
            eol += 1
        body += text[idx:eol]
        has_text = True
        sc.pos = eol
        base = eol
        peek = 0
        column = 0
        line = sc.line_of(eol)
        next_indent = sc.indent if sc.indent > 0 else 0
        peek += 1
    if has_text:
        cm = _span(scan_mark, start, start, start_line, start_col, base + peek - 1)
        cm.head = body
        sc.comments.append(cm)
