"""age master keys (sops ``age/keysource.go``), on top of pyrage.

``enc`` is an ASCII-armored age file with one recipient stanza whose payload
is the data key (or a Shamir share).  pyrage has no armor, so it is written and
read here, as strictly as age's ``armor`` package does, because sops and Flux
read these fields with that package.

Identities are gathered the way sops gathers them (SSH keys, ``SOPS_AGE_KEY``,
``SOPS_AGE_KEY_FILE``, ``SOPS_AGE_KEY_CMD``, the default key file) but only once
per :class:`KeyContext`; each source is recorded with what it yielded so that a
failed unwrap can say where it looked without ever showing a key.
"""
from __future__ import annotations

import binascii
import os
import sys
from typing import Any, ClassVar, Mapping

from ..records import record

from ..errors import MasterKeyError, MetadataError, UnknownRecipient
from .base import KeyBase, KeyContext, KeyEntry, KeyOrder, KeyType

__all__ = ["KEY_TYPE", "AgeKey", "generate_identity", "armor", "dearmor"]

ARMOR_HEADER = "-----BEGIN AGE ENCRYPTED FILE-----"
ARMOR_FOOTER = "-----END AGE ENCRYPTED FILE-----"
_COLUMNS = 64                      # base64 characters per armor line
_BYTES_PER_LINE = _COLUMNS // 4 * 3
_MAX_WHITESPACE = 1024             # age's limit on whitespace around the armor
_SECRET_PREFIX = "AGE-SECRET-KEY-1"
_UNSUPPORTED_IDENTITY_PREFIXES = ("AGE-SECRET-KEY-PQ-1", "AGE-PLUGIN-")
#: Go's strings.TrimSpace set (unicode.IsSpace); Python's str.strip() also eats \x1c-\x1f.
_GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
             "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_CACHE_KEY = "age.identities"
_CMD_CACHE_PREFIX = "age.cmd-identities:"


# --------------------------------------------------------------------------- armor

def armor(blob: bytes) -> str:
    """Armor a binary age file byte-for-byte as age's ``armor.NewWriter`` does."""
    b64 = binascii.b2a_base64(blob, newline=False).decode("ascii")
    lines = [b64[i:i + _COLUMNS] for i in range(0, len(b64), _COLUMNS)]
    return ARMOR_HEADER + "\n" + "".join(line + "\n" for line in lines) + ARMOR_FOOTER + "\n"


def dearmor(text: str | bytes) -> bytes:
    """Decode armor with the rules of age's ``armor.NewReader``.

    Strict on purpose: whatever this accepts, sops and Flux must accept too.
    Raises ValueError with a short description (never the data).
    """
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
    pos = 0

    def get_line() -> bytes:
        nonlocal pos
        if pos >= len(data):
            raise ValueError("unexpected end of data")
        end = data.find(b"\n", pos)
        if end < 0:
            line, pos = data[pos:], len(data)
        else:
            line, pos = data[pos:end], end + 1
        return line[:-1] if line.endswith(b"\r") else line

    def drain_trailing() -> None:
        rest = data[pos:pos + _MAX_WHITESPACE]
        if rest.strip():
            raise ValueError("trailing data after armored file")
        if len(rest) == _MAX_WHITESPACE:
            raise ValueError("too much trailing whitespace")

    skipped = 0
    while True:
        line = get_line()
        if not line.strip():
            skipped += len(line) + 1
            if skipped > _MAX_WHITESPACE:
                raise ValueError("too much leading whitespace")
            continue
        if line != ARMOR_HEADER.encode():
            raise ValueError("the first line is not " + ARMOR_HEADER)
        break

    out = bytearray()
    while True:
        line = get_line()
        if line == ARMOR_FOOTER.encode():
            drain_trailing()
            return bytes(out)
        if not line:
            raise ValueError("empty line in armored data")
        if len(line) > _COLUMNS:
            raise ValueError("column limit exceeded")
        chunk = _strict_b64(line)
        out += chunk
        if len(chunk) < _BYTES_PER_LINE:
            if get_line() != ARMOR_FOOTER.encode():
                raise ValueError("invalid closing line")
            drain_trailing()
            return bytes(out)


def _strict_b64(line: bytes) -> bytes:
    """Go's ``base64.StdEncoding.Strict()``: padded, canonical trailing bits."""
    try:
        if sys.version_info >= (3, 11):
            decoded = binascii.a2b_base64(line, strict_mode=True)  # what b64decode(validate=True) runs
        else:  # pragma: no cover - Python 3.10
            import base64

            decoded = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("invalid base64 in armored data") from None
    if binascii.b2a_base64(decoded, newline=False) != line:
        raise ValueError("non-canonical base64 in armored data")
    return decoded


