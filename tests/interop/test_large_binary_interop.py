"""A large binary file both ways with the real sops: byte-identical plaintext each time.

Large enough that the payload path works in many chunks (and base64 lines
would show if anything wrapped them); sealfile's own rotate output must also
stay readable by sops.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

SIZE = 24 * 2**20 + 1  # not a multiple of 3: the base64 ends with padding


@pytest.fixture
def world(tmp_path: Path, env: dict[str, str]):
    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    plain = tmp_path / "blob.bin"
    plain.write_bytes(os.urandom(SIZE))
    return tmp_path, key, env, plain


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.interop
def test_sops_decrypts_what_sealfile_encrypts(world, sops_bin):
    tmp_path, key, env, plain = world
    enc = run_sealfile(["encrypt", "--age", key.recipient, str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    sealed = tmp_path / "sealed.bin"
    sealed.write_bytes(enc.stdout)
    dec = run_sops(sops_bin, ["decrypt", str(sealed)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert digest(dec.stdout) == digest(plain.read_bytes())
    rot = run_sealfile(["rotate", "-i", str(sealed)], env, cwd=tmp_path)
    assert rot.returncode == 0, rot.stderr.decode()
    dec = run_sops(sops_bin, ["decrypt", str(sealed)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert digest(dec.stdout) == digest(plain.read_bytes())


@pytest.mark.interop
def test_sealfile_decrypts_what_sops_encrypts(world, sops_bin):
    tmp_path, key, env, plain = world
    enc = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    sealed = tmp_path / "sops.bin"
    sealed.write_bytes(enc.stdout)
    out = tmp_path / "out.bin"
    dec = run_sealfile(["decrypt", "--output", str(out), str(sealed)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stdout == b"" and digest(out.read_bytes()) == digest(plain.read_bytes())
    piped = run_sealfile(["decrypt", "--input-type", "json", "--output-type", "binary"], env, cwd=tmp_path,
                         input=enc.stdout)
    assert piped.returncode == 0, piped.stderr.decode()
    assert digest(piped.stdout) == digest(plain.read_bytes())
