"""HashiCorp Vault / OpenBao transit keys (sops ``hcvault/keysource.go``).

A key is ``<vault address>/v1/<engine path>/keys/<key name>``; the data key is
wrapped by the transit engine's ``encrypt`` endpoint and ``enc`` is Vault's
``vault:v1:...`` ciphertext, verbatim.  The key URI is split exactly as sops
splits it (``NewMasterKeyFromURI``), quirks included, so both tools record the
same ``vault_address``/``engine_path``/``key_name``.  No SDK: the two HTTP
calls go through :mod:`sealfile.keys.vaultclient` (standard library only).
"""
from __future__ import annotations

import re
from ..records import record
from typing import Any, ClassVar, Mapping

from ..errors import MasterKeyError, MetadataError, UnknownRecipient
from .base import KeyBase, KeyContext, KeyEntry, KeyOrder, KeyType, now_rfc3339, recorded

__all__ = ["KEY_TYPE", "VaultTransitKey"]

_EXAMPLE = "https://vault.example.com:8200/v1/transit/keys/keyName"
#: sops's checks on the URI's path (unanchored, as Go's ``Regexp.Match``); like every pattern here, compiled
#: on first use through ``re``'s cache: every encrypt reads this module for its flags, and few runs use its keys
_PREFIXED = r"/[^/]+/v[0-9]+/[^/]+/[^/]+/[^/]+"
_WELL_FORMED = r"/v[0-9]+/[^/]+/[^/]+/[^/]+"
_SCHEME = r"([A-Za-z][A-Za-z0-9+.\-]*):"
_HOST = r"(\[[0-9A-Fa-f:.]+(%25[^\]]*)?\]|[^\s/?#@\[\]:]+)(:[0-9]*)?"
#: characters Go leaves as they are in an already-escaped path (``validEncoded``)
_VALID_PATH = r"[A-Za-z0-9\-_.~$&+,/:;=@!'()*\[\]%]*"


KEY_TYPE = KeyType(
    name="hc_vault", implementation="sealfile.keys.hcvault:VaultTransitKey",
    order=KeyOrder(flags=5, collect=4, group_311=5, top_311=14),
    flag="hc-vault-transit", describe="Vault transit key URIs",
    flag_help="Comma-separated Vault transit key URIs (https://vault:8200/v1/transit/keys/K).",
    recipients_env="VAULT_URIS", rule_field="hc_vault_transit_uri", group_field="hc_vault",
    always_in_group_311=True)


