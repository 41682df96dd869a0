"""YAML bytes -> sealfile documents, reading the file the way sops 3.11 does.

libyaml (ruamel's C extension) does the tokenising and parsing, which keeps
reading linear and fast.  Everything sops layers on top is reproduced here:
go-yaml v3 scalar typing (:mod:`.yaml_resolve`), anchors expanded into
copies (within go-yaml's alias budget, see :mod:`.yaml_limits`), ``<<`` kept
as a literal key, which documents are checked for
duplicate keys and bad tags, and which shapes are refused.  libyaml drops
comments, so files containing ``#`` go through :mod:`.yaml_goparse`, which
replays go-yaml's comment attribution over libyaml's tokens.

Strictness mirrors sops: ``sops encrypt`` first decodes the first document
into a Go map (duplicate keys at any depth, undecodable tagged scalars and
bad merge values are errors there), while later documents and encrypted
files are only walked as nodes (a scalar that fails to decode becomes null).
An encrypted file's first document is checked for duplicate top-level keys
and its ``sops`` block strictly, as sops's metadata decoding does.
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
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scanner import ScannerError

from ...errors import ParseError
from ...core.tree import Comment, Mapping
from .limits import MAX_DEPTH, AliasBudget, check_depth
from .resolve import MERGE, ResolveError, decode_scalar, short_tag

__all__ = ["read_documents", "decode_text", "copy_tree", "PLAIN", "ENCRYPTED"]

PLAIN, ENCRYPTED = "plain", "encrypted"


def decode_text(data: bytes) -> str:
    """Bytes -> text as go-yaml reads them (UTF-8, or UTF-16 with a BOM); a leading BOM is dropped."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("yaml: invalid UTF-16 input") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("yaml: invalid leading UTF-8 octet") from None
    return text[1:] if text[:1] == "\ufeff" else text


def yaml_error(exc: YAMLError) -> ParseError:
    """A libyaml error worded like go-yaml's (``yaml: line N: problem``), without file content."""
    if not isinstance(exc, MarkedYAMLError):
        return ParseError("yaml: unknown problem parsing YAML content")
    bump = 1 if isinstance(exc, ScannerError) else 0
    line = 0
    if exc.context_mark is not None and exc.context_mark.line != 0:
        line = exc.context_mark.line + bump
    elif exc.problem_mark is not None and exc.problem_mark.line != 0:
        line = exc.problem_mark.line + bump
    where = f"line {line}: " if line else ""
    return ParseError(f"yaml: {where}{exc.problem or 'unknown problem parsing YAML content'}")


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


_COMMENT_START = re.compile(r"(?:^|[ \t\r\n\x85\u2028\u2029])#")


def read_documents(text: str, mode: str) -> list[Mapping]:
    """Parse ``text`` into documents; raise ParseError like sops's YAML store."""
    if "#" in text and _COMMENT_START.search(text) is not None:
        from .goparse import read_with_comments

        return read_with_comments(text, mode)
    return _FastReader(text, mode).run()


class _Policy:
    """How strictly one container is checked (see the module docstring).

    ``dups``: duplicate keys are an error; ``strict``: a scalar that cannot be
    decoded is an error (otherwise it becomes null, as in sops's node walk).
    """

    __slots__ = ("dups", "strict")

    def __init__(self, dups: bool, strict: bool) -> None:
        self.dups = dups
        self.strict = strict


STRICT = _Policy(True, True)
LENIENT = _Policy(False, False)
TOP_ONLY = _Policy(True, False)  # an encrypted file's first document: only its top level and sops block


def document_policy(index: int, mode: str) -> _Policy:
    if index > 0:
        return LENIENT
    return STRICT if mode == PLAIN else TOP_ONLY


def value_policy(parent: _Policy, is_top: bool, key: Any) -> _Policy:
    """The policy for the value of ``key`` in a mapping checked with ``parent``."""
    if parent is TOP_ONLY:
        return STRICT if (is_top and key == "sops") else LENIENT
    return parent


def scalar_value(value: str, tag: str | None, quoted: bool, strict: bool, line: int) -> Any:
    """Decode one scalar; a decoding failure is an error only under a strict policy."""
    stag = short_tag(tag)
    if stag == "!":
        stag = ""
    try:
        return decode_scalar(value, stag, quoted)
    except ResolveError as exc:
        if strict:
            raise ParseError(f"yaml: line {line}: {exc}") from None
        return None


def is_merge_key(value: str, tag: str | None, quoted: bool) -> bool:
    stag = short_tag(tag)
    return value == "<<" and ((not quoted and stag in ("", "!")) or stag == MERGE)


