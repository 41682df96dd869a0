"""Format-preserving YAML writes: the original text with only what changed replaced.

Given the :class:`~.sourcemap.SourceMap` of the text a file was read from
and its documents after a change (encrypted, decrypted, a key set or
unset), :func:`splice_encrypted` returns that text with

* every leaf whose value changed replaced in place (an ``ENC[...]`` token
  plain in block context, double-quoted inside a flow collection, since it
  holds ``,`` ``[`` and ``]``; a block scalar becomes one token line);
  unchanged values (same object, or the same token as the text holds) keep
  their bytes, so blank lines, ``---`` separators, comments, key order,
  indentation and quoting all stay;
* every comment item whose text changed (an encrypted comment,
  ``#ENC[...]``) rewritten after its ``#``; an encrypted comment inside a
  block sequence becomes a ``- ENC[...]`` item on its own line, as sops
  3.11 stores it;
* the ``sops`` block removed where it was and written (by the go-yaml
  emitter, as sops writes it) as the last key of every document;
* a key that ``set`` added appended at the end of its block mapping, at
  the mapping's indentation; a key ``unset`` removed taken out with its
  lines; a value replaced by a collection (or a collection by a value)
  re-written with its key by the go-yaml emitter.

:func:`render_view` does the reverse for ``edit``: the encrypted file's
text with every token replaced by its plaintext, written so that it reads
back as the same typed value.

Anything else (items reordered, list elements added or removed, a change
inside a flow collection that needs new lines...) makes these functions
return None, and the caller writes the file with the go-yaml emitter as
before.  A splice that added or removed lines of structure (a comment made
a list item, a key added, removed or rewritten) is read again, as decrypt
reads it, before it is used: if it does not give back exactly the documents
it was made from (comments aside), the emitter writes the file.  A comment
go-yaml gives an outer list while it sits among the inner list's lines once
made such a splice cut an item in two.
"""
from __future__ import annotations

from typing import Any, Iterator

from ...core.tree import Comment, Mapping, without_comments
from ...core.treeedit import same_tree
from ...errors import SealfileError
from .emitter import emit_documents, encode_all
from .policy import SOPS_KEY, without_metadata
from .reader import ENCRYPTED, decode_text, read_documents
from .scalars import render_scalar
from .sourcemap import COMMENT, CONTAINER, FOLDED, LITERAL, Record, SourceMap

__all__ = ["splice_encrypted", "render_view", "is_token", "reads_back"]

_TOKEN_PREFIX = "ENC[AES256_GCM,data:"


def is_token(value: Any) -> bool:
    """An ``ENC[...]`` value (tokens hold no quote, backslash or line break)."""
    return type(value) is str and value.startswith(_TOKEN_PREFIX) and value.endswith("]")


class _Cannot(Exception):
    """This change cannot be spliced: the caller falls back to the emitter."""


def splice_encrypted(sm: SourceMap, docs: list[Mapping], metadata: Mapping | None, indent: int) -> bytes | None:
    """The text of ``sm`` with ``docs``' changes (and ``metadata`` in every document) spliced in, encoded."""
    try:
        splicer = _Splicer(sm, docs, indent, view=False)
        splicer.run(metadata)
        data = splicer.build_bytes()
    except _Cannot:
        return None
    if splicer.structural and not reads_back(data, docs, metadata is not None):
        return None
    return data


def reads_back(data: bytes, docs: list[Mapping], with_metadata: bool) -> bool:
    """Whether ``data`` reads, as decrypt will read it, as ``docs`` (comments aside), each with a
    ``sops`` mapping when ``with_metadata``."""
    try:
        again = read_documents(decode_text(data), ENCRYPTED, data)
    except SealfileError:
        return False
    if len(again) != len(docs):
        return False
    for read, doc in zip(again, docs):
        if with_metadata:
            if not isinstance(read.get(SOPS_KEY), Mapping):
                return False
            read = without_metadata(read)
        if not same_tree(without_comments(read), without_comments(doc), nan_equal=True):
            return False
    return True


