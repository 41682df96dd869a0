"""PGP master keys, through the ``gpg`` binary (sops ``pgp/keysource.go``).

sops first tries the Go OpenPGP library on the legacy ``pubring.gpg`` /
``secring.gpg`` files (absent since GnuPG 2.1) and then runs gpg; sealfile only
runs gpg, with the same arguments, so keyrings, smartcards and gpg-agent work
exactly as they do for sops.  gpg is driven with ``subprocess`` (one process,
no helper threads) and ``--status-fd`` so failures are classified from gpg's
machine-readable status lines rather than its localised messages.
"""
from __future__ import annotations

import os
import re
from ..records import record
from typing import Any, ClassVar, Mapping

from ..errors import MasterKeyError, MetadataError, UnknownRecipient
from .base import KeyBase, KeyContext, KeyEntry, KeyOrder, KeyType, now_rfc3339, recorded

__all__ = ["KEY_TYPE", "PgpKey"]

#: a fingerprint or key ID as sops accepts it; compiled on first use, through ``re``'s cache: every encrypt
#: reads this module for its flags, and few runs use its keys
_FINGERPRINT = r"(?:0[xX])?(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})!?"
_STATUS = "[GNUPG:] "
#: gpg's INV_RECP reason codes (doc/DETAILS)
_INV_RECP = {
    "0": "rejected by gpg", "1": "no public key for it in the keyring", "2": "the name is ambiguous",
    "3": "the key cannot be used for encryption", "4": "the key is revoked", "5": "the key is expired",
    "8": "policy mismatch", "10": "the key is not trusted", "13": "the key is disabled",
    "14": "invalid key specification",
}


def _gpg_binary(ctx: KeyContext) -> str:
    return ctx.get("SOPS_GPG_EXEC") or "gpg"


def _gnupg_home(ctx: KeyContext) -> str:
    """For messages only: gpg itself reads GNUPGHOME/HOME from the environment it is given."""
    home = ctx.env.get("GNUPGHOME")
    if home:
        return home
    return os.path.join(ctx.env.get("HOME") or "~", ".gnupg")


def _run_gpg(ctx: KeyContext, args: list[str], stdin: bytes) -> tuple[int, bytes, list[str], list[str]]:
    """Run gpg; return (rc, stdout, status lines, message lines). Nothing reaches our stderr."""
    import subprocess  # when gpg runs, not when the key type is read

    binary = _gpg_binary(ctx)
    argv = [binary, "--batch", "--no-tty", "--status-fd", "2", *args]
    try:
        proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=dict(ctx.env), check=False)
    except FileNotFoundError:
        raise MasterKeyError(f"gpg not found: cannot run {binary!r} (install GnuPG or set SOPS_GPG_EXEC)") from None
    except OSError as exc:
        raise MasterKeyError(f"cannot run gpg {binary!r}: {exc.strerror or type(exc).__name__}") from None
    status: list[str] = []
    messages: list[str] = []
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith(_STATUS):
            status.append(line[len(_STATUS):])
        elif line.strip():
            messages.append(line.strip())
    return proc.returncode, proc.stdout, status, messages


def _last_message(messages: list[str], default: str) -> str:
    for line in reversed(messages):
        if line.startswith("gpg: "):
            return line[len("gpg: "):]
    return default


def _with(status: list[str], keyword: str) -> list[list[str]]:
    return [line.split()[1:] for line in status if line.split()[:1] == [keyword]]


def _shorten(fingerprint: str) -> str:
    """sops's ``shortenFingerprint``: the last 16 hex digits (keeping a trailing ``!``)."""
    offset = len(fingerprint) - 16 - (1 if fingerprint.endswith("!") else 0)
    return fingerprint[offset:] if offset > 0 else fingerprint


KEY_TYPE = KeyType(
    name="pgp", implementation="sealfile.keys.pgp:PgpKey",
    order=KeyOrder(flags=4, collect=5, group_311=0, top_311=22),
    flag="pgp", flag_short="-p", describe="PGP fingerprints", flag_help="Comma-separated PGP fingerprints.",
    recipients_env="PGP_FP", rule_field="pgp", group_field="pgp")


