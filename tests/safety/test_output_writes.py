"""Writing files never destroys, re-owns or litters (safety issue, defects 1, 3 and 7).

* ``--output`` to a FIFO or a device writes into it instead of renaming a
  plaintext regular file over the node;
* in-place writes keep owner, group and mode (as root on another user's
  file) and follow sops's permission rules as an unprivileged user: a 0444
  file is refused (exit 3), a writable file in a read-only directory is
  rewritten in place;
* a writer killed mid-write leaves no temp file that the next write of the
  same file does not remove.
"""
from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sealfile
from sealfile import fileio
from sealfile.errors import WriteError

from conftest import make_age_key, run_sealfile

ROOT = os.geteuid() == 0
NOBODY = 65534
root_only = pytest.mark.skipif(not ROOT, reason="needs root to create device nodes / other users' files")


@pytest.fixture
def keyed(tmp_path, workdir, env):
    key = make_age_key(tmp_path / "home")
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    return key, env


def _encrypted(workdir: Path, key, env, name: str = "s.yaml", text: str = "password: hunter2-f1f0\n") -> Path:
    plain = workdir / name
    plain.write_text(text)
    out = run_sealfile(["encrypt", "--age", key.recipient, "-i", str(plain)], env)
    assert out.returncode == 0, out.stderr
    return plain


# --- defect 1: FIFOs and devices --------------------------------------------------------------

def test_decrypt_output_to_fifo_writes_into_the_pipe(keyed, workdir):
    key, env = keyed
    enc = _encrypted(workdir, key, env)
    fifo = workdir / "pipe"
    os.mkfifo(fifo, 0o600)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    out = run_sealfile(["decrypt", "--output", str(fifo), str(enc)], env)
    reader.join(timeout=30)
    assert out.returncode == 0, out.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert received == [b"password: hunter2-f1f0\n"]


@root_only
def test_decrypt_output_to_character_device_keeps_the_node(keyed, workdir):
    key, env = keyed
    enc = _encrypted(workdir, key, env)
    null = workdir / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null
    os.chmod(null, 0o666)
    out = run_sealfile(["decrypt", "--output", str(null), str(enc)], env)
    assert out.returncode == 0, out.stderr
    st = os.stat(null)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert stat.S_IMODE(st.st_mode) == 0o666


def test_api_output_to_fifo(keyed, workdir):
    key, env = keyed
    enc = _encrypted(workdir, key, env)
    fifo = workdir / "pipe"
    os.mkfifo(fifo, 0o600)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    sealfile.decrypt_file(enc, output=str(fifo), env=env)
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received == [b"password: hunter2-f1f0\n"]


# --- defect 3: owner, group, mode and sops's permission rules -----------------------------------

@root_only
@pytest.mark.parametrize("command", ["encrypt", "set", "rotate", "updatekeys", "edit"])
def test_in_place_write_as_root_keeps_owner_group_and_mode(command, keyed, workdir, tmp_path):
    key, env = keyed
    target = workdir / "s.yaml"
    if command == "encrypt":
        target.write_text("password: hunter2-f1f0\n")
        args = ["encrypt", "--age", key.recipient, "-i", str(target)]
    else:
        _encrypted(workdir, key, env)
        (workdir / ".sops.yaml").write_text(
            f"creation_rules:\n  - age: {make_age_key(tmp_path, 'k2.txt').recipient},{key.recipient}\n")
        editor = tmp_path / "ed.py"
        editor.write_text("import sys\np = sys.argv[-1]\nopen(p, 'a').write('extra: 1\\n')\n")
        env["EDITOR"] = f"{sys.executable} {editor}"
        args = {"set": ["set", str(target), '["password"]', '"changed"'],
                "rotate": ["rotate", "-i", str(target)],
                "updatekeys": ["updatekeys", "-y", str(target)],
                "edit": ["edit", str(target)]}[command]
    os.chown(target, 1234, 2345)
    os.chmod(target, 0o640)
    before = target.read_bytes()
    out = run_sealfile(args, env, cwd=workdir)
    assert out.returncode == 0, out.stderr
    st = os.stat(target)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o640)
    assert target.read_bytes() != before


