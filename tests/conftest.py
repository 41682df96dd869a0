"""Shared fixtures: real sops, real gpg, real age keys, and a clean environment.

Every external tool is required: a missing one fails the test run rather than
skipping it, because the interop suite is the proof of compatibility.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "testdata" / "vectors"
VECTOR_AGE_RECIPIENT = "age12793gm6ut7lyat2s3nq8arw8uwg7wa3twc8pfv08qj2y7xqfe4yqza9hv4"
VECTOR_PGP_FP = "A45DD0C862DCC4ADF928414EE79EB567F56B4906"


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; run .ci/run (or see README) to install test dependencies")
    return path


@pytest.fixture(scope="session")
def sops_bin() -> str:
    path = require("sops")
    out = subprocess.run([path, "--version", "--check-for-updates=false"], capture_output=True, text=True)
    if "3." not in (out.stdout + out.stderr):
        out = subprocess.run([path, "--version"], capture_output=True, text=True)
    assert "sops 3." in out.stdout, out.stdout
    return path


@dataclass
class AgeKey:
    recipient: str
    secret: str
    key_file: Path


def make_age_key(directory: Path, name: str = "age.txt") -> AgeKey:
    import pyrage

    ident = pyrage.x25519.Identity.generate()
    secret, recipient = str(ident), str(ident.to_public())
    key_file = directory / name
    key_file.write_text(f"# public key: {recipient}\n{secret}\n")
    key_file.chmod(0o600)
    return AgeKey(recipient, secret, key_file)


@pytest.fixture
def age_key(tmp_path: Path) -> AgeKey:
    return make_age_key(tmp_path)


@dataclass
class GpgHome:
    home: str
    fingerprint: str


def _gpg(home: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([require("gpg"), "--homedir", home, "--batch", "--yes", *args],
                          input=stdin, capture_output=True, check=True)


def _new_gpg_home(uid: str) -> GpgHome:
    home = tempfile.mkdtemp(prefix="sfg", dir="/tmp")  # short: gpg-agent socket paths are limited
    os.chmod(home, 0o700)
    _gpg(home, "--passphrase", "", "--quick-gen-key", uid, "future-default", "default", "never")
    out = _gpg(home, "--with-colons", "--list-secret-keys").stdout.decode()
    fpr = next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))
    return GpgHome(home, fpr)


def _drop_gpg_home(home: str) -> None:
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def gpg_home():
    """A throwaway GnuPG home holding a fresh key pair (no passphrase)."""
    g = _new_gpg_home("sealfile test <test@sealfile.invalid>")
    yield g
    _drop_gpg_home(g.home)


@pytest.fixture(scope="session")
def vector_gpg_home():
    """A throwaway GnuPG home with the TEST-ONLY key of the sops-written vectors."""
    home = tempfile.mkdtemp(prefix="sfv", dir="/tmp")
    os.chmod(home, 0o700)
    _gpg(home, "--import", str(VECTORS / "TEST-ONLY-pgp-secret-key.asc"))
    yield GpgHome(home, VECTOR_PGP_FP)
    _drop_gpg_home(home)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with no config above it and a private HOME."""
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "home").mkdir(exist_ok=True)
    monkeypatch.chdir(work)
    return work


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The process environment minus anything that could pick up the developer's keys."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SOPS_", "SEALFILE_", "GNUPGHOME", "AWS_", "VAULT_", "XDG_CONFIG"))}
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["GNUPGHOME"] = str(home / ".gnupg-none")
    env.update(extra)
    return env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return clean_env(home)


def run_sealfile(args: list[str], env: dict[str, str], *, cwd: Path | str | None = None,
                 input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sealfile", *args], env=env, cwd=cwd, input=input,
                          capture_output=True, timeout=120)


def run_sops(sops: str, args: list[str], env: dict[str, str], *, cwd: Path | str | None = None,
             input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sops, *args], env=env, cwd=cwd, input=input, capture_output=True, timeout=120)
