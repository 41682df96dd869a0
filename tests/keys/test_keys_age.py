"""age master keys against real components: pyrage keys, the age CLI, ssh-keygen and sops-written vectors."""
from __future__ import annotations

import base64
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from ruamel.yaml import YAML

from sealfile.core.cipher import Cipher, DataKey
from sealfile.errors import MasterKeyError, MetadataError, UnknownRecipient
from sealfile.keys import KeyContext, KeyEntry, MasterKey, provider
from functools import partial

from sealfile.keys import parse_keys
from sealfile.keys.age import AgeKey, armor, dearmor, generate_identity

parse_list = partial(parse_keys, "age")

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"
VECTOR_RECIPIENT = "age12793gm6ut7lyat2s3nq8arw8uwg7wa3twc8pfv08qj2y7xqfe4yqza9hv4"


def age_cli(*names: str) -> str:
    path = shutil.which(names[0])
    if path is None:
        pytest.fail(f"{names[0]} is not installed (Debian package 'age')")
    return path


def new_identity() -> tuple[str, str]:
    ident = pyrage.x25519.Identity.generate()
    return str(ident), str(ident.to_public())


def ctx_for(home: Path, **env: str) -> KeyContext:
    """A context that cannot see the developer's keys: private HOME, no XDG, no SOPS_*."""
    home.mkdir(parents=True, exist_ok=True)
    return KeyContext(env={"HOME": str(home), "PATH": os.environ.get("PATH", os.defpath), **env})


def write_key_file(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    path.chmod(0o600)
    return path


def make_ssh_key(path: Path, kind: str, passphrase: str = "") -> str:
    """An OpenSSH private key at ``path``; returns the public key line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keygen = shutil.which("ssh-keygen")
    if keygen:
        args = [keygen, "-q", "-t", kind, "-N", passphrase, "-C", "test@sealfile", "-f", str(path)]
        if kind == "rsa":
            args[2:2] = ["-b", "2048"]
        subprocess.run(args, check=True, capture_output=True)
    else:
        from cryptography.hazmat.primitives import serialization as ser
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

        key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else rsa.generate_private_key(65537, 2048)
        enc = ser.BestAvailableEncryption(passphrase.encode()) if passphrase else ser.NoEncryption()
        path.write_bytes(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.OpenSSH, enc))
        pub = key.public_key().public_bytes(ser.Encoding.OpenSSH, ser.PublicFormat.OpenSSH)
        Path(str(path) + ".pub").write_bytes(pub + b" test@sealfile\n")
    path.chmod(0o600)
    return Path(str(path) + ".pub").read_text().strip()


def check_mac(enc_file: Path, data_key: bytes) -> None:
    """The recovered key must decrypt the file's MAC to 128 upper-case hex digits."""
    meta = YAML(typ="safe").load(enc_file.read_text())["sops"]
    mac = Cipher(DataKey(data_key)).decrypt(meta["mac"], str(meta["lastmodified"]))
    assert re.fullmatch(r"[0-9A-F]{128}", mac)


def vector_ctx(tmp_path: Path) -> KeyContext:
    return ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(VECTORS / "TEST-ONLY-age-key.txt"))


@pytest.fixture
def ident() -> tuple[str, str]:
    return new_identity()


# ------------------------------------------------------------------ parsing

def test_parse_x25519_trims_and_keeps_text(ident):
    secret, recipient = ident
    key = AgeKey.parse(f"  {recipient}\n")
    assert key == AgeKey(recipient)
    assert key.to_string() == recipient
    assert AgeKey.type_name == "age"
    assert isinstance(key, MasterKey)
    assert provider("age") is AgeKey


@pytest.mark.parametrize("spec", [
    "", "age1", "age1qqqq", "AGE12793GM6UT7LYAT2S3NQ8ARW8UWG7WA3TWC8PFV08QJ2Y7XQFE4YQZA9HV4",
    VECTOR_RECIPIENT[:-1] + "q",                      # bad checksum
    "age1pq1" + "q" * 50, "age1yubikey1qwerty",       # post-quantum / plugin
    "ssh-dss AAAAB3NzaC1kc3M=", "ssh-ed25519 not-base64", "ssh-ed25519",
    "gpg:ABCDEF", "AGE-SECRET-KEY-1XYZ",
])
def test_parse_rejects(spec):
    with pytest.raises(UnknownRecipient):
        AgeKey.parse(spec)


