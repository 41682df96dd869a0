"""The two limits go-yaml v3 puts on a YAML stream, and therefore on what sops reads.

* Nesting: go-yaml's scanner refuses more than 10,000 open block collections
  (its ``indents`` stack: one per BLOCK-MAPPING-START or BLOCK-SEQUENCE-START
  token, so an indentless ``- item`` list does not count) or more than 10,000
  open flow collections (``[``/``{``), each counted separately:
  ``yaml: line N: exceeded max depth of 10000``.
* Aliases: go-yaml's decoder counts every node it decodes and every node it
  decodes through an alias, and gives up with ``yaml: document contains
  excessive aliasing`` once more than 100 aliased and 1,000 decoded nodes are
  reached and the aliased share exceeds :func:`allowed_alias_ratio`.  That is
  what stops an alias bomb (nine anchors, each aliasing the previous nine
  times, expand to 9^9 nodes) before it is expanded.

Both readers (:mod:`.reader` and :mod:`.comment_reader`) apply these
rules to every document, whether the file is plaintext or encrypted.
"""
from __future__ import annotations

import sys

from ruamel.yaml import tokens as _tk
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import YAMLError

from ...errors import ExcessiveAliasing, ParseError

__all__ = ["MAX_DEPTH", "allowed_alias_ratio", "AliasBudget", "DepthCounter", "depth_error", "check_depth"]

#: go-yaml's ``max_indents`` and ``max_flow_level``
MAX_DEPTH = 10000

# go-yaml decode.go: alias_ratio_range_low / alias_ratio_range_high
_RATIO_LOW, _RATIO_HIGH = 400_000, 4_000_000
_NEVER = sys.maxsize


def allowed_alias_ratio(decoded: int) -> float:
    """go-yaml's ``allowedAliasRatio``: 99% of nodes may come from aliases up to 400,000
    decoded nodes, 10% from 4,000,000 on, linear in between."""
    if decoded <= _RATIO_LOW:
        return 0.99
    if decoded >= _RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * ((decoded - _RATIO_LOW) / (_RATIO_HIGH - _RATIO_LOW))


def aliasing_error() -> ExcessiveAliasing:
    """go-yaml's wording (sops prefixes it with where it was reading)."""
    return ExcessiveAliasing("yaml: document contains excessive aliasing")


class AliasBudget:
    """The decoder's two counters for one document, checked as nodes are decoded.

    go-yaml tests after every node.  A node that is not aliased only lowers
    the aliased share, so between aliases the test can newly fail only where
    its thresholds move: when ``decoded`` passes 1,000, or once the allowed
    ratio starts falling at 400,000.  ``next_check`` is the next such count;
    plain nodes before it need no test, so a plain node costs one comparison.
    """

    __slots__ = ("decoded", "aliased", "depth", "next_check")

    def __init__(self) -> None:
        self.decoded = 0
        self.aliased = 0
        self.depth = 0  # > 0 while decoding the target of an alias
        self.next_check = _NEVER

    def count(self) -> None:
        """One decoded node; raise once aliasing dominates as go-yaml would."""
        self.decoded += 1
        if self.depth:
            self.aliased += 1
            self.check()
        elif self.decoded >= self.next_check:
            self.check()

    def check(self) -> None:
        """go-yaml's test on the current counts; then when plain nodes could next fail it."""
        aliased, decoded = self.aliased, self.decoded
        if aliased <= 100:
            self.next_check = _NEVER  # only aliased nodes can pass 100
            return
        # go-yaml: aliasCount > 100 && decodeCount > 1000 && aliasCount/decodeCount > allowedAliasRatio(decodeCount)
        # (the ratio inlined below 400,000 nodes: this runs for every alias of a file full of merge keys)
        if decoded > 1000 and aliased / decoded > (0.99 if decoded <= _RATIO_LOW else allowed_alias_ratio(decoded)):
            raise aliasing_error()
        if decoded <= 1000:
            self.next_check = 1001
        elif decoded < _RATIO_LOW:
            self.next_check = _RATIO_LOW
        else:
            self.next_check = decoded + 1

    def add_alias(self, cost: int) -> None:
        """An alias node (not aliased itself unless inside another alias) whose target takes
        ``cost`` decoded nodes, checked before the target is expanded.

        The target's nodes all count as aliased, so the aliased share only
        grows while go-yaml would decode them: checking once at the end fails
        exactly when go-yaml fails somewhere on the way.
        """
        self.decoded += 1 + cost
        self.aliased += cost
        self.check()


