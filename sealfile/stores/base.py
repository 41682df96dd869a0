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
    #: the format's name (its registry line in ``stores/__init__.py``)
    name: ClassVar[str]
    #: the section of the config's ``stores:`` mapping that configures it
    config_section: ClassVar[str]
    #: the ``stores:`` options (and command-line overrides such as ``--indent``) it accepts
    options: ClassVar[frozenset[str]]
    #: the metadata is written with Go's JSON habits (empty key lists as null, byte-ordered maps)
    json_metadata: ClassVar[bool]
    #: the file is sops's JSON envelope, so a binary payload can be sealed into it as bytes
    json_envelope: ClassVar[bool]
    #: the metadata's layout (sops 3.11 struct order or 3.13 sorted) shows in this format
    metadata_layout: ClassVar[bool]
    #: the whole file is one opaque value: no selectors, no MAC-only mode
    opaque: ClassVar[bool]
    #: what ``edit`` shows for a new file (sops's ``EmitExample``, byte for byte)
    example: ClassVar[bytes]

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

    def key_lines(self, data: bytes) -> dict[tuple, int]:
        """1-based line of each key path's value in ``data`` (best effort, never an error)."""
        ...

    def reconcile_edit(self, edited: list[Mapping], original: list[Mapping]) -> None:
        """Adjust freshly parsed edited documents against the decrypted originals, in place.

        Lets a format undo what its text cannot say (a JSON float written as
        ``2``), so untouched values keep their ciphertext.
        """
        ...

    def regions(self, data: bytes, encrypted: bool) -> Any | None:
        """A large file as regions read one at a time, or None to read it whole.

        The regions object iterates one-document lists, each holding the next
        top-level entries of the root; ``metadata()`` (encrypted files) gives
        the ``sops`` mapping before any other region is read; ``dump_plain``
        and ``writer`` write them back (see ``stores/yaml/regions.py``).  It
        raises :class:`~sealfile.errors.RegionsDeclined` when the file turns
        out to need reading whole.
        """
        ...


class StoreDefaults:
    """The optional :class:`Store` methods, for stores that need nothing special."""

    def key_lines(self, data: bytes) -> dict[tuple, int]:
        """1-based line of each key path's value (for findings that point at a line); none by default."""
        return {}

    def check_storable(self, docs: list[Mapping]) -> None:
        return None

    def reconcile_edit(self, edited: list[Mapping], original: list[Mapping]) -> None:
        return None

    def regions(self, data: bytes, encrypted: bool) -> Any | None:
        """Files of this format are always read whole."""
        return None
