"""A binary file's payload, sealed and opened in memory bounded by input plus output.

The binary store makes a whole file one ``data`` value.  The generic path
carries it as a surrogate-escaped ``str`` through the tree, the ``ENC[]``
token, the JSON encoder and the final bytes, and a 1 GB file costs ten or more
copies of itself.  Here the payload stays ``bytes``:

* sealing streams AES-GCM over it chunk by chunk and writes the base64 straight
  into the output's final buffer, between the bytes the JSON store writes
  around a short placeholder value, so the layout is exactly the store's;
* opening decodes the base64 chunk by chunk into the buffer the plaintext will
  occupy (before any key is asked for), then decrypts it in place, feeding the
  MAC, and hands it over only once the GCM tag has authenticated it.

Only the shape sops writes takes this path, ``{"data": "ENC[AES256_GCM,data:
…,iv:…,tag:…,type:str]", "sops": {…}}`` with a 32-byte IV, a 16-byte tag, strict
base64 and metadata whose selector encrypts ``data``.  Anything else goes the
generic way, which then reports the precise error.
"""
from __future__ import annotations

import binascii
import io
import os
import re
from typing import Any, Callable

from cryptography.exceptions import InvalidTag

from .cipher import AUTH_FAILED, IV_SIZE, TAG_SIZE, Cipher, strict_b64decode
from ..errors import DecryptError, EncryptError, SealfileError, key_path_of_aad
from .mac import MacHasher
from .metadata import Metadata
from .selectors import Selector
from .tree import Comment, Mapping
from .walk import walk

__all__ = ["KEY", "AAD", "SealedPayload", "supports", "lone_text", "encrypts", "seal", "find"]

#: the binary store's only key, and the additional data its value is encrypted with
KEY = "data"
AAD = "data:"

#: plaintext bytes per step: a multiple of 3, so the base64 of consecutive chunks concatenates
_CHUNK = 3 << 20
_B64_CHUNK = _CHUNK // 3 * 4
_TOKEN_HEAD = b"ENC[AES256_GCM,data:"
_TYPE_TAIL = b",type:str]"
#: compiled on first use (through ``re``'s cache): only a binary file's envelope needs it
_TOKEN_TAIL = rb",iv:([A-Za-z0-9+/]{43}=),tag:([A-Za-z0-9+/]{22}==),type:str\]"
_PAD = ord("=")


def _b64encode(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False)


def supports(store: Any) -> bool:
    """Whether ``store`` writes and reads sops's JSON envelope (it declares ``json_envelope``)."""
    return bool(getattr(store, "json_envelope", False))


def lone_text(docs: list[Mapping]) -> str | None:
    """The string of a tree that is exactly ``{"data": <str>}``, else None."""
    if len(docs) != 1 or len(docs[0]) != 1:
        return None
    key, value = docs[0][0]
    if isinstance(key, Comment) or key != KEY or not isinstance(value, str):
        return None
    return value


def encrypts(selector: Selector | None) -> bool:
    """Whether the file's selector encrypts the value at ``data`` (sops's binary files always do)."""
    seen: list[tuple[str, bool, bool]] = []

    def visit(value: Any, aad: str, encrypt: bool, is_comment: bool) -> Any:
        seen.append((aad, encrypt, is_comment))
        return value

    walk([Mapping([[KEY, "x"]])], selector or Selector(), visit)
    return seen == [(AAD, True, False)]


# ---------------------------------------------------------------------------
# buffers


def _presized(size: int) -> io.BytesIO:
    """An in-memory file already ``size`` bytes long, to be filled through ``getbuffer()``.

    ``BytesIO.getvalue()`` hands over its own buffer as the ``bytes`` result
    when it is exactly full and no view of it is alive (CPython), which is
    the only way to build a large ``bytes`` in place; ``bytes(bytearray)``
    would copy it.  Elsewhere this still works, with one copy more.
    """
    buffer = io.BytesIO()
    buffer.seek(size - 1)
    buffer.write(b"\0")
    return buffer


def _built_in_place(size: int, fill: Callable[[memoryview], None]) -> bytes:
    """``size`` bytes written by ``fill`` into the buffer that becomes the result."""
    buffer = _presized(size)
    with buffer.getbuffer() as view:
        fill(view)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# sealing


def seal(plaintext: bytes, store: Any, metadata: Mapping, cipher: Cipher) -> bytes:
    """The encrypted file for a non-empty ``plaintext``: the envelope ``store`` writes with ``metadata``.

    The IV is the one the payload had when decrypted (an unchanged file keeps
    its token, as in the generic path), else fresh.
    """
    if not plaintext:
        raise EncryptError("an empty payload is not encrypted (sops leaves an empty string as it is)")
    iv = cipher.iv_for(plaintext, "str", AAD)
    placeholder = "sealfile-payload-" + os.urandom(16).hex()
    head, tail = store.dump_encrypted_around([Mapping([[KEY, placeholder]])], metadata, placeholder)
    head += _TOKEN_HEAD
    b64_size = (len(plaintext) + 2) // 3 * 4
    iv_part = b",iv:" + _b64encode(iv) + b",tag:"
    tag_size = len(_b64encode(bytes(TAG_SIZE)))
    size = len(head) + b64_size + len(iv_part) + tag_size + len(_TYPE_TAIL) + len(tail)

    def fill(view: memoryview) -> None:
        view[:len(head)] = head
        at = len(head)
        tag = _encrypt_base64(plaintext, cipher, iv, view[at:at + b64_size])
        at += b64_size
        rest = iv_part + _b64encode(tag) + _TYPE_TAIL + tail
        if at + len(rest) != size:
            raise EncryptError("internal error: the encrypted payload does not fit its envelope")
        view[at:] = rest

    return _built_in_place(size, fill)


