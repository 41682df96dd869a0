"""The one interface every file format implements.

Stores turn bytes into documents (see :mod:`sealfile.tree`) and back.  They
know where the ``sops`` metadata lives in their format but not what it means:
metadata crosses this boundary as a plain :class:`~sealfile.tree.Mapping`
(strings, ints, bools, lists and nested mappings) that :mod:`sealfile.metadata`
interprets.  Stores never import key sources or the cipher.
"""
from __future__ import annotations

from typing import Any, ClassVar, Protocol

from ..core.tree import Mapping


class Store(Protocol):
    #: "yaml", "json", "dotenv", "ini" or "binary"
    name: ClassVar[str]

    def load_plain(self, data: bytes) -> list[Mapping]:
        """Parse a plaintext file into documents; raise ParseError (exit 2) when invalid."""
        ...

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], Mapping]:
        """Split an encrypted file into documents and the raw metadata mapping.

        Raises MetadataNotFound when the file has no ``sops`` metadata and
        ParseError when it does not parse.
        """
        ...

    def dump_plain(self, docs: list[Mapping]) -> bytes:
        """Serialise documents; raise EmitError (exit 4) when they cannot be written."""
        ...

    def dump_encrypted(self, docs: list[Mapping], metadata: Mapping) -> bytes:
        """Serialise documents with the metadata attached the way sops does."""
        ...

    def check_storable(self, docs: list[Mapping]) -> None:
        """Raise EmitError (exit 4), naming the key path, when ``docs`` hold what this format cannot
        write so that it reads back (several documents, null, nested values...)."""
        ...

    def dump_value(self, node: Any) -> bytes:
        """One extracted subtree (``--extract``) in this format; strings are not passed here."""
        ...

    def has_metadata(self, docs: list[Mapping]) -> bool:
        """Whether plaintext input already carries sops metadata (encrypt refuses it, exit 203)."""
        ...