@record(frozen=True)
class PgpKey(KeyBase):
    """An OpenPGP key named by fingerprint (or long key ID), as configured minus spaces."""

    type_name: ClassVar[str] = "pgp"
    fingerprint: str

    @classmethod
    def parse(cls, spec: Any, options: Mapping[str, Any] | None = None) -> "PgpKey":
        if isinstance(spec, Mapping) and "fp" in spec:
            spec = spec["fp"]
        if not isinstance(spec, str):
            raise UnknownRecipient(f"a PGP fingerprint must be a string, not {type(spec).__name__}")
        fingerprint = spec.replace(" ", "").strip()
        if not re.fullmatch(_FINGERPRINT, fingerprint):
            raise UnknownRecipient(f"not a PGP fingerprint or long key ID (40 or 16 hex digits): {spec!r}")
        return cls(fingerprint)

    def to_string(self) -> str:
        return self.fingerprint

    def wrap(self, data_key: bytes, ctx: KeyContext) -> str:
        raw = bytes(getattr(data_key, "raw", data_key))
        args = ["--no-default-recipient", "--yes", "--trust-model", "always", "--encrypt", "-a",
                "-r", self.fingerprint, "--trusted-key", _shorten(self.fingerprint), "--no-encrypt-to"]
        rc, out, status, messages = _run_gpg(ctx, args, raw)
        armored = out.decode("ascii", "replace").strip()
        if rc == 0 and armored.startswith("-----BEGIN PGP MESSAGE-----"):
            return armored
        invalid = _with(status, "INV_RECP")
        if invalid:
            why = _INV_RECP.get(invalid[0][0] if invalid[0] else "", "rejected by gpg")
            raise MasterKeyError(f"gpg cannot encrypt to {self.fingerprint}: {why} "
                                 f"(GnuPG home {_gnupg_home(ctx)})")
        raise MasterKeyError("failed to encrypt the data key with gpg: "
                             + _last_message(messages, f"gpg exited with status {rc}"))

    def label(self, ctx: KeyContext) -> str:
        """The key's first user id, as the local keyring knows it ("" when gpg does not know the key)."""
        try:
            rc, out, _, _ = _run_gpg(ctx, ["--with-colons", "--list-keys", self.fingerprint], b"")
        except MasterKeyError:
            return ""
        for line in out.decode("utf-8", "replace").splitlines() if rc == 0 else ():
            fields = line.split(":")
            if fields[0] == "uid" and len(fields) > 9:
                return fields[9]
        return ""

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        rc, out, status, messages = _run_gpg(ctx, ["-d"], enc.encode("utf-8", "replace"))
        if rc == 0 and out:
            return out
        if rc == 0:
            raise MasterKeyError("failed to decrypt the data key with gpg: zero bytes returned")
        home = _gnupg_home(ctx)
        if _with(status, "MISSING_PASSPHRASE") or _with(status, "BAD_PASSPHRASE") or any(
                e[:1] == ["pkdecrypt_failed"] for e in _with(status, "ERROR")):
            detail = _last_message([m for m in messages if "public key decryption failed" in m],
                                   "public key decryption failed")
            raise MasterKeyError(f"gpg could not use the secret key: {detail} (a passphrase-protected key "
                                 "needs gpg-agent's pinentry: set GPG_TTY, or unlock the key first)")
        missing = [fields[0] for fields in _with(status, "NO_SECKEY") if fields]
        if missing:
            raise MasterKeyError(f"no secret key for this file in GnuPG home {home} "
                                 f"(encrypted to key ID {', '.join(missing)})")
        if _with(status, "NODATA") and not _with(status, "BEGIN_DECRYPTION"):
            raise MasterKeyError("the pgp enc field is not an OpenPGP message")
        raise MasterKeyError("failed to decrypt the data key with gpg: "
                             + _last_message(messages, f"gpg exited with status {rc}"))

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        return [("created_at", created_at or now_rfc3339()), ("enc", enc), ("fp", self.fingerprint)]

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> KeyEntry:
        fp = entry.get("fp")
        if not isinstance(fp, str):
            raise MetadataError("a pgp key entry has no fp")
        return KeyEntry(cls(fp.replace(" ", "")), *recorded(entry))