def test_parse_rejects_non_string():
    with pytest.raises(UnknownRecipient):
        AgeKey.parse(42)


def test_parse_ssh_recipients_keep_whole_line(tmp_path):
    ed = make_ssh_key(tmp_path / "ed", "ed25519")
    rsa = make_ssh_key(tmp_path / "rsa", "rsa")
    assert AgeKey.parse(ed + "\n").recipient == ed
    assert AgeKey.parse(rsa).recipient == rsa
    assert ed.endswith(" test@sealfile")
    kind, b64 = ed.split()[:2]
    assert AgeKey.parse(f"{kind}   {b64}").recipient == f"{kind}   {b64}"   # Go tolerates runs of blanks


def test_parse_list_splits_trims_and_skips_empty(ident):
    _, r1 = ident
    _, r2 = new_identity()
    keys = parse_list(f" {r1} ,, {r2},\n")
    assert [k.recipient for k in keys] == [r1, r2]
    assert parse_list("") == []
    with pytest.raises(UnknownRecipient):
        parse_list(f"{r1},nonsense")


# ------------------------------------------------------------------ armor

def test_wrap_writes_age_armor(tmp_path, ident):
    _, recipient = ident
    enc = AgeKey(recipient).wrap(os.urandom(32), ctx_for(tmp_path))
    lines = enc.split("\n")
    assert lines[0] == "-----BEGIN AGE ENCRYPTED FILE-----"
    assert lines[-2:] == ["-----END AGE ENCRYPTED FILE-----", ""]     # final newline
    body = lines[1:-2]
    assert all(len(line) == 64 for line in body[:-1]) and 0 < len(body[-1]) <= 64
    blob = base64.b64decode("".join(body), validate=True)
    assert blob.startswith(b"age-encryption.org/v1\n-> X25519 ")


@pytest.mark.parametrize("size", [0, 1, 46, 47, 48, 49, 95, 96, 97, 200])
def test_armor_round_trip_and_line_rule(size):
    blob = os.urandom(size)
    text = armor(blob)
    assert "\n\n" not in text                # a payload of whole lines gets no empty line
    assert dearmor(text) == blob
    assert dearmor(text.rstrip("\n")) == blob


def test_armor_is_byte_identical_to_age_cli(tmp_path, ident):
    _, recipient = ident
    out = subprocess.run([age_cli("age"), "-a", "-r", recipient], input=os.urandom(32),
                         capture_output=True, check=True).stdout.decode()
    assert armor(dearmor(out)) == out


@pytest.mark.parametrize("mangle,ok", [
    (lambda t: t.rstrip("\n"), True),                                    # `enc: |-`
    (lambda t: t.replace("\n", "\r\n"), True),
    (lambda t: "\n  \n" + t + "\n\n", True),
    (lambda t: "".join(t.split("\n")[1:-2]), False),                     # bare base64
    (lambda t: t.replace("-----\n", "-----\n\n", 1), False),             # empty line
    (lambda t: "\n".join([t.split("\n")[0], "".join(t.split("\n")[1:-2])] + t.split("\n")[-2:]), False),
    (lambda t: t + "trailing", False),
    (lambda t: t.replace("BEGIN AGE", "BEGIN PGP"), False),
    (lambda t: t.replace("-----END AGE ENCRYPTED FILE-----", ""), False),
])
def test_dearmor_is_as_strict_as_age(mangle, ok, tmp_path, ident):
    secret, recipient = ident
    data_key = os.urandom(32)
    enc = mangle(AgeKey(recipient).wrap(data_key, ctx_for(tmp_path)))
    key = AgeKey(recipient)
    ctx = ctx_for(tmp_path, SOPS_AGE_KEY=secret)
    if ok:
        assert key.unwrap(enc, ctx) == data_key
    else:
        with pytest.raises(MasterKeyError, match="not valid armored age data"):
            key.unwrap(enc, ctx)


def test_dearmor_rejects_non_canonical_base64():
    text = armor(b"\x00")                 # "AA==": flipping the last data char sets padding bits
    assert "AA==" in text
    with pytest.raises(ValueError):
        dearmor(text.replace("AA==", "AB=="))


# ------------------------------------------------------------------ age CLI interop

