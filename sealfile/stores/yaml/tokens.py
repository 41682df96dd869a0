"""libyaml's tokens, grouped by the go-yaml scanner step that would create each one.

go-yaml v3's scanner (``scannerc.go``) is a port of libyaml's, so libyaml
(ruamel's C extension) produces the same tokens for the same text, fast.
What go-yaml adds is comment scanning, and comments are attributed by
*when* each token enters the queue: ``yaml_parser_fetch_next_token`` scans
one "primary" token per step, and in that step also inserts the BLOCK-END
tokens of the indentation it leaves (``yaml_parser_unroll_indent``), the
BLOCK-SEQUENCE-START of a ``-`` (``yaml_parser_fetch_block_entry``) and,
for a ``:``, the KEY and BLOCK-MAPPING-START of the simple key before it
(``yaml_parser_fetch_value``).  :func:`read_tokens` records those groups so
:mod:`.scanner` can replay the steps in go-yaml's order.

Also here: the character classes of ``yamlprivateh.go`` (``is_break``,
``is_blank``) that the replay scans the text with, and go-yaml's nesting
limits, checked on the way (:class:`.limits.DepthCounter`).
"""
from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import tokens as _tk
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import YAMLError

from ...errors import ParseError
from .limits import DepthCounter
from .policy import yaml_error

__all__ = [
    "STREAM_START", "STREAM_END", "DIRECTIVE", "DOC_START", "DOC_END", "BSS", "BMS", "BLOCK_END", "FSS",
    "FSE", "FMS", "FME", "BLOCK_ENTRY", "FLOW_ENTRY", "KEY", "VALUE", "ALIAS", "ANCHOR", "TAG", "SCALAR",
    "BREAKS", "BLANKS", "LINE_BREAK_RE", "BREAK_RE", "WS_RE", "Token", "TokenPlan", "read_tokens",
]

#: token kinds (go-yaml's ``yaml_token_type_t``, abbreviated: BSS is BLOCK-SEQUENCE-START...)
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

#: go-yaml's ``is_break`` and ``is_blank`` characters
BREAKS = "\r\n\x85\u2028\u2029"
BLANKS = " \t"
#: one line break (CR LF counts once), any one break character, a run of white space and breaks
LINE_BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
BREAK_RE = re.compile("[\r\n\x85\u2028\u2029]")
WS_RE = re.compile("[ \t\r\n\x85\u2028\u2029]*")


class Token:
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


class TokenPlan:
    """libyaml's tokens grouped by the go-yaml fetch step that creates them.

    ``primaries`` lists the token that each step scans; BLOCK-END tokens are
    created by the step of the next primary token, BLOCK-SEQUENCE-START by its
    ``-``, and a simple key's KEY (and BLOCK-MAPPING-START) by its ``:``.
    """

    __slots__ = ("toks", "primaries", "ends", "key", "bms", "bss", "error")

    def __init__(self) -> None:
        self.toks: list[Token] = []
        self.primaries: list[int] = []
        self.ends: dict[int, list[int]] = {}
        self.key: dict[int, int] = {}
        self.bms: dict[int, int] = {}
        self.bss: dict[int, int] = {}
        self.error: ParseError | None = None  # where the tokens stop early


def read_tokens(text: str) -> TokenPlan:
    """All of ``text``'s tokens, grouped by fetch step.

    A scanner error (libyaml's, worded like go-yaml's, or the nesting limit)
    ends the plan early and is kept in :attr:`TokenPlan.error`: go-yaml's
    scanner is lazy, so the error is raised only when the replay needs a
    token past it, after the documents before it are read and checked.
    """
    plan = TokenPlan()
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
            tok = Token(kind, sm.index, t.end_mark.index, sm.line, sm.column)
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
        plan.error = yaml_error(exc)
    except ParseError as exc:  # past go-yaml's nesting limit
        plan.error = exc
    finally:
        parser.dispose()
    return plan

