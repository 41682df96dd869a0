"""The JSON store: sops's token-based reader and its ``json.Indent`` writer (docs/sops-format.md §5.5).

Reading uses the C-accelerated stdlib decoder with ``object_pairs_hook`` so
key order and duplicate keys survive (sops keeps ``{"a":1,"a":2}`` as two
items).  Numbers follow sops 3.11's output: every JSON number was a float64
there, so integers become ``int`` only while a float64 holds them exactly
(|n| < 2^53, identical plaintext bytes in 3.11 and 3.13); larger integers and
``-0`` become floats, which is how ``9007199254740993`` decrypts to ``…992``.

Writing reproduces Go's ``encoding/json`` byte for byte: HTML-safe escaping,
``\\ufffd`` for invalid UTF-8, ES6 float formatting and ``json.Indent`` layout.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, ClassVar

from .json_decode import MAX_DEPTH, raw_decode
from .base import StoreDefaults
from ..errors import EmitError, MetadataError, MetadataNotFound, ParseError
from ..core.gofmt import format_json
from ..core.tree import Comment, Mapping, Timestamp
from .storable import single_document

__all__ = ["JsonStore", "decode_go_utf8", "parse_object", "encode_json", "go_json_bytes", "indent_unit"]

#: the stand-ins ``surrogateescape`` decodes undecodable bytes to (U+DC80..U+DCFF, one per byte); this and
#: :data:`_SURROGATES` are compiled on first use (through ``re``'s cache), as few files need them
_ESCAPED_BYTES = "[\udc80-\udcff]"


def decode_go_utf8(data: bytes) -> str:
    """Text of ``data`` with invalid UTF-8 replaced the way Go's JSON decoder does.

    Go replaces each byte of an invalid sequence by its own U+FFFD, where
    Python's ``replace`` handler gives one U+FFFD per maximal invalid
    subpart.  The built-in ``surrogateescape`` handler maps each
    undecodable byte to one lone surrogate (which valid UTF-8 never decodes
    to), so replacing those gives Go's text: two linear passes, and no
    error handler registered for the whole process.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return re.sub(_ESCAPED_BYTES, "\ufffd", data.decode("utf-8", "surrogateescape"))


# ---------------------------------------------------------------------------
# reading

_EXACT_INT_LIMIT = 2**53
#: the start of an object whose first member's value is a string, up to that string's opening quote
_FIRST_STRING_MEMBER = re.compile(rb'[ \t\n\r]*\{[ \t\n\r]*"([^"\\]*)"[ \t\n\r]*:[ \t\n\r]*"')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATES = "[\ud800-\udfff]"
_JSON_SPACE = " \t\n\r"


def _pairs(pairs: list[tuple[str, Any]]) -> Mapping:
    return Mapping([[k, v] for k, v in pairs])


def _parse_int(text: str) -> int | float:
    if len(text) < 16:  # below 10^15 < 2^53: exact as float64, so keep an int
        return -0.0 if text == "-0" else int(text)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ParseError("a JSON number is out of the float64 range")
    if len(text) < 20 and -_EXACT_INT_LIMIT < int(text) < _EXACT_INT_LIMIT:
        return int(text)
    return value  # sops 3.11 read every number as float64


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ParseError("a JSON number is out of the float64 range")
    return value


def _reject_constant(text: str) -> Any:
    raise ParseError("NaN and Infinity are not valid JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs,
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_reject_constant,
)


def _fix_surrogates(node: Any) -> Any:
    """Go decodes an unpaired ``\\udXXX`` escape to U+FFFD; Python keeps the lone surrogate.

    Fixes containers in place, visiting them with an explicit stack (any depth).
    """
    if isinstance(node, str):
        return re.sub(_SURROGATES, "\ufffd", node)
    surrogates = re.compile(_SURROGATES)
    stack = [node]
    while stack:
        container = stack.pop()
        if isinstance(container, Mapping):
            for pair in container:
                for i in (0, 1):
                    value = pair[i]
                    if isinstance(value, str):
                        pair[i] = surrogates.sub("\ufffd", value)
                    elif isinstance(value, list):
                        stack.append(value)
        elif isinstance(container, list):
            for i, value in enumerate(container):
                if isinstance(value, str):
                    container[i] = surrogates.sub("\ufffd", value)
                elif isinstance(value, list):
                    stack.append(value)
    return node


def parse_object(data: bytes, *, strict: bool) -> Mapping:
    """The top-level JSON object of ``data``.

    sops reads plaintext with a streaming decoder that stops after the closing
    brace (trailing text is ignored); encrypted files go through
    ``json.Unmarshal`` first, which rejects it (``strict``).
    """
    text = decode_go_utf8(data)
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    if start == len(text):
        raise ParseError("the JSON input is empty")
    if text[start] != "{":
        raise ParseError("the JSON top level must be an object")
    try:
        obj, end = raw_decode(_DECODER, text, start)  # Go's depth limit: 10,000 levels
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if strict and text[end:].strip(_JSON_SPACE):
        raise ParseError("invalid JSON: extra data after the top-level object")
    if _SURROGATE_ESCAPE.search(text):
        _fix_surrogates(obj)
    return obj


