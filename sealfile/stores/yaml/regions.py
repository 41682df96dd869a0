"""A large YAML file read, and written, a region at a time.

A 50 MB YAML file becomes a 200 MB encrypted one, and its whole tree of
Python objects costs several times its size again (about 400 MB for the
encrypted tree, 270 MB for the decrypted one).  Held at once, the file, its
text, its tree and the output passed 1 GB.  Read in regions instead, only the
file's bytes, the output and one region's tree exist together.

A region is a run of the root mapping's top-level entries: the file is cut
at lines that start a top-level key (a plain key character at column 0), or
at the column-0 comment lines right above one, after a line of content
without a ``#`` (blank lines between that line and a key with no comments
above it stay with the region before), so no comment that could belong
elsewhere lies on a cut.  Each region is then a YAML document of its own
whose root holds
exactly those entries, and reading it with the whole-file reader gives the
entries (comments placed) that reading the whole file gives, because nothing
that decides where a comment goes crosses a cut.

Only files where that holds are cut: one document (no ``---``, ``...`` or
``%`` directive line), no anchors or aliases (which could reach across a
cut), LF line breaks, UTF-8 without a BOM.  Anything unexpected while reading
the regions (a region that does not parse, a top-level key repeated across
regions, a region that would not splice back) raises :class:`RegionsDeclined`
before anything is written, and the caller reads the file whole, which also
reports any error exactly as it would have.  Small files are always read whole
(the store decides what is large).
"""
from __future__ import annotations

import io
import re
from typing import Any, Iterator

from ...core.tree import Comment, Mapping, without_comments
from ...errors import RegionsDeclined, SealfileError
from .emitter import emit_parts
from .policy import SOPS_KEY, without_metadata
from .reader import ENCRYPTED, PLAIN, decode_text, read_documents
from .sourcemap import attach
from .splice import splice_encrypted

__all__ = ["REGION", "cut", "open_regions", "EncryptedRegions", "PlainRegions", "EncryptedWriter"]

#: the least size of a region (the last one may be smaller)
REGION = 128 << 10

#: a line break followed by a character that can start a plain top-level key
_KEY_LINE = re.compile(rb"\n(?=[A-Za-z0-9_])")
#: a document marker or a directive at the start of a line
_MARKERS = re.compile(rb"^(?:---|\.\.\.|%)", re.M)
#: ``&`` or ``*`` where a token starts: an anchor or an alias
_ANCHORS = re.compile(rb"(?:^|[ \[{,])[&*]", re.M)
#: the top-level key of sops's metadata
_SOPS_LINE = re.compile(rb"^sops:", re.M)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
#: how a line ends whose value is empty or not over (``key:``, ``-``, a block scalar's ``|+`` header, an
#: open flow collection): go-yaml attaches the comments before such a line by what comes after it
_OPEN_ENDS = (b":", b"-", b"|", b">", b"+", b"[", b"{", b",")


def cut(data: bytes, size: int) -> list[int] | None:
    """Where each region of ``data`` starts (the first at 0), or None when it must be read whole."""
    if data[:3] == _BOMS[0] or data[:2] in _BOMS[1:] or b"\r" in data or _MARKERS.search(data) is not None:
        return None
    if (b"&" in data or b"*" in data) and _ANCHORS.search(data) is not None:
        return None
    starts = [0]
    pos = size
    end = len(data)
    while pos < end:
        m = _KEY_LINE.search(data, pos - 1)
        if m is None:
            break
        at = _cut_before(data, m.end())
        if at <= starts[-1]:
            pos = m.end() + 1  # no cut there (or one already made, before the comments above it)
            continue
        starts.append(at)
        pos = max(at + size, m.end() + 1)
    return starts if len(starts) > 1 else None


def _line_before(data: bytes, at: int) -> tuple[int, bytes]:
    """The start and the text of the line that ends right before ``at`` (a line start)."""
    line = data.rfind(b"\n", 0, at - 1) + 1
    return line, data[line:at - 1]


def _cut_before(data: bytes, key: int) -> int:
    """Where to cut for the top-level key whose line starts at ``key``, or -1 for no cut there.

    The cut goes before the column-0 comment lines right above the key (they
    are that key's, wherever they are read), with content right above them;
    a key without comments may have blank lines above it, which stay with the
    region before (a ``|+`` scalar there keeps them).  The content line above must
    have no ``#`` (where go-yaml puts a comment can depend on what follows it,
    even after ``- ``) and must end a value (not ``key:``, ``-``, a block
    scalar header or a tag, which may stand for an empty value: see
    :data:`_OPEN_ENDS`), and with comments above the key it must not be an
    entry of a sequence at column 0 (go-yaml keeps column-0 comments after one
    inside it).
    """
    at = key
    while at > 0:
        line, text = _line_before(data, at)
        if text[:1] != b"#":
            break
        at = line
    start = at
    while start > 0:
        line, text = _line_before(data, start)
        if text.strip(b" "):
            break
        if at < key:
            return -1  # a blank line between content and comments: go-yaml may split the run its own way
        start = line
    if start == 0:
        return -1
    _, prev = _line_before(data, start)
    if (b"#" in prev or b" !" in prev or (at < key and prev[:1] == b"-")
            or prev.rstrip(b" ")[-1:] in _OPEN_ENDS):
        return -1
    return at


