"""The ``ENC[AES256_GCM,...]`` value codec (sops's ``aes/cipher.go``).

Every value is serialised to bytes with a type tag, encrypted under the data
key with AES-256-GCM, a fresh 32-byte IV and the value's path as additional
data.  The instance keeps the (path, type, plaintext) -> IV stash of values
it decrypted so that re-encrypting an unchanged value yields the identical
token: that is what keeps ``edit`` diffs to the lines that really changed.
"""
from __future__ import annotations

import binascii
import functools
import math
import os
import re
import sys
from typing import Any, Callable

from cryptography.exceptions import InvalidTag

try:
    # cryptography >= 42 implements AESGCM in its Rust extension, which ``cryptography.exceptions`` has
    # already loaded; the public module ``ciphers.aead`` re-exports this very class, but importing it
    # loads the ``ciphers`` package and every cipher and mode module with it (2 ms of each start-up)
    from cryptography.hazmat.bindings._rust import openssl as _rust_openssl

    AESGCM = _rust_openssl.aead.AESGCM
except (ImportError, AttributeError):  # pragma: no cover - cryptography 41 (a Python class)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import DecryptError, EncryptError
from .gofmt import format_f
from .tree import Comment, Timestamp

IV_SIZE = 32
TAG_SIZE = 16
_HEAD = "ENC[AES256_GCM,data:"
#: the shape every well-formed token has (no comma inside a field, nothing after ``]``): matched without
#: the backtracking of sops's greedy pattern (:func:`_greedy_token`), with the same groups; anything else
#: goes to that one
_PLAIN_TOKEN = re.compile(r"ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:([^,\]]+)\]\Z")
#: the fields (data, iv, tag, type) of a token in the shape sops writes, else None: for the loop that opens
#: every value of a file itself (:func:`.treecrypt.decrypt_documents`)
match_plain_token = _PLAIN_TOKEN.match
_INT = re.compile(r"[+-]?[0-9]+\Z")
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: ``AESGCM`` refuses data of 2 GiB or more; sops has no such limit, so larger values are streamed
_ONE_SHOT_LIMIT = 2**31 - 1
#: the failure sops reports for a wrong key, tag or additional data
AUTH_FAILED = "Could not decrypt with AES_GCM: cipher: message authentication failed"


@functools.cache
def _greedy_token() -> re.Pattern[str]:
    """sops's own token pattern, compiled on first use (at start-up it is time, and well-formed
    tokens never need it)."""
    return re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]", re.S)


@functools.cache
def _float_pattern() -> re.Pattern[str]:
    """A float's plaintext, compiled on first use (few files have floats)."""
    return re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class DataKey:
    """32 secret bytes whose repr never shows them."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise ValueError("a data key is 32 bytes")
        self._raw = bytes(raw)

    @classmethod
    def generate(cls) -> "DataKey":
        return cls(os.urandom(32))

    @property
    def raw(self) -> bytes:
        return self._raw

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return "DataKey(<redacted>)"


def is_token(value: Any) -> bool:
    return (isinstance(value, str) and value.startswith(_HEAD)
            and (_PLAIN_TOKEN.match(value) or _greedy_token().match(value)) is not None)


def plaintext_of(value: Any) -> tuple[bytes, str]:
    """The bytes sops encrypts and hashes for a leaf, and its type tag."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape"), "str"
    if isinstance(value, bool):
        return (b"True" if value else b"False"), "bool"
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise EncryptError("unknown type: uint64 (integer out of int64 range)")
        return str(value).encode(), "int"
    if isinstance(value, float):
        return format_f(value).encode(), "float"
    if isinstance(value, Timestamp):
        return value.rfc3339().encode(), "time"
    if isinstance(value, Comment):
        return value.text.encode("utf-8", "surrogateescape"), "comment"
    raise EncryptError(f"unknown type: {type(value).__name__}")


