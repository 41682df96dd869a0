"""The YAML store: sops's ``stores/yaml`` for sealfile.

Reading lives in :mod:`.reader` (files without comments, from libyaml's
events) and :mod:`.comment_reader` (files with comments, a port of go-yaml
v3's scanner, parser and node builder: :mod:`.tokens`, :mod:`.scanner`,
:mod:`.comments`, :mod:`.parser`, :mod:`.builder`, :mod:`.converter`),
both following the rules of :mod:`.policy`, :mod:`.resolve` and
:mod:`.limits`; writing lives in :mod:`.encoder` and :mod:`.emitter`.
This class only knows where the ``sops`` metadata sits in a YAML file:
under the top-level ``sops`` key, read from the first document and written
as the last key of every document.

Files keep their layout: read with ``layout=True``, documents remember
their text (:mod:`.sourcemap`), and writing them back splices the changed
values into that text (:mod:`.splice`) instead of re-emitting everything;
what cannot be spliced is written by the emitter, as sops writes it.
"""
from __future__ import annotations

from typing import Any, ClassVar

from ..base import StoreDefaults
from ...errors import (EmitError, EncryptedFileUnreadable, ExcessiveAliasing, MetadataError, MetadataNotFound,
                       ParseError)
from ...core.tree import Comment, Mapping, without_comments
from ...core.treeedit import same_tree
from .emitter import emit_documents, emit_value
from .sourcemap import SourcedDocs, attach
from .splice import reads_back, render_view, splice_encrypted
from ..storable import unique_top_keys
from .policy import SOPS_KEY, without_metadata
from .reader import ENCRYPTED, PLAIN, decode_text, read_documents

__all__ = ["YamlStore"]

#: files at least this large are read in regions where they can be (:mod:`.regions`, imported only then)
_LARGE = 4 << 20


def _has_comments(docs: list[Mapping]) -> bool:
    """Whether any comment item is in ``docs``, at any depth."""
    stack: list[Any] = list(docs)
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node:
                if isinstance(key, Comment):
                    return True
                if isinstance(value, list):
                    stack.append(value)
        elif isinstance(node, list):
            for value in node:
                if isinstance(value, Comment):
                    return True
                if isinstance(value, list):
                    stack.append(value)
    return False


