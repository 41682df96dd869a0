"""The dotenv store: sops's literal ``KEY=value`` reader and writer (spec §5.6).

sops does not interpret dotenv syntax: lines are split on ``\\n``, the key is
everything before the first ``=`` and the value everything after it, with no
trimming or unquoting; only the two characters ``\\n`` become a newline.
Reproducing that exactly matters because the key is the value's AAD.  The
metadata travels as flattened ``sops_*`` keys (spec §5.9).
"""
from __future__ import annotations

from typing import Any

from ..errors import EmitError, MetadataNotFound, ParseError
from ..core.gofmt import format_f, format_g
from ..core.tree import Branch, Comment, Mapping, Timestamp, rebuild
from .flatten import flatten, unflatten
from .storable import flat_values, single_document

__all__ = ["DotenvStore", "SOPS_PREFIX", "val_to_string", "go_value_text"]

SOPS_PREFIX = "sops_"


def _go_G(x: float) -> str:
    """``strconv.FormatFloat(x, 'G', -1, 64)``."""
    text = format_g(x)
    return text if text in ("+Inf", "-Inf", "NaN") else text.upper()


def _text_branch(node: Any) -> Branch | None:
    if isinstance(node, Mapping):
        children = [part for pair in node for part in pair]  # key, value, key, value...
        return children, lambda texts: "[" + " ".join("{" + texts[i] + " " + texts[i + 1] + "}"
                                                       for i in range(0, len(texts), 2)) + "]"
    if isinstance(node, list):
        return node, lambda texts: "[" + " ".join(texts) + "]"
    return None


def go_value_text(node: Any) -> str:
    """Go's ``fmt.Sprintf("%v", node)`` for tree nodes, which sops falls back on for nested values."""
    return rebuild(node, _text_branch, _leaf_text)


def _leaf_text(node: Any) -> str:
    if node is None:
        return "<nil>"
    if isinstance(node, str):
        return node
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, int):
        return str(node)
    if isinstance(node, float):
        return format_g(node)
    if isinstance(node, Comment):
        return "{" + node.text + "}"
    if isinstance(node, Timestamp):
        return _go_time_string(node)
    return str(node)


def _go_time_string(ts: Timestamp) -> str:
    """``time.Time.String()`` (``2006-01-02 15:04:05.999999999 -0700 MST``); a parsed offset has no zone name."""
    clock = f"{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
    if ts.nanos:
        clock += "." + f"{ts.nanos:09d}".rstrip("0")
    sign = "-" if ts.offset < 0 else "+"
    off = f"{sign}{abs(ts.offset) // 60:02d}{abs(ts.offset) % 60:02d}"
    return f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d} {clock} {off} {'UTC' if ts.offset == 0 else off}"


def val_to_string(value: Any) -> str:
    """sops's ``ValToString``: how a non-string leaf is written in dotenv and INI files."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = _go_G(value)
        if "." not in text and "E" not in text and text not in ("+Inf", "-Inf", "NaN"):
            text = format_f(value) + ".0"  # sops keeps integral floats recognisable as floats
        return text
    if isinstance(value, Timestamp):
        return value.rfc3339(with_nanos=False)
    return go_value_text(value)


class DotenvStore:
    """``.env`` files; metadata as sorted ``sops_``-prefixed flattened keys."""

    name = "dotenv"

    def load_plain(self, data: bytes) -> list[Mapping]:
        doc = Mapping()
        append = doc.append
        text = data.decode("utf-8", "surrogateescape")
        for number, line in enumerate(text.split("\n"), 1):
            if not line:
                continue
            if line[0] == "#":
                append([Comment(line[1:]), None])
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise ParseError(f"invalid dotenv input line {number}: no '=' found")
            append([key, value.replace("\\n", "\n")])
        return [doc]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], Mapping]:
        doc = self.load_plain(data)[0]
        body = Mapping()
        flat: list[tuple[str, Any]] = []
        for pair in doc:
            key = pair[0]
            if isinstance(key, str) and key.startswith(SOPS_PREFIX):
                flat.append((key, pair[1]))
            else:
                body.append(pair)
        if not flat:
            raise MetadataNotFound("sops metadata not found")
        return [body], unflatten(flat, SOPS_PREFIX)

    def dump_plain(self, docs: list[Mapping]) -> bytes:
        if not docs:
            raise EmitError("there is no document to write")
        lines: list[str] = []
        append = lines.append
        for key, value in docs[0]:
            if isinstance(value, (Mapping, list)):
                raise EmitError(f"cannot use a nested value in a dotenv file (key {go_value_text(key)})")
            if isinstance(key, Comment):
                append("#" + key.text + "\n")
            elif isinstance(value, str):
                append(key + "=" + value.replace("\n", "\\n") + "\n")
            else:
                append(f"{key}={val_to_string(value)}\n")
        return "".join(lines).encode("utf-8", "surrogateescape")

    def dump_encrypted(self, docs: list[Mapping], metadata: Mapping) -> bytes:
        if not docs:
            raise EmitError("there is no document to write")
        doc = Mapping(list(docs[0]))
        doc.extend([key, value] for key, value in flatten(metadata, SOPS_PREFIX))
        return self.dump_plain([doc])

    def check_storable(self, docs: list[Mapping]) -> None:
        """One document of flat, non-null values whose keys and plain values read back unchanged."""
        single_document(docs, "dotenv")
        if docs:
            flat_values(docs[0], "dotenv")

    def dump_value(self, node: Any) -> bytes:
        if isinstance(node, Mapping):
            return self.dump_plain([node])
        if isinstance(node, str):
            return node.encode("utf-8", "surrogateescape")
        raise EmitError(f"the dotenv store only supports emitting strings, got {type(node).__name__}")

    def has_metadata(self, docs: list[Mapping]) -> bool:
        return bool(docs) and any(isinstance(k, str) and k.startswith(SOPS_PREFIX) for k, _ in docs[0])