def test_sealfile_enc_decrypts_with_age_cli(tmp_path, ident):
    secret, recipient = ident
    key_file = write_key_file(tmp_path / "keys.txt", secret)
    data_key = os.urandom(32)
    enc = AgeKey(recipient).wrap(data_key, ctx_for(tmp_path))
    (tmp_path / "enc.age.asc").write_text(enc)
    (tmp_path / "enc.age").write_bytes(dearmor(enc))
    for name in ("enc.age.asc", "enc.age"):
        out = subprocess.run([age_cli("age"), "-d", "-i", str(key_file), str(tmp_path / name)],
                             capture_output=True, check=True).stdout
        assert out == data_key


def test_age_cli_armored_file_unwraps(tmp_path, ident):
    secret, recipient = ident
    share = os.urandom(33)
    enc = subprocess.run([age_cli("age"), "-a", "-r", recipient], input=share,
                         capture_output=True, check=True).stdout.decode()
    assert AgeKey(recipient).unwrap(enc, ctx_for(tmp_path, SOPS_AGE_KEY=secret)) == share


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_ssh_recipients_wrap_for_pyrage_and_age_cli(tmp_path, kind):
    priv = tmp_path / f"id_{kind}"
    pub = make_ssh_key(priv, kind)
    data_key = os.urandom(32)
    enc = AgeKey.parse(pub).wrap(data_key, ctx_for(tmp_path))
    blob = dearmor(enc)
    assert f"\n-> ssh-{kind} ".encode() in blob
    identity = pyrage.ssh.Identity.from_buffer(priv.read_bytes())
    assert pyrage.decrypt(blob, [identity]) == data_key
    (tmp_path / "enc.age").write_text(enc)
    out = subprocess.run([age_cli("age"), "-d", "-i", str(priv), str(tmp_path / "enc.age")],
                         capture_output=True, check=True).stdout
    assert out == data_key


# ------------------------------------------------------------------ sops vectors

def test_unwraps_sops_vector_and_decrypts_mac(tmp_path):
    path = VECTORS / "age.enc.yaml"
    entry = YAML(typ="safe").load(path.read_text())["sops"]["age"][0]
    ke = AgeKey.from_metadata(entry)
    assert ke.key.recipient == VECTOR_RECIPIENT
    data_key = ke.key.unwrap(ke.enc, vector_ctx(tmp_path))
    assert len(data_key) == 32
    check_mac(path, data_key)


def test_unwraps_sops_vector_shamir_share(tmp_path):
    groups = YAML(typ="safe").load((VECTORS / "shamir-age-pgp.enc.yaml").read_text())["sops"]["key_groups"]
    entry = next(g["age"][0] for g in groups if g.get("age"))
    share = AgeKey.from_metadata(entry).key.unwrap(entry["enc"], vector_ctx(tmp_path))
    assert len(share) == 33 and share[-1] == 1         # group 0 → x = 1 in the last byte


# ------------------------------------------------------------------ identity sources

def _roundtrip(ctx: KeyContext, recipient: str) -> None:
    data_key = os.urandom(32)
    key = AgeKey.parse(recipient)
    assert key.unwrap(key.wrap(data_key, ctx), ctx) == data_key


def test_source_sops_age_key(tmp_path, ident):
    secret, recipient = ident
    _roundtrip(ctx_for(tmp_path, SOPS_AGE_KEY=secret), recipient)


def test_source_sops_age_key_multiline_with_comments(tmp_path, ident):
    secret, recipient = ident
    other, _ = new_identity()
    _roundtrip(ctx_for(tmp_path, SOPS_AGE_KEY=f"# created\n{other}\r\n\n{secret}\n"), recipient)


def test_source_sops_age_key_several_per_line(tmp_path, ident):
    secret, recipient = ident
    other, other_r = new_identity()
    ctx = ctx_for(tmp_path, SOPS_AGE_KEY=f"  {other}\t{secret} ")
    _roundtrip(ctx, recipient)
    _roundtrip(ctx, other_r)


def test_sealfile_alias_wins_over_sops_name(tmp_path, ident):
    secret, recipient = ident
    wrong, _ = new_identity()
    _roundtrip(ctx_for(tmp_path, SOPS_AGE_KEY=wrong, SEALFILE_AGE_KEY=secret), recipient)


def test_source_key_file(tmp_path, ident):
    secret, recipient = ident
    path = write_key_file(tmp_path / "k.txt", "# public key: " + recipient, "", secret)
    _roundtrip(ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(path)), recipient)


