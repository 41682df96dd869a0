"""The public Python API; the CLI is a thin layer over these functions.

Everything cryptographic about an existing file comes from its metadata; the
config only supplies creation rules (for new files) and store settings.
"""
from __future__ import annotations

import os
from typing import Any, Mapping as TMapping, Sequence

from .core.cipher import Cipher, DataKey
from .config import CreationRule, merge_selector, split_list
from .core.datakey import recover_data_key, wrap_data_key
from .errors import (AlreadyEncrypted, ConfigError, EmptyDocument, MacMismatch, MetadataError, ParseError,
                     SealfileError)
from .core import payload
from .keys import KeyContext, MasterKey, now_rfc3339, provider
from .core.mac import MacHasher, mac_aad
from .core.metadata import LAYOUT_311, SOPS_VERSION, VERSION_FOR_LAYOUT, Metadata
from .core.selectors import KINDS, Selector
from .stores import format_for_path, store_for
from .core.tree import Mapping, to_python
from .core.treecrypt import decrypt_documents, encrypt_documents
from .core.treepath import get_path, parse_path
from .fileio import atomic_write, read_input, write_result
from .settings import decryption_order as decryption_order_from, environ, resolve_config, store_options

__all__ = ["encrypt_data", "encrypt_file", "decrypt_data", "decrypt_file", "load", "DecryptedFile",
           "decrypt_tree", "open_file", "file_status", "resolve_keys", "rule_keys", "kms_key",
           "parse_encryption_context", "FLAG_KEY_ORDER"]

#: order in which keys given on the command line are put into their one group
FLAG_KEY_ORDER = ("kms", "gcp_kms", "hckms", "azure_kv", "pgp", "hc_vault", "age")


def _ctx(env: TMapping[str, str] | None) -> KeyContext:
    return KeyContext(environ(env))


def resolve_keys(specs: Sequence[tuple[str, Any]], *, encryption_context: Any = None,
                 aws_profile: str | None = None) -> list[MasterKey]:
    """Turn (key type, spec) pairs from the CLI or a rule into key objects.

    ``encryption_context`` and ``aws_profile`` apply to KMS keys given as ARN
    strings (flags, a rule's flat ``kms`` list), not to the ``key_groups`` form,
    which carries its own, exactly as in sops.
    """
    context = parse_encryption_context(encryption_context)
    return [kms_key(spec, context, aws_profile) if type_name == "kms" and isinstance(spec, str)
            else provider(type_name).parse(spec) for type_name, spec in specs]


def rule_keys(rule: CreationRule, encryption_context: Any = None) -> list[list[MasterKey]]:
    """The key groups a creation rule gives (its ``aws_profile`` applies to its flat KMS keys)."""
    profile = rule.options.get("aws_profile")
    return [resolve_keys(g, encryption_context=encryption_context,
                         aws_profile=profile if isinstance(profile, str) else None) for g in rule.key_groups]


def kms_key(text: str, context: TMapping[str, str] | None = None, aws_profile: str | None = None) -> MasterKey:
    """A KMS key from ``ARN[+ROLE_ARN]`` text with the context and profile in force."""
    key: MasterKey = provider("kms").from_arn(text, context, aws_profile or "")
    return key