# ---------------------------------------------------------------------- recipients

def _go_trim(text: str) -> str:
    return text.strip(_GO_SPACE)


def _parse_recipient(text: str) -> Any:
    """A pyrage recipient for ``text`` (already trimmed); UnknownRecipient if none fits."""
    import pyrage

    if text.startswith("age1pq1"):
        raise UnknownRecipient(f"post-quantum age recipients are not supported by sealfile: {text!r}")
    if text.startswith("age1") and text.count("1") > 1:
        raise UnknownRecipient(f"age plugin recipients are not supported by sealfile: {text!r}")
    if text.startswith("age1"):
        try:
            return pyrage.x25519.Recipient.from_str(text)
        except Exception as exc:  # pyrage.RecipientError
            raise UnknownRecipient(f"failed to parse input as Bech32-encoded age public key: {exc}: {text!r}") from None
    if text.startswith("ssh-"):
        # Go's ssh.ParseAuthorizedKey tolerates any run of blanks; pyrage wants one space.
        parts = text.split(None, 2)
        try:
            if len(parts) < 2:
                raise ValueError("missing key data")
            return pyrage.ssh.Recipient.from_str(f"{parts[0]} {parts[1]}")
        except Exception:  # pyrage.RecipientError
            raise UnknownRecipient("failed to parse input as age-ssh public key "
                                   f"(ssh-ed25519 or ssh-rsa): {text!r}") from None
    raise UnknownRecipient(f"failed to parse input, unknown recipient type: {text!r}")


def generate_identity() -> tuple[str, str]:
    """A new X25519 identity as ``(AGE-SECRET-KEY-1…, age1…)``."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


# ---------------------------------------------------------------------- identities

@record
class _Source:
    """One place identities were looked for, and what it gave (never the keys in its repr)."""

    label: str
    note: str
    identities: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return f"_Source({self.label!r}, {self.note!r}, <{len(self.identities)} identities>)"


def _count(n: int) -> str:
    return f"{n} identity" if n == 1 else f"{n} identities"


def _parse_identities(text: str, label: str, multiple_per_line: bool) -> _Source:
    """Parse a key file the way sops does: any bad line fails the whole source."""
    if text.startswith("age-encryption") or text.startswith("-----BEGIN AGE"):
        return _Source(label, "error: passphrase-encrypted identity files are not supported by sealfile")
    import pyrage

    found: list[Any] = []
    skipped = 0
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if line == "" or line.startswith("#"):
            continue
        for word in (line.split() if multiple_per_line else [line]):
            if word.startswith(_UNSUPPORTED_IDENTITY_PREFIXES):
                skipped += 1
                continue
            if not word.startswith(_SECRET_PREFIX):
                return _Source(label, f"error: line {lineno} is not an age identity (unknown identity type)")
            try:
                found.append(pyrage.x25519.Identity.from_str(word))
            except Exception:  # pyrage.IdentityError; its text is not shown on purpose
                return _Source(label, f"error: line {lineno} is not a valid age secret key")
    note = _count(len(found))
    if skipped:
        note += f", {skipped} unsupported plugin/post-quantum identities skipped"
    return _Source(label, note, tuple(found))


def _parse_ssh_identity(blob: bytes, label: str) -> _Source:
    import pyrage

    try:
        return _Source(label, _count(1), (pyrage.ssh.Identity.from_buffer(blob),))
    except Exception as exc:  # pyrage.IdentityError
        if "decrypted" in str(exc) or b"ENCRYPTED" in blob[:200]:
            return _Source(label, "error: the SSH key is passphrase-protected, which sealfile does not support")
        return _Source(label, "error: not a supported SSH private key (ed25519 or rsa, unencrypted)")


def _read(path: str) -> bytes | str:
    """File contents, or an error note (the path is shown by the label)."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        return f"error: cannot read file: {exc.strerror or type(exc).__name__}"


def _lookup(ctx: KeyContext, name: str) -> tuple[str, str | None]:
    """The variable actually used (``SEALFILE_`` alias first) and its value."""
    alias = "SEALFILE_" + name[len("SOPS_"):]
    if alias in ctx.env:
        return alias, ctx.env[alias]
    return name, ctx.env.get(name)


def _home(ctx: KeyContext) -> str | None:
    home = ctx.env.get("USERPROFILE" if sys.platform == "win32" else "HOME")
    return home or None


