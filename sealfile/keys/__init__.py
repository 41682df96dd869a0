"""Registry of key sources, imported lazily by name.

Adding a key source means writing its module and adding one line here; the
SDK a source needs is imported inside that module's functions, so a plain age
decrypt never loads boto3 or google-cloud-kms.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import MissingExtra, UnknownRecipient
from .base import KeyContext, KeyEntry, MasterKey, now_rfc3339

__all__ = ["KeyContext", "KeyEntry", "MasterKey", "now_rfc3339", "provider", "COLLECT_ORDER",
           "DEFAULT_DECRYPTION_ORDER", "KNOWN_TYPES", "entry_from_metadata"]

_PROVIDERS: dict[str, str] = {
    "age": "sealfile.keys.age:AgeKey",
    "pgp": "sealfile.keys.pgp:PgpKey",
    "kms": "sealfile.keys.awskms:AwsKmsKey",
    "gcp_kms": "sealfile.keys.gcpkms:GcpKmsKey",
    "azure_kv": "sealfile.keys.azkv:AzureKeyVaultKey",
    "hc_vault": "sealfile.keys.hcvault:VaultTransitKey",
}

#: key type -> the pyproject extra that installs its SDK
_EXTRAS = {"kms": "aws", "gcp_kms": "gcp", "azure_kv": "azure"}
#: order in which sops collects the keys of a group from the metadata
COLLECT_ORDER = ("kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age")
#: types sops knows; entries of a type without a provider are kept verbatim
KNOWN_TYPES = frozenset(COLLECT_ORDER)
DEFAULT_DECRYPTION_ORDER = ("age", "pgp")


def provider(type_name: str) -> type:
    target = _PROVIDERS.get(type_name)
    if target is None:
        raise UnknownRecipient(f"key type {type_name!r} is not supported by this version of sealfile")
    module_name, _, cls_name = target.partition(":")
    try:
        module = __import__(module_name, fromlist=["_"])  # unlike importlib, seen by -X importtime
    except ImportError as exc:  # an optional SDK is missing
        extra = _EXTRAS.get(type_name, "all")
        raise MissingExtra(f"{type_name} keys need an optional dependency ({exc.name}): "
                           f"pip install 'sealfile[{extra}]'") from None
    return getattr(module, cls_name)


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
        from ..errors import MasterKeyError

        raise MasterKeyError(f"{self.type_name} keys are not supported by this version of sealfile")

    unwrap = wrap  # type: ignore[assignment]

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        return [(k, enc if k == "enc" else v) for k, v in self.fields]


def entry_from_metadata(type_name: str, entry: Mapping[str, Any]) -> KeyEntry:
    if type_name in _PROVIDERS:
        return provider(type_name).from_metadata(entry)
    key = OpaqueKey(type_name, list(entry.items()))
    return KeyEntry(key, str(entry.get("enc", "")), entry.get("created_at"))