def parse_encryption_context(value: Any) -> dict[str, str] | None:
    """``--encryption-context k1:v1,k2:v2`` (or a mapping) as a dict; malformed text is exit 6."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, TMapping):
        return dict(value)  # the key source checks and converts the values, as for config files
    from .keys.awskms import parse_context

    return parse_context(str(value))


def _flag_specs(recipients: TMapping[str, Any]) -> list[tuple[str, Any]]:
    specs: list[tuple[str, Any]] = []
    for type_name in FLAG_KEY_ORDER:
        value = recipients.get(type_name)
        if value is None:
            continue
        items = split_list(value) if isinstance(value, str) else list(value)
        specs.extend((type_name, item) for item in items)
    unknown = set(recipients) - set(FLAG_KEY_ORDER)
    if unknown:
        raise SealfileError(f"unknown key type(s): {', '.join(sorted(unknown))}")
    return specs


def encrypt_data(
    data: bytes,
    *,
    input_type: str,
    output_type: str | None = None,
    filename: str | None = None,
    recipients: TMapping[str, Any] | None = None,
    age: str | Sequence[str] | None = None,
    pgp: str | Sequence[str] | None = None,
    encryption_context: str | TMapping[str, str] | None = None,
    aws_profile: str | None = None,
    key_groups: Sequence[Sequence[MasterKey]] | None = None,
    shamir_threshold: int | None = None,
    config: Any = None,
    mac_only_encrypted: bool | None = None,
    layout: str = LAYOUT_311,
    indent: int | None = None,
    env: TMapping[str, str] | None = None,
    **selectors: str | None,
) -> bytes:
    """Encrypt plaintext ``data`` (in ``input_type`` format) and return the encrypted file.

    Keys come from ``age``/``pgp``/``recipients``/``key_groups`` when given,
    else from the creation rule that matches ``filename`` in the config.
    ``recipients`` maps key types (``age pgp kms gcp_kms azure_kv hc_vault``) to
    comma-separated strings or lists; ``encryption_context`` (``"k:v,k2:v2"`` or
    a mapping) and ``aws_profile`` apply to KMS ARNs given here or in a rule's
    flat ``kms`` list.
    Selector keyword arguments are the six sops options (``encrypted_regex=...``).
    """
    bad = set(selectors) - set(KINDS)
    if bad:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(bad))}")
    env_map = environ(env)
    cfg = resolve_config(config, env_map)
    rule: CreationRule | None = cfg.rule_for(filename or "") if cfg.rules is not None else None
    in_store = store_for(input_type, **store_options(cfg, input_type, indent))
    out_fmt = output_type or input_type
    out_store = store_for(out_fmt, **store_options(cfg, out_fmt, indent))

    # a binary file is one opaque value: as bytes it can go straight into the envelope
    whole = input_type == "binary" and isinstance(data, bytes) and len(data) > 0 and payload.supports(out_store)
    docs = [] if whole else in_store.load_plain(data)
    if not whole and in_store.has_metadata(docs):
        raise AlreadyEncrypted(
            "The file you have provided contains a top-level entry called 'sops', or for dotenv "
            "files a key starting with 'sops_'. This is reserved for sops metadata: the file may "
            "already be encrypted; use 'sealfile edit' to change it")
    if not whole and not docs:
        raise EmptyDocument("cannot encrypt an empty file: at least one document is needed")

    flag = {k: v for k, v in (recipients or {}).items() if v}
    if age:
        flag["age"] = age
    if pgp:
        flag["pgp"] = pgp
    if key_groups is not None:
        groups = [list(g) for g in key_groups]
    elif flag:
        groups = [resolve_keys(_flag_specs(flag), encryption_context=encryption_context, aws_profile=aws_profile)]
    elif rule is not None and rule.key_groups:
        groups = rule_keys(rule, encryption_context)
    else:
        raise ConfigError("config file not found, or has no creation rules, and no keys provided "
                          "through command line options")
    if not any(groups):
        raise ConfigError("no keys to encrypt the data key for")
    threshold = shamir_threshold if shamir_threshold else (rule.shamir_threshold if rule else 0)
    if whole:
        return _encrypt_payload(data, out_store, groups, threshold, layout, env_map)

    binary = input_type == "binary"
    selector = None if binary else (merge_selector(selectors, rule) or Selector())
    mac_only = False if binary else bool(mac_only_encrypted or (rule.mac_only_encrypted if rule else False))

    data_key = DataKey.generate()
    cipher = Cipher(data_key)
    digest = encrypt_documents(docs, cipher, selector or Selector(), mac_only)
    out_store.check_storable(docs)  # before any key service is asked to wrap the data key
    entries = wrap_data_key(groups, data_key, threshold, _ctx(env_map))
    meta = Metadata(key_groups=entries, shamir_threshold=threshold, selector=selector,
                    mac_only_encrypted=mac_only, version=VERSION_FOR_LAYOUT.get(layout, SOPS_VERSION),
                    layout=layout)
    _seal_mac(meta, cipher, digest)
    return out_store.dump_encrypted(docs, meta.to_tree(for_json=out_fmt in ("json", "binary")))


def _encrypt_payload(data: bytes, out_store: Any, groups: list[list[MasterKey]], threshold: int, layout: str,
                     env_map: TMapping[str, str]) -> bytes:
    """:func:`encrypt_data` for a binary file into a JSON envelope, never holding it as a tree ``str``.

    As for any binary file in sops: no selector, and the MAC covers the payload.
    """
    data_key = DataKey.generate()
    entries = wrap_data_key(groups, data_key, threshold, _ctx(env_map))
    cipher = Cipher(data_key)
    meta = Metadata(key_groups=entries, shamir_threshold=threshold, selector=None, mac_only_encrypted=False,
                    version=VERSION_FOR_LAYOUT.get(layout, SOPS_VERSION), layout=layout)
    _seal_mac(meta, cipher, _payload_digest(data, False))
    return payload.seal(data, out_store, meta.to_tree(for_json=True), cipher)


def _payload_digest(plaintext: bytes, mac_only_encrypted: bool) -> str:
    """The MAC of a file whose only value is ``plaintext``, encrypted (what the tree walk would hash)."""
    hasher = MacHasher(mac_only_encrypted)
    hasher.add(plaintext, True)
    return hasher.hexdigest()


def _seal_mac(meta: Metadata, cipher: Cipher, digest: str) -> None:
    meta.lastmodified = now_rfc3339()
    meta.mac = cipher.encrypt_bytes(digest.encode(), "str", mac_aad(meta.lastmodified))


class DecryptedFile:
    """A decrypted tree with what is needed to write it back encrypted (edit, set, rotate...).

    ``store``/``path``/``format`` are set by :func:`open_file`; ``env`` is the
    environment key sources read credentials from when the data key is re-wrapped.
    A binary file's payload stays ``bytes`` (:attr:`payload_bytes`) until
    :attr:`docs` is first used: as a tree ``str`` it takes up to four times
    its size, which rotate never needs to pay.
    """

    def __init__(self, docs: list[Mapping], metadata: Metadata, cipher: Cipher, data_key: DataKey, *,
                 store: Any = None, fmt: str | None = None, path: str | None = None,
                 env: TMapping[str, str] | None = None, payload_bytes: bytes | None = None) -> None:
        self._docs = docs
        self._payload = payload_bytes
        self.metadata = metadata
        self.cipher = cipher
        self.data_key = data_key
        self.store = store
        self.format = fmt
        self.path = path
        self.env = environ(env)

    @property
    def docs(self) -> list[Mapping]:
        """The decrypted documents (a binary payload becomes its tree here, once)."""
        if self._payload is not None:
            self._docs, self._payload = _payload_tree(self._payload), None
        return self._docs

    @docs.setter
    def docs(self, value: list[Mapping]) -> None:
        self._docs, self._payload = value, None

    @property
    def payload_bytes(self) -> bytes | None:
        """A binary file's decrypted bytes while :attr:`docs` has not been used, else None."""
        return self._payload

    def reencrypt(self, store: Any = None, *, json_nulls: bool | None = None) -> bytes:
        """Encrypt the (possibly edited) tree again with the same data key and IV stash.

        The tree is encrypted in place: afterwards ``docs`` hold ciphertext.  A
        lone binary payload is the exception: it is sealed straight into the
        result (no ``str`` copies of a file-sized token) and ``docs`` keep it.
        """
        store = store or self.store
        if json_nulls is None:
            json_nulls = self.format in ("json", "binary")
        meta = self.metadata
        plaintext = self._payload_to_seal(store)
        if plaintext:
            _seal_mac(meta, self.cipher, _payload_digest(plaintext, meta.mac_only_encrypted))
            return payload.seal(plaintext, store, meta.to_tree(for_json=json_nulls), self.cipher)
        digest = encrypt_documents(self.docs, self.cipher, meta.selector or Selector(), meta.mac_only_encrypted)
        store.check_storable(self.docs)
        _seal_mac(meta, self.cipher, digest)
        return store.dump_encrypted(self.docs, meta.to_tree(for_json=json_nulls))

    def _payload_to_seal(self, store: Any) -> bytes | None:
        """The bytes to seal straight into ``store``'s envelope, when the tree is just a binary payload."""
        if not payload.supports(store) or not payload.encrypts(self.metadata.selector):
            return None
        if self._payload is not None:
            return self._payload
        text = payload.lone_text(self._docs)
        return None if text is None else text.encode("utf-8", "surrogateescape")

    def save(self, data: bytes) -> None:
        """Atomically replace the file this was opened from."""
        if self.path is None:
            raise SealfileError("this tree was not opened from a file")
        atomic_write(self.path, data)

    def master_keys(self) -> list[list[MasterKey]]:
        return [[entry.key for entry in group] for group in self.metadata.key_groups]

    def rewrap(self, groups: Sequence[Sequence[MasterKey]], threshold: int | None = None) -> None:
        """Wrap the current data key (re-split for Shamir) for ``groups``; replaces every ``enc``."""
        t = self.metadata.shamir_threshold if threshold is None else threshold
        self.metadata.key_groups = wrap_data_key(groups, self.data_key, t, _ctx(self.env))
        self.metadata.shamir_threshold = t

    def new_data_key(self) -> None:
        """Switch to a fresh data key, keeping the IV stash as sops's rotate does."""
        self.data_key = DataKey.generate()
        self.cipher = self.cipher.rekeyed(self.data_key)