# ---------------------------------------------------------------------------
# writing

_quote = json.encoder.encode_basestring  # Go's escapes for '"', '\\' and controls (\b \f since Go 1.22)
_HTML = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def indent_unit(indent: int | None) -> str:
    """sops's ``stores.json.indent``: absent or -1 is a tab, N is N spaces."""
    if indent is None or indent == -1:
        return "\t"
    if indent < -1:
        raise EmitError("JSON indentation smaller than -1 is not accepted")
    return " " * indent


def _scalar(node: Any) -> str:
    if node is None:
        return "null"
    if node is True:
        return "true"
    if node is False:
        return "false"
    if isinstance(node, int):
        return str(node)
    if isinstance(node, float):
        try:
            return format_json(node)
        except ValueError:
            raise EmitError("JSON cannot represent the float values Inf and NaN") from None
    if isinstance(node, Timestamp):
        return '"' + node.rfc3339() + '"'
    raise EmitError(f"cannot encode a value of type {type(node).__name__} as JSON")


def encode_json(node: Any, indent: str | None) -> str:
    """Go's encoding of a tree node: ``json.Indent`` layout with ``indent``, or compact when None.

    Comments are dropped (JSON has none).  The result has no trailing newline.
    Open containers wait on an explicit stack; deeper than Go's 10,000 levels
    fails as sops fails (its ``json.Indent`` refuses to go deeper).
    """
    parts: list[str] = []
    append = parts.append
    colon = ":" if indent is None else ": "
    unit = indent or ""
    # one frame per open container: [items, next index, separator, closing text, is an object, its items' nl]
    stack: list[list[Any]] = []
    value = node
    nl: str | None = None if indent is None else "\n"
    while True:
        if isinstance(value, str):
            append(_quote(value))
        elif isinstance(value, list) or isinstance(value, dict):
            if len(stack) >= MAX_DEPTH:
                raise EmitError(f"Error marshaling to json: exceeded max depth of {MAX_DEPTH}")
            frame = _open_container(value, nl, unit, append)
            if frame is not None:
                stack.append(frame)
        else:
            append(_scalar(value))
        # the next value to write, closing every container that is complete
        while stack:
            frame = stack[-1]
            items, i = frame[0], frame[1]
            if i == len(items):
                append(frame[3])
                stack.pop()
                continue
            if i:
                append(frame[2])
            frame[1] = i + 1
            if frame[4]:
                k, value = items[i]
                if not isinstance(k, str):
                    raise EmitError("JSON object keys must be strings")
                append(_quote(k))
                append(colon)
            else:
                value = items[i]
            nl = frame[5]
            break
        else:
            break
    out = "".join(parts)
    for char, escape in _HTML:
        if char in out:
            out = out.replace(char, escape)
    return out


def _open_container(value: Any, nl: str | None, unit: str, append: Callable[[str], None]) -> list[Any] | None:
    """Write an object's or array's opening (or all of an empty one); its frame, or None if empty."""
    if isinstance(value, dict):  # plain dicts from callers building metadata by hand
        value = Mapping([[k, v] for k, v in value.items()])
    is_object = isinstance(value, Mapping)
    if is_object:
        items = [(k, v) for k, v in value if not isinstance(k, Comment)]
    else:
        items = [v for v in value if not isinstance(v, Comment)]
    if not items:
        append("{}" if is_object else "[]")
        return None
    inner = None if nl is None else nl + unit
    opening, closing = ("{", "}") if is_object else ("[", "]")
    append(opening if inner is None else opening + inner)
    return [items, 0, "," if inner is None else "," + inner, closing if nl is None else nl + closing,
            is_object, inner]


