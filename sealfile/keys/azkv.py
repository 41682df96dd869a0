"""Azure Key Vault master keys (sops ``azkv/keysource.go``).

The data key is wrapped by the vault's own ``encrypt`` operation with
RSA-OAEP-256 and stored as base64url without padding, the one key type that
uses that alphabet.  Like sops, sealfile calls only the vault operations:
``GET /keys/{name}`` once when no version is given (the vault's current version
is what gets recorded), ``POST .../encrypt`` to wrap and ``POST .../decrypt`` to
unwrap.  The Python ``CryptographyClient`` would instead fetch the key and
encrypt locally, needing ``keys/get`` permission sops does not need; so the
operations go through the ``KeyClient``'s own pipeline (``send_request``),
which still does the bearer challenge, retries and timeouts of the SDK.
"""
from __future__ import annotations

import re
from ..records import record, replace
from typing import Any, ClassVar, Mapping

from ..errors import MasterKeyError, MetadataError, UnknownRecipient
from .base import KeyBase, KeyContext, KeyEntry, KeyOrder, KeyType, import_sdk, now_rfc3339, recorded

__all__ = ["KEY_TYPE", "AzureKeyVaultKey"]

#: sops's NewMasterKeyFromURL pattern: {vaultUrl}/keys/{name}[/{version}].  Like every pattern here it is
#: compiled on first use, through ``re``'s cache: every encrypt reads this module for its flags, few use its keys
_URL = r"(https://[^/]+)/keys/([^/]+)(/[^/]*)?"
_B64URL = r"[A-Za-z0-9_-]*"
_ALGORITHM = "RSA-OAEP-256"


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    """Go's ``base64.RawURLEncoding``: URL alphabet, no padding, nothing else."""
    import base64

    if not re.fullmatch(_B64URL, text) or len(text) % 4 == 1:
        raise MasterKeyError("the azure_kv enc field is not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


KEY_TYPE = KeyType(
    name="azure_kv", implementation="sealfile.keys.azkv:AzureKeyVaultKey",
    order=KeyOrder(flags=3, collect=3, group_311=4, top_311=13),
    flag="azure-kv", describe="Azure Key Vault key URLs",
    flag_help="Comma-separated Azure Key Vault key URLs (https://V.vault.azure.net/keys/K[/VERSION]).",
    recipients_env="AZURE_KEYVAULT_URLS", rule_field="azure_keyvault", group_field="azure_keyvault", extra="azure")


@record(frozen=True)
class AzureKeyVaultKey(KeyBase):
    """A Key Vault key: vault URL, key name and version ("" = the vault's current one, resolved on wrap)."""

    type_name: ClassVar[str] = "azure_kv"
    vault_url: str
    name: str
    version: str = ""

    @classmethod
    def parse(cls, spec: Any, options: Mapping[str, Any] | None = None) -> "AzureKeyVaultKey":
        if isinstance(spec, Mapping):  # a .sops.yaml key_groups item: {vaultUrl, key, version}
            url, name, version = spec.get("vaultUrl"), spec.get("key"), spec.get("version") or ""
            if not isinstance(url, str) or not url or not isinstance(name, str) or not name \
                    or not isinstance(version, str):
                raise UnknownRecipient("an azure_keyvault key group entry needs string fields vaultUrl and key "
                                       f"(and optionally version), got {dict(spec)!r}")
            return cls(url, name, version)
        if not isinstance(spec, str):
            raise UnknownRecipient(f"an Azure Key Vault key must be a URL string, not {type(spec).__name__}")
        match = re.fullmatch(_URL, spec.strip())
        if match is None:
            raise UnknownRecipient(f"could not parse {spec.strip()!r} into a valid Azure Key Vault key: expected "
                                   "https://<vault>.vault.azure.net/keys/<name>[/<version>]")
        version = (match.group(3) or "/")[1:]
        return cls(match.group(1), match.group(2), version)

    def to_string(self) -> str:
        return f"{self.vault_url}/keys/{self.name}/{self.version}"

    # -- vault operations ------------------------------------------------
    def _operate(self, ctx: KeyContext, op: str, value: bytes, version: str) -> bytes:
        from .azclient import describe_error, key_client

        rest = import_sdk("azure.core.rest", "azure", "Azure Key Vault")
        client = key_client(ctx, self.vault_url)
        from urllib.parse import quote

        path = f"/keys/{quote(self.name, safe='')}/{quote(version, safe='')}/{op}"
        try:
            response = client.send_request(rest.HttpRequest("POST", path, json={"alg": _ALGORITHM,
                                                                                "value": _b64url(value)}))
            response.raise_for_status()
            result = response.json().get("value")
        except Exception as exc:  # the SDK's errors, transport errors, a malformed reply
            raise MasterKeyError(f"Azure Key Vault {op} failed: {describe_error(exc, ctx)}") from None
        if not isinstance(result, str):
            raise MasterKeyError(f"Azure Key Vault {op} failed: the reply has no result value")
        try:
            return _unb64url(result)
        except MasterKeyError:
            raise MasterKeyError(f"Azure Key Vault {op} failed: the result is not base64url") from None

    def resolved(self, ctx: KeyContext) -> "AzureKeyVaultKey":
        """This key with its version filled in from the vault, as sops does when it parses a key.

        sops compares and deduplicates keys after this step (``updatekeys`` diffs, key groups);
        ``wrap`` calls it too, so a file always records the version that wrapped its data key.
        """
        return self if self.version else replace(self, version=self._current_version(ctx))

    def _current_version(self, ctx: KeyContext) -> str:
        """sops's ``ensureKeyHasVersion``: ``GetKey`` without a version; the reply's kid has the current one."""
        from .azclient import describe_error, key_client

        client = key_client(ctx, self.vault_url)
        try:
            version = client.get_key(self.name).properties.version
        except Exception as exc:
            raise MasterKeyError("Azure Key Vault could not look up the key's current version: "
                                 f"{describe_error(exc, ctx)}") from None
        if not version:
            raise MasterKeyError("Azure Key Vault returned the key without a version")
        return version

    def wrap(self, data_key: bytes, ctx: KeyContext) -> "str | tuple[AzureKeyVaultKey, str]":
        raw = bytes(getattr(data_key, "raw", data_key))
        key = self.resolved(ctx)
        enc = _b64url(self._operate(ctx, "encrypt", raw, key.version))
        return enc if key is self else (key, enc)

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        return self._operate(ctx, "decrypt", _unb64url(enc), self.version)

    # -- metadata --------------------------------------------------------
    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        return [("vault_url", self.vault_url), ("name", self.name), ("version", self.version),
                ("created_at", created_at or now_rfc3339()), ("enc", enc)]

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> KeyEntry:
        # sops reads missing fields as "" and fails only when this key is used,
        # so a damaged entry must not stop the other keys from decrypting.
        url, name, version = (entry.get(f) or "" for f in ("vault_url", "name", "version"))
        if not isinstance(url, str) or not isinstance(name, str) or not isinstance(version, str):
            raise MetadataError("vault_url, name and version of an azure_kv key entry must be strings")
        return KeyEntry(cls(url, name, version), *recorded(entry))