def decrypt_tree(data: bytes, *, input_type: str, ignore_mac: bool = False,
                 decryption_order: str | Sequence[str] | None = None,
                 env: TMapping[str, str] | None = None, config: Any = False) -> DecryptedFile:
    """Parse and decrypt; the result can be re-encrypted with the same key."""
    return _decrypt(data, input_type=input_type, ignore_mac=ignore_mac, decryption_order=decryption_order,
                    env=env, config=config, keep_iv=True)


def _payload_tree(plaintext: bytes) -> list[Mapping]:
    """The tree the binary store gives a payload (arbitrary bytes survive as surrogate escapes)."""
    return [Mapping([[payload.KEY, plaintext.decode("utf-8", "surrogateescape")]])]


def _decrypt(data: bytes, *, input_type: str, ignore_mac: bool, decryption_order: str | Sequence[str] | None,
             env: TMapping[str, str] | None, config: Any, keep_iv: bool) -> DecryptedFile:
    """Parse, decrypt and check the MAC.

    sops's binary envelope is opened as bytes, without the generic path's
    copies (:mod:`sealfile.payload`).  ``keep_iv`` keeps the payload's IV for
    re-encryption, which costs a hash of the payload.
    """
    env_map = environ(env)
    cfg = resolve_config(config, env_map)
    store = store_for(input_type, **cfg.store_options(input_type))
    sealed = payload.find(data, store)
    if sealed is None:
        docs, meta_tree = store.load_encrypted(data)
        meta = Metadata.from_tree(meta_tree)
    else:
        docs, meta = [], sealed.metadata
    order = decryption_order_from(decryption_order, env_map)
    data_key = recover_data_key(meta.key_groups, meta.shamir_threshold, _ctx(env_map), order)
    cipher = Cipher(data_key)
    plaintext = None
    if sealed is None:
        digest = decrypt_documents(docs, cipher, meta.selector or Selector(), meta.mac_only_encrypted)
    else:
        hasher = MacHasher(meta.mac_only_encrypted)
        plaintext = sealed.open(cipher, hasher, keep_iv=keep_iv)
        digest = hasher.hexdigest()
    if not ignore_mac:
        _check_mac(meta, cipher, digest)
    return DecryptedFile(docs, meta, cipher, data_key, store=store, fmt=input_type, env=env_map,
                         payload_bytes=plaintext)


