"""Encrypting and decrypting whole documents, computing the MAC on the way.

One walk does both jobs, so a file is traversed once per operation.
"""
from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidTag

from .cipher import Cipher, is_token, match_plain_token, plaintext_of, strict_b64decode, value_of
from ..errors import DecryptError, EncryptError, key_path_of_aad
from .mac import MacHasher
from .selectors import Selector
from .tree import Comment, Mapping
from .walk import walk


def _check_keys(docs: list[Mapping]) -> None:
    """sops refuses non-string mapping keys when encrypting (exit 23)."""
    stack: list[Any] = list(docs)
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            for k, v in node:
                if not isinstance(k, (str, Comment)):
                    raise EncryptError(f"mapping key of type {type(k).__name__} is not a string; "
                                       "sops can only encrypt string keys")
                stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)


def encrypt_documents(docs: list[Mapping], cipher: Cipher, selector: Selector,
                      mac_only_encrypted: bool = False, hasher: MacHasher | None = None) -> str:
    """Encrypt ``docs`` in place; return the MAC digest (uppercase hex).

    ``hasher``: one that earlier parts of the same file went into (a file read in regions).
    """
    _check_keys(docs)
    if hasher is None:
        hasher = MacHasher(mac_only_encrypted)
    add, add_encrypted, encrypt_bytes = hasher.add, hasher.add_encrypted, cipher.encrypt_bytes
    comment_regex = selector.compiled() if selector.kind == "unencrypted_comment_regex" else None

    def visit(value: Any, aad: str, encrypt: bool, is_comment: bool) -> Any:
        if is_comment:
            if not encrypt or value.text == "":
                return value
            token = cipher.encrypt(value, aad)
            if comment_regex is not None and comment_regex.search(token):
                raise EncryptError("an encrypted comment matches unencrypted_comment_regex; "
                                   "choose a regex that cannot match ENC[...] text")
            return Comment(token)
        if encrypt and value.__class__ is str:  # most values: what plaintext_of does for a string, inline
            if not value:
                return value  # sops never encrypts an empty string (and no bytes change the MAC)
            plaintext = value.encode("utf-8", "surrogateescape")
            add_encrypted(plaintext)
            return encrypt_bytes(plaintext, "str", aad)
        try:
            plaintext, type_tag = plaintext_of(value)
        except EncryptError as exc:
            raise EncryptError(f"cannot encrypt value at {aad}: {exc.message}", key_path=key_path_of_aad(aad)) from None
        add(plaintext, encrypt)
        if not encrypt or plaintext == b"" and type_tag == "str":
            return value
        return encrypt_bytes(plaintext, type_tag, aad)

    walk(docs, selector, visit, list_comments_as_items=True)
    return hasher.hexdigest()


def decrypt_documents(docs: list[Mapping], cipher: Cipher, selector: Selector,
                      mac_only_encrypted: bool = False, hasher: MacHasher | None = None) -> str:
    """Decrypt ``docs`` in place; return the MAC digest recomputed from the plaintext (``hasher`` as
    for :func:`encrypt_documents`)."""
    if hasher is None:
        hasher = MacHasher(mac_only_encrypted)
    add_encrypted = hasher.add_encrypted
    open_token = cipher.open_token

    def visit_any(value: Any, aad: str, encrypt: bool, is_comment: bool) -> Any:
        if is_comment:
            if encrypt and is_token(value.text):
                try:
                    return Comment(_comment_text(cipher, value.text, aad))
                except DecryptError:
                    return value  # sops keeps an undecryptable comment as it is
            return value
        if not encrypt:
            plaintext, _ = plaintext_of(value)
            hasher.add(plaintext, False)
            return value
        if value == "":
            return value
        try:
            opened = open_token(value, aad)
            if opened is None:
                if not isinstance(value, str):
                    raise DecryptError(f"value at {aad} is not encrypted (expected an ENC[] string, "
                                       f"found {type(value).__name__})", key_path=key_path_of_aad(aad))
                raise DecryptError(f"value at {aad} is not in sops' ENC[] data format", key_path=key_path_of_aad(aad))
            plaintext, type_tag = opened
            if type_tag == "str":  # most values: a string's bytes are its plaintext, hashed as they are
                add_encrypted(plaintext)
                return plaintext.decode("utf-8", "surrogateescape")
            result = value_of(plaintext, type_tag)
        except DecryptError as exc:
            if exc.key_path is not None:
                raise
            raise DecryptError(f"could not decrypt value at {aad}: {exc.message}",
                               key_path=key_path_of_aad(aad)) from None
        if type_tag != "comment":
            add_encrypted(plaintext_of(result)[0])
        return result

    # The common leaf, a token in the shape sops writes, is opened right here with the cipher's
    # primitives: this runs once per value of every file read, and calls were a third of its time.
    # Anything else, and any failure, goes through visit_any, which does it all again and reports
    # the error exactly as it always did.
    fields_of, b64, aes_open = match_plain_token, strict_b64decode, cipher.raw_opener()
    remember = cipher.remember if cipher.remember_ivs else None

    def visit(value: Any, aad: str, encrypt: bool, is_comment: bool) -> Any:
        fields = fields_of(value) if value.__class__ is str and encrypt and not is_comment else None
        if fields is None:
            return visit_any(value, aad, encrypt, is_comment)
        data_s, iv_s, tag_s, type_tag = fields.groups()
        try:
            iv = b64(iv_s)
            plaintext = aes_open(iv, b64(data_s) + b64(tag_s), aad.encode("utf-8", "surrogateescape"))
        except (ValueError, OverflowError, InvalidTag):  # binascii.Error is a ValueError
            return visit_any(value, aad, encrypt, is_comment)
        if remember is not None:
            remember(plaintext, type_tag, aad, iv)
        if type_tag == "str":
            add_encrypted(plaintext)
            return plaintext.decode("utf-8", "surrogateescape")
        try:
            result = value_of(plaintext, type_tag)
        except DecryptError:
            return visit_any(value, aad, encrypt, is_comment)
        if type_tag != "comment":
            add_encrypted(plaintext_of(result)[0])
        return result

    walk(docs, selector, visit)
    return hasher.hexdigest()


def _comment_text(cipher: Cipher, token: str, aad: str) -> str:
    value = cipher.decrypt(token, aad)
    return value.text if isinstance(value, Comment) else str(value)
