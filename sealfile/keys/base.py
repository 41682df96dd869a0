"""The one interface every key source implements.

Keys are immutable values: a key knows *who* can unwrap (a recipient, a
fingerprint, an ARN); the wrapped data key (``enc``) travels beside it in a
:class:`KeyEntry`.  Credentials and identities come from a :class:`KeyContext`
built once at the edge, so nothing reads the environment at import time.
"""
from __future__ import annotations

import time
import os
from ..records import default_factory, record
from typing import Any, ClassVar, Mapping, Protocol, runtime_checkable

__all__ = ["KeyContext", "KeyEntry", "MasterKey", "KeyType", "KeyOrder", "FlagOption", "KeyBase", "now_rfc3339",
           "recorded", "import_sdk", "CONNECT_TIMEOUT", "READ_TIMEOUT", "ATTEMPTS"]

#: Network key sources (KMS, Vault, Azure) bound every call by these, so that a
#: service that is down costs seconds and decryption moves on to the next key.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
#: tries per call for transient failures (connection refused/reset, 5xx, throttling)
ATTEMPTS = 2


def now_rfc3339() -> str:
    """UTC, whole seconds, ``Z``: the form sops writes for timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def recorded(entry: Mapping[str, Any]) -> tuple[str, str | None]:
    """A metadata entry's ``enc`` and ``created_at`` as text.

    An unquoted YAML timestamp arrives as a datetime; anything else that is not
    a string is treated as absent, so a damaged entry fails only when used.
    """
    enc = entry.get("enc")
    created = entry.get("created_at")
    if created is not None and not isinstance(created, str):
        import datetime as _dt  # only for an unquoted YAML timestamp; rare, so not at start-up

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


@record(hidden=("env", "cache"))
class KeyContext:
    """Environment and per-run caches shared by key sources.

    ``env`` is read instead of ``os.environ`` so callers (and tests) can pass
    credentials explicitly; ``cache`` lets a source load identities once per
    run (e.g. every age identity file) however many keys it unwraps.
    """

    env: Mapping[str, str] = default_factory(lambda: dict(os.environ))
    cache: dict[str, Any] = default_factory(dict)

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
    def parse(cls, spec: Any, options: Mapping[str, Any] | None = None) -> "MasterKey":
        """Build a key from one CLI/config item (a string, or a mapping in key_groups).

        ``options`` holds the settings that apply to keys given as text (a
        ``--encryption-context``, a rule's ``aws_profile``); a type uses those
        its :class:`KeyType` declares and ignores the rest.
        """
        ...

    def resolved(self, ctx: KeyContext) -> "MasterKey":
        """The key as its service completes it (a key version), the form sops compares keys in."""
        ...

    def for_file_version(self, release: tuple[int, int, int] | None) -> "MasterKey":
        """This key as read from a file written by sops ``release`` (old files may need repairs)."""
        ...


class KeyBase:
    """Defaults shared by the key classes (a mixin: the classes are frozen dataclasses)."""

    def resolved(self, ctx: KeyContext) -> Any:
        """Most keys are complete as written; Azure Key Vault fills in the current key version."""
        return self

    def label(self, ctx: KeyContext) -> str:
        """A human name for this recipient where one can be found (a PGP user id); "" otherwise."""
        return ""

    def for_file_version(self, release: tuple[int, int, int] | None) -> Any:
        """This key as read from a file written by sops ``release`` (old files may need repairs)."""
        return self

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Refuse malformed options for keys given as text (see :class:`KeyType` ``flag_options``)."""
        return None


@record(frozen=True)
class FlagOption:
    """A command-line option that applies to the keys of one type given on the command line.

    Plain data: the CLI turns it into a click option (nothing below the CLI
    imports click).  ``param`` is the name it travels under into ``parse``'s
    options.
    """

    name: str
    param: str
    metavar: str
    help: str


@record(frozen=True)
class KeyOrder:
    """Where a key type stands in each of sops's orders (lower first).

    sops lists key types in struct order, and that order differs by place:
    ``flags`` is how keys from the command line or a rule's flat fields join
    their group; ``collect`` how a group's keys are read back from metadata;
    ``group_311`` the order of a key group's fields as sops 3.11 writes them;
    ``top_311`` the place of the type's field among the top-level metadata
    fields in the 3.11 layout (see ``core.metadata``: 10-19 come before
    ``lastmodified``, 22 between ``mac`` and the selector).
    """

    flags: int
    collect: int
    group_311: int
    top_311: int


@record(frozen=True)
class KeyType:
    """Everything outside a key module needs to know about one key type, declared in that module.

    The registry (``keys/__init__.py``) lists the modules; config parsing,
    metadata layout, the decryption order and the command-line flags are all
    built from these declarations, so a new key type is one module and one
    registry line.
    """

    #: the metadata field holding keys of this type, also its ``--decryption-order`` name
    name: str
    #: ``"module:Class"`` implementing :class:`MasterKey`; None: kept verbatim, never used
    implementation: str | None
    order: KeyOrder
    #: command-line flag stem: ``--age``, ``--add-age``, ``--rm-age``, ``groups add --age``
    flag: str | None = None
    #: the encrypt flag's one-letter form (``-a``), as sops has it
    flag_short: str | None = None
    #: what the flag takes, for help texts ("age recipients")
    describe: str = ""
    #: help of the encrypt flag
    flag_help: str = ""
    #: the recipients variable after ``SOPS_``/``SEALFILE_`` (``AGE_RECIPIENTS``)
    recipients_env: str | None = None
    #: the flat creation-rule field, and the field inside ``key_groups``
    rule_field: str | None = None
    group_field: str | None = None
    #: creation-rule fields that apply to this type's flat keys (AWS: ``aws_profile``)
    rule_options: tuple[str, ...] = ()
    #: command-line options for keys of this type given as flags (AWS: profile, encryption context)
    flag_options: tuple[FlagOption, ...] = ()
    #: the pip extra that installs its SDK
    extra: str | None = None
    #: whether entries record ``created_at`` (age entries do not)
    records_created_at: bool = True
    #: sops 3.11 writes an empty list of this type in every key group
    always_in_group_311: bool = False


@record
class KeyEntry:
    """A master key as recorded in a file: the key, its wrapped data key, when."""

    key: MasterKey
    enc: str = ""
    created_at: str | None = None
