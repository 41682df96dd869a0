"""The one interface every key source implements.

Keys are immutable values: a key knows *who* can unwrap (a recipient, a
fingerprint, an ARN); the wrapped data key (``enc``) travels beside it in a
:class:`KeyEntry`.  Credentials and identities come from a :class:`KeyContext`
built once at the edge, so nothing reads the environment at import time.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Protocol, runtime_checkable

__all__ = ["KeyContext", "KeyEntry", "MasterKey", "now_rfc3339", "recorded", "import_sdk", "CONNECT_TIMEOUT",
           "READ_TIMEOUT", "ATTEMPTS"]

#: Network key sources (KMS, Vault, Azure) bound every call by these, so that a
#: service that is down costs seconds and decryption moves on to the next key.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
#: tries per call for transient failures (connection refused/reset, 5xx, throttling)
ATTEMPTS = 2


def now_rfc3339() -> str:
    """UTC, whole seconds, ``Z``: the form sops writes for timestamps."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def recorded(entry: Mapping[str, Any]) -> tuple[str, str | None]:
    """A metadata entry's ``enc`` and ``created_at`` as text.

    An unquoted YAML timestamp arrives as a datetime; anything else that is not
    a string is treated as absent, so a damaged entry fails only when used.
    """
    enc = entry.get("enc")
    created = entry.get("created_at")
    if isinstance(created, _dt.datetime):
        if created.tzinfo is None:
            created = created.replace(tzinfo=_dt.timezone.utc)
        created = created.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (enc if isinstance(enc, str) else "", created if isinstance(created, str) else None)


def import_sdk(module: str, extra: str, what: str) -> Any:
    """Import an optional SDK at first use; a missing one names the extra to install."""
    from ..errors import MissingExtra

    try:
        return __import__(module, fromlist=["_"])  # unlike importlib, seen by -X importtime
    except ImportError as exc:
        raise MissingExtra(f"{what} keys need the {exc.name or module} package: "
                           f"pip install 'sealfile[{extra}]'") from None


@dataclass
class KeyContext:
    """Environment and per-run caches shared by key sources.

    ``env`` is read instead of ``os.environ`` so callers (and tests) can pass
    credentials explicitly; ``cache`` lets a source load identities once per
    run (e.g. every age identity file) however many keys it unwraps.
    """

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def get(self, name: str, default: str | None = None) -> str | None:
        """A setting by its sops name, with ``SEALFILE_`` aliases for ``SOPS_`` names."""
        if name.startswith("SOPS_"):
            alias = "SEALFILE_" + name[len("SOPS_"):]
            if alias in self.env:
                return self.env[alias]
        return self.env.get(name, default)


@runtime_checkable
class MasterKey(Protocol):
    """A recipient of the data key (age, PGP, KMS...)."""

    #: name of the metadata list holding keys of this kind ("age", "pgp", "kms", ...)
    type_name: ClassVar[str]

    def to_string(self) -> str:
        """sops's string form: used by --rm-*, updatekeys diffs and error reports."""
        ...

    def wrap(self, data_key: bytes, ctx: KeyContext) -> "str | tuple[MasterKey, str]":
        """Encrypt ``data_key`` (32-byte key or 33-byte Shamir share); return ``enc``.

        A key whose service decides part of its identity at wrap time (Azure
        Key Vault picks the current key version) returns ``(recorded_key, enc)``
        so the file records the key exactly as it was used.
        """
        ...

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        """Recover the wrapped bytes or raise MasterKeyError with a safe reason."""
        ...

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        """Metadata fields in the order sops 3.11 writes them."""
        ...

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> "KeyEntry":
        """Parse one metadata entry (already a plain dict of its fields)."""
        ...

    @classmethod
    def parse(cls, spec: Any) -> "MasterKey":
        """Build a key from one CLI/config item (a string, or a mapping in key_groups)."""
        ...


@dataclass
class KeyEntry:
    """A master key as recorded in a file: the key, its wrapped data key, when."""

    key: MasterKey
    enc: str = ""
    created_at: str | None = None