@pytest.fixture
def shared_dir():
    """A directory the nobody user can reach (pytest's own temp root is private to root)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="sfperm-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir():
            os.chmod(sub, 0o755)
    shutil.rmtree(path)


def _as_unprivileged(fn) -> int:
    """Run ``fn`` as the nobody user (a forked child when we are root); return its exit status.

    The child uses only modules this process imported already, so it needs
    no read access to the installation.
    """
    if not ROOT:
        try:
            fn()
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 70
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            fn()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        except BaseException:
            code = 71
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _warm_imports(key, env, workdir: Path) -> None:
    """Import every module an in-place encrypt needs while we can still read them."""
    scratch = workdir / "warm.yaml"
    scratch.write_text("a: b\n")
    sealfile.encrypt_file(scratch, in_place=True, age=key.recipient, env=env, config=False)
    scratch.unlink()


def test_read_only_file_is_refused_like_sops(keyed, shared_dir):
    key, env = keyed
    workdir = shared_dir
    _warm_imports(key, env, workdir)
    target = workdir / "ro.yaml"
    target.write_text("password: hunter2-f1f0\n")
    if ROOT:
        os.chown(workdir, NOBODY, NOBODY)
        os.chown(target, NOBODY, NOBODY)
    os.chmod(target, 0o444)

    def attempt() -> None:
        try:
            sealfile.encrypt_file(target, in_place=True, age=key.recipient, env=env, config=False)
        except WriteError as exc:
            assert exc.exit_code == 3 and "Permission denied" in str(exc)
            raise SystemExit(3)

    assert _as_unprivileged(attempt) == 3
    assert target.read_text() == "password: hunter2-f1f0\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444


def test_writable_file_in_read_only_directory_is_rewritten_in_place(keyed, shared_dir):
    key, env = keyed
    workdir = shared_dir
    _warm_imports(key, env, workdir)
    locked = workdir / "locked"
    locked.mkdir()
    target = locked / "s.yaml"
    target.write_text("password: hunter2-f1f0\n")
    if ROOT:
        os.chown(target, NOBODY, NOBODY)
    os.chmod(target, 0o640)
    os.chmod(locked, 0o555)
    inode = os.stat(target).st_ino
    try:
        status = _as_unprivileged(
            lambda: sealfile.encrypt_file(target, in_place=True, age=key.recipient, env=env, config=False))
    finally:
        os.chmod(locked, 0o755)
    assert status == 0
    assert "ENC[AES256_GCM" in target.read_text()
    st = os.stat(target)
    assert st.st_ino == inode and stat.S_IMODE(st.st_mode) == 0o640
    assert sorted(os.listdir(locked)) == ["s.yaml"]


@root_only
def test_group_writable_file_of_another_owner_keeps_its_owner(keyed, shared_dir):
    """A non-root writer cannot chown a temp file to root: the file is rewritten in place instead."""
    key, env = keyed
    workdir = shared_dir
    _warm_imports(key, env, workdir)
    os.chown(workdir, NOBODY, NOBODY)
    target = workdir / "shared.yaml"
    target.write_text("password: hunter2-f1f0\n")
    os.chown(target, 0, NOBODY)
    os.chmod(target, 0o660)
    status = _as_unprivileged(
        lambda: sealfile.encrypt_file(target, in_place=True, age=key.recipient, env=env, config=False))
    assert status == 0
    st = os.stat(target)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, NOBODY, 0o660)
    assert "ENC[AES256_GCM" in target.read_text()


def test_hard_linked_file_is_replaced_and_other_names_keep_old_content(keyed, workdir):
    """Documented in the README: the atomic rename gives the written name a new inode."""
    key, env = keyed
    target = _encrypted(workdir, key, env)
    other = workdir / "other-name.yaml"
    os.link(target, other)
    before = target.read_bytes()
    out = run_sealfile(["set", str(target), '["password"]', '"changed"'], env)
    assert out.returncode == 0, out.stderr
    assert other.read_bytes() == before
    assert target.read_bytes() != before


# --- defect 7: temp files after a crash ---------------------------------------------------------

_WRITER = """
import sys
from sealfile.fileio import atomic_write
target, size = sys.argv[1], int(sys.argv[2])
payload = b"x" * size
print("ready", flush=True)
while True:
    atomic_write(target, payload)
"""


def _leftovers(directory: Path, keep: str) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n != keep)


def test_sigkill_during_writes_leaves_nothing_after_the_next_write(workdir):
    target = workdir / "big.yaml"
    target.write_bytes(b"x" * (8 << 20))
    rng = random.Random(7)
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), str(8 << 20)],
                                stdout=subprocess.PIPE)
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert target.read_bytes() == b"x" * (8 << 20)  # old or new, never torn
    fileio.atomic_write(str(target), b"done\n")
    assert _leftovers(workdir, "big.yaml") == []
    assert target.read_bytes() == b"done\n"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_next_write_removes_stale_named_temp_files_only(workdir):
    target = workdir / "s.yaml"
    target.write_text("a: 1\n")
    dead = _dead_pid()
    stale = workdir / f".s.yaml.sealfile-{dead}-abc123.tmp"
    stale.write_text("ENC[...]")
    live_parent = workdir / f".s.yaml.sealfile-{os.getppid()}-def456.tmp"  # a writer that is still running
    live_parent.write_text("ENC[...]")
    old_live = workdir / f".s.yaml.sealfile-{os.getppid()}-old999.tmp"
    old_live.write_text("ENC[...]")
    an_hour_ago = time.time() - 3600
    os.utime(old_live, (an_hour_ago, an_hour_ago))
    unrelated = [workdir / f".s.yaml.{dead}.tmp", workdir / f".t.yaml.sealfile-{dead}-abc123.tmp",
                 workdir / "notes.tmp"]
    for path in unrelated:
        path.write_text("mine")
    fileio.atomic_write(str(target), b"a: 2\n")
    assert not stale.exists() and not old_live.exists()
    assert live_parent.exists()
    assert all(p.read_text() == "mine" for p in unrelated)
    assert target.read_text() == "a: 2\n"


def test_writes_leave_no_temp_files_behind(workdir):
    target = workdir / "s.yaml"
    for i in range(5):
        fileio.atomic_write(str(target), f"a: {i}\n".encode())
    assert _leftovers(workdir, "s.yaml") == []


def test_write_failure_is_one_line_and_keeps_the_file(keyed, workdir):
    target = workdir / "dir-as-output"
    target.mkdir()
    with pytest.raises(WriteError) as info:
        fileio.atomic_write(str(target), b"data")
    assert info.value.exit_code == 3 and "is a directory" in str(info.value).lower()