def test_key_file_with_several_keys_on_a_line_fails(tmp_path, ident):
    secret, recipient = ident
    other, _ = new_identity()
    path = write_key_file(tmp_path / "k.txt", f"{other} {secret}")
    ctx = ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(path))
    enc = AgeKey(recipient).wrap(os.urandom(32), ctx)
    with pytest.raises(MasterKeyError, match=r"line 1 is not a valid age secret key"):
        AgeKey(recipient).unwrap(enc, ctx)


KEY_CMD = r"""
import os, sys
log, want, secret = sys.argv[1], sys.argv[2], sys.argv[3]
with open(log, "a") as fh:
    fh.write(os.environ.get("SOPS_AGE_RECIPIENT", "-") + "\n")
if sys.argv[4:] != ["two words"]:
    sys.exit(7)
if os.environ.get("SOPS_AGE_RECIPIENT") == want:
    print("# from the command")
    print(secret)
"""


def test_source_key_cmd_split_like_a_shell_and_given_the_recipient(tmp_path, ident):
    secret, recipient = ident
    script = tmp_path / "key cmd.py"
    script.write_text(KEY_CMD)
    log = tmp_path / "log"
    cmd = f"{sys.executable} '{script}' {log} {recipient} {secret} \"two words\""
    ctx = ctx_for(tmp_path / "home", SOPS_AGE_KEY_CMD=cmd)
    key = AgeKey(recipient)
    data_key = os.urandom(32)
    enc = key.wrap(data_key, ctx)
    assert key.unwrap(enc, ctx) == data_key
    assert key.unwrap(enc, ctx) == data_key              # second unwrap: cached, no new run
    other_r = new_identity()[1]
    with pytest.raises(MasterKeyError, match=r"none found; .*SOPS_AGE_KEY_CMD \(0 identities\)"):
        AgeKey(other_r).unwrap(AgeKey(other_r).wrap(data_key, ctx), ctx)
    assert log.read_text().split() == [recipient, other_r]     # once per recipient


def test_source_key_cmd_failure_is_reported_without_its_output(tmp_path, ident):
    secret, recipient = ident
    script = tmp_path / "fail.py"
    script.write_text(f"import sys\nprint({secret!r})\nprint({secret!r}, file=sys.stderr)\nsys.exit(3)\n")
    ctx = ctx_for(tmp_path / "home", SOPS_AGE_KEY_CMD=f"{sys.executable} {script} {secret}")
    enc = AgeKey(recipient).wrap(os.urandom(32), ctx)
    with pytest.raises(MasterKeyError) as info:
        AgeKey(recipient).unwrap(enc, ctx)
    assert "SOPS_AGE_KEY_CMD (error: command" in str(info.value)
    assert "exited with status 3" in str(info.value)
    assert secret not in str(info.value)


def test_source_key_cmd_not_found(tmp_path, ident):
    _, recipient = ident
    ctx = ctx_for(tmp_path / "home", SOPS_AGE_KEY_CMD="/nonexistent/keycmd --flag")
    with pytest.raises(MasterKeyError, match=r"command '/nonexistent/keycmd' not found"):
        AgeKey(recipient).unwrap(AgeKey(recipient).wrap(os.urandom(32), ctx), ctx)


def test_source_default_file_in_xdg_config_home(tmp_path, ident):
    secret, recipient = ident
    xdg = tmp_path / "xdg"
    write_key_file(xdg / "sops" / "age" / "keys.txt", secret)
    _roundtrip(ctx_for(tmp_path / "home", XDG_CONFIG_HOME=str(xdg)), recipient)


def test_source_default_file_in_home_config(tmp_path, ident):
    secret, recipient = ident
    home = tmp_path / "home"
    write_key_file(home / ".config" / "sops" / "age" / "keys.txt", secret)
    _roundtrip(ctx_for(home), recipient)


def test_relative_xdg_config_home_is_refused_like_go(tmp_path, ident):
    secret, recipient = ident
    home = tmp_path / "home"
    write_key_file(home / ".config" / "sops" / "age" / "keys.txt", secret)
    ctx = ctx_for(home, XDG_CONFIG_HOME="relative/dir")
    with pytest.raises(MasterKeyError, match=r"XDG_CONFIG_HOME is relative"):
        AgeKey(recipient).unwrap(AgeKey(recipient).wrap(os.urandom(32), ctx), ctx)


def test_default_file_is_read_besides_other_sources(tmp_path, ident):
    secret, recipient = ident
    home = tmp_path / "home"
    write_key_file(home / ".config" / "sops" / "age" / "keys.txt", secret)
    other, _ = new_identity()
    _roundtrip(ctx_for(home, SOPS_AGE_KEY=other), recipient)


