"""PGP master keys against the real gpg binary, throwaway GnuPG homes and the sops-written vectors."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from sealfile.core.cipher import Cipher, DataKey
from sealfile.errors import MasterKeyError, MetadataError, UnknownRecipient
from sealfile.keys import KeyContext, KeyEntry, MasterKey, provider
from functools import partial

from sealfile.keys import parse_keys
from sealfile.keys.pgp import PgpKey

parse_list = partial(parse_keys, "pgp")

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"
VECTOR_FP = "A45DD0C862DCC4ADF928414EE79EB567F56B4906"


def gpg_bin() -> str:
    path = shutil.which("gpg")
    if path is None:
        pytest.fail("gpg is not installed (Debian package 'gnupg')")
    return path


def gpg(home: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([gpg_bin(), "--homedir", home, "--batch", "--yes", *args],
                          input=stdin, capture_output=True, check=True)


def new_home() -> str:
    home = tempfile.mkdtemp(prefix="sfk", dir="/tmp")   # short: gpg-agent socket paths must stay < 108 chars
    os.chmod(home, 0o700)
    Path(home, "gpg-agent.conf").write_text("pinentry-program /bin/false\n")   # never prompt, never hang
    return home


def drop_home(home: str) -> None:
    subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": home}, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def gen_key(home: str, uid: str, passphrase: str = "") -> str:
    gpg(home, "--passphrase", passphrase, "--quick-gen-key", uid, "future-default", "default", "never")
    out = gpg(home, "--with-colons", "--list-secret-keys", uid).stdout.decode()
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


@pytest.fixture(scope="module")
def homes():
    """Throwaway homes: fresh keys (one passphrase-protected), their public key only, the vector key."""
    main, public_only, vector = new_home(), new_home(), new_home()
    fp = gen_key(main, "sealfile test <test@sealfile.invalid>")
    fp_locked = gen_key(main, "sealfile locked <locked@sealfile.invalid>", passphrase="s3cret-pass")
    gpg(public_only, "--import", stdin=gpg(main, "--export", fp).stdout)
    gpg(vector, "--import", str(VECTORS / "TEST-ONLY-pgp-secret-key.asc"))
    yield {"main": main, "public_only": public_only, "vector": vector, "fp": fp, "fp_locked": fp_locked}
    for home in (main, public_only, vector):
        drop_home(home)


def ctx_for(gnupghome: str | None, **env: str) -> KeyContext:
    base = {"HOME": "/nonexistent-home", "PATH": os.environ.get("PATH", os.defpath)}
    if gnupghome is not None:
        base["GNUPGHOME"] = gnupghome
    return KeyContext(env={**base, **env})


def check_mac(enc_file: Path, data_key: bytes) -> None:
    meta = YAML(typ="safe").load(enc_file.read_text())["sops"]
    mac = Cipher(DataKey(data_key)).decrypt(meta["mac"], str(meta["lastmodified"]))
    assert re.fullmatch(r"[0-9A-F]{128}", mac)


# ------------------------------------------------------------------ parsing

def test_parse_fingerprints():
    assert PgpKey.parse(VECTOR_FP) == PgpKey(VECTOR_FP)
    spaced = "A45D D0C8 62DC C4AD F928  414E E79E B567 F56B 4906"
    assert PgpKey.parse(spaced).fingerprint == VECTOR_FP
    assert PgpKey.parse(VECTOR_FP.lower()).fingerprint == VECTOR_FP.lower()     # not normalised further
    assert PgpKey.parse("E79EB567F56B4906").fingerprint == "E79EB567F56B4906"   # long key ID
    assert PgpKey.parse(VECTOR_FP + "!").fingerprint == VECTOR_FP + "!"
    assert PgpKey.parse({"fp": VECTOR_FP}).to_string() == VECTOR_FP
    assert PgpKey.type_name == "pgp"
    assert isinstance(PgpKey(VECTOR_FP), MasterKey)
    assert provider("pgp") is PgpKey


@pytest.mark.parametrize("spec", ["", "hello", VECTOR_FP[:-1], VECTOR_FP + "0", "F56B4906", "Z" * 40, 42])
def test_parse_rejects_garbage(spec):
    with pytest.raises(UnknownRecipient):
        PgpKey.parse(spec)


def test_parse_list():
    assert [k.fingerprint for k in parse_list(f"{VECTOR_FP}, E79EB567F56B4906,")] == [VECTOR_FP, "E79EB567F56B4906"]


# ------------------------------------------------------------------ wrap / unwrap

def test_wrap_produces_what_sops_writes(homes):
    data_key = os.urandom(32)
    enc = PgpKey(homes["fp"]).wrap(data_key, ctx_for(homes["main"]))
    assert enc.startswith("-----BEGIN PGP MESSAGE-----\n\n")
    assert enc.endswith("\n-----END PGP MESSAGE-----")               # no trailing newline: `enc: |-`
    assert re.search(r"\n=[A-Za-z0-9+/]{4}\n", enc)                   # CRC24 line
    plain = gpg(homes["main"], "-d", stdin=enc.encode()).stdout        # plain gpg reads it
    assert plain == data_key
    packets = gpg(homes["main"], "--list-packets", stdin=enc.encode()).stdout.decode()
    assert ":pubkey enc packet:" in packets and ":literal data packet:" in packets
    assert re.search(r"mode b\b", packets)


@pytest.mark.parametrize("size", [32, 33])
def test_round_trip(homes, size):
    key, ctx = PgpKey(homes["fp"]), ctx_for(homes["main"])
    payload = os.urandom(size)
    assert key.unwrap(key.wrap(payload, ctx), ctx) == payload


def test_wrap_by_long_key_id_and_with_data_key_object(homes):
    ctx = ctx_for(homes["main"])
    raw = os.urandom(32)
    enc = PgpKey(homes["fp"][-16:]).wrap(DataKey(raw), ctx)
    assert PgpKey(homes["fp"]).unwrap(enc, ctx) == raw


def test_wrap_with_public_key_only_then_unwrap_needs_the_secret_key(homes):
    data_key = os.urandom(32)
    enc = PgpKey(homes["fp"]).wrap(data_key, ctx_for(homes["public_only"]))   # imported key, never trusted
    assert PgpKey(homes["fp"]).unwrap(enc, ctx_for(homes["main"])) == data_key
    with pytest.raises(MasterKeyError) as info:
        PgpKey(homes["fp"]).unwrap(enc, ctx_for(homes["public_only"]))
    assert str(info.value).startswith(f"no secret key for this file in GnuPG home {homes['public_only']}")
    assert "encrypted to key ID " in str(info.value)


def test_unwraps_sops_vector_and_decrypts_mac(homes):
    path = VECTORS / "pgp.enc.yaml"
    entry = YAML(typ="safe").load(path.read_text())["sops"]["pgp"][0]
    ke = PgpKey.from_metadata(entry)
    assert ke.key == PgpKey(VECTOR_FP) and ke.created_at == entry["created_at"]
    data_key = ke.key.unwrap(ke.enc, ctx_for(homes["vector"]))
    assert len(data_key) == 32
    check_mac(path, data_key)


def test_unwraps_sops_vector_shamir_share(homes):
    groups = YAML(typ="safe").load((VECTORS / "shamir-age-pgp.enc.yaml").read_text())["sops"]["key_groups"]
    entry = next(g["pgp"][0] for g in groups if g.get("pgp"))
    share = PgpKey.from_metadata(entry).key.unwrap(entry["enc"], ctx_for(homes["vector"]))
    assert len(share) == 33 and share[-1] == 2          # group 1 → x = 2 in the last byte


def test_default_home_is_home_dot_gnupg(homes):
    home = Path(tempfile.mkdtemp(prefix="sfh", dir="/tmp"))
    try:
        (home / ".gnupg").mkdir(mode=0o700)
        gpg(str(home / ".gnupg"), "--import", stdin=gpg(homes["main"], "--export", homes["fp"]).stdout)
        ctx = KeyContext(env={"HOME": str(home), "PATH": os.environ.get("PATH", os.defpath)})
        assert PgpKey(homes["fp"]).wrap(os.urandom(32), ctx).startswith("-----BEGIN PGP MESSAGE-----")
        with pytest.raises(MasterKeyError, match=re.escape(f"GnuPG home {home / '.gnupg'})")):
            PgpKey(VECTOR_FP).wrap(os.urandom(32), ctx)
    finally:
        drop_home(str(home / ".gnupg"))
        shutil.rmtree(home, ignore_errors=True)


# ------------------------------------------------------------------ failures

def test_wrap_to_unknown_key(homes):
    with pytest.raises(MasterKeyError) as info:
        PgpKey(VECTOR_FP).wrap(os.urandom(32), ctx_for(homes["main"]))
    assert str(info.value) == (f"gpg cannot encrypt to {VECTOR_FP}: no public key for it in the keyring "
                               f"(GnuPG home {homes['main']})")


@pytest.mark.parametrize("enc", ["", "junk", "-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----"])
def test_unwrap_garbage(homes, enc):
    with pytest.raises(MasterKeyError, match="not an OpenPGP message"):
        PgpKey(homes["fp"]).unwrap(enc, ctx_for(homes["main"]))


def test_unwrap_with_passphrase_protected_key_and_no_pinentry(homes):
    ctx = ctx_for(homes["main"])
    data_key = os.urandom(32)
    enc = PgpKey(homes["fp_locked"]).wrap(data_key, ctx)
    with pytest.raises(MasterKeyError) as info:
        PgpKey(homes["fp_locked"]).unwrap(enc, ctx)
    text = str(info.value)
    assert text.startswith("gpg could not use the secret key: public key decryption failed")
    assert "passphrase" in text and "s3cret-pass" not in text and data_key.hex() not in text


def test_gpg_binary_comes_from_sops_gpg_exec_and_its_alias(homes):
    key, data_key = PgpKey(homes["fp"]), os.urandom(32)
    enc = key.wrap(data_key, ctx_for(homes["main"]))
    with pytest.raises(MasterKeyError, match=r"gpg not found: cannot run '/nonexistent/gpg'"):
        key.unwrap(enc, ctx_for(homes["main"], SOPS_GPG_EXEC="/nonexistent/gpg"))
    with pytest.raises(MasterKeyError, match="gpg not found"):
        key.wrap(data_key, ctx_for(homes["main"], SOPS_GPG_EXEC=gpg_bin(), SEALFILE_GPG_EXEC="/nonexistent/gpg"))
    assert key.unwrap(enc, ctx_for(homes["main"], SOPS_GPG_EXEC=gpg_bin())) == data_key


def test_gpg_output_never_reaches_our_stderr_and_errors_hold_no_key(homes, capfd):
    key, data_key = PgpKey(homes["fp"]), os.urandom(32)
    enc = key.wrap(data_key, ctx_for(homes["main"]))
    assert key.unwrap(enc, ctx_for(homes["main"])) == data_key
    texts = []
    for call in (lambda: key.unwrap(enc, ctx_for(homes["public_only"])),
                 lambda: key.unwrap("junk", ctx_for(homes["main"])),
                 lambda: PgpKey(VECTOR_FP).wrap(data_key, ctx_for(homes["main"]))):
        with pytest.raises(MasterKeyError) as info:
            call()
        texts += [str(info.value), repr(info.value)]
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    for text in texts:
        assert data_key.hex() not in text and data_key.hex().upper() not in text
        assert data_key.decode("latin-1") not in text


# ------------------------------------------------------------------ metadata

def test_metadata_round_trip():
    key = PgpKey(VECTOR_FP)
    fields = key.to_metadata("-----BEGIN PGP MESSAGE-----\n...", "2026-01-02T03:04:05Z")
    assert [name for name, _ in fields] == ["created_at", "enc", "fp"]
    assert PgpKey.from_metadata(dict(fields)) == KeyEntry(key, fields[1][1], "2026-01-02T03:04:05Z")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", key.to_metadata("x", None)[0][1])
    unquoted = PgpKey.from_metadata({"fp": VECTOR_FP, "enc": "x",
                                     "created_at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)})
    assert unquoted.created_at == "2026-01-02T03:04:05Z"
    with pytest.raises(MetadataError):
        PgpKey.from_metadata({"enc": "x"})