def go_json_bytes(text: str) -> bytes:
    """UTF-8 bytes; invalid bytes (lone surrogates) only occur inside strings and become ``\\ufffd``."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return re.sub(_SURROGATES, r"\\ufffd", text).encode("utf-8")


# ---------------------------------------------------------------------------


class JsonStore(StoreDefaults):
    """JSON files; the metadata is a ``"sops"`` object appended as the last key."""

    name = "json"
    config_section: ClassVar[str] = "json"
    options: ClassVar[frozenset[str]] = frozenset({"indent"})
    json_metadata: ClassVar[bool] = True
    json_envelope: ClassVar[bool] = True
    metadata_layout: ClassVar[bool] = True
    opaque: ClassVar[bool] = False
    example: ClassVar[bytes] = (
        '{\n\t"hello": "Welcome to SOPS! Edit this file as you please!",\n\t"example_key": "example_value",\n'
        '\t"example_array": [\n\t\t"example_value1",\n\t\t"example_value2"\n\t],\n'
        '\t"example_number": 1234.56789,\n\t"example_booleans": [\n\t\ttrue,\n\t\tfalse\n\t]\n}').encode()

    def __init__(self, indent: int | None = None) -> None:
        self.indent = indent

    def load_plain(self, data: bytes) -> list[Mapping]:
        return [parse_object(data, strict=False)]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], Mapping]:
        doc = parse_object(data, strict=True)
        metadata: Mapping | None = None
        for key, value in doc:
            if key != "sops":
                continue
            # json.Unmarshal decodes a repeated key into the same struct: fields
            # merge, and a null resets the pointer.
            if value is None:
                metadata = None
            elif not isinstance(value, Mapping):
                raise MetadataError("the sops metadata is not a JSON object")
            elif metadata is None:
                metadata = Mapping([list(p) for p in value])
            else:
                for k, v in value:
                    metadata.set(k, v)
        if metadata is None:
            raise MetadataNotFound("sops metadata not found")
        body = Mapping([pair for pair in doc if pair[0] != "sops"])
        return [body], metadata

    def dump_plain(self, docs: list[Mapping]) -> bytes:
        if not docs:
            raise EmitError("there is no document to write")
        return go_json_bytes(encode_json(docs[0], indent_unit(self.indent)) + "\n")

    def dump_encrypted(self, docs: list[Mapping], metadata: Mapping) -> bytes:
        if not docs:
            raise EmitError("there is no document to write")
        doc = Mapping(list(docs[0]))
        doc.append(["sops", metadata])
        return self.dump_plain([doc])

    def key_lines(self, data: bytes) -> dict[tuple, int]:
        """JSON is YAML to libyaml, which gives the lines (tabs included)."""
        from .yaml.lines import key_lines

        return key_lines(data.decode("utf-8", "replace"))

    def check_storable(self, docs: list[Mapping]) -> None:
        """One document only: JSON has no document separator."""
        single_document(docs, "JSON")

    def reconcile_edit(self, edited: list[Mapping], original: list[Mapping]) -> None:
        """Unchanged numbers keep the float type sops 3.11 encrypted them with (see :mod:`.json_numbers`)."""
        from .json_numbers import keep_float_types

        for new_doc, old_doc in zip(edited, original):
            keep_float_types(new_doc, old_doc)

    def dump_value(self, node: Any) -> bytes:
        """sops prints an extracted map as a document, anything else without a newline."""
        if isinstance(node, Mapping):
            return self.dump_plain([node])
        if isinstance(node, str):
            return node.encode("utf-8", "surrogateescape")
        return go_json_bytes(encode_json(node, indent_unit(self.indent)))

    def has_metadata(self, docs: list[Mapping]) -> bool:
        return bool(docs) and any(k == "sops" for k, _ in docs[0])

    def first_string_span(self, data: bytes, key: str) -> tuple[int, int] | None:
        """Where the contents of the top-level object's first member ``key`` lie, if it is a plain string.

        A binary file's payload is such a string, as large as the file: finding
        it with a byte search lets :meth:`load_encrypted_around` parse the rest
        without ever decoding it.  None when the file does not begin with that
        member or the string has escapes.  The span's bytes are not validated.
        """
        head = _FIRST_STRING_MEMBER.match(data)
        if head is None or head.group(1) != key.encode():
            return None
        start = head.end()
        end = data.find(b'"', start)
        if end < 0 or data.find(b"\\", start, end) >= 0:
            return None
        return start, end

    def load_encrypted_around(self, data: bytes, span: tuple[int, int],
                              placeholder: str) -> tuple[list[Mapping], Mapping]:
        """:meth:`load_encrypted` with the string at ``span`` read as ``placeholder`` instead."""
        start, end = span
        return self.load_encrypted(data[:start] + placeholder.encode() + data[end:])

    def dump_encrypted_around(self, docs: list[Mapping], metadata: Mapping,
                              placeholder: str) -> tuple[bytes, bytes]:
        """:meth:`dump_encrypted` split around the contents of the string value ``placeholder``.

        A caller splices a value too large to go through the encoder as a
        ``str`` (several copies of it) in between; it must need no escaping.
        ``placeholder`` must be plain ASCII that occurs nowhere else.
        """
        out = self.dump_encrypted(docs, metadata)
        mark = b'"' + placeholder.encode() + b'"'
        at = out.find(mark)
        if at < 0 or out.find(mark, at + 1) >= 0:
            raise EmitError("cannot write JSON: the placeholder for a large value is not unique")
        return out[:at + 1], out[at + len(mark) - 1:]