def render_view(sm: SourceMap, docs: list[Mapping], indent: int) -> str | None:
    """The decrypted ``docs`` in the layout of their encrypted text ``sm`` (without the ``sops`` block)."""
    try:
        splicer = _Splicer(sm, docs, indent, view=True)
        splicer.run(None)
        return splicer.build()
    except _Cannot:
        return None


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _column(text: str, pos: int) -> int:
    return pos - _line_start(text, pos)


def _after_line(text: str, pos: int) -> int:
    """The start of the line after the one ``pos`` is on (or the end of the text)."""
    if pos > 0 and text[pos - 1] == "\n":
        return pos
    eol = text.find("\n", pos)
    return len(text) if eol < 0 else eol + 1


def _indented(rendered: str, column: int) -> str:
    """Emitter output (from column 0, ending in a newline) moved right to ``column``."""
    lines = rendered.rstrip("\n").split("\n")
    pad = " " * column
    return "\n".join([lines[0]] + [pad + line if line else line for line in lines[1:]])


class _Splicer:
    def __init__(self, sm: SourceMap, docs: list[Mapping], indent: int, view: bool) -> None:
        self.sm = sm
        self.text = sm.text
        self.docs = docs
        self.indent = indent if 2 <= indent <= 9 else (4 if indent == 0 else 2)
        self.view = view
        self.edits: list[tuple[int, int, str]] = []
        #: an edit added or removed lines of structure (an item, a key, a rewritten pair), not just a
        #: value or a comment's text: the result is read again before it is used
        self.structural = False

    # --- the whole text ------------------------------------------------------------------------

    def run(self, metadata: Mapping | None) -> None:
        """Note the edits that turn the text into the documents' (:meth:`build` applies them)."""
        sm, text, edits = self.sm, self.text, self.edits
        if len(sm.docs) != len(self.docs):
            raise _Cannot()
        meta_text = None
        if metadata is not None:
            meta_text = emit_documents([Mapping([["sops", metadata]])], self.indent).decode("utf-8", "surrogateescape")
        for span, doc in zip(sm.docs, self.docs):
            root = span.root
            column = 0
            if root is None:
                if len(doc):
                    raise _Cannot()
            else:
                if root.node is not doc or root.flow:
                    raise _Cannot()
                self.mapping(root)
                column = self.mapping_column(root)
            if meta_text is not None:
                at = span.end
                lead = "\n" if at > 0 and text[at - 1] != "\n" else ""
                edits.append((at, at, lead + " " * column + _indented(meta_text, column) + "\n"))

    def build(self) -> str:
        """The edited text."""
        return "".join(self._pieces())

    def build_bytes(self) -> bytes:
        """The edited text, encoded (a batch of pieces at a time: see :func:`~.emitter.encode_all`)."""
        return encode_all(self._pieces())

    def _pieces(self) -> Iterator[str]:
        text = self.text
        edits = self.edits
        edits.sort(key=lambda e: (e[0], e[1]))
        pos = 0
        for s, e, new in edits:
            if s < pos:
                if e <= pos and s != e:
                    continue  # inside a range already removed (an inline comment of an unset key)
                raise _Cannot()
            yield text[pos:s]
            yield new
            pos = e
        yield text[pos:]

    # --- containers ----------------------------------------------------------------------------

    def mapping_column(self, rec: Record) -> int:
        kstart = self.sm.kstart
        for i in range(rec.n):
            k = kstart[rec.base + i]
            if k >= 0:
                return _column(self.text, k)
        raise _Cannot()

    def mapping(self, rec: Record) -> None:
        """Splice one mapping (and, from an explicit stack, everything inside it)."""
        stack = [rec]
        while stack:
            rec = stack.pop()
            node = rec.node
            if rec.pairs is not None:
                self.map_items(rec, node, stack)
            else:
                self.list_items(rec, node, stack)

    def map_items(self, rec: Record, node: Mapping, stack: list[Record]) -> None:
        pairs = rec.pairs
        assert pairs is not None
        n = rec.n
        if len(node) == n and all(map(_same, node, pairs)):
            for i in range(n):
                self.map_item(rec, i, node[i], stack)
            return
        # keys were added or removed: what was kept must be in its old order, new keys at the end
        where = {id(p): i for i, p in enumerate(pairs)}
        last = -1
        added: list[list] = []
        kept: set[int] = set()
        for pair in node:
            i = where.get(id(pair), -1)
            if i < 0 or pairs[i] is not pair:
                added.append(pair)
                continue
            if added or i < last:
                raise _Cannot()
            last = i
            kept.add(i)
            self.map_item(rec, i, pair, stack)
        for i in range(n):
            if i not in kept:
                self.remove_item(rec, i)
        if added:
            self.append_pairs(rec, added, max(kept) if kept else -1)

    def list_items(self, rec: Record, node: list, stack: list[Record]) -> None:
        if len(node) != rec.n:
            raise _Cannot()
        for i in range(rec.n):
            self.list_item(rec, i, node[i], stack)

    def map_item(self, rec: Record, i: int, pair: list, stack: list[Record]) -> None:
        sm = self.sm
        idx = rec.base + i
        kind = sm.kind[idx]
        key, value = pair[0], pair[1]
        if kind == COMMENT:
            if not isinstance(key, Comment):
                raise _Cannot()
            self.comment(sm.comments[sm.vstart[idx]], key.text)
            return
        if isinstance(key, Comment):
            raise _Cannot()
        original = rec.values[i]
        if self.unchanged(value, original, kind, stack):
            return
        if kind == CONTAINER or isinstance(value, list):
            self.rewrite_pair(rec, i, pair)
            return
        self.scalar(rec, idx, kind, value, original)

    def list_item(self, rec: Record, i: int, value: Any, stack: list[Record]) -> None:
        sm = self.sm
        idx = rec.base + i
        kind = sm.kind[idx]
        if kind == COMMENT:
            pos = sm.comments[sm.vstart[idx]]
            if isinstance(value, Comment):
                self.comment(pos, value.text)
            elif is_token(value) and not rec.flow:
                self.comment_to_item(rec, i, pos, value)
            else:
                raise _Cannot()
            return
        original = rec.values[i]
        if self.unchanged(value, original, kind, stack):
            return
        if kind == CONTAINER or isinstance(value, list):
            raise _Cannot()
        if isinstance(value, Comment):
            # an encrypted list comment (``- ENC[...,type:comment]``) shown decrypted: a comment line again
            if not self.view or rec.flow:
                raise _Cannot()
            dash = self.dash_of(sm.vstart[idx])
            self.edits.append((dash, sm.vend[idx], "#" + value.text))
            return
        self.scalar(rec, idx, kind, value, original)

    def unchanged(self, value: Any, original: Any, kind: int, stack: list[Record]) -> bool:
        """Whether an item still holds the value it was read with (nothing to splice; a container of
        it goes on ``stack`` to be looked into)."""
        if value is not original:
            return False
        if kind == CONTAINER:
            child = self.sm.record_of(value)
            if child is None:
                raise _Cannot()
            stack.append(child)
        return True

    # --- leaves --------------------------------------------------------------------------------

    def scalar(self, rec: Record, idx: int, kind: int, value: Any, original: Any) -> None:
        sm, text = self.sm, self.text
        s, e = sm.vstart[idx], sm.vend[idx]
        if is_token(value):
            if kind == 1:
                if e - s == len(value) and text.startswith(value, s):
                    return
            elif kind in (2, 3) and e - s == len(value) + 2 and text.startswith(value, s + 1):
                return
            new = '"' + value + '"' if rec.flow else value
        elif not self.view and type(value) is type(original) and value == original and value == value:
            return  # the same value (a copy of it)
        else:
            if isinstance(value, Comment):
                raise _Cannot()
            eol = text.find("\n", e)
            rest = text[e:eol if eol >= 0 else len(text)]
            block_ok = not rec.flow and not rest.strip()
            new = render_scalar(value, rec.flow, self.content_column(rec, idx) if block_ok else -1)
        if kind == LITERAL or kind == FOLDED:
            j = e
            while j > s and text[j - 1] in " \t\r\n":
                j -= 1
            x = text.find("\n", j, e)
            if x >= 0:
                new += text[x:e]
        if s > 0 and text[s - 1] in ":-?":
            new = " " + new  # an empty value right after its indicator
        self.edits.append((s, e, new))

    def content_column(self, rec: Record, idx: int) -> int:
        """Where a literal block's lines go: past the key (mapping) or the dash (sequence)."""
        sm, text = self.sm, self.text
        if rec.pairs is not None:
            k = _column(text, sm.kstart[idx])
            return self.indent * ((k + self.indent) // self.indent)
        return _column(text, self.dash_of(sm.vstart[idx])) + 2

    def dash_of(self, pos: int) -> int:
        """The ``-`` of the block sequence entry whose value starts at ``pos``."""
        text = self.text
        j = pos - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        if j < 0 or text[j] != "-":
            raise _Cannot()
        return j

    def comment(self, pos: int, new: str) -> None:
        end = self.sm.comment_end(pos)
        if self.text[pos + 1:end] != new:
            self.edits.append((pos + 1, end, new))

    def comment_to_item(self, rec: Record, i: int, pos: int, token: str) -> None:
        """An encrypted comment of a block sequence: a ``- ENC[...]`` item on the comment's line.

        go-yaml may give a sequence a comment that sits, in the text, among the lines of the item
        before it (``- - a`` then ``  # c`` then ``  - b``: the comment is the outer sequence's); an
        item written there would cut that item in two, so the file is emitted instead.
        """
        self.structural = True
        if i > 0 and self.item_end(rec, i - 1) > pos:
            raise _Cannot()
        text = self.text
        start = _line_start(text, pos)
        column = _column(text, rec.start)
        end = self.sm.comment_end(pos)
        if not text[start:pos].strip():
            self.edits.append((start, end, " " * column + "- " + token))
            return
        # an inline comment (``- b # c``): sops puts it before its element, so its item goes on a
        # line of its own above the element's
        if text[start:start + column + 1] != " " * column + "-":
            raise _Cannot()
        cut = pos
        while cut > start and text[cut - 1] in " \t":
            cut -= 1
        self.edits.append((start, start, " " * column + "- " + token + "\n"))
        self.edits.append((cut, end, ""))

    # --- keys added, removed, rewritten ---------------------------------------------------------

    def item_end(self, rec: Record, i: int) -> int:
        """Where item ``i``'s content ends (its value's end, or its comment's)."""
        sm = self.sm
        idx = rec.base + i
        if sm.kind[idx] == COMMENT:
            return sm.comment_end(sm.comments[sm.vstart[idx]])
        return sm.vend[idx]

    def own_lines(self, rec: Record, i: int) -> tuple[int, int]:
        """The lines of a block mapping's item: from its key's line to the end of its value's."""
        sm, text = self.sm, self.text
        if rec.flow:
            raise _Cannot()
        idx = rec.base + i
        start = sm.kstart[idx]
        if sm.kind[idx] == COMMENT:
            start = sm.comments[sm.vstart[idx]]
        line = _line_start(text, start)
        if text[line:start].strip():
            raise _Cannot()  # not alone on its line (``- key: ...``)
        return line, _after_line(text, self.item_end(rec, i))

    def remove_item(self, rec: Record, i: int) -> None:
        self.structural = True
        start, end = self.own_lines(rec, i)
        self.edits.append((start, end, ""))

    def rewrite_pair(self, rec: Record, i: int, pair: list) -> None:
        self.structural = True
        if rec.flow:
            raise _Cannot()
        sm, text = self.sm, self.text
        idx = rec.base + i
        k = sm.kstart[idx]
        rendered = emit_documents([Mapping([[pair[0], pair[1]]])], self.indent).decode("utf-8", "surrogateescape")
        end = self.item_end(rec, i)
        while end > k and text[end - 1] in " \t\r\n":
            end -= 1  # a block scalar's span ends after its line breaks
        self.edits.append((k, end, _indented(rendered, _column(text, k))))

    def append_pairs(self, rec: Record, pairs: list[list], last_kept: int) -> None:
        self.structural = True
        if rec.flow or last_kept < 0:
            raise _Cannot()
        text = self.text
        column = self.mapping_column(rec)
        at = _after_line(text, self.item_end(rec, last_kept))
        rendered = emit_documents([Mapping([list(p) for p in pairs])], self.indent).decode("utf-8", "surrogateescape")
        lead = "\n" if at > 0 and text[at - 1] != "\n" else ""
        self.edits.append((at, at, lead + " " * column + _indented(rendered, column) + "\n"))


def _same(a: Any, b: Any) -> bool:
    return a is b