def test_source_ssh_private_key_file(tmp_path):
    pub = make_ssh_key(tmp_path / "keys" / "deploy", "ed25519")
    _roundtrip(ctx_for(tmp_path / "home", SOPS_AGE_SSH_PRIVATE_KEY_FILE=str(tmp_path / "keys" / "deploy")), pub)


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_source_ssh_default_keys(tmp_path, kind):
    home = tmp_path / "home"
    pub = make_ssh_key(home / ".ssh" / f"id_{kind}", kind)
    _roundtrip(ctx_for(home), pub)


def test_source_ssh_private_key_cmd(tmp_path):
    priv = tmp_path / "keys" / "deploy"
    pub = make_ssh_key(priv, "rsa")
    cmd = f"{sys.executable} -c \"import sys; sys.stdout.write(open(sys.argv[1]).read())\" {priv}"
    _roundtrip(ctx_for(tmp_path / "home", SOPS_AGE_SSH_PRIVATE_KEY_CMD=cmd), pub)


def test_encrypted_ssh_key_gives_a_clear_reason_and_other_sources_still_work(tmp_path, ident):
    secret, recipient = ident
    home = tmp_path / "home"
    pub = make_ssh_key(home / ".ssh" / "id_ed25519", "ed25519", passphrase="correct horse")
    ctx = ctx_for(home, SOPS_AGE_KEY=secret)
    _roundtrip(ctx, recipient)
    enc = AgeKey.parse(pub).wrap(os.urandom(32), ctx)
    with pytest.raises(MasterKeyError) as info:
        AgeKey.parse(pub).unwrap(enc, ctx)
    assert "~/.ssh/id_ed25519 (error: the SSH key is passphrase-protected" in str(info.value)


@pytest.mark.parametrize("bad_line", ["not-a-key", " {secret}", "{secret} ", "age-secret-key-1qqqq",
                                      "AGE-SECRET-KEY-1QQQQ"])
def test_invalid_line_makes_whole_key_file_fail(tmp_path, ident, bad_line):
    secret, recipient = ident
    path = write_key_file(tmp_path / "k.txt", "# ok", secret, bad_line.format(secret=secret))
    ctx = ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(path))
    enc = AgeKey(recipient).wrap(os.urandom(32), ctx)
    with pytest.raises(MasterKeyError) as info:
        AgeKey(recipient).unwrap(enc, ctx)
    text = str(info.value)
    assert f"SOPS_AGE_KEY_FILE={path} (error: line 3 " in text
    assert secret not in text and secret[16:].lower() not in text.lower()


def test_identities_are_loaded_once_per_context(tmp_path, ident):
    secret, recipient = ident
    path = write_key_file(tmp_path / "k.txt", secret)
    ctx = ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(path))
    key, data_key = AgeKey(recipient), os.urandom(32)
    enc = key.wrap(data_key, ctx)
    assert key.unwrap(enc, ctx) == data_key
    path.unlink()
    assert key.unwrap(enc, ctx) == data_key             # still cached
    fresh = ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(path))
    with pytest.raises(MasterKeyError, match=r"No such file"):
        key.unwrap(enc, fresh)


# ------------------------------------------------------------------ failure reasons and secrecy

def test_reason_when_no_identity_at_all_lists_every_location(tmp_path, ident):
    _, recipient = ident
    ctx = ctx_for(tmp_path / "home")
    with pytest.raises(MasterKeyError) as info:
        AgeKey(recipient).unwrap(AgeKey(recipient).wrap(os.urandom(32), ctx), ctx)
    text = str(info.value)
    assert text.startswith("failed to load age identities: none found; looked in ")
    for label in ("SOPS_AGE_SSH_PRIVATE_KEY_FILE (not set)", "SOPS_AGE_SSH_PRIVATE_KEY_CMD (not set)",
                  "~/.ssh/id_ed25519 (not found)", "~/.ssh/id_rsa (not found)", "SOPS_AGE_KEY (not set)",
                  "SOPS_AGE_KEY_FILE (not set)", "SOPS_AGE_KEY_CMD (not set)",
                  "~/.config/sops/age/keys.txt (not found)"):
        assert label in text