def open_file(path: str | os.PathLike[str], *, input_type: str | None = None,
              filename_override: str | None = None, ignore_mac: bool = False,
              decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
              env: TMapping[str, str] | None = None, config: Any = None) -> DecryptedFile:
    """Decrypt a file for an in-place change (edit, set, unset, rotate, updatekeys, groups).

    The result writes back in the file's own format, with the config's store
    settings, through :meth:`DecryptedFile.save`.
    """
    p = os.fspath(path)
    env_map = environ(env)
    fmt, _ = resolve_types(p, input_type, None, filename_override)
    try:
        cfg = resolve_config(config, env_map)
        result = decrypt_tree(read_input(p), input_type=fmt, ignore_mac=ignore_mac,
                              decryption_order=decryption_order, env=env_map, config=cfg)
    except SealfileError as exc:
        raise exc.with_path(p)
    result.store = store_for(fmt, **store_options(cfg, fmt, indent))
    result.path = p
    return result


def file_status(path: str | os.PathLike[str], *, input_type: str | None = None,
                filename_override: str | None = None) -> dict[str, bool]:
    """``{"encrypted": bool}`` as sops's filestatus: metadata with a version and a MAC."""
    p = os.fspath(path)
    fmt, _ = resolve_types(p, input_type, None, filename_override)
    try:
        data = read_input(p)
    except SealfileError as exc:
        raise exc.with_path(p)
    try:
        _, meta_tree = store_for(fmt).load_encrypted(data)
        meta = Metadata.from_tree(meta_tree)
    except MetadataError:
        return {"encrypted": False}
    except ParseError as exc:
        if fmt == "binary":  # any plain binary file; sops 3.11 fails on it instead
            return {"encrypted": False}
        raise exc.with_path(p)
    except SealfileError as exc:
        raise exc.with_path(p)
    return {"encrypted": bool(meta.version) and bool(meta.mac)}


