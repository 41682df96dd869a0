"""Comments put back into the tree the fast reader built, where go-yaml v3 and sops put them.

The go-yaml port (:mod:`.comment_reader`) places every comment of every
file, but it replays go-yaml's scanner, parser and node builder in Python,
token by token.  Most files with comments have them in a few plain
layouts, where the port always gives the same answer; for those, the fast
reader (:mod:`.reader`, libyaml's events) builds the tree and notes where
each item starts (:class:`Marks`), and :func:`place` inserts the comment
items from the text alone:

* comment lines above a mapping key or a ``-`` entry, at its column (blank
  lines around them or not): items before that key or entry;
* a comment after ``key: value``, ``key:`` (a block collection below),
  ``- value`` or a block scalar's header (``key: | # c``), and after the
  first key of ``- key: value``: an item before that key, or that entry;
* comment lines at a block's own column after its last item, with no
  blank line before them: items at the end of that block;
* the comment lines that end the document, after a blank line or from
  column 0: items at the end of the root mapping (go-yaml's document foot).

Anything else makes :func:`place` decline (it returns False before the
tree is changed), and the file is read again by the port: comments at
another column than what follows them, comments inside flow collections
or between a key and its value on a later line, a comment right after a
token with no blank before it (``'x'#c``), anchors, aliases and tags,
several documents or ``---``/``...`` markers, tabs before a comment, and
line breaks other than LF.  Declining costs only time, a wrong guess
would move a comment in an encrypted file: the generated corpus of
``tests/formats/test_yaml_comment_placement.py`` checks that what is
accepted is placed exactly as the port places it.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from ...core.tree import Comment, Mapping

__all__ = ["Marks", "place"]

#: a block sequence entry's dash and the blanks after it, alone before an item on its line
_DASH = re.compile(r" *- +")
#: what may end a token right before a comment's ``#`` (quoted scalars, flow indicators, a JSON-like ``:``);
#: any other character before a ``#`` belongs to the plain scalar that ``#`` is part of
_BEFORE_TIGHT_COMMENT = frozenset("'\"[]{},:")
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


class Marks:
    """Where the fast reader found each item (see :func:`place`).

    ``starts[i]`` is where item ``i`` starts in the text (a mapping key, or
    a sequence entry's value), ``conts[i]`` the container it went into and
    ``poss[i]`` its index there; items are in text order.  ``spans`` holds
    the start and end of every quoted or block scalar (a ``#`` there is
    text), ``colls`` one record per collection: ``[node, start, end, flow,
    column]``.  ``simple`` turns False at anything :func:`place` does not
    handle (anchors, aliases, tags, document markers, several documents).
    """

    __slots__ = ("simple", "starts", "conts", "poss", "spans", "colls", "opened")

    def __init__(self) -> None:
        self.simple = True
        self.starts: list[int] = []
        self.conts: list[list] = []
        self.poss: list[int] = []
        self.spans: list[int] = []
        self.colls: list[list] = []
        self.opened: list[int] = []

    def open(self, node: list, event: Any, parent: list | None) -> None:
        """A collection starts (``event``: its start event)."""
        mark = event.start_mark
        self.opened.append(len(self.colls))
        self.colls.append([node, mark.index, -1, bool(event.flow_style), mark.column])

    def close(self, event: Any) -> None:
        """The innermost open collection ends."""
        self.colls[self.opened.pop()][2] = event.end_mark.index


def _comments(text: str, marks: Marks) -> tuple[list[int], list[int]] | None:
    """Where the comments' ``#`` are, and for each comment alone on its line where that line starts
    (-1 for a comment after content).  A ``#`` inside a quoted or block scalar is text, except on a
    block scalar's header line (``key: | # c``: a comment after content, as go-yaml reads it).
    None when a comment is inside a flow collection, or right after a token with no blank
    between (``'x'#c``, ``|#c``)."""
    spans = marks.spans
    found: list[int] = []
    lines: list[int] = []
    si, ns = 0, len(spans)
    find = text.find
    p = find("#")
    while p >= 0:
        while si < ns and spans[si + 1] <= p:
            si += 2
        if si < ns and spans[si] <= p:
            start = spans[si]
            if text[start] not in "|>" or find("\n", start, p) >= 0:
                p = find("#", p + 1)  # text of a quoted scalar or a block scalar's content
                continue
            if text[p - 1] != " ":
                return None  # ``|#c``
            line = -1  # on a block scalar's header line, after the indicators
        elif p and text[p - 1] not in " \n":
            if text[p - 1] in _BEFORE_TIGHT_COMMENT:
                return None  # ``'x'#c``, ``[x]#c``: a comment after a token with no space before it
            p = find("#", p + 1)  # inside a plain scalar (``a#b``): text
            continue
        else:
            line = text.rfind("\n", 0, p) + 1
            if line != p and text[line:p].strip(" "):
                line = -1
        found.append(p)
        lines.append(line)
        p = find("\n", p)  # the rest of the line is the comment's text
        if p < 0:
            break
        p = find("#", p)
    if found:
        flows = [(c[1], c[2]) for c in marks.colls if c[3]]
        if flows:
            fi, nf = 0, len(flows)
            for p in found:
                while fi < nf and flows[fi][1] <= p:
                    fi += 1
                # flows are in start order; an outer one ends after the ones inside it
                for start, end in flows[fi:]:
                    if start > p:
                        break
                    if p < end:
                        return None
    return found, lines


def _only_comments(text: str, start: int) -> bool:
    """Whether the text from ``start`` (a line break or the end) holds nothing but blank and comment lines."""
    for line in text[start:].split("\n"):
        stripped = line.lstrip(" ")
        if stripped and stripped[0] != "#":
            return False
    return True


class _Placer:
    """Finds the container and index of each comment run, from the text and the items' marks."""

    def __init__(self, text: str, marks: Marks) -> None:
        self.text = text
        self.starts, self.conts, self.poss = marks.starts, marks.conts, marks.poss
        self.colls = {id(c[0]): c for c in marks.colls}
        self.root: list = marks.colls[0][0]  # the document's root mapping (one document only)
        self.spans = marks.spans
        #: where block sequences end (at the next token), with their columns
        self.seq_ends: dict[int, list[int]] = {}
        for c in marks.colls:
            if not c[3] and not isinstance(c[0], Mapping):
                self.seq_ends.setdefault(c[2], []).append(c[4])

    def block_of(self, node: list) -> list | None:
        """The collection record of a block collection, None for a flow one."""
        info = self.colls[id(node)]
        return None if info[3] else info

    def own_lines(self, first: int, line: int, last_end: int, col: int, blank: bool,
                  k: int) -> tuple[list, int] | None:
        """Where a run of comment lines at column ``col`` goes (from ``first``, on the line starting at
        ``line``, to ``last_end``; ``blank``: a blank line inside the run; ``k``: the next item)."""
        text, starts, conts = self.text, self.starts, self.conts
        if k > 0 and conts[k - 1].__class__ is not Mapping and conts[k - 1][self.poss[k - 1]] is None:
            eol = text.find("\n", starts[k - 1])
            if not text[starts[k - 1]:eol if eol >= 0 else len(text)].strip(" "):
                return None  # after an empty entry (``-`` alone): go-yaml attaches them elsewhere
        if k < len(starts):
            ns = starts[k]
            nls = text.rfind("\n", 0, ns) + 1
            if nls != last_end + 1 and text[last_end:nls].strip(" \n"):
                return None
            cont = conts[k]
            lead = text[nls:ns]
            if (not isinstance(cont, Mapping) and k + 1 < len(starts) and starts[k + 1] == ns
                    and self.conts[k + 1] is cont[self.poss[k]] and not lead.strip(" ")):
                # an entry whose mapping starts on its own line: that mapping's first key (go-yaml
                # places the comments elsewhere when blank lines come between)
                if blank or text.count("\n", last_end, nls) != 1:
                    return None
                k += 1
                cont = self.conts[k]
            if self.block_of(cont) is not None:
                if isinstance(cont, Mapping):
                    if ns - nls == col and not lead.strip(" ") and col not in self.seq_ends.get(ns, ()):
                        # (after an indentless sequence, go-yaml keeps some comments in the sequence)
                        return cont, self.poss[k]
                elif (not blank and text.count("\n", last_end, nls) == 1 and len(lead) > col and lead[col] == "-"
                      and not lead[:col].strip(" ") and _DASH.fullmatch(lead, col)):
                    return cont, self.poss[k]  # (with blank lines, go-yaml may put some after the entry)
            ncol = len(lead) - len(lead.lstrip(" "))
            if ncol >= col:
                return None
        else:
            if not _only_comments(text, last_end):
                return None  # between the last key and its value on a later line (``key:``, ``# c``, ``value``)
            return self.tail(first, line, col, blank)
        return self.foot(first, line, col, blank)

    def tail(self, first: int, line: int, col: int, blank: bool) -> tuple[list, int] | None:
        """The comment lines that end the document (one run: the main loop declines a change of column).

        go-yaml makes them the document's foot comment, which sops puts at the end of the root
        mapping, when a blank line comes before them (at any column), or when they start at
        column 0 right after the last item; other runs are the foot of an inner block
        (:meth:`foot`).  Declined after a block scalar (``|+`` keeps the blank lines, which then
        do not count), after an indentless sequence (go-yaml keeps column-0 comments in it), and
        in a text that does not end with a line break (go-yaml's foot comments differ there)."""
        text = self.text
        if not text.endswith("\n") or not self.starts or self.block_of(self.root) is None:
            return None
        end = line  # where the last content ends
        while end > 0 and text[end - 1] in " \n":
            end -= 1
        spans = self.spans
        if spans and text[spans[-2]] in "|>" and spans[-1] >= end:
            return None  # the last item is a block scalar
        if line >= 2 and text[line - 2] == "\n" or col == 0:
            last = self.root[-1][1]
            if last.__class__ is list and self.colls[id(last)][4] == 0 and not self.colls[id(last)][3]:
                return None  # an indentless sequence
            return self.root, len(self.root)
        return self.foot(first, line, col, blank)

    def foot(self, first: int, line: int, col: int, blank: bool) -> tuple[list, int] | None:
        """Comment lines after a block's last item, at the block's column: the end of that block."""
        text = self.text
        if blank or line < 2 or text[line - 2] == "\n":
            return None  # a blank line before or inside the run: go-yaml splits it its own way
        prev = text.rfind("\n", 0, line - 1) + 1
        if not text[prev:line - 1].strip(" ") or text[prev:line - 1].lstrip(" ").startswith("#"):
            return None
        k = bisect_left(self.starts, first) - 1
        if k < 0:
            return None
        cont = self.conts[k]
        info = self.block_of(cont)
        if info is None or info[4] != col:
            return None
        value = cont[self.poss[k]]
        if isinstance(cont, Mapping):
            value = value[1]
        if value is None or isinstance(value, list):
            return None  # (after an empty value, go-yaml attaches them to what follows)
        return cont, len(cont)

    def inline(self, p: int, line: int) -> tuple[list, int] | None:
        """Where a comment after content on its line goes."""
        text, starts, conts = self.text, self.starts, self.conts
        if _DASH.fullmatch(text, line, p):
            return self.after_dash(p, line)
        k = j = bisect_left(starts, p) - 1
        if k < 0 or starts[k] < line:
            return None
        while self.block_of(conts[j]) is None:  # inside a flow collection: the item that holds it
            j -= 1
            if j < 0 or starts[j] < line:
                return None
        cont, pos, ks = conts[j], self.poss[j], starts[j]
        lead = text[line:ks]
        is_map = isinstance(cont, Mapping)
        if is_map:
            # a key alone on its line, or the first key of a sequence entry (``- key: value # c``)
            if lead.strip(" ") and not (pos == 0 and _DASH.fullmatch(lead)):
                return None
            value = cont[pos][1]
        else:
            if not _DASH.fullmatch(lead):
                return None
            value = cont[pos]
        if isinstance(value, list):
            info = self.colls[id(value)]
            if info[3]:
                if ks > info[1] or info[2] > p:
                    return None
                # a flow collection on the line: the comment is its first item (``key: [a] # c``), or
                # comes before the entry (``- [a] # c``)
                return (value, 0) if is_map else (cont, pos)
            if info[1] <= p or not is_map:
                return None
            return cont, pos  # ``key: # c`` above a block collection
        return (cont, pos) if j == k else None

    def after_dash(self, p: int, line: int) -> tuple[list, int] | None:
        """``- # c`` above the entry's block mapping: the mapping's first item."""
        text, starts = self.text, self.starts
        col = text.index("-", line) - line
        eol = text.find("\n", p)
        k = bisect_left(starts, p)
        if eol < 0 or k >= len(starts):
            return None
        ns = starts[k]
        nls = text.rfind("\n", 0, ns) + 1
        if text[eol:nls].strip(" \n") or text.count("\n", eol, nls) != 1 or text[nls:ns].strip(" "):
            return None
        cont = self.conts[k]
        info = self.block_of(cont)
        if isinstance(cont, Mapping) or info is None or info[4] != col:
            return None
        value = cont[self.poss[k]]
        if not isinstance(value, Mapping) or self.block_of(value) is None:
            return None
        return value, 0


def place(text: str, docs: list[Mapping], marks: Marks) -> bool:
    """Insert the comments of ``text`` into ``docs`` (what the fast reader read, with ``marks``) as
    sops 3.11 would have them; False, with ``docs`` unchanged, when the layout is not one this
    module knows (see the module docstring)."""
    if not marks.simple or len(docs) != 1 or "\t#" in text or any(b in text for b in _OTHER_BREAKS):
        return False
    found = _comments(text, marks)
    if found is None:
        return False
    comments, lines = found
    placer = _Placer(text, marks)
    starts = marks.starts
    nstarts = len(starts)
    targets: dict[int, tuple[list, list]] = {}  # container id -> (container, [(index, text), ...])
    unordered: set[int] = set()
    n = len(comments)
    size = len(text)
    i = 0
    while i < n:
        p = comments[i]
        line = lines[i]
        eol = text.find("\n", p)
        if eol < 0:
            eol = size
        run = [(p, eol)]
        i += 1
        if line < 0:
            target = placer.inline(p, text.rfind("\n", 0, p) + 1)
        else:
            # the comment lines up to the next item, at one column, make one run
            col = p - line
            k = bisect_left(starts, eol)
            limit = starts[k] if k < nstarts else size
            blank = False
            while i < n and comments[i] < limit:
                q, qline = comments[i], lines[i]
                if qline < 0 or text[eol:qline].strip(" \n"):
                    break
                if q - qline != col:
                    return False
                if qline - eol > 1 and text.count("\n", eol, qline) > 1:
                    blank = True
                eol = text.find("\n", q)
                if eol < 0:
                    eol = size
                run.append((q, eol))
                i += 1
            target = placer.own_lines(p, line, eol, col, blank, k)
        if target is None:
            return False
        cont, index = target
        entry = targets.get(id(cont))
        if entry is None:
            entry = targets[id(cont)] = (cont, [])
        elif entry[1][-1][0] > index:
            unordered.add(id(cont))
        add = entry[1].append
        for q, e in run:
            add((index, text[q + 1:e]))
    for ident, (cont, items) in targets.items():
        if ident in unordered:
            items.sort(key=lambda t: t[0])  # stable: comments at one index keep their text order
        _insert(cont, items)
    return True


def _insert(cont: list, items: list[tuple[int, str]]) -> None:
    """Put comment items into ``cont`` before the items at the given indices, rebuilding it once."""
    is_map = isinstance(cont, Mapping)
    rebuilt: list = []
    prev = 0
    for index, text in items:
        if index != prev:
            rebuilt.extend(cont[prev:index])
            prev = index
        rebuilt.append([Comment(text), None] if is_map else Comment(text))
    rebuilt.extend(cont[prev:])
    cont[:] = rebuilt
