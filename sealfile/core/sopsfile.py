"""The one in-memory form of a SOPS file that every operation uses.

A :class:`SopsFile` holds a file's documents, its metadata and, once
unlocked, its data key.  Operations differ only in which steps they take:

* decrypt: ``load`` → ``unlock`` → ``decrypt`` → (read ``docs``);
* edit, set, unset: ``load`` → ``unlock`` → ``decrypt`` → change ``docs`` →
  ``encrypt`` → ``dump``: unchanged values keep their exact ciphertext, because
  the cipher remembers every IV it decrypted;
* rotate: the same, with ``new_data_key`` and ``rewrap`` before ``encrypt``;
* updatekeys, groups: ``load`` → ``unlock`` → ``rewrap`` → ``dump``: the values
  stay ciphertext and are written back byte for byte;
* encrypt: ``create`` → ``encrypt`` → ``rewrap`` → ``dump``.

Stores arrive as objects (anything with the :class:`~sealfile.stores.base.Store`
methods), key contexts as arguments: this module reads no settings and does
no I/O.  A binary file in sops's JSON envelope is held as bytes
(:mod:`.payload`) rather than as a tree string, so a 1 GB file costs about
twice its size, not ten times.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..errors import DecryptError, MacMismatch
from ..keys import KeyContext, MasterKey, now_rfc3339
from . import payload
from .cipher import Cipher, DataKey
from .datakey import recover_data_key, wrap_data_key
from .mac import MacHasher, mac_aad
from .metadata import LAYOUT_311, SOPS_VERSION, VERSION_FOR_LAYOUT, Metadata
from .selectors import Selector
from .tree import Mapping
from .treecrypt import decrypt_documents, encrypt_documents

__all__ = ["SopsFile"]


class SopsFile:
    """Documents, metadata and data key of one file; see the module docstring for the life cycle.

    ``docs`` hold ciphertext after :meth:`load` and :meth:`encrypt`, plaintext
    after :meth:`decrypt` and :meth:`create`.  ``store`` is the format the file
    was read in; :meth:`dump` writes in it unless told otherwise.
    """

    def __init__(self, store: Any, docs: list[Mapping], metadata: Metadata, *, path: str | None = None) -> None:
        self.store = store
        self._docs = docs
        self.metadata = metadata
        self.path = path
        self._data_key: DataKey | None = None
        self._cipher: Cipher | None = None
        self._plaintext = False
        self._sealed: payload.SealedPayload | None = None  # a binary envelope not yet opened
        self._payload: bytes | None = None  # a binary payload's plaintext while ``docs`` is unused

    # --- making one ----------------------------------------------------------------------------

    @classmethod
    def load(cls, data: bytes, store: Any, *, path: str | None = None, whole_payload: bool = False,
             layout: bool = False) -> "SopsFile":
        """Parse an encrypted file (no key is needed for this).

        ``whole_payload`` lets a binary envelope stay bytes until it is
        decrypted: for operations that decrypt the values.  Operations that
        write the values back as they are (updatekeys, groups) keep the tree.
        ``layout``: the file will be written back, and should keep its layout
        where its format can (YAML: :meth:`dump` then changes only what changed).
        """
        sealed = payload.find(data, store) if whole_payload else None
        if sealed is not None:
            sf = cls(store, [], sealed.metadata, path=path)
            sf._sealed = sealed
            return sf
        if layout and getattr(store, "keeps_layout", False):
            docs, meta_tree = store.load_encrypted(data, layout=True)
        else:
            docs, meta_tree = store.load_encrypted(data)
        return cls(store, docs, Metadata.from_tree(meta_tree), path=path)

    @classmethod
    def create(cls, store: Any, docs: list[Mapping] | None, *, selector: Selector | None,
               mac_only_encrypted: bool, layout: str = LAYOUT_311, whole_payload: bytes | None = None) -> "SopsFile":
        """A new plaintext file with a fresh data key and no key groups yet (``rewrap`` adds them).

        ``whole_payload`` is a binary file's content, kept as bytes instead of ``docs``.
        """
        meta = Metadata(key_groups=[], shamir_threshold=0, selector=selector, mac_only_encrypted=mac_only_encrypted,
                        version=VERSION_FOR_LAYOUT.get(layout, SOPS_VERSION), layout=layout)
        sf = cls(store, docs or [], meta)
        sf._payload = whole_payload
        sf._set_data_key(DataKey.generate())
        sf._plaintext = True
        return sf

    # --- the documents ---------------------------------------------------------------------------

    @property
    def docs(self) -> list[Mapping]:
        """The documents (a binary payload becomes its tree here, once)."""
        if self._payload is not None:
            self._docs = [Mapping([[payload.KEY, self._payload.decode("utf-8", "surrogateescape")]])]
            self._payload = None
        return self._docs

    @docs.setter
    def docs(self, value: list[Mapping]) -> None:
        self._docs, self._payload = value, None

    @property
    def payload_bytes(self) -> bytes | None:
        """A binary file's decrypted content while :attr:`docs` has not been used, else None."""
        return self._payload

    # --- keys ----------------------------------------------------------------------------------

    @property
    def data_key(self) -> DataKey:
        if self._data_key is None:
            raise DecryptError("the file is locked: unlock it with a key first", file=self.path)
        return self._data_key

    def _set_data_key(self, key: DataKey) -> None:
        self._data_key = key
        self._cipher = Cipher(key) if self._cipher is None else self._cipher.rekeyed(key)

    def master_keys(self) -> list[list[MasterKey]]:
        return [[entry.key for entry in group] for group in self.metadata.key_groups]

    def unlock(self, keys: KeyContext, order: Sequence[str] | None) -> None:
        """Recover the data key from the key groups (trying key types in ``order`` first)."""
        meta = self.metadata
        self._set_data_key(recover_data_key(meta.key_groups, meta.shamir_threshold, keys, order))

    def rewrap(self, groups: Sequence[Sequence[MasterKey]], threshold: int, keys: KeyContext) -> None:
        """Wrap the data key (re-split for Shamir) for ``groups``; every ``enc`` is new.

        ``threshold`` is recorded as given; the operation decides it (sops's
        commands differ on what a threshold of 0 with several groups becomes).
        """
        self.metadata.key_groups = wrap_data_key(groups, self.data_key, threshold, keys)
        self.metadata.shamir_threshold = threshold

    def new_data_key(self) -> None:
        """Switch to a fresh data key; the IV memory stays, as sops's rotate keeps IVs."""
        self._set_data_key(DataKey.generate())

    def share_key(self, other: "SopsFile") -> None:
        """Use ``other``'s data key and cipher, IV memory included, from now on (a git merge).

        Two versions of one file that share a data key then keep, when either
        is written, the exact token of every value that either one decrypted.
        """
        self._data_key = other.data_key
        self._cipher = other._require_cipher()

    # --- values --------------------------------------------------------------------------------

    def decrypt(self, *, verify_mac: bool = True, keep_iv: bool = True) -> None:
        """Decrypt every value in place and check the MAC (unless ``verify_mac`` is False).

        ``keep_iv`` remembers each value's IV so that writing it back unchanged
        gives the same ciphertext (edit, set, rotate); reading alone needs none.
        """
        cipher = self._require_cipher()
        cipher.remember_ivs = keep_iv
        meta = self.metadata
        if self._sealed is not None:
            hasher = MacHasher(meta.mac_only_encrypted, bulk=True)
            self._payload, self._sealed = self._sealed.open(cipher, hasher, keep_iv=keep_iv), None
            digest = hasher.hexdigest()
        else:
            digest = decrypt_documents(self._docs, cipher, meta.selector or Selector(), meta.mac_only_encrypted)
        self._plaintext = True
        if verify_mac:
            _check_mac(meta, cipher, digest)

    # --- a file read a part at a time ------------------------------------------------------------

    def mac_hasher(self) -> MacHasher:
        """The MAC hasher the parts of a file read in regions go into, in order."""
        return MacHasher(self.metadata.mac_only_encrypted)

    def decrypt_part(self, docs: list[Mapping], hasher: MacHasher) -> None:
        """Decrypt one part of the file in place (the parts come in file order; ``docs`` stays unused)."""
        meta = self.metadata
        cipher = self._require_cipher()
        cipher.remember_ivs = False
        decrypt_documents(docs, cipher, meta.selector or Selector(), meta.mac_only_encrypted, hasher)

    def encrypt_part(self, docs: list[Mapping], hasher: MacHasher) -> None:
        """Encrypt one part of a new file in place; :meth:`seal` once every part is in ``hasher``."""
        meta = self.metadata
        encrypt_documents(docs, self._require_cipher(), meta.selector or Selector(), meta.mac_only_encrypted, hasher)

    def check_mac(self, digest: str) -> None:
        """Compare the MAC of the decrypted parts with the file's own."""
        _check_mac(self.metadata, self._require_cipher(), digest)

    def seal(self, digest: str) -> None:
        """Set ``lastmodified`` and the MAC over ``digest`` (the encrypted values' hash)."""
        meta = self.metadata
        meta.lastmodified = now_rfc3339()
        meta.mac = self._require_cipher().encrypt_bytes(digest.encode(), "str", mac_aad(meta.lastmodified))

    def encrypt(self, store: Any = None) -> None:
        """Encrypt the plaintext documents in place and seal a new MAC (and ``lastmodified``).

        ``store`` (default: the file's own) is the format the result will be
        written in: it refuses, before any key service is asked anything, a
        tree it cannot write so that it reads back (exit 4).
        """
        cipher = self._require_cipher()
        meta = self.metadata
        target = store or self.store
        plaintext = self._whole_payload(target)
        if plaintext is not None:
            digest = _payload_digest(plaintext, meta.mac_only_encrypted)
        else:
            digest = encrypt_documents(self.docs, cipher, meta.selector or Selector(), meta.mac_only_encrypted)
            target.check_storable(self._docs)
            self._plaintext = False
        self.seal(digest)

    def dump(self, store: Any = None) -> bytes:
        """The file's bytes in ``store``'s format (default: its own): metadata attached as sops does."""
        target = store or self.store
        tree = self.metadata.to_tree(for_json=target.json_metadata)
        plaintext = self._whole_payload(target) if self._plaintext else None
        if plaintext is not None:
            return payload.seal(plaintext, target, tree, self._require_cipher())
        return target.dump_encrypted(self.docs, tree)

    # --- helpers -------------------------------------------------------------------------------

    def _require_cipher(self) -> Cipher:
        if self._cipher is None:
            raise DecryptError("the file is locked: unlock it with a key first", file=self.path)
        return self._cipher

    def _whole_payload(self, store: Any) -> bytes | None:
        """The bytes to seal straight into ``store``'s envelope, when the tree is just a binary payload."""
        if not payload.supports(store) or not payload.encrypts(self.metadata.selector):
            return None
        if self._payload is not None:
            return self._payload
        text = payload.lone_text(self._docs) if self._plaintext else None
        return None if text is None else text.encode("utf-8", "surrogateescape")


def _payload_digest(plaintext: bytes, mac_only_encrypted: bool) -> str:
    """The MAC of a file whose only value is ``plaintext``, encrypted (what the tree walk would hash)."""
    hasher = MacHasher(mac_only_encrypted, bulk=True)
    hasher.add(plaintext, True)
    return hasher.hexdigest()


def _check_mac(meta: Metadata, cipher: Cipher, digest: str) -> None:
    if meta.mac == "":
        # sops prints the computed MAC here; it is a SHA-512 of the plaintext values, which low-entropy
        # secrets make brute-forceable, so it is never shown
        raise MacMismatch("MAC mismatch: the file has no MAC (its 'mac' entry is empty or missing), so its "
                          "values cannot be verified; use --ignore-mac to decrypt it anyway")
    try:
        stored, _ = cipher.decrypt_bytes(meta.mac, mac_aad(meta.lastmodified))
    except DecryptError:
        raise MacMismatch("Cannot decrypt MAC: the MAC does not authenticate with this file's data key "
                          "and lastmodified time") from None
    if stored.decode("ascii", "replace") != digest:
        raise MacMismatch("MAC mismatch: the file's values do not match its MAC (the file was "
                          "modified without sealfile or sops, or values were moved or removed)")