def _check_mac(meta: Metadata, cipher: Cipher, digest: str) -> None:
    from .errors import DecryptError

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


def decrypt_data(data: bytes, *, input_type: str, output_type: str | None = None,
                 extract: str | Sequence[str | int] | None = None, ignore_mac: bool = False,
                 decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
                 env: TMapping[str, str] | None = None, config: Any = False) -> bytes:
    """Decrypt an encrypted file's bytes; return the plaintext file (or the extracted part)."""
    env_map = environ(env)
    cfg = resolve_config(config, env_map)
    result = _decrypt(data, input_type=input_type, ignore_mac=ignore_mac, decryption_order=decryption_order,
                      env=env_map, config=cfg, keep_iv=False)
    out_fmt = output_type or input_type
    out_store = store_for(out_fmt, **store_options(cfg, out_fmt, indent))
    path = None if extract is None else parse_path(extract) if isinstance(extract, str) else list(extract)
    plaintext = result.payload_bytes
    if plaintext is not None and (path == [payload.KEY] or (path is None and out_fmt == "binary")):
        return plaintext  # what the binary store (or extracting the string) writes, without copies
    del plaintext
    if path is not None:
        node = get_path(result.docs[0] if result.docs else Mapping(), path)
        if isinstance(node, str):
            return node.encode("utf-8", "surrogateescape")
        return out_store.dump_value(node)
    return out_store.dump_plain(result.docs)


def resolve_types(path: str, input_type: str | None, output_type: str | None,
                   filename_override: str | None) -> tuple[str, str]:
    """As sops: each side is its flag or else the format of the file name's extension."""
    name = filename_override or ("" if path in ("-", "/dev/stdin") else path)
    return input_type or format_for_path(name), output_type or format_for_path(name)


def encrypt_file(path: str | os.PathLike[str], *, output: str | None = None, in_place: bool = False,
                 input_type: str | None = None, output_type: str | None = None,
                 filename_override: str | None = None, **options: Any) -> bytes:
    """Encrypt a file; write it in place or to ``output`` when asked; return the encrypted bytes."""
    p = os.fspath(path)
    fmt_in, fmt_out = resolve_types(p, input_type, output_type, filename_override)
    try:
        out = encrypt_data(read_input(p), input_type=fmt_in, output_type=fmt_out,
                           filename=filename_override or p, **options)
    except SealfileError as exc:
        raise exc.with_path(p)
    write_result(out, p, in_place=in_place, output=output)
    return out


def decrypt_file(path: str | os.PathLike[str], *, output: str | None = None, in_place: bool = False,
                 input_type: str | None = None, output_type: str | None = None,
                 filename_override: str | None = None, **options: Any) -> str | bytes:
    """Decrypt a file; return ``str`` for text formats and ``bytes`` for binary output."""
    p = os.fspath(path)
    fmt_in, fmt_out = resolve_types(p, input_type, output_type, filename_override)
    try:
        out = decrypt_data(read_input(p), input_type=fmt_in, output_type=fmt_out, **options)
    except SealfileError as exc:
        raise exc.with_path(p)
    write_result(out, p, in_place=in_place, output=output, new_file_mode=0o600)
    if fmt_out == "binary":
        return out
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return out


def load(path: str | os.PathLike[str], **options: Any) -> Any:
    """Decrypted data of a file as plain Python objects (dicts, lists, scalars).

    Multi-document YAML returns the first document, like ``--extract``.
    """
    p = os.fspath(path)
    fmt = options.pop("input_type", None) or format_for_path(p)
    try:
        result = decrypt_tree(read_input(p), input_type=fmt, **options)
    except SealfileError as exc:
        raise exc.with_path(p)
    return to_python(result.docs[0]) if result.docs else {}