def test_reason_when_identities_do_not_match(tmp_path, ident):
    _, recipient = ident
    wrong, _ = new_identity()
    path = write_key_file(tmp_path / "k.txt", wrong)
    ctx = ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(path), SOPS_AGE_KEY=f"{wrong}\n{wrong}")
    with pytest.raises(MasterKeyError) as info:
        AgeKey(recipient).unwrap(AgeKey(recipient).wrap(os.urandom(32), ctx), ctx)
    text = str(info.value)
    assert text.startswith("no age identity matched; looked in ")
    assert f"SOPS_AGE_KEY_FILE={path} (1 identity)" in text
    assert "SOPS_AGE_KEY (2 identities)" in text
    assert "~/.config/sops/age/keys.txt (not found)" in text


def test_corrupted_enc_is_reported(tmp_path, ident):
    secret, recipient = ident
    blob = bytearray(dearmor(AgeKey(recipient).wrap(os.urandom(32), ctx_for(tmp_path))))
    blob[-5] ^= 1
    with pytest.raises(MasterKeyError, match="failed to decrypt the age enc field"):
        AgeKey(recipient).unwrap(armor(bytes(blob)), ctx_for(tmp_path, SOPS_AGE_KEY=secret))


def test_no_secret_in_errors_or_reprs(tmp_path, ident):
    secret, recipient = ident
    home = tmp_path / "home"
    make_ssh_key(home / ".ssh" / "id_ed25519", "ed25519")
    ssh_secret_body = (home / ".ssh" / "id_ed25519").read_text().splitlines()[1]
    bad_file = write_key_file(tmp_path / "bad.txt", secret, "x" + secret)
    wrong = new_identity()[1]
    ctx = ctx_for(home, SOPS_AGE_KEY=secret + " junk" + secret, SOPS_AGE_KEY_FILE=str(bad_file),
                  SOPS_AGE_KEY_CMD=f"/bin/echo {secret}")
    data_key = os.urandom(32)
    texts = []
    for enc in (AgeKey(wrong).wrap(data_key, ctx), "garbage " + secret, armor(b"age-encryption.org/v1\n" + data_key)):
        with pytest.raises(MasterKeyError) as info:
            AgeKey(wrong).unwrap(enc, ctx)
        texts += [str(info.value), repr(info.value), info.value.message]
    texts += [repr(AgeKey(recipient)), repr(ctx.cache)]
    for text in texts:
        assert secret not in text and secret[16:] not in text.upper()
        assert ssh_secret_body not in text
        assert data_key.hex() not in text and repr(data_key) not in text


# ------------------------------------------------------------------ metadata and helpers

def test_metadata_round_trip(tmp_path, ident):
    _, recipient = ident
    key = AgeKey(recipient)
    enc = key.wrap(os.urandom(32), ctx_for(tmp_path))
    fields = key.to_metadata(enc, "2026-01-01T00:00:00Z")
    assert fields == [("recipient", recipient), ("enc", enc)]
    entry = AgeKey.from_metadata(dict(fields))
    assert entry == KeyEntry(key, enc, None)
    with pytest.raises(MetadataError):
        AgeKey.from_metadata({"enc": enc})


def test_unsupported_recipient_from_a_file_fails_only_on_wrap(tmp_path):
    key = AgeKey.from_metadata({"recipient": "age1pq1" + "q" * 60, "enc": ""}).key
    with pytest.raises(MasterKeyError, match="post-quantum"):
        key.wrap(os.urandom(32), ctx_for(tmp_path))


def test_generate_identity_and_data_key_object(tmp_path):
    secret, recipient = generate_identity()
    assert secret.startswith("AGE-SECRET-KEY-1") and recipient.startswith("age1")
    assert str(pyrage.x25519.Identity.from_str(secret).to_public()) == recipient
    raw = os.urandom(32)
    enc = AgeKey(recipient).wrap(DataKey(raw), ctx_for(tmp_path))   # a redacted DataKey is accepted too
    assert AgeKey(recipient).unwrap(enc, ctx_for(tmp_path, SOPS_AGE_KEY=secret)) == raw


def test_key_files_written_by_age_keygen_are_read(tmp_path):
    path = tmp_path / "keys.txt"
    subprocess.run([age_cli("age-keygen"), "-o", str(path)], check=True, capture_output=True)
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    recipient = subprocess.run([age_cli("age-keygen"), "-y", str(path)], check=True,
                               capture_output=True, text=True).stdout.strip()
    _roundtrip(ctx_for(tmp_path / "home", SOPS_AGE_KEY_FILE=str(path)), recipient)