def open_regions(data: bytes, encrypted: bool, indent: int, size: int | None = None) -> "_Regions | None":
    """``data`` as regions of at least ``size`` bytes (default :data:`REGION`; written back with
    ``indent``), or None to read it whole."""
    starts = cut(data, size or REGION)
    if starts is None:
        return None
    if encrypted:
        try:
            return EncryptedRegions(data, starts, indent)
        except RegionsDeclined:
            return None
    return PlainRegions(data, starts, indent)


def _bounds(starts: list[int], end: int) -> list[tuple[int, int]]:
    return list(zip(starts, starts[1:] + [end]))


class _Regions:
    """The regions of one file, read one at a time in order (see the module docstring)."""

    mode = PLAIN

    def __init__(self, data: bytes, starts: list[int], indent: int) -> None:
        self.data = data
        self.indent = indent
        self.bounds = _bounds(starts, len(data))
        self.seen: set[Any] = set()

    def read(self, index: int, layout: bool = False) -> list[Mapping]:
        """Region ``index`` as a one-document list, its root holding that region's top-level entries."""
        start, end = self.bounds[index]
        chunk = self.data[start:end]
        text = decode_text(chunk)
        try:
            docs = read_documents(text, self.mode, chunk)
        except SealfileError:
            raise RegionsDeclined() from None
        if len(docs) != 1 or not isinstance(docs[0], Mapping) or not len(docs[0]):
            raise RegionsDeclined()
        self._check_keys(docs[0])
        return attach(text, docs, chunk) if layout else docs

    def _check_keys(self, root: Mapping) -> None:
        seen = self.seen
        for key, _ in root:
            if isinstance(key, Comment):
                continue
            try:
                if key in seen:
                    raise RegionsDeclined()  # the whole-file reader reports it (or refuses it later)
                seen.add(key)
            except TypeError:
                raise RegionsDeclined() from None

    def __len__(self) -> int:
        return len(self.bounds)


class PlainRegions(_Regions):
    """A plaintext file's regions, read keeping their layout (to be encrypted and spliced back)."""

    def __iter__(self) -> Iterator[list[Mapping]]:
        for index in range(len(self.bounds)):
            docs = self.read(index, layout=True)
            if docs[0].find(SOPS_KEY) >= 0:
                raise RegionsDeclined()  # already encrypted: the whole-file path says so
            yield docs

    def writer(self) -> "EncryptedWriter":
        """Where the encrypted regions go, in order (the last one with the metadata)."""
        return EncryptedWriter(self.indent)


class EncryptedRegions(_Regions):
    """An encrypted file's regions: the one holding the top-level ``sops`` key is read first."""

    mode = ENCRYPTED

    def __init__(self, data: bytes, starts: list[int], indent: int) -> None:
        super().__init__(data, starts, indent)
        lines = [m.start() for m in _SOPS_LINE.finditer(data)]
        if len(lines) != 1:
            raise RegionsDeclined()
        self.sops_index = max(i for i, (start, _) in enumerate(self.bounds) if start <= lines[0])
        self._sops_docs: list[Mapping] | None = None

    def metadata(self) -> Mapping:
        """The ``sops`` mapping (without comments), read before any value is decrypted."""
        docs = self.read(self.sops_index)
        self.seen.clear()  # the region is checked again when its turn comes
        meta = docs[0].get(SOPS_KEY)
        if not isinstance(meta, Mapping):
            raise RegionsDeclined()
        self._sops_docs = docs
        return without_comments(meta)

    def __iter__(self) -> Iterator[list[Mapping]]:
        """Each region's documents, the ``sops`` key left out."""
        for index in range(len(self.bounds)):
            if index == self.sops_index and self._sops_docs is not None:
                docs, self._sops_docs = self._sops_docs, None
                self._check_keys(docs[0])
                docs[0][:] = without_metadata(docs[0])
            else:
                docs = self.read(index)
                if docs[0].find(SOPS_KEY) >= 0:
                    raise RegionsDeclined()
            yield docs

    def dump_plain(self, parts: Iterator[list[Mapping]]) -> bytes:
        """The decrypted regions written as one document, exactly as the whole tree would be; each
        region is taken from ``parts`` only when the emitter reaches it."""
        return emit_parts((docs[0] for docs in parts), self.indent)


class EncryptedWriter:
    """Collects the encrypted regions' text, each spliced into its own original layout."""

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.sink = io.BytesIO()

    def add(self, docs: list[Mapping], metadata: Mapping | None = None) -> None:
        source = getattr(docs, "source", None)
        out = splice_encrypted(source, docs, metadata, self.indent) if source is not None else None
        if out is None:
            raise RegionsDeclined()
        self.sink.write(out)

    def finish(self, docs: list[Mapping], metadata: Mapping) -> bytes:
        """The last region with the metadata after it; the whole file's bytes."""
        self.add(docs, metadata)
        return self.sink.getvalue()