def _encrypt_base64(plaintext: bytes, cipher: Cipher, iv: bytes, out: memoryview) -> bytes:
    """Write the base64 of ``plaintext``'s ciphertext to ``out`` (exactly its size); return the tag."""
    encryptor = cipher.encryptor(iv, AAD)
    at = 0
    with memoryview(plaintext) as source:
        for start in range(0, len(source), _CHUNK):
            piece = source[start:start + _CHUNK]
            sealed = encryptor.update(piece)
            if len(sealed) != len(piece):  # chunks must stay multiples of 3 for base64 to concatenate
                raise EncryptError("internal error: AES-GCM held back part of the payload")
            text = binascii.b2a_base64(sealed, newline=False)
            out[at:at + len(text)] = text
            at += len(text)
    encryptor.finalize()
    if at != len(out):
        raise EncryptError("internal error: the payload's base64 has an unexpected size")
    return encryptor.tag


# ---------------------------------------------------------------------------
# opening


class SealedPayload:
    """An envelope's metadata and its lone value's ciphertext, decoded into the plaintext's buffer."""

    def __init__(self, metadata: Metadata, ciphertext: io.BytesIO, iv: bytes, tag: bytes) -> None:
        self.metadata = metadata
        self._buffer: io.BytesIO | None = ciphertext
        self._iv = iv
        self._tag = tag

    def open(self, cipher: Cipher, hasher: MacHasher, *, keep_iv: bool = True) -> bytes:
        """Decrypt in place (once), feeding ``hasher``; the plaintext only after its tag authenticates.

        ``keep_iv`` notes the IV in ``cipher`` so that sealing the same
        plaintext again gives the same token (edit, set, rotate).
        """
        buffer, self._buffer = self._buffer, None
        if buffer is None:
            raise DecryptError("internal error: the payload was already opened")
        decryptor = cipher.decryptor(self._iv, self._tag, AAD)
        with buffer.getbuffer() as view:
            for start in range(0, len(view), _CHUNK):
                piece = view[start:start + _CHUNK]
                piece[:] = decryptor.update(piece)
                hasher.add(piece, True)
                del piece
        try:
            decryptor.finalize()
        except InvalidTag:
            buffer.close()  # unauthenticated plaintext never leaves
            raise DecryptError(f"could not decrypt value at {AAD}: {AUTH_FAILED}",
                               key_path=key_path_of_aad(AAD)) from None
        plaintext = buffer.getvalue()
        if keep_iv:
            cipher.remember(plaintext, "str", AAD, self._iv)
        return plaintext


def find(data: bytes, store: Any) -> SealedPayload | None:
    """The payload of ``data`` when it is exactly sops's binary envelope, else None (use the generic path).

    The cheap checks come first.  Nothing here raises for a malformed file:
    the generic path reads it again and gives the error it always gave.
    """
    span = store.first_string_span(data, KEY) if supports(store) else None
    if span is None or not data.startswith(_TOKEN_HEAD, span[0]):
        return None
    start, end = span
    tail_at = data.rfind(b",iv:", start, end)
    tail = re.compile(_TOKEN_TAIL).fullmatch(data, tail_at, end) if tail_at >= 0 else None
    if tail is None:
        return None
    try:
        iv = strict_b64decode(tail.group(1))
        tag = strict_b64decode(tail.group(2))
    except (binascii.Error, ValueError):
        return None
    if len(iv) != IV_SIZE or len(tag) != TAG_SIZE:
        return None
    placeholder = "sealfile-payload-" + os.urandom(16).hex()
    try:
        docs, tree = store.load_encrypted_around(data, span, placeholder)
        metadata = Metadata.from_tree(tree)
    except SealfileError:
        return None
    if lone_text(docs) != placeholder or not encrypts(metadata.selector):
        return None
    with memoryview(data) as view:
        ciphertext = _decode_base64(view[start + len(_TOKEN_HEAD):tail_at])
    if ciphertext is None:
        return None
    return SealedPayload(metadata, ciphertext, iv, tag)


def _decode_base64(text: memoryview) -> io.BytesIO | None:
    """The bytes of strict base64 ``text`` in a buffer of exactly their size; None if it is not that.

    Chunks are cut at multiples of 4 characters and only the last may hold
    padding, so chunk by chunk accepts exactly what one strict decode of the
    whole accepts.
    """
    if not text or len(text) % 4:
        return None
    size = len(text) // 4 * 3 - (text[-1] == _PAD) - (text[-2] == _PAD)
    if size <= 0:
        return None
    buffer = _presized(size)
    at = 0
    with buffer.getbuffer() as out:
        for start in range(0, len(text), _B64_CHUNK):
            piece = text[start:start + _B64_CHUNK]
            if start + _B64_CHUNK < len(text) and piece[-1] == _PAD:
                return None
            try:
                raw = strict_b64decode(piece)
            except (binascii.Error, ValueError):
                return None
            if at + len(raw) > size:
                return None
            out[at:at + len(raw)] = raw
            at += len(raw)
    return buffer if at == size else None
