"""Both directions against the real sops binary, for every format and key type.

sealfile encrypts -> sops decrypts, and sops encrypts -> sealfile decrypts,
with fresh keys made by the tests.  The expected plaintext is what sops itself
prints for the same input (testdata/vectors/decrypted/), byte for byte.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import VECTORS, make_age_key, run_sealfile, run_sops

FORMATS = {
    "yaml": ("plain.yaml", "age.decrypted.yaml", []),
    "json": ("plain.json", "age.decrypted.json", []),
    "dotenv": ("plain.env", "age.decrypted.env", []),
    "ini": ("plain.ini", "age.decrypted.ini", []),
    "binary": ("plain.bin", "age.bin.decrypted.bin", ["--input-type", "binary", "--output-type", "json"]),
}
KEYSETS = ["age", "pgp", "age+pgp"]


def _setup(tmp_path: Path, env: dict, keyset: str, gpg_home) -> tuple[list[str], dict]:
    args: list[str] = []
    if "age" in keyset:
        key = make_age_key(tmp_path)
        env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
        args += ["--age", key.recipient]
    if "pgp" in keyset:
        env["GNUPGHOME"] = gpg_home.home
        args += ["--pgp", gpg_home.fingerprint]
    return args, env


def _decrypt_args(fmt: str) -> list[str]:
    return ["--input-type", "json", "--output-type", "binary"] if fmt == "binary" else []


def _copy_plain(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(VECTORS / name, target)
    return target


@pytest.mark.interop
@pytest.mark.parametrize("keyset", KEYSETS)
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sealfile_encrypts_sops_decrypts(fmt, keyset, sops_bin, env, gpg_home, tmp_path):
    plain_name, expected, enc_args = FORMATS[fmt]
    key_args, env = _setup(tmp_path, env, keyset, gpg_home)
    plain = _copy_plain(tmp_path, plain_name)
    enc = run_sealfile(["encrypt", *enc_args, *key_args, str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    assert enc.stderr == b""
    target = tmp_path / ("sealed.bin.json" if fmt == "binary" else "sealed" + plain.suffix)
    target.write_bytes(enc.stdout)
    dec = run_sops(sops_bin, ["decrypt", *_decrypt_args(fmt), str(target)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stdout == (VECTORS / "decrypted" / expected).read_bytes()
    # and sealfile reads its own output the same way
    own = run_sealfile(["decrypt", *_decrypt_args(fmt), str(target)], env, cwd=tmp_path)
    assert own.returncode == 0, own.stderr.decode()
    assert own.stdout == dec.stdout


@pytest.mark.interop
@pytest.mark.parametrize("keyset", KEYSETS)
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sops_encrypts_sealfile_decrypts(fmt, keyset, sops_bin, env, gpg_home, tmp_path):
    plain_name, expected, enc_args = FORMATS[fmt]
    key_args, env = _setup(tmp_path, env, keyset, gpg_home)
    plain = _copy_plain(tmp_path, plain_name)
    enc = run_sops(sops_bin, ["encrypt", *enc_args, *key_args, str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    target = tmp_path / ("sops.bin.json" if fmt == "binary" else "sops" + plain.suffix)
    target.write_bytes(enc.stdout)
    dec = run_sealfile(["decrypt", *_decrypt_args(fmt), str(target)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stderr == b""
    assert dec.stdout == (VECTORS / "decrypted" / expected).read_bytes()


def _mask(text: str) -> str:
    """The file with every ENC[] token reduced to its type and the metadata cut off."""
    text = re.sub(r"ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]", r"ENC[\1]", text)
    return text.split("\nsops:\n")[0]


#: a config asking for the layout sops writes (YAML files otherwise keep their own layout)
SOPS_LAYOUT = "stores:\n    yaml:\n        keep_layout: false\n"

SELECTOR_CASES = [
    ("plain.yaml", ["--encrypted-regex", "^(password|key)$"]),
    ("plain.yaml", ["--unencrypted-regex", "^(user|list)$"]),
    ("plain.yaml", ["--encrypted-suffix", "word"]),
    ("plain.suffix.yaml", ["--unencrypted-suffix", "_plain"]),
    ("plain.multidoc.yaml", ["--encrypted-regex", "^(data|stringData)$"]),
    ("plain.types.yaml", []),
    ("plain.comment-regex-unencrypted.yaml", ["--unencrypted-comment-regex", "sops:plain"]),
    ("plain.yaml", ["--encrypted-comment-regex", "the login"]),
]


@pytest.mark.interop
@pytest.mark.parametrize("plain_name,sel_args", SELECTOR_CASES, ids=[f"{p}{' '.join(a)}" for p, a in SELECTOR_CASES])
def test_same_values_encrypted_as_sops(plain_name, sel_args, sops_bin, env, tmp_path):
    """Apart from ciphertexts and metadata, sealfile's output is sops's output, line for line."""
    (tmp_path / ".sealfile.yaml").write_text(SOPS_LAYOUT)  # go-yaml's layout, not the plaintext's
    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    plain = _copy_plain(tmp_path, plain_name)
    ours = run_sealfile(["encrypt", *sel_args, "--age", key.recipient, str(plain)], env, cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr.decode()
    # sops 3.11 accepts the comment regexes only in its legacy -e form
    theirs = run_sops(sops_bin, ["-e", *sel_args, "--age", key.recipient, str(plain)], env, cwd=tmp_path)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert _mask(ours.stdout.decode()) == _mask(theirs.stdout.decode())
    target = tmp_path / ("sealed" + plain.suffix)
    target.write_bytes(ours.stdout)
    back = run_sops(sops_bin, ["decrypt", str(target)], env, cwd=tmp_path)
    assert back.returncode == 0, back.stderr.decode()
    mine = run_sealfile(["decrypt", str(target)], env, cwd=tmp_path)
    assert mine.stdout == back.stdout


@pytest.mark.interop
def test_shamir_two_of_two_both_directions(sops_bin, env, gpg_home, tmp_path):
    key = make_age_key(tmp_path)
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n"
        f"      - age: [{key.recipient}]\n      - pgp: [{gpg_home.fingerprint}]\n")
    plain = _copy_plain(tmp_path, "plain.yaml")
    expected = (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()
    both = dict(env, SOPS_AGE_KEY_FILE=str(key.key_file), GNUPGHOME=gpg_home.home)
    age_only = dict(env, SOPS_AGE_KEY_FILE=str(key.key_file))
    for writer in ("sealfile", "sops"):
        if writer == "sealfile":
            enc = run_sealfile(["encrypt", str(plain)], both, cwd=tmp_path)
        else:
            enc = run_sops(sops_bin, ["encrypt", str(plain)], both, cwd=tmp_path)
        assert enc.returncode == 0, enc.stderr.decode()
        assert b"shamir_threshold: 2" in enc.stdout and b"key_groups:" in enc.stdout
        target = tmp_path / f"{writer}.enc.yaml"
        target.write_bytes(enc.stdout)
        for reader in ("sealfile", "sops"):
            run = (lambda a, e: run_sealfile(a, e, cwd=tmp_path)) if reader == "sealfile" else \
                (lambda a, e: run_sops(sops_bin, a, e, cwd=tmp_path))
            ok = run(["decrypt", str(target)], both)
            assert ok.returncode == 0, (writer, reader, ok.stderr.decode())
            assert ok.stdout == expected
            short = run(["decrypt", str(target)], age_only)
            assert short.returncode == 128, (writer, reader)
