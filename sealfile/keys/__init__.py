"""The registry of key types: the one list of them in sealfile.

Each module named here declares its :class:`KeyType` (metadata name, flags,
config fields, orders); config parsing, metadata layout, the decryption
order and the command-line flags are built from those declarations.  Adding
a key type means writing its module and adding one line to ``_MODULES``.
The modules are small and import their SDKs only inside functions, so
reading the declarations loads no boto3 or google-cloud-kms.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..errors import DuplicateDecryptionKeyType, MasterKeyError, MissingExtra, UnknownKeyType, UnknownRecipient
from .base import KeyBase, KeyContext, KeyEntry, KeyOrder, KeyType, FlagOption, MasterKey, now_rfc3339

__all__ = ["KeyContext", "KeyEntry", "KeyType", "KeyOrder", "FlagOption", "MasterKey", "KeyBase", "now_rfc3339",
           "key_types", "key_type", "provider", "parse_key", "parse_keys", "entry_from_metadata", "OpaqueKey",
           "default_decryption_order", "ordered", "new_identity", "names", "DEFAULT_DECRYPTION_ORDER", "parse_decryption_order"]

#: one line per key type: its metadata name, and the module under ``sealfile.keys`` that declares it
_MODULES = {
    "kms": "awskms",
    "gcp_kms": "gcpkms",
    "hckms": "hckms",
    "azure_kv": "azkv",
    "pgp": "pgp",
    "hc_vault": "hcvault",
    "age": "age",
}
#: the key types tried first when nothing else is asked for (sops's default), then the file's order
DEFAULT_DECRYPTION_ORDER = ("age", "pgp")


def names() -> tuple[str, ...]:
    """Every key type's metadata name (no module is imported for this)."""
    return tuple(_MODULES)


def key_type(name: str) -> KeyType:
    """The declaration of key type ``name``; only its own module is imported."""
    module = _MODULES.get(name)
    if module is None:
        raise UnknownRecipient(f"unknown key type {name!r}")
    declared: KeyType = __import__(f"{__name__}.{module}", fromlist=["KEY_TYPE"]).KEY_TYPE
    return declared


def key_types(subset: Iterable[str] | None = None) -> tuple[KeyType, ...]:
    """The declarations of ``subset`` (default: every key type), in the registry's order.

    Reading a file needs only the types it names, so an age file never
    imports the Vault module; the command line and config rules need them all.
    """
    wanted = set(_MODULES) if subset is None else set(subset)
    return tuple(key_type(name) for name in _MODULES if name in wanted)


def ordered(place: str, subset: Iterable[str] | None = None) -> tuple[KeyType, ...]:
    """The key types (of ``subset``) in sops's order for ``place`` (a :class:`KeyOrder` field)."""
    return tuple(sorted(key_types(subset), key=lambda t: getattr(t.order, place)))


def default_decryption_order() -> tuple[str, ...]:
    return DEFAULT_DECRYPTION_ORDER


def provider(type_name: str) -> type:
    """The class implementing ``type_name``, imported now (a missing SDK is reported with its extra)."""
    kt = key_type(type_name) if type_name in _MODULES else None
    if kt is None or kt.implementation is None:
        raise UnknownRecipient(f"key type {type_name!r} is not supported by this version of sealfile")
    module_name, _, cls_name = kt.implementation.partition(":")
    try:
        module = __import__(module_name, fromlist=["_"])  # unlike importlib, seen by -X importtime
    except ImportError as exc:  # an optional SDK is missing
        raise MissingExtra(f"{type_name} keys need an optional dependency ({exc.name}): "
                           f"pip install 'sealfile[{kt.extra or 'all'}]'") from None
    return getattr(module, cls_name)


def parse_key(type_name: str, spec: Any, options: Mapping[str, Any] | None = None) -> MasterKey:
    """A key of ``type_name`` from a flag or config item; ``options`` as :meth:`MasterKey.parse` takes them."""
    key: MasterKey = provider(type_name).parse(spec, options)
    return key


def parse_keys(type_name: str, text: str, options: Mapping[str, Any] | None = None) -> list[MasterKey]:
    """Keys of one type from a comma-separated list (a flag, a recipients variable): items trimmed,
    empty items skipped."""
    return [parse_key(type_name, item.strip(), options) for item in text.split(",") if item.strip()]


def parse_decryption_order(text: str | None) -> tuple[str, ...] | None:
    """``--decryption-order age,pgp`` as key type names; a duplicate is exit 112, an unknown name exit 1."""
    if not text:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(set(names)) != len(names):
        raise DuplicateDecryptionKeyType("duplicate key type in decryption order")
    unknown = [n for n in names if n not in _MODULES]
    if unknown:
        raise UnknownKeyType(f"unknown key type in decryption order: {', '.join(unknown)}")
    return tuple(names)


class OpaqueKey:
    """A key of a type this build cannot use; kept so rewriting loses nothing."""

    def __init__(self, type_name: str, fields: list[tuple[str, Any]]) -> None:
        self.type_name = type_name
        self.fields = fields

    def to_string(self) -> str:
        for name in ("key_id", "resource_id", "arn", "vault_url", "recipient", "fp"):
            for k, v in self.fields:
                if k == name:
                    return str(v)
        return self.type_name

    def wrap(self, data_key: bytes, ctx: KeyContext) -> str:
        raise MasterKeyError(f"{self.type_name} keys are not supported by this version of sealfile")

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        raise MasterKeyError(f"{self.type_name} keys are not supported by this version of sealfile")

    def resolved(self, ctx: KeyContext) -> "OpaqueKey":
        return self

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        return [(k, enc if k == "enc" else v) for k, v in self.fields]


def new_identity() -> tuple[str, str]:
    """A new identity of the kind ``keygen`` makes (an age X25519 key): (secret, recipient)."""
    from .age import generate_identity

    secret, recipient = generate_identity()
    return secret, recipient


def entry_from_metadata(type_name: str, entry: Mapping[str, Any]) -> KeyEntry:
    """One metadata entry as a :class:`KeyEntry`; a type without an implementation is kept verbatim."""
    if type_name in _MODULES and key_type(type_name).implementation is not None:
        parsed: KeyEntry = provider(type_name).from_metadata(entry)
        return parsed
    key = OpaqueKey(type_name, list(entry.items()))
    return KeyEntry(key, str(entry.get("enc", "")), entry.get("created_at"))
