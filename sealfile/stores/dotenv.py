"""The dotenv store: sops's literal ``KEY=value`` reader and writer (docs/sops-format.md §5.6).

sops does not interpret dotenv syntax: lines are split on ``\\n``, the key is
everything before the first ``=`` and the value everything after it, with no
trimming or unquoting; only the two characters ``\\n`` become a newline.
Reproducing that exactly matters because the key is the value's AAD.  The
metadata travels as flattened ``sops_*`` keys (docs/sops-format.md §5.9).
"""
from __future__ import annotations

from typing import Any, ClassVar

from .base import StoreDefaults
from ..errors import EmitError, MetadataNotFound, ParseError
from ..core.gofmt import go_value_text, val_to_string
from ..core.tree import Comment, Mapping
from .flatten import flatten, unflatten
from .storable import flat_values, single_document

__all__ = ["DotenvStore", "SOPS_PREFIX", "val_to_string", "go_value_text"]  # the last two re-exported

SOPS_PREFIX = "sops_"


class DotenvStore(StoreDefaults):
    """``.env`` files; metadata as sorted ``sops_``-prefixed flattened keys."""

    name = "dotenv"
    config_section: ClassVar[str] = "dotenv"
    options: ClassVar[frozenset[str]] = frozenset()
    json_metadata: ClassVar[bool] = False
    json_envelope: ClassVar[bool] = False
    metadata_layout: ClassVar[bool] = False  # flattened and sorted by every sops
    opaque: ClassVar[bool] = False
    example: ClassVar[bytes] = (b"# This is an example file.\nhello=Welcome to SOPS! Edit this file as you please!\n"
                                b"example_key=example_value\nexample_multiline=foo\\nbar\\nbaz\n")

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

    def key_lines(self, data: bytes) -> dict[tuple, int]:
        lines: dict[tuple, int] = {}
        for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
            key, sep, _ = line.partition("=")
            if sep and not line.startswith("#"):
                lines.setdefault((key,), number)
        return lines

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