class YamlStore(StoreDefaults):
    """Reads and writes YAML exactly as sops 3.11 does; ``indent`` is ``stores.yaml.indent``."""

    name: ClassVar[str] = "yaml"
    config_section: ClassVar[str] = "yaml"
    options: ClassVar[frozenset[str]] = frozenset({"indent", "keep_layout"})
    json_metadata: ClassVar[bool] = False
    json_envelope: ClassVar[bool] = False
    metadata_layout: ClassVar[bool] = True
    opaque: ClassVar[bool] = False
    keeps_layout: ClassVar[bool] = True
    example: ClassVar[bytes] = (
        b"hello: Welcome to SOPS! Edit this file as you please!\nexample_key: example_value\n# Example comment\n"
        b"example_array:\n    - example_value1\n    - example_value2\nexample_number: 1234.56789\n"
        b"example_booleans:\n    - true\n    - false\n")

    def __init__(self, indent: int = 4, keep_layout: bool = True) -> None:
        # sops: 0 (unset) means 4, a negative value is refused when writing, 1 or >9 become 2
        self.indent = 4 if indent is None else int(indent)
        #: ``stores: {yaml: {keep_layout: false}}`` writes every file in go-yaml's layout, as sops does
        self.keep_layout = bool(keep_layout)

    def load_plain(self, data: bytes, layout: bool = False) -> list[Mapping]:
        """Documents of a plaintext file; an empty file has none (the caller refuses it, exit 92).

        With ``layout`` they remember the text, for :meth:`dump_encrypted`.
        """
        if not data:
            return []
        text = decode_text(data)
        docs = read_documents(text, PLAIN, data)
        if not docs:
            raise ParseError("yaml: the input holds no YAML document (EOF)")
        return attach(text, docs, data) if layout and self.keep_layout else docs

    def load_encrypted(self, data: bytes, layout: bool = False) -> tuple[list[Mapping], Mapping]:
        """Documents without their ``sops`` keys, and the first document's ``sops`` mapping.

        A file that does not parse fails with exit code 1 here (sops's decrypt
        path reports "Error unmarshalling input yaml", exit 1), not 2.  An alias
        bomb keeps its exit code 2 (see :class:`ExcessiveAliasing`).
        """
        text = decode_text(data) if data else ""
        try:
            docs = read_documents(text, ENCRYPTED, data) if data else []
        except ExcessiveAliasing as exc:
            raise ExcessiveAliasing(f"Error unmarshalling input yaml: {exc.message}") from None
        except ParseError as exc:
            raise EncryptedFileUnreadable(f"Error unmarshalling input yaml: {exc.message}") from None
        metadata = docs[0].get(SOPS_KEY) if docs else None
        if not isinstance(metadata, Mapping):
            if metadata is None:
                raise MetadataNotFound("sops metadata not found")
            raise MetadataError("Error unmarshalling input yaml: the sops metadata is not a mapping")
        if layout and self.keep_layout:
            docs = attach(text, docs, data)  # before the sops keys go: the map knows where they were
        for doc in docs:
            doc[:] = without_metadata(doc)
        return docs, without_comments(metadata)

    def dump_plain(self, docs: list[Mapping]) -> bytes:
        """Documents separated by ``---`` lines, laid out as go-yaml's encoder does for sops."""
        return emit_documents(docs, self.indent)

    def dump_encrypted(self, docs: list[Mapping], metadata: Mapping) -> bytes:
        """Like :meth:`dump_plain`, with ``sops: metadata`` as the last key of every document.

        Documents read with ``layout`` keep their text: only changed values,
        keys and the metadata block differ (see :mod:`.splice` for what falls
        back to the emitter).
        """
        source = docs.source if isinstance(docs, SourcedDocs) else None
        if source is not None and self.indent >= 0:
            data = splice_encrypted(source, docs, metadata, self.indent)
            if data is not None:
                return data
        data = emit_documents(docs, self.indent, metadata)
        if _has_comments(docs) and not reads_back(data, docs, True):
            # a comment the go-yaml port placed where sops would not (a layout sops reads its own way)
            # can make go-yaml's encoder write text that no longer parses: refuse, never write that
            raise EmitError("the encrypted file would not read back: a comment sits where sealfile "
                            "cannot place it as sops does (near a flow collection, or indented deeper "
                            "than what follows it); move or remove that comment")
        return data

    def layout_view(self, docs: list[Mapping]) -> bytes | None:
        """Decrypted documents in the layout of the encrypted text they were read from (``edit``).

        None when they were not read with ``layout``, or when the view would
        not read back as the same documents: then :meth:`dump_plain` is shown.
        """
        source = docs.source if isinstance(docs, SourcedDocs) else None
        if source is None:
            return None
        text = render_view(source, docs, self.indent or 4)
        if text is None:
            return None
        try:
            again = read_documents(text, PLAIN)
        except ParseError:
            return None
        if len(again) != len(docs) or not all(same_tree(a, b) for a, b in zip(again, docs)):
            return None
        return text.encode("utf-8", "surrogateescape")

    def regions(self, data: bytes, encrypted: bool) -> Any | None:
        """A large single-document file in regions (:mod:`.regions`), or None to read it whole.

        A plaintext file is cut only when it will be spliced back in its own
        layout (``keep_layout`` and a usable indent), as a whole file would be.
        """
        if len(data) < _LARGE:
            return None
        if not encrypted and not (self.keep_layout and self.indent >= 0):
            return None
        from . import regions

        return regions.open_regions(data, encrypted, self.indent)

    def key_lines(self, data: bytes) -> dict[tuple, int]:
        from .lines import key_lines

        return key_lines(data.decode("utf-8", "replace"))

    def check_storable(self, docs: list[Mapping]) -> None:
        """The first document's top-level keys are checked for duplicates when an encrypted file is read."""
        if docs:
            unique_top_keys(docs[0], "YAML")

    def dump_value(self, node: Any) -> bytes:
        """An extracted subtree as its own document (sops uses ``yaml.Marshal``: indent 4)."""
        return emit_value(node)

    def has_metadata(self, docs: list[Mapping]) -> bool:
        """A top-level ``sops`` key in any document means the file is already encrypted."""
        return any(doc.find(SOPS_KEY) >= 0 for doc in docs)