def _parse_float(text: str) -> float:
    t = text.strip()
    low = t.lower()
    if low in ("+inf", "inf", "+infinity", "infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low == "nan":
        return math.nan
    if _float_pattern().fullmatch(t) is None:
        raise ValueError("bad float")
    return float(t)


def value_of(plaintext: bytes, type_tag: str) -> Any:
    """Turn decrypted bytes back into a typed leaf."""
    text = plaintext.decode("utf-8", "surrogateescape")
    if type_tag == "str":
        return text
    if type_tag == "int":
        if not _INT.match(text):
            raise DecryptError("Error decrypting value: invalid int plaintext")
        return int(text)
    if type_tag == "float":
        try:
            return _parse_float(text)
        except ValueError:
            raise DecryptError("Error decrypting value: invalid float plaintext") from None
    if type_tag == "bool":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise DecryptError("Error decrypting value: invalid bool plaintext")
    if type_tag == "time":
        try:
            return Timestamp.parse_rfc3339(text)
        except ValueError:
            raise DecryptError("Error decrypting value: invalid time plaintext") from None
    if type_tag == "comment":
        return Comment(text)
    raise DecryptError(f"Unknown datatype: {type_tag}")


if sys.version_info >= (3, 11):
    def strict_b64decode(s: str | bytes) -> bytes:
        """Go's strict ``StdEncoding`` (no stray characters, padding only at the end), in C."""
        return binascii.a2b_base64(s, strict_mode=True)
else:  # pragma: no cover - Python 3.10
    import base64

    def strict_b64decode(s: str | bytes) -> bytes:
        return base64.b64decode(s, validate=True)


def _b64decode(s: str) -> bytes:
    try:
        return strict_b64decode(s)
    except (binascii.Error, ValueError):
        raise DecryptError("Error decrypting value: invalid base64 in ENC[] token") from None


class Cipher:
    """AES-256-GCM over typed values, bound to one data key."""

    def __init__(self, data_key: DataKey, *, remember_ivs: bool = True) -> None:
        self._key = data_key
        self._aead = AESGCM(data_key.raw)
        self._stash: dict[tuple[str, str, bytes], bytes] = {}
        #: fresh random IVs drawn a batch at a time (one getrandom call per 256 values, not per value;
        #: IVs are public, so holding the next few is no exposure)
        self._ivs = b""
        self._iv_at = 0
        #: whether decrypted values' IVs are noted for writing back (not needed just to read a file)
        self.remember_ivs = remember_ivs

    def rekeyed(self, data_key: DataKey) -> "Cipher":
        """A cipher for a new data key that still reuses this one's IVs (sops's rotate does)."""
        other = Cipher(data_key)
        other._stash = dict(self._stash)
        return other

    def encrypt(self, value: Any, aad: str) -> str:
        if value == "" and isinstance(value, str):
            return ""  # sops never encrypts an empty string
        plaintext, type_tag = plaintext_of(value)
        return self.encrypt_bytes(plaintext, type_tag, aad)

    def iv_for(self, plaintext: bytes, type_tag: str, aad: str) -> bytes:
        """The IV this value had when it was decrypted (so its token stays the same), else a fresh one."""
        iv = self._stash.get((aad, type_tag, plaintext))
        return os.urandom(IV_SIZE) if iv is None else iv

    def remember(self, plaintext: bytes, type_tag: str, aad: str, iv: bytes) -> None:
        """Note the IV of a decrypted value for :meth:`iv_for`."""
        if self.remember_ivs:
            self._stash[(aad, type_tag, plaintext)] = iv

    def raw_opener(self) -> Callable[[bytes, bytes, bytes], bytes]:
        """AES-256-GCM open under this key of (IV, ciphertext + tag, additional data bytes).

        It raises ``InvalidTag``, ``ValueError`` or ``OverflowError`` for what
        :meth:`open_token` reports as sops does: for a loop over many tokens
        that parses them itself and leaves any failure to :meth:`open_token`.
        """
        return self._aead.decrypt

    def encryptor(self, iv: bytes, aad: str) -> Any:
        """A streaming AES-256-GCM encryptor, for a value too large to hold twice (or over 2 GiB)."""
        from cryptography.hazmat.primitives.ciphers import Cipher as _GcmStream, algorithms, modes

        context = _GcmStream(algorithms.AES(self._key.raw), modes.GCM(iv)).encryptor()
        context.authenticate_additional_data(aad.encode("utf-8", "surrogateescape"))
        return context

    def decryptor(self, iv: bytes, tag: bytes, aad: str) -> Any:
        """A streaming AES-256-GCM decryptor; its ``finalize`` raises ``InvalidTag`` unless all is authentic."""
        from cryptography.hazmat.primitives.ciphers import Cipher as _GcmStream, algorithms, modes

        context = _GcmStream(algorithms.AES(self._key.raw), modes.GCM(iv, tag)).decryptor()
        context.authenticate_additional_data(aad.encode("utf-8", "surrogateescape"))
        return context

    def _seal(self, iv: bytes, plaintext: bytes, aad: str) -> tuple[bytes, bytes]:
        """Ciphertext and tag; values of 2 GiB or more go through the streaming API."""
        if len(plaintext) <= _ONE_SHOT_LIMIT:
            sealed = self._aead.encrypt(iv, plaintext, aad.encode("utf-8", "surrogateescape"))
            return sealed[:-TAG_SIZE], sealed[-TAG_SIZE:]
        context = self.encryptor(iv, aad)
        data = context.update(plaintext) + context.finalize()
        return data, context.tag

    def _open(self, iv: bytes, data: bytes, tag: bytes, aad: str) -> bytes:
        """Plaintext of an authentic value (``InvalidTag``/``ValueError`` otherwise), of any size."""
        if len(data) + len(tag) <= _ONE_SHOT_LIMIT:
            return self._aead.decrypt(iv, data + tag, aad.encode("utf-8", "surrogateescape"))
        if len(tag) != TAG_SIZE:
            raise InvalidTag()
        context = self.decryptor(iv, tag, aad)
        plaintext = context.update(data)
        context.finalize()
        return plaintext

    def encrypt_bytes(self, plaintext: bytes, type_tag: str, aad: str) -> str:
        """The ``ENC[...]`` token of one value.  Runs once per value of every file written, so the
        common case (a value under 2 GiB) is written flat: :meth:`iv_for` and :meth:`_seal` inlined."""
        iv = self._stash.get((aad, type_tag, plaintext)) if self._stash else None
        if iv is None:
            at = self._iv_at
            if at >= len(self._ivs):
                self._ivs, at = os.urandom(IV_SIZE * 256), 0
            iv = self._ivs[at:at + IV_SIZE]
            self._iv_at = at + IV_SIZE
        if len(plaintext) <= _ONE_SHOT_LIMIT:
            sealed = self._aead.encrypt(iv, plaintext, aad.encode("utf-8", "surrogateescape"))
            data, tag = sealed[:-TAG_SIZE], sealed[-TAG_SIZE:]
        else:
            data, tag = self._seal(iv, plaintext, aad)
        b64 = binascii.b2a_base64
        return (f"ENC[AES256_GCM,data:{b64(data, newline=False).decode('ascii')},"
                f"iv:{b64(iv, newline=False).decode('ascii')},tag:{b64(tag, newline=False).decode('ascii')},"
                f"type:{type_tag}]")

    def decrypt_bytes(self, token: str, aad: str) -> tuple[bytes, str]:
        opened = self.open_token(token, aad)
        if opened is None:
            raise DecryptError("value is not in sops' ENC[] data format")
        return opened

    def open_token(self, token: Any, aad: str) -> tuple[bytes, str] | None:
        """(plaintext, type tag) of an ``ENC[...]`` token; None when ``token`` is not one.

        This runs once per value of every file read, so it is written flat:
        one regex pass, base64 decoded in C, no helper calls on the common path.
        """
        if token.__class__ is not str or not token.startswith(_HEAD):
            return None
        m = _PLAIN_TOKEN.match(token) or _greedy_token().match(token)
        if m is None:
            return None
        data_s, iv_s, tag_s, type_tag = m.groups()
        try:
            data, iv, tag = strict_b64decode(data_s), strict_b64decode(iv_s), strict_b64decode(tag_s)
        except (binascii.Error, ValueError):
            raise DecryptError("Error decrypting value: invalid base64 in ENC[] token") from None
        if not iv:
            raise DecryptError("Error decrypting value: empty IV")
        try:
            if len(data) + len(tag) <= _ONE_SHOT_LIMIT:
                plaintext = self._aead.decrypt(iv, data + tag, aad.encode("utf-8", "surrogateescape"))
            else:
                plaintext = self._open(iv, data, tag, aad)
        except (InvalidTag, ValueError):
            raise DecryptError(AUTH_FAILED) from None
        if self.remember_ivs:
            self._stash[(aad, type_tag, plaintext)] = iv
        return plaintext, type_tag

    def decrypt(self, token: str, aad: str) -> Any:
        if token == "":
            return ""
        plaintext, type_tag = self.decrypt_bytes(token, aad)
        return value_of(plaintext, type_tag)