@record(frozen=True)
class VaultTransitKey(KeyBase):
    """A key of a transit engine: where Vault is, the engine's mount path, the key's name."""

    type_name: ClassVar[str] = "hc_vault"
    vault_address: str
    engine_path: str
    key_name: str

    @classmethod
    def parse(cls, spec: Any, options: Mapping[str, Any] | None = None) -> "VaultTransitKey":
        """``<scheme>://<host>[:<port>]/v1/<engine path>/keys/<key name>``, validated as sops does."""
        if not isinstance(spec, str):
            raise UnknownRecipient(f"a Vault transit key must be a URI string, not {type(spec).__name__}")
        address, request_uri = _split_uri(spec)
        engine_path, key_name = _engine_and_key(request_uri)
        return cls(address, engine_path, key_name)

    def to_string(self) -> str:
        return f"{self.vault_address}/v1/{self.engine_path}/keys/{self.key_name}"

    def wrap(self, data_key: bytes, ctx: KeyContext) -> str:
        import base64

        raw = bytes(getattr(data_key, "raw", data_key))
        api_path = _join(self.engine_path, "encrypt", self.key_name)
        payload = {"plaintext": base64.b64encode(raw).decode("ascii")}
        from . import vaultclient

        data = vaultclient.transit(self.vault_address, api_path, payload, ctx, "encrypt")
        ciphertext = data.get("ciphertext")
        if ciphertext is None:
            raise MasterKeyError(f"failed to encrypt the data key with Vault transit backend '{api_path}': "
                                 "no encrypted data in the response")
        if not isinstance(ciphertext, str):
            raise MasterKeyError(f"failed to encrypt the data key with Vault transit backend '{api_path}': "
                                 "the ciphertext in the response is not a string")
        return ciphertext

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        import base64
        import binascii

        api_path = _join(self.engine_path, "decrypt", self.key_name)
        from . import vaultclient

        data = vaultclient.transit(self.vault_address, api_path, {"ciphertext": enc}, ctx, "decrypt")
        plaintext = data.get("plaintext")
        if not isinstance(plaintext, str):
            raise MasterKeyError(f"failed to decrypt the data key with Vault transit backend '{api_path}': "
                                 "no decrypted data in the response")
        try:
            return base64.b64decode(plaintext, validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyError(f"failed to decrypt the data key with Vault transit backend '{api_path}': "
                                 "cannot decode base64 plaintext into data key bytes") from None

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        return [("vault_address", self.vault_address), ("engine_path", self.engine_path),
                ("key_name", self.key_name), ("created_at", created_at or now_rfc3339()), ("enc", enc)]

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> KeyEntry:
        # sops reads missing fields as "" and fails only when this key is used,
        # so a damaged entry must not stop the other keys from decrypting.
        fields = [_field(entry, name) for name in ("vault_address", "engine_path", "key_name")]
        return KeyEntry(cls(*fields), *recorded(entry))


def _join(*parts: str) -> str:
    """Go's ``path.Join``, as sops builds the transit path: unlike ``posixpath.join``, a part
    starting with ``/`` (``engine_path: /transit`` in a file) does not discard the parts before it."""
    joined = "/".join(p for p in parts if p)
    from .vaultclient import clean_path

    return clean_path(joined) if joined else ""


def _field(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise MetadataError(f"{name} of an hc_vault entry in sops metadata is not a string")


# --- the key URI -----------------------------------------------------------

def _split_uri(uri: str) -> tuple[str, str]:
    """(vault_address, request URI) as Go's ``url.Parse`` + ``RequestURI`` give them to sops.

    sops keeps scheme, user info, host, port and fragment as the address.  Two
    inputs sops accepts but can never use are refused here instead (same exit
    code): a URI without ``//host`` and one with a query string.
    """
    if not uri:
        raise UnknownRecipient("empty Vault transit key URI")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in uri):
        raise UnknownRecipient("invalid control character in Vault URL")
    rest, _, fragment = uri.partition("#")
    match = re.match(_SCHEME, rest)
    if not match:
        raise UnknownRecipient(f"missing scheme in Vault URL (should be like this: {_EXAMPLE}), got: {uri}")
    scheme, rest = match.group(1).lower(), rest[match.end():]
    rest, question, _query = rest.partition("?")
    if question:
        raise UnknownRecipient(f"a Vault transit key URI cannot have a query string (should be like this: "
                               f"{_EXAMPLE}), got: {uri}")
    if not rest.startswith("//"):
        raise UnknownRecipient(f"missing host in Vault URL (should be like this: {_EXAMPLE}), got: {uri}")
    authority, slash, path = rest[2:].partition("/")
    host = authority.rpartition("@")[2]
    if not host or not re.fullmatch(_HOST, host):
        raise UnknownRecipient(f"invalid host or port {host!r} in Vault URL {uri}")
    bad = re.search(r"%(?![0-9A-Fa-f]{2})", authority + slash + path)
    if bad:
        raise UnknownRecipient(f"invalid URL escape {(authority + slash + path)[bad.start():bad.start() + 3]!r} "
                               f"in Vault URL {uri}")
    path = slash + path
    if not re.fullmatch(_VALID_PATH, path):  # Go re-escapes what was not validly escaped
        from urllib.parse import quote, unquote

        from .vaultclient import PATH_SAFE

        path = quote(unquote(path), safe=PATH_SAFE)
    address = f"{scheme}://{authority}" + (f"#{fragment}" if fragment else "")
    return address, path or "/"


def _engine_and_key(request_uri: str) -> tuple[str, str]:
    """sops's ``engineAndKeyFromPath``: the segment before ``keys`` is not checked."""
    if re.search(_PREFIXED, request_uri):
        raise UnknownRecipient("running Vault with a prefixed URL is not supported! (Format has to be like "
                               f"{_EXAMPLE})")
    if not re.search(_WELL_FORMED, request_uri):
        raise UnknownRecipient(f"vault path does not seem to be formatted correctly: (eg. {_EXAMPLE})")
    dirs = request_uri.strip("/").split("/")
    parts = [d for d in dirs[1:-2] if d]
    from .vaultclient import clean_path

    return (clean_path("/".join(parts)) if parts else ""), dirs[-1]
