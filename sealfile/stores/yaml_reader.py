"""YAML bytes -> sealfile documents, reading the file the way sops 3.11 does.

libyaml (ruamel's C extension) does the tokenising and parsing, which keeps
reading linear and fast.  Everything sops layers on top is reproduced here:
go-yaml v3 scalar typing (:mod:`.yaml_resolve`), anchors expanded into
copies, ``<<`` kept as a literal key, which documents are checked for
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
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ruamel.yaml import events as _ev
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scanner import ScannerError

from ..errors import ParseError
from ..tree import Comment, Mapping
from .yaml_resolve import MERGE, ResolveError, decode_scalar, short_tag

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


def copy_tree(node: Any) -> Any:
    """A deep copy of a tree node (leaves are immutable and shared)."""
    if isinstance(node, Mapping):
        return Mapping([[k, copy_tree(v)] for k, v in node])
    if isinstance(node, list):
        return [copy_tree(v) for v in node]
    return node


_COMMENT_START = re.compile(r"(?:^|[ \t\r\n\x85\u2028\u2029])#")


def read_documents(text: str, mode: str) -> list[Mapping]:
    """Parse ``text`` into documents; raise ParseError like sops's YAML store."""
    try:
        if "#" in text and _COMMENT_START.search(text) is not None:
            from .yaml_goparse import read_with_comments

            return read_with_comments(text, mode)
        return _FastReader(text, mode).run()
    except RecursionError:
        raise ParseError("yaml: the document is nested too deeply") from None


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


class _FastReader:
    """Builds documents straight from libyaml events (inputs without any ``#``)."""

    def __init__(self, text: str, mode: str) -> None:
        self.text = text
        self.mode = mode
        self.anchors: dict[str, Any] = {}

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
        event = get()
        cls = event.__class__
        if cls is _ev.MappingStartEvent:
            doc = self._mapping(get, event, policy, True)
        elif cls is _ev.ScalarEvent:
            value = scalar_value(event.value, event.tag, bool(event.style), policy.strict,
                                 event.start_mark.line + 1)
            if value is not None:
                raise root_error(index, kind_of(value))
            doc = Mapping()
        elif cls is _ev.AliasEvent:
            value = self._alias(event)
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

    def _alias(self, event: Any) -> Any:
        name = event.anchor
        if name not in self.anchors:
            raise ParseError("yaml: unknown anchor referenced")
        value = self.anchors[name]
        if value is _PENDING:
            raise ParseError("yaml: anchor value contains itself")
        return copy_tree(value)

    def _mapping(self, get: Callable[[], Any], start: Any, policy: _Policy, is_top: bool) -> Mapping:
        anchor = start.anchor
        if anchor is not None:
            self.anchors[anchor] = _PENDING
        out = Mapping()
        append = out.append
        seen: set | None = set() if policy.dups else None
        strict = policy.strict
        ScalarEvent, MappingEndEvent = _ev.ScalarEvent, _ev.MappingEndEvent
        while True:
            event = get()
            cls = event.__class__
            if cls is MappingEndEvent:
                break
            # ---- key
            if cls is ScalarEvent:
                raw = event.value
                quoted = bool(event.style)
                merge = is_merge_key(raw, event.tag, quoted)
                key = scalar_value(raw, event.tag, quoted, strict, event.start_mark.line + 1)
                ident: tuple = ("s", raw)
                if event.anchor is not None:
                    self.anchors[event.anchor] = key
            elif cls is _ev.AliasEvent:
                key = self._alias(event)
                if isinstance(key, (Mapping, list)):
                    raise ParseError(f"yaml: line {event.start_mark.line + 1}: complex keys are not supported")
                merge = False
                ident = ("a", event.anchor)
            else:
                raise ParseError(f"yaml: line {event.start_mark.line + 1}: complex keys are not supported")
            if seen is not None:
                if ident in seen:
                    raise ParseError(f"yaml: unmarshal errors: line {event.start_mark.line + 1}: "
                                     "mapping key already defined")
                seen.add(ident)
            # ---- value
            vpol = value_policy(policy, is_top, key)
            event = get()
            cls = event.__class__
            if cls is ScalarEvent:
                value = scalar_value(event.value, event.tag, bool(event.style), vpol.strict,
                                     event.start_mark.line + 1)
                if event.anchor is not None:
                    self.anchors[event.anchor] = value
            else:
                value = self._node(get, event, vpol)
            if merge and strict:
                check_merge_value(value, cls is _ev.AliasEvent)
            append([key, value])
        if anchor is not None:
            self.anchors[anchor] = out
        return out

    def _sequence(self, get: Callable[[], Any], start: Any, policy: _Policy) -> list:
        anchor = start.anchor
        if anchor is not None:
            self.anchors[anchor] = _PENDING
        out: list = []
        append = out.append
        strict = policy.strict
        ScalarEvent, SequenceEndEvent = _ev.ScalarEvent, _ev.SequenceEndEvent
        while True:
            event = get()
            cls = event.__class__
            if cls is SequenceEndEvent:
                break
            if cls is ScalarEvent:
                value = scalar_value(event.value, event.tag, bool(event.style), strict,
                                     event.start_mark.line + 1)
                if event.anchor is not None:
                    self.anchors[event.anchor] = value
                append(value)
            else:
                append(self._node(get, event, policy))
        if anchor is not None:
            self.anchors[anchor] = out
        return out

    def _node(self, get: Callable[[], Any], event: Any, policy: _Policy) -> Any:
        cls = event.__class__
        if cls is _ev.MappingStartEvent:
            return self._mapping(get, event, policy, False)
        if cls is _ev.SequenceStartEvent:
            return self._sequence(get, event, policy)
        if cls is _ev.AliasEvent:
            return self._alias(event)
        value = scalar_value(event.value, event.tag, bool(event.style), policy.strict,
                             event.start_mark.line + 1)
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        return value
