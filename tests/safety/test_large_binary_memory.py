"""Peak memory of binary files: at most about three times the file, not ten.

Each measurement runs one ``python -m sealfile`` (or API) process under a
fresh wrapper process that reports ``getrusage(RUSAGE_CHILDREN).ru_maxrss``,
so only that one child counts.  The allowance is three times the file plus
what the same command needs for a tiny file (interpreter, imports, keys).
No timing is asserted.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_age_key

SIZE = 128 * 2**20
WRAPPER = """\
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
API_ENCRYPT = "import sealfile, sys; sealfile.encrypt_file(sys.argv[1], output=sys.argv[2], age=sys.argv[3])"
API_DECRYPT = "import sealfile, sys; sealfile.decrypt_file(sys.argv[1], output=sys.argv[2])"


def peak_rss(args: list[str], env: dict[str, str], stdout: Path) -> int:
    """Peak resident memory (bytes) of ``args`` run as the wrapper's only child; it must succeed."""
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(stdout), *args], env=env, cwd=stdout.parent,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    code, kib = proc.stdout.split()
    assert code == "0", proc.stderr
    return int(kib) * 1024


def random_file(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        for _ in range(0, size, 2**20):
            fh.write(os.urandom(min(2**20, size)))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    """A key, a large random file, a tiny one, and both encrypted by sealfile."""
    base = tmp_path_factory.mktemp("large")
    (base / "home").mkdir()
    key = make_age_key(base)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "SEALFILE_"))}
    env.update(HOME=str(base / "home"), SOPS_AGE_KEY_FILE=str(key.key_file))
    big, tiny = random_file(base / "big.bin", SIZE), random_file(base / "tiny.bin", 1000)
    for name in ("big", "tiny"):
        sealed = subprocess.run([sys.executable, "-m", "sealfile", "encrypt", "--age", key.recipient,
                                 str(base / f"{name}.bin")], env=env, cwd=base, capture_output=True,
                                timeout=300)
        assert sealed.returncode == 0, sealed.stderr
        (base / f"{name}.enc").write_bytes(sealed.stdout)
    yield base, key, env, big, tiny
    for path in base.iterdir():
        if path.is_file():
            path.unlink()


def _commands(kind: str, base: Path, name: str, recipient: str) -> list[str]:
    plain, sealed, out = str(base / f"{name}.bin"), str(base / f"{name}.enc"), str(base / f"{name}.out")
    return {
        "cli-encrypt": ["-m", "sealfile", "encrypt", "--age", recipient, plain],
        "cli-decrypt": ["-m", "sealfile", "decrypt", sealed],
        "api-encrypt": ["-c", API_ENCRYPT, plain, out, recipient],
        "api-decrypt": ["-c", API_DECRYPT, sealed, out],
    }[kind]


@pytest.mark.parametrize("kind", ["cli-encrypt", "cli-decrypt", "api-encrypt", "api-decrypt"])
def test_peak_memory_is_at_most_three_times_the_file(kind, world):
    base, key, env, big, tiny = world
    baseline = peak_rss([sys.executable, *_commands(kind, base, "tiny", key.recipient)], env, base / "sink")
    peak = peak_rss([sys.executable, *_commands(kind, base, "big", key.recipient)], env, base / "sink")
    if kind.endswith("decrypt"):
        produced = base / ("sink" if kind.startswith("cli") else "big.out")
        assert produced.stat().st_size == SIZE and produced.read_bytes() == big.read_bytes()
    assert peak <= baseline + 3 * SIZE, f"{kind}: peak {peak >> 20} MiB, baseline {baseline >> 20} MiB"
    (base / "sink").unlink()


def test_rotate_stays_within_three_times_the_file(world):
    base, key, env, big, tiny = world
    for name in ("tiny", "big"):
        (base / f"{name}.rot").write_bytes((base / f"{name}.enc").read_bytes())
    rotate = [sys.executable, "-m", "sealfile", "rotate", "-i"]
    baseline = peak_rss([*rotate, str(base / "tiny.rot")], env, base / "sink")
    peak = peak_rss([*rotate, str(base / "big.rot")], env, base / "sink")
    assert peak <= baseline + 3 * SIZE, f"rotate: peak {peak >> 20} MiB, baseline {baseline >> 20} MiB"
    opened = subprocess.run([sys.executable, "-m", "sealfile", "decrypt", str(base / "big.rot")], env=env,
                            cwd=base, capture_output=True, timeout=300)
    assert opened.returncode == 0 and opened.stdout == big.read_bytes()
