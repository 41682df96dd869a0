"""The binary store: any file as one opaque ``data`` string (docs/sops-format.md §5.8).

The plaintext is never parsed, so arbitrary bytes must survive: they travel as
a ``str`` decoded with ``surrogateescape``.  The encrypted form is sops's JSON
envelope (``"data"`` then ``"sops"``), so reading and writing it is the JSON
store's job.  Because the content is opaque, an already encrypted file fed in
as binary is simply encrypted again, as sops does.
"""
from __future__ import annotations

from typing import Any, ClassVar

from .base import StoreDefaults
from ..errors import EmitError
from ..core.tree import Comment, Mapping
from .json import JsonStore
from .storable import binary_envelope

__all__ = ["BinaryStore"]


class BinaryStore(StoreDefaults):
    """Whole-file secrets in a JSON envelope (``stores.json_binary.indent`` applies)."""

    name = "binary"
    config_section: ClassVar[str] = "json_binary"
    options: ClassVar[frozenset[str]] = frozenset({"indent"})
    json_metadata: ClassVar[bool] = True
    json_envelope: ClassVar[bool] = True
    metadata_layout: ClassVar[bool] = True
    #: the whole file is one value: no selectors, no --mac-only-encrypted
    opaque: ClassVar[bool] = True
    example: ClassVar[bytes] = b"Welcome to SOPS! Edit this file as you please!"

    def __init__(self, indent: int | None = None) -> None:
        self._json = JsonStore(indent=indent)

    def load_plain(self, data: bytes) -> list[Mapping]:
        return [Mapping([["data", data.decode("utf-8", "surrogateescape")]])]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], Mapping]:
        return self._json.load_encrypted(data)

    def dump_plain(self, docs: list[Mapping]) -> bytes:
        if len(docs) != 1:
            raise EmitError("cannot write binary output: there must be exactly one document")
        for key, value in docs[0]:
            if key == "data" and not isinstance(key, Comment):
                if not isinstance(value, str):
                    raise EmitError("cannot write binary output: 'data' is not a string")
                return value.encode("utf-8", "surrogateescape")
        raise EmitError("cannot write binary output: no 'data' key in the tree "
                        "(use --output-type to choose the format of a file that is not binary)")

    def dump_encrypted(self, docs: list[Mapping], metadata: Mapping) -> bytes:
        return self._json.dump_encrypted(docs, metadata)

    def check_storable(self, docs: list[Mapping]) -> None:
        binary_envelope(docs)

    def dump_value(self, node: Any) -> bytes:
        if isinstance(node, Mapping):
            return self.dump_plain([node])
        if isinstance(node, str):
            return node.encode("utf-8", "surrogateescape")
        raise EmitError("binary files are not structured: a single value cannot be extracted")

    def has_metadata(self, docs: list[Mapping]) -> bool:
        return bool(docs) and any(k == "sops" for k, _ in docs[0])

    def first_string_span(self, data: bytes, key: str) -> tuple[int, int] | None:
        """The JSON store's byte search for a huge first string (see :mod:`sealfile.payload`)."""
        return self._json.first_string_span(data, key)

    def load_encrypted_around(self, data: bytes, span: tuple[int, int],
                              placeholder: str) -> tuple[list[Mapping], Mapping]:
        """The JSON store's reading with the string at ``span`` cut out (see :mod:`sealfile.payload`)."""
        return self._json.load_encrypted_around(data, span, placeholder)

    def dump_encrypted_around(self, docs: list[Mapping], metadata: Mapping,
                              placeholder: str) -> tuple[bytes, bytes]:
        """The envelope split around ``placeholder``'s contents (see :mod:`sealfile.payload`)."""
        return self._json.dump_encrypted_around(docs, metadata, placeholder)