def depth_error(context_line: int, line: int) -> ParseError:
    """go-yaml's wording for a scanner error: the line of its context mark, else of the place
    it stopped, and no line at all when both are on the first line (0-based indexes here)."""
    index = context_line or line
    where = f"line {index + 1}: " if index > 0 else ""
    return ParseError(f"yaml: {where}exceeded max depth of {MAX_DEPTH}")


class DepthCounter:
    """go-yaml's two nesting counts, fed with libyaml's tokens (one scanner for both).

    The error names the line go-yaml names: for a block collection the mark
    of the last possible simple key at block level (the key itself for a
    mapping; for ``- - -`` whatever key came before), for a flow collection
    the ``[`` or ``{`` itself.
    """

    __slots__ = ("block", "flow", "key_line")

    def __init__(self) -> None:
        self.block = 0
        self.flow = 0
        self.key_line = 0  # go-yaml's simple_keys[0].mark (stale once the key is used, as there)

    def block_open(self, line: int, is_mapping: bool) -> None:
        self.block += 1
        if self.block > MAX_DEPTH:
            # a mapping's start token sits at its first key, the key go-yaml just used
            raise depth_error(line if is_mapping else self.key_line, line)

    def flow_open(self, line: int) -> None:
        if self.flow == 0:
            self.key_line = line  # "[" and "{" are saved as possible keys at the level they open on
        self.flow += 1
        if self.flow > MAX_DEPTH:
            raise depth_error(0, line)

    def possible_key(self, line: int) -> None:
        """A token go-yaml saves as a possible simple key (scalar, alias, anchor or tag)."""
        if self.flow == 0:
            self.key_line = line


_FLOW_OPEN = (_tk.FlowMappingStartToken, _tk.FlowSequenceStartToken)
_FLOW_CLOSE = (_tk.FlowMappingEndToken, _tk.FlowSequenceEndToken)
_KEY_LIKE = (_tk.AliasToken, _tk.AnchorToken, _tk.TagToken)


def check_depth(text: str) -> None:
    """Raise go-yaml's depth error if ``text`` opens too many block or flow collections.

    Token-exact and stops at the first excess; the event-driven reader only
    calls it once more than 10,000 collections are open at the same time.
    """
    parser = CParser(text)
    depth = DepthCounter()
    try:
        get = parser.get_token
        while True:
            tok = get()
            cls = tok.__class__
            if cls is _tk.ScalarToken:
                if tok.style not in ("|", ">"):  # block scalars are never keys
                    depth.possible_key(tok.start_mark.line)
            elif cls is _tk.BlockMappingStartToken or cls is _tk.BlockSequenceStartToken:
                depth.block_open(tok.start_mark.line, cls is _tk.BlockMappingStartToken)
            elif cls is _tk.BlockEndToken:
                depth.block -= 1
            elif cls in _FLOW_OPEN:
                depth.flow_open(tok.start_mark.line)
            elif cls in _FLOW_CLOSE:
                depth.flow -= 1
            elif cls in _KEY_LIKE:
                depth.possible_key(tok.start_mark.line)
            elif cls is _tk.StreamEndToken:
                return
    except YAMLError:
        return  # a syntax error: the reader reports it with its own wording
    finally:
        parser.dispose()