def _tilde(path: str, home: str | None) -> str:
    if home and path.startswith(home.rstrip("/\\") + os.sep):
        return "~" + path[len(home.rstrip("/\\")):]
    return path


def _default_key_file(ctx: KeyContext) -> tuple[str | None, str]:
    """Go's ``os.UserConfigDir()`` (with sops's macOS XDG tweak) + sops/age/keys.txt."""
    xdg = ctx.env.get("XDG_CONFIG_HOME") or ""
    home = _home(ctx)
    if sys.platform == "win32":
        base = ctx.env.get("AppData") or ctx.env.get("APPDATA") or ""
        if not base:
            return None, "%AppData% is not defined"
    elif sys.platform == "darwin":
        if xdg:
            base = xdg
        elif home:
            base = os.path.join(home, "Library", "Application Support")
        else:
            return None, "$HOME is not defined"
    elif xdg:
        if not os.path.isabs(xdg):
            return None, "path in $XDG_CONFIG_HOME is relative"
        base = xdg
    elif home:
        base = os.path.join(home, ".config")
    else:
        return None, "neither $XDG_CONFIG_HOME nor $HOME are defined"
    return os.path.join(base, "sops", "age", "keys.txt"), ""


def _run_cmd(command: str, ctx: KeyContext, recipient: str) -> bytes | str:
    """Run a key command like sops: shell-like split, no shell, stdout captured.

    Only the program name appears in errors: the rest of a command line, and
    whatever it prints on stderr, may be sensitive.
    """
    import shlex  # only for SOPS_AGE_KEY_CMD; not at start-up
    import subprocess

    try:
        argv = shlex.split(command)
    except ValueError:
        return "error: cannot parse the command line"
    if not argv:
        return "error: empty command"
    env = dict(ctx.env)
    env["SOPS_AGE_RECIPIENT"] = recipient
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, check=False)
    except FileNotFoundError:
        return f"error: command {argv[0]!r} not found"
    except OSError as exc:
        return f"error: cannot run command {argv[0]!r}: {exc.strerror or type(exc).__name__}"
    if proc.returncode != 0:
        return f"error: command {argv[0]!r} exited with status {proc.returncode}"
    return proc.stdout


def _ssh_file_source(path: str, label: str) -> _Source:
    blob = _read(path)
    return _Source(label, blob) if isinstance(blob, str) else _parse_ssh_identity(blob, label)


def _key_file_source(path: str, label: str) -> _Source:
    blob = _read(path)
    if isinstance(blob, str):
        return _Source(label, blob)
    return _parse_identities(blob.decode("utf-8", "replace"), label, multiple_per_line=False)


def _static_sources(ctx: KeyContext) -> dict[str, _Source]:
    """Every source that does not depend on the recipient, loaded once per context."""
    cached = ctx.cache.get(_CACHE_KEY)
    if cached is not None:
        return cached
    out: dict[str, _Source] = {}
    name, path = _lookup(ctx, "SOPS_AGE_SSH_PRIVATE_KEY_FILE")
    out["ssh_file"] = (_Source(name, "not set") if path is None
                       else _ssh_file_source(path, f"{name}={path}"))

    home = _home(ctx)
    for stem in ("id_ed25519", "id_rsa"):
        if not home:
            out[stem] = _Source(f"~/.ssh/{stem}", "not looked at: $HOME is not defined")
            continue
        path = os.path.join(home, ".ssh", stem)
        label = _tilde(path, home)
        out[stem] = _ssh_file_source(path, label) if os.path.exists(path) else _Source(label, "not found")

    name, value = _lookup(ctx, "SOPS_AGE_KEY")
    out["key_env"] = (_Source(name, "not set") if value is None
                      else _parse_identities(value, name, multiple_per_line=True))

    name, path = _lookup(ctx, "SOPS_AGE_KEY_FILE")
    out["key_file"] = (_Source(name, "not set") if path is None
                       else _key_file_source(path, f"{name}={path}"))

    default, why = _default_key_file(ctx)
    if default is None:
        out["default"] = _Source("default key file", f"not looked at: {why}")
    elif os.path.exists(default):
        out["default"] = _key_file_source(default, _tilde(default, home))
    else:
        out["default"] = _Source(_tilde(default, home), "not found")
    ctx.cache[_CACHE_KEY] = out
    return out


