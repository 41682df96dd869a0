"""Every file that sops 3.11 wrote in testdata/vectors decrypts with sealfile to
exactly what sops printed for it (testdata/vectors/decrypted/)."""
from __future__ import annotations

import re

import pytest

from conftest import VECTORS, run_sealfile

AGE_KEY = VECTORS / "TEST-ONLY-age-key.txt"

CASES = [
    ("age.enc.yaml", "age.decrypted.yaml", [], {"age"}),
    ("age.enc.json", "age.decrypted.json", [], {"age"}),
    ("age.enc.env", "age.decrypted.env", [], {"age"}),
    ("age.enc.ini", "age.decrypted.ini", [], {"age"}),
    ("age.enc.bin.json", "age.bin.decrypted.bin", ["--input-type", "json", "--output-type", "binary"], {"age"}),
    ("pgp.enc.yaml", "pgp.decrypted.yaml", [], {"pgp"}),
    ("age.encrypted-regex.enc.yaml", "age.encrypted-regex.decrypted.yaml", [], {"age"}),
    ("age.unencrypted-suffix.enc.yaml", "age.unencrypted-suffix.decrypted.yaml", [], {"age"}),
    ("age.mac-only-encrypted.enc.yaml", "age.mac-only-encrypted.decrypted.yaml", [], {"age"}),
    ("shamir-age-pgp.enc.yaml", "shamir-age-pgp.decrypted.yaml", [], {"age", "pgp"}),
    ("age.types.enc.yaml", "age.types.decrypted.yaml", [], {"age"}),
    ("age.types.enc.json", "age.types.decrypted.json", [], {"age"}),
    ("age.multidoc.enc.yaml", "age.multidoc.decrypted.yaml", [], {"age"}),
    ("age.edge.enc.env", "age.edge.decrypted.env", [], {"age"}),
    ("age.edge.enc.ini", "age.edge.decrypted.ini", [], {"age"}),
    ("age.comment-regex-unencrypted.enc.yaml", "age.comment-regex-unencrypted.decrypted.yaml", [], {"age"}),
]


def _env(env, keys, vector_gpg_home):
    if "age" in keys:
        env["SOPS_AGE_KEY_FILE"] = str(AGE_KEY)
    if "pgp" in keys:
        env["GNUPGHOME"] = vector_gpg_home.home
    return env


@pytest.mark.parametrize("enc,expected,args,keys", CASES, ids=[c[0] for c in CASES])
def test_vector_decrypts_to_what_sops_printed(enc, expected, args, keys, env, vector_gpg_home, tmp_path):
    proc = run_sealfile(["decrypt", *args, str(VECTORS / enc)], _env(env, keys, vector_gpg_home), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""  # helm-secrets merges stderr into the values
    assert proc.stdout == (VECTORS / "decrypted" / expected).read_bytes()


def test_shamir_vector_needs_both_groups(env, tmp_path):
    env["SOPS_AGE_KEY_FILE"] = str(AGE_KEY)
    proc = run_sealfile(["decrypt", str(VECTORS / "shamir-age-pgp.enc.yaml")], env, cwd=tmp_path)
    assert proc.returncode == 128
    assert b"Group 1: FAILED" in proc.stderr and b"Group 0: SUCCESS" in proc.stderr


def test_swapped_list_items_break_the_mac(env, tmp_path):
    text = (VECTORS / "age.enc.yaml").read_text()
    items = re.findall(r"^    - ENC\[.*\]$", text, flags=re.M)
    swapped = text.replace(items[0], "@@").replace(items[1], items[0]).replace("@@", items[1])
    target = tmp_path / "swapped.yaml"
    target.write_text(swapped)
    env["SOPS_AGE_KEY_FILE"] = str(AGE_KEY)
    proc = run_sealfile(["decrypt", str(target)], env, cwd=tmp_path)
    assert proc.returncode == 51, proc.stderr
    assert b"MAC mismatch" in proc.stderr
    ok = run_sealfile(["decrypt", "--ignore-mac", str(target)], env, cwd=tmp_path)
    assert ok.returncode == 0


def test_altered_value_is_exit_25(env, tmp_path):
    text = (VECTORS / "age.enc.yaml").read_text()
    m = re.search(r"password: ENC\[AES256_GCM,data:([^,]+)", text)
    data = m.group(1)
    altered = text.replace("data:" + data, "data:" + ("A" if data[0] != "A" else "B") + data[1:], 1)
    target = tmp_path / "altered.yaml"
    target.write_text(altered)
    env["SOPS_AGE_KEY_FILE"] = str(AGE_KEY)
    proc = run_sealfile(["decrypt", str(target)], env, cwd=tmp_path)
    assert proc.returncode == 25
    assert b"db:password:" in proc.stderr
    assert b"Traceback" not in proc.stderr
