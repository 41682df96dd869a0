"""YAML bytes -> sealfile documents, reading the file the way sops 3.11 does.

libyaml (ruamel's C extension) does the tokenising and parsing, which keeps
reading linear and fast.  Everything sops layers on top is reproduced here:
go-yaml v3 scalar typing (:mod:`.resolve`), anchors expanded into copies
(within go-yaml's alias budget, see :mod:`.limits`), ``<<`` kept as a
literal key, which documents are checked for duplicate keys and bad tags,
and which shapes are refused (the rules both readers share are in
:mod:`.policy`).  libyaml drops comments: in files with comments, the
fast reader notes where each item starts and :mod:`.placement` puts the
comments back when they are in a layout it knows; any other file goes
through :mod:`.comment_reader`, which replays go-yaml's comment
attribution over libyaml's tokens.

Non-string keys (``1:``, ``true:``, ``~:``) are kept as Python values; the
encrypt step refuses them (exit 23) as sops does.

Collections are built with an explicit stack, not recursion: sops accepts
10,000 nested block collections plus 10,000 flow ones.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ruamel.yaml import events as _ev
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import YAMLError

from ...core.tree import Mapping
from ...errors import ParseError
from .limits import MAX_DEPTH, AliasBudget, check_depth
from .policy import (ENCRYPTED, PLAIN, Policy, check_merge_value, check_root_scalar, complex_key_error, document_policy,
                     duplicate_key_error, is_merge_key, kind_of, recursive_anchor_error, root_error,
                     scalar_value, unknown_anchor_error, value_policy, yaml_error)

__all__ = ["read_documents", "read_without_comments", "read_placing_comments", "decode_text", "parser_source",
           "copy_tree", "PLAIN", "ENCRYPTED"]


#: byte order marks: UTF-16 (either order) and UTF-8
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def decode_text(data: bytes) -> str:
    """Bytes -> text as go-yaml reads them (UTF-8, or UTF-16 with a BOM); a leading BOM is dropped."""
    if data[:2] in _UTF16_BOMS:
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("yaml: invalid UTF-16 input") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("yaml: invalid leading UTF-8 octet") from None
    return text[1:] if text[:1] == "\ufeff" else text


def _shallow_copy(node: list) -> list:
    if isinstance(node, Mapping):
        return Mapping([[k, v] for k, v in node])
    return node[:]


def copy_tree(node: Any) -> Any:
    """A deep copy of a tree node (leaves are immutable and shared), at any depth.

    Each container is copied shallowly, then the containers inside the copy
    are replaced by their own copies from a stack: no recursion.
    """
    if not isinstance(node, list):
        return node
    root = _shallow_copy(node)
    stack = [root]
    while stack:
        copy = stack.pop()
        if isinstance(copy, Mapping):
            for pair in copy:
                value = pair[1]
                if isinstance(value, list):
                    pair[1] = value = _shallow_copy(value)
                    stack.append(value)
        else:
            for i, value in enumerate(copy):
                if isinstance(value, list):
                    copy[i] = value = _shallow_copy(value)
                    stack.append(value)
    return root


#: a ``#`` that may start a comment: after a blank or a break, and also right after the end of a token
#: (``'x'#c``, ``[x]#c``, ``{"a":#c``, a block scalar header ``|#c`` or ``|2-#c``), where go-yaml reads a comment
#: too; a ``#`` after any other character is inside a plain scalar (``a#b``)
_COMMENT_START = re.compile(r"(?:^|[ \t\r\n\x85\u2028\u2029'\"\[\]{},:]|[|>][0-9+-]{0,2})#")


def parser_source(text: str, data: bytes | None) -> str | bytes:
    """What libyaml is given for ``text``: the file's own bytes ``data`` when they are its BOM-less UTF-8.

    libyaml reads bytes where they are, while a str is first encoded into a
    copy as large as the file (200 MB for a 50 MB YAML file once encrypted);
    its marks count characters either way, so positions in ``text`` hold.
    """
    if data is not None and data[:3] != _UTF8_BOM and data[:2] not in _UTF16_BOMS:
        return data
    return text


def read_documents(text: str, mode: str, data: bytes | None = None) -> list[Mapping]:
    """Parse ``text`` into documents; raise ParseError like sops's YAML store.

    ``data``: the bytes ``text`` was decoded from (see :func:`parser_source`).

    Only a ``#`` that can start a comment makes comments matter; a ``#``
    inside a word (``a#b``) cannot.  Comments in common layouts are placed
    on the fast reader's tree (:func:`read_placing_comments`); any other
    layout goes to the slower go-yaml port, which places every comment
    as sops does.
    """
    if "#" in text and _COMMENT_START.search(text) is not None:
        docs = read_placing_comments(text, mode, data)
        if docs is not None:
            return docs
        from .comment_reader import read_with_comments  # loaded only for files with unusual comments

        return read_with_comments(text, mode)
    return read_without_comments(text, mode, data)


def read_placing_comments(text: str, mode: str, data: bytes | None = None) -> list[Mapping] | None:
    """The documents of ``text`` with their comments, read by the fast reader and placed by
    :mod:`.placement`; None when the layout of the comments needs the go-yaml port (which also
    reports the errors of a file with comments, as go-yaml would)."""
    from .placement import Marks, place

    marks = Marks()
    try:
        docs = _FastReader(text, mode, marks, data).run()
    except ParseError:
        return None
    return docs if place(text, docs, marks) else None


def read_without_comments(text: str, mode: str, data: bytes | None = None) -> list[Mapping]:
    """The documents of ``text`` read from libyaml's events, any comment in it dropped."""
    return _FastReader(text, mode, None, data).run()


_PENDING = object()
_NO_KEY = object()  # a mapping frame waiting for its next key (None is a valid key: ``~:``)


class _FastReader:
    """Builds documents straight from libyaml events (comments are not among them).

    With ``marks`` (a :class:`~.placement.Marks`) it also notes where each
    item of the tree starts, for :mod:`.placement` to put comments back.
    """

    def __init__(self, text: str, mode: str, marks: Any = None, data: bytes | None = None) -> None:
        self.text = text
        #: what libyaml reads (the file's bytes where they can stand for ``text``)
        self.source = parser_source(text, data)
        self.mode = mode
        self.marks = marks
        self.anchors: dict[str, Any] = {}
        #: decoded nodes go-yaml counts for an alias to each anchor (the anchored node, recursively)
        self.costs: dict[str, int] = {}
        self.depth_checked = False
        #: the last error came from reading the stream (go-yaml's parser), not from decoding it
        self.stream_failed = False

    def run(self) -> list[Mapping]:
        parser = CParser(self.source)
        docs: list[Mapping] = []
        try:
            get = parser.get_event
            event = get()  # stream start
            while True:
                event = get()
                cls = event.__class__
                if cls is _ev.StreamEndEvent:
                    break
                # DocumentStartEvent
                if self.marks is not None and (docs or event.explicit or event.version or event.tags):
                    self.marks.simple = False
                docs.append(self._checked_document(get, len(docs)))
        except YAMLError as exc:
            raise yaml_error(exc) from None
        finally:
            parser.dispose()
        return docs

    def _checked_document(self, get: Callable[[], Any], index: int) -> Mapping:
        """One document; its errors reported in the order go-yaml reports them.

        go-yaml builds a document's whole node tree before decoding it, so a
        syntax error, an unknown anchor or too deep a nesting anywhere in the
        document wins over a duplicate key, a bad merge or a root that is
        not a mapping, even when those come first in the text.  This reader
        decodes as it reads: after such an error, the stream is read again
        for the errors that come first in go-yaml.
        """
        try:
            return self._document(get, index)
        except ParseError:
            if not self.stream_failed:
                self._raise_node_builder_error(index)
            raise

    def _raise_node_builder_error(self, index: int) -> None:
        """Read the stream up to the end of document ``index`` as go-yaml's node builder does,
        raising what it refuses: syntax errors, aliases to anchors not defined yet (an anchor is
        defined from the start of its node), nesting past go-yaml's limits."""
        parser = CParser(self.source)
        known: set[str] = set()
        depth = documents = 0
        try:
            get = parser.get_event
            while True:
                event = get()
                cls = event.__class__
                if cls is _ev.AliasEvent:
                    if event.anchor not in known:
                        raise unknown_anchor_error()
                    continue
                if cls is _ev.MappingStartEvent or cls is _ev.SequenceStartEvent:
                    depth += 1
                    if depth >= MAX_DEPTH:
                        self._check_depth()
                elif cls is _ev.MappingEndEvent or cls is _ev.SequenceEndEvent:
                    depth -= 1
                elif cls is _ev.DocumentEndEvent:
                    if documents == index:
                        return
                    documents += 1
                elif cls is _ev.StreamEndEvent:
                    return
                anchor = getattr(event, "anchor", None)
                if anchor is not None:
                    known.add(anchor)
        except YAMLError as exc:
            raise yaml_error(exc) from None
        finally:
            parser.dispose()

    def _document(self, get: Callable[[], Any], index: int) -> Mapping:
        mode = self.mode
        policy = document_policy(index, mode)
        budget = AliasBudget()  # go-yaml decodes (and counts) each document on its own
        budget.count()  # the document node
        event = get()
        cls = event.__class__
        if cls is _ev.MappingStartEvent:
            doc = self._collection(get, event, policy, budget)
        elif cls is _ev.ScalarEvent:
            check_root_scalar(index, event.value, event.tag, bool(event.style), event.start_mark.line + 1)
            doc = Mapping()
        elif cls is _ev.AliasEvent:
            value = self._alias(event, budget)
            if isinstance(value, Mapping):
                doc = value
            elif value is None:
                doc = Mapping()
            else:
                raise root_error(index, kind_of(value))
        else:
            raise root_error(index, "seq")
        if get().explicit and self.marks is not None:  # document end (``...``)
            self.marks.simple = False
        return doc

    def _alias(self, event: Any, budget: AliasBudget) -> Any:
        """A copy of the anchored value, once go-yaml's alias budget allows its expansion."""
        name = event.anchor
        if name not in self.anchors:
            self.stream_failed = True  # go-yaml's node builder refuses it, before any decoding
            raise unknown_anchor_error()
        value = self.anchors[name]
        if value is _PENDING:
            raise recursive_anchor_error()
        budget.add_alias(self.costs[name])
        return copy_tree(value)

    def _alias_key(self, event: Any, seen: set | None, budget: AliasBudget) -> Any:
        """A mapping key that is an alias (scalar keys are read inline in :meth:`_collection`)."""
        key = self._alias(event, budget)
        if isinstance(key, (Mapping, list)):
            raise complex_key_error(event.start_mark.line + 1)
        if seen is not None:
            ident = ("a", event.anchor)
            if ident in seen:
                raise duplicate_key_error(event.start_mark.line + 1)
            seen.add(ident)
        return key

    def _check_depth(self) -> None:
        """More than 10,000 collections are open: go-yaml may object, its token counts decide.

        go-yaml limits block and flow nesting separately (and an indentless
        list does not count), so only the tokens can tell; they are read once,
        for the whole stream, the first time a document gets this deep.
        """
        if not self.depth_checked:
            self.stream_failed = True  # a scanner error, if check_depth raises
            check_depth(self.text)
            self.stream_failed = False
            self.depth_checked = True

    def _collection(self, get: Callable[[], Any], start: Any, policy: Policy, budget: AliasBudget) -> Any:
        """The document's root mapping that ``start`` opens, built event by event.

        The event loop is the hot path of every file without comments, so the
        collection being read lives in local variables; its ancestors wait on
        ``parents`` as tuples of the same variables (an explicit stack: any
        depth).  Nodes are counted in ``pending`` and added to the budget
        before anything reads it: an alias, an anchored collection, or the
        count at which the budget must be checked next.  With marks
        (``rec``), every item's start, the collections and the spans of quoted
        and block scalars are noted on the way (see :class:`~.placement.Marks`).
        """
        anchors, costs = self.anchors, self.costs
        ScalarEvent, AliasEvent = _ev.ScalarEvent, _ev.AliasEvent
        MappingStartEvent, SequenceStartEvent = _ev.MappingStartEvent, _ev.SequenceStartEvent
        MappingEndEvent, SequenceEndEvent = _ev.MappingEndEvent, _ev.SequenceEndEvent
        parents: list[tuple] = []
        # the collection being read (the document's root mapping first)
        out: list = Mapping()
        append = out.append
        is_map = want_key = is_top = True
        key: Any = None
        merge = False
        strict = vstrict = policy.strict  # keys (and merge checks) / the next value's scalars
        vpol = policy
        seen: set | None = set() if policy.dups else None
        anchor, start_count = start.anchor, 0
        marks = self.marks
        rec = marks is not None
        if rec:
            starts, conts, poss, spans = marks.starts, marks.conts, marks.poss, marks.spans
            marks.open(out, start, None)
            if anchor is not None or start.tag is not None:
                marks.simple = False
        budget.count()
        if anchor is not None:
            start_count = budget.decoded - 1
            anchors[anchor] = _PENDING
        pending = 0
        room = budget.next_check - budget.decoded  # nodes that may pass before the budget's next check
        while True:
            event = get()
            cls = event.__class__
            if cls is ScalarEvent:
                pending += 1
                if pending >= room:
                    budget.decoded += pending
                    pending = 0
                    budget.check()
                    room = budget.next_check - budget.decoded
                if rec:
                    if event.style:
                        spans.append(event.start_mark.index)
                        spans.append(event.end_mark.index)
                    if event.anchor is not None or event.tag is not None:
                        marks.simple = False
                    if want_key or not is_map:
                        starts.append(event.start_mark.index)
                        conts.append(out)
                        poss.append(len(out))
                if want_key:
                    raw = event.value
                    quoted = bool(event.style)
                    merge = is_merge_key(raw, event.tag, quoted)
                    key = scalar_value(raw, event.tag, quoted, strict, event.start_mark.line + 1)
                    if event.anchor is not None:
                        anchors[event.anchor] = key
                        costs[event.anchor] = 1
                    if seen is not None:
                        ident = ("s", raw)
                        if ident in seen:
                            raise duplicate_key_error(event.start_mark.line + 1)
                        seen.add(ident)
                    vpol = value_policy(policy, is_top, key)
                    vstrict = vpol.strict
                    want_key = False
                    continue
                value = scalar_value(event.value, event.tag, bool(event.style), vstrict,
                                     event.start_mark.line + 1)
                if event.anchor is not None:
                    anchors[event.anchor] = value
                    costs[event.anchor] = 1
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if want_key:
                    raise complex_key_error(event.start_mark.line + 1)
                parents.append((out, is_map, key, merge, policy, vpol, is_top, seen, anchor, start_count))
                if len(parents) >= MAX_DEPTH:
                    self._check_depth()
                policy = vpol
                strict = vstrict = policy.strict
                is_map = want_key = cls is MappingStartEvent
                parent = out
                out = Mapping() if is_map else []
                append = out.append
                seen = set() if is_map and policy.dups else None
                key, merge, is_top = None, False, False
                pending += 1
                anchor = event.anchor
                if rec:
                    if not parents[-1][1]:  # an item of a sequence
                        starts.append(event.start_mark.index)
                        conts.append(parent)
                        poss.append(len(parent))
                    marks.open(out, event, parent)
                    if anchor is not None or event.tag is not None:
                        marks.simple = False
                if anchor is not None or pending >= room:
                    budget.decoded += pending
                    pending = 0
                    budget.check()
                    room = budget.next_check - budget.decoded
                    if anchor is not None:
                        start_count = budget.decoded - 1
                        anchors[anchor] = _PENDING
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                value = out
                if rec:
                    marks.close(event)
                if anchor is not None:
                    budget.decoded += pending
                    pending = 0
                    room = budget.next_check - budget.decoded
                    anchors[anchor] = value
                    costs[anchor] = budget.decoded - start_count
                if not parents:
                    budget.decoded += pending
                    return value
                out, is_map, key, merge, policy, vpol, is_top, seen, anchor, start_count = parents.pop()
                append = out.append
                strict, vstrict = policy.strict, vpol.strict
                want_key = False  # the parent was waiting for this value
            else:  # an alias
                if rec:
                    marks.simple = False
                budget.decoded += pending
                pending = 0
                if want_key:
                    key = self._alias_key(event, seen, budget)
                    merge = False
                    vpol = value_policy(policy, is_top, key)
                    vstrict = vpol.strict
                    want_key = False
                    room = budget.next_check - budget.decoded
                    continue
                value = self._alias(event, budget)
                room = budget.next_check - budget.decoded
            if is_map:
                if merge and strict:
                    check_merge_value(value, cls is AliasEvent)
                append([key, value])
                want_key = True
            else:
                append(value)