def _cmd_sources(ctx: KeyContext, recipient: str) -> dict[str, _Source]:
    """Key commands see ``SOPS_AGE_RECIPIENT``, so (as in sops 3.13) they run per recipient."""
    cache_key = _CMD_CACHE_PREFIX + recipient
    cached = ctx.cache.get(cache_key)
    if cached is not None:
        return cached
    out: dict[str, _Source] = {}
    name, cmd = _lookup(ctx, "SOPS_AGE_SSH_PRIVATE_KEY_CMD")
    if cmd is None:
        out["ssh_cmd"] = _Source(name, "not set")
    else:
        result = _run_cmd(cmd, ctx, recipient)
        out["ssh_cmd"] = (_Source(name, result) if isinstance(result, str)
                          else _parse_ssh_identity(result, name))
    name, cmd = _lookup(ctx, "SOPS_AGE_KEY_CMD")
    if cmd is None:
        out["key_cmd"] = _Source(name, "not set")
    else:
        result = _run_cmd(cmd, ctx, recipient)
        out["key_cmd"] = (_Source(name, result) if isinstance(result, str)
                          else _parse_identities(result.decode("utf-8", "replace"), name, False))
    ctx.cache[cache_key] = out
    return out


def _sources(ctx: KeyContext, recipient: str) -> list[_Source]:
    """All sources in sops's order."""
    static, cmds = _static_sources(ctx), _cmd_sources(ctx, recipient)
    order = ("ssh_file", "ssh_cmd", "id_ed25519", "id_rsa", "key_env", "key_file", "key_cmd", "default")
    return [static.get(k) or cmds[k] for k in order]


def _looked_in(sources: list[_Source]) -> str:
    return "looked in " + ", ".join(f"{s.label} ({s.note})" for s in sources)


# ------------------------------------------------------------------------ the key

KEY_TYPE = KeyType(
    name="age", implementation="sealfile.keys.age:AgeKey",
    order=KeyOrder(flags=6, collect=6, group_311=6, top_311=15),
    flag="age", flag_short="-a", describe="age recipients",
    flag_help="Comma-separated age recipients (age1..., ssh-ed25519 ..., ssh-rsa ...).",
    recipients_env="AGE_RECIPIENTS", rule_field="age", group_field="age", records_created_at=False,
    always_in_group_311=True)


@record(frozen=True)
class AgeKey(KeyBase):
    """An age recipient: X25519 ``age1…``, or an ``ssh-ed25519``/``ssh-rsa`` public key line."""

    type_name: ClassVar[str] = "age"
    recipient: str

    @classmethod
    def parse(cls, spec: Any, options: Mapping[str, Any] | None = None) -> "AgeKey":
        if isinstance(spec, Mapping) and "recipient" in spec:
            spec = spec["recipient"]
        if not isinstance(spec, str):
            raise UnknownRecipient(f"an age recipient must be a string, not {type(spec).__name__}")
        text = _go_trim(spec)
        _parse_recipient(text)
        return cls(text)

    def to_string(self) -> str:
        return self.recipient

    def wrap(self, data_key: bytes, ctx: KeyContext) -> str:
        import pyrage

        try:
            recipient = _parse_recipient(self.recipient)
        except UnknownRecipient as exc:
            raise MasterKeyError(exc.message) from None
        raw = getattr(data_key, "raw", data_key)
        try:
            blob = pyrage.encrypt(bytes(raw), [recipient])
        except Exception as exc:  # pyrage.EncryptError
            raise MasterKeyError(f"failed to encrypt the data key with age: {exc}") from None
        return armor(blob)

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        import pyrage

        try:
            blob = dearmor(enc)
        except ValueError as exc:
            raise MasterKeyError(f"the age enc field is not valid armored age data: {exc}") from None
        sources = _sources(ctx, self.recipient)
        identities = [i for s in sources for i in s.identities]
        if not identities:
            raise MasterKeyError(f"failed to load age identities: none found; {_looked_in(sources)}")
        try:
            return bytes(pyrage.decrypt(blob, identities))
        except pyrage.DecryptError as exc:
            if "no matching keys" in str(exc).lower():
                raise MasterKeyError(f"no age identity matched; {_looked_in(sources)}") from None
            raise MasterKeyError(f"failed to decrypt the age enc field (corrupted?): {exc}") from None

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        return [("recipient", self.recipient), ("enc", enc)]

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> KeyEntry:
        recipient = entry.get("recipient")
        if not isinstance(recipient, str):
            raise MetadataError("an age key entry has no recipient")
        enc = entry.get("enc")
        return KeyEntry(cls(recipient), enc if isinstance(enc, str) else "", None)
