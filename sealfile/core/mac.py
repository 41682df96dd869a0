"""The message authentication code over a file's plaintext values (docs/sops-format.md §3).

SHA-512 of every leaf's plaintext bytes in walk order, stored as an uppercase
hex string encrypted like a value, with the normalised ``lastmodified`` as
additional data.
"""
from __future__ import annotations

import re
import sys

from ..errors import MetadataError

try:
    # CPython's own SHA-512, which the standard library's ``random`` imports the same way: ``hashlib``
    # would load OpenSSL's libcrypto as a second copy beside cryptography's (2 ms of every start-up)
    # for a hash over kilobytes in most files
    if sys.version_info >= (3, 12):
        from _sha2 import sha512  # type: ignore[import-not-found]
    else:
        from _sha512 import sha512  # type: ignore[import-not-found,no-redef]
except ImportError:  # pragma: no cover - a build without the built-in hashes
    from hashlib import sha512  # type: ignore[assignment]

#: SHA-256("sops"): prefix of the hash when only encrypted values are covered
MAC_ONLY_ENCRYPTED_PREFIX = bytes.fromhex("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69")

#: a timestamp in sops metadata (``lastmodified``, a key's ``created_at``): RFC 3339, whole seconds or a
#: fraction; the groups are the seconds and the zone
TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})\Z"
)


class MacHasher:
    """Accumulates the digest while the walk visits leaves.

    ``bulk``: the input is one large binary payload, which OpenSSL's SHA-512
    (``hashlib``, loaded only then) hashes twice as fast as the built-in one.
    """

    def __init__(self, mac_only_encrypted: bool = False, *, bulk: bool = False) -> None:
        if bulk:
            import hashlib

            self._h = hashlib.sha512()
        else:
            self._h = sha512()
        self.mac_only_encrypted = mac_only_encrypted
        if mac_only_encrypted:
            self._h.update(MAC_ONLY_ENCRYPTED_PREFIX)
        #: :meth:`add` for an encrypted leaf, which every mode hashes: the hash's own ``update``, as the
        #: walks call it once per value
        self.add_encrypted = self._h.update

    def add(self, plaintext: bytes | bytearray | memoryview, encrypted: bool) -> None:
        """Hash one leaf's plaintext (or the next piece of it: a binary payload comes in chunks)."""
        if encrypted or not self.mac_only_encrypted:
            self._h.update(plaintext)

    def hexdigest(self) -> str:
        return self._h.hexdigest().upper()


def mac_aad(lastmodified: str) -> str:
    """sops parses ``lastmodified`` as RFC 3339 and formats it again with whole seconds."""
    m = TIMESTAMP.match(lastmodified or "")
    if not m:
        raise MetadataError("invalid lastmodified timestamp in sops metadata (expected RFC 3339)")
    zone = m.group(2)
    return m.group(1) + ("Z" if zone in ("Z", "+00:00", "-00:00") else zone)