def check_merge_value(value: Any, aliased: bool = False) -> None:
    """go-yaml's check when a first document is decoded: ``<<`` needs a map or a list of maps.

    An alias must point at a map itself (an alias to a list of maps is refused).
    """
    if isinstance(value, Mapping):
        return
    if aliased:
        raise ParseError("yaml: map merge requires map or sequence of maps as the value")
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value if not isinstance(v, Comment)):
        return
    raise ParseError("yaml: map merge requires map or sequence of maps as the value")


def root_error(index: int, kind: str) -> ParseError:
    """A document that is not a mapping, worded as sops words it for the first and later ones."""
    if index == 0:
        return ParseError(f"yaml: unmarshal errors: cannot unmarshal !!{kind} into a mapping")
    if kind == "seq":
        return ParseError("YAML documents that are sequences are not supported")
    return ParseError("YAML documents that are values are not supported")


def kind_of(value: Any) -> str:
    """The YAML tag name of a decoded root value, for :func:`root_error`."""
    if isinstance(value, list):
        return "seq"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str" if isinstance(value, str) else "timestamp"

_PENDING = object()
_NO_KEY = object()  # a mapping frame waiting for its next key (None is a valid key: ``~:``)


class _FastReader:
    """Builds documents straight from libyaml events (inputs without any ``#``)."""

    def __init__(self, text: str, mode: str) -> None:
        self.text = text
        self.mode = mode
        self.anchors: dict[str, Any] = {}
        #: decoded nodes go-yaml counts for an alias to each anchor (the anchored node, recursively)
        self.costs: dict[str, int] = {}
        self.depth_checked = False

    def run(self) -> list[Mapping]:
        parser = CParser(self.text)
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
                docs.append(self._document(get, len(docs)))
        except YAMLError as exc:
            raise yaml_error(exc) from None
        finally:
            parser.dispose()
        return docs

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
            value = scalar_value(event.value, event.tag, bool(event.style), policy.strict,
                                 event.start_mark.line + 1)
            if value is not None:
                raise root_error(index, kind_of(value))
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
        get()  # document end
        return doc

    def _alias(self, event: Any, budget: AliasBudget) -> Any:
        """A copy of the anchored value, once go-yaml's alias budget allows its expansion."""
        name = event.anchor
        if name not in self.anchors:
            raise ParseError("yaml: unknown anchor referenced")
        value = self.anchors[name]
        if value is _PENDING:
            raise ParseError("yaml: anchor value contains itself")
        budget.add_alias(self.costs[name])
        return copy_tree(value)

    def _alias_key(self, event: Any, seen: set | None, budget: AliasBudget) -> Any:
        """A mapping key that is an alias (scalar keys are read inline in :meth:`_collection`)."""
        key = self._alias(event, budget)
        if isinstance(key, (Mapping, list)):
            raise ParseError(f"yaml: line {event.start_mark.line + 1}: complex keys are not supported")
        if seen is not None:
            ident = ("a", event.anchor)
            if ident in seen:
                raise ParseError(f"yaml: unmarshal errors: line {event.start_mark.line + 1}: "
                                 "mapping key already defined")
            seen.add(ident)
        return key

    def _check_depth(self) -> None:
        """More than 10,000 collections are open: go-yaml may object, its token counts decide.

        go-yaml limits block and flow nesting separately (and an indentless
        list does not count), so only the tokens can tell; they are read once,
        for the whole stream, the first time a document gets this deep.
        """
        if not self.depth_checked:
            check_depth(self.text)
            self.depth_checked = True

    def _collection(self, get: Callable[[], Any], start: Any, policy: _Policy, budget: AliasBudget) -> Any:
        """The document's root mapping that ``start`` opens, built event by event.

        The event loop is the hot path of every file without comments, so the
        collection being read lives in local variables; its ancestors wait on
        ``parents`` as tuples of the same variables (an explicit stack: any
        depth).  Nodes are counted in ``pending`` and added to the budget
        before anything reads it: an alias, an anchored collection, or the
        count at which the budget must be checked next.
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
                            raise ParseError(f"yaml: unmarshal errors: line {event.start_mark.line + 1}: "
                                             "mapping key already defined")
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
                    raise ParseError(f"yaml: line {event.start_mark.line + 1}: complex keys are not supported")
                parents.append((out, is_map, key, merge, policy, vpol, is_top, seen, anchor, start_count))
                if len(parents) >= MAX_DEPTH:
                    self._check_depth()
                policy = vpol
                strict = vstrict = policy.strict
                is_map = want_key = cls is MappingStartEvent
                out = Mapping() if is_map else []
                append = out.append
                seen = set() if is_map and policy.dups else None
                key, merge, is_top = None, False, False
                pending += 1
                anchor = event.anchor
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
