"""``edit`` never throws the user's work away (safety issue, defect 4).

A file that cannot be replaced is refused before the editor opens; a write
that fails after editing (file made immutable, disk full) keeps the
re-encrypted result, never plaintext, in a rescue file whose path is printed.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

ROOT = os.geteuid() == 0
OLD, NEW = "old-secret-58e1", "new-secret-c2a9"


@pytest.fixture
def setup(tmp_path, workdir, env):
    key = make_age_key(tmp_path / "home")
    tmproot = tmp_path / "tmproot"
    tmproot.mkdir()
    env.update(SOPS_AGE_KEY_FILE=str(key.key_file), TMPDIR=str(tmproot),
               XDG_STATE_HOME=str(tmp_path / "home" / "state"))
    for name in ("VISUAL", "SOPS_EDITOR", "SEALFILE_EDITOR"):
        env.pop(name, None)
    target = workdir / "secrets.yaml"
    target.write_text(f"password: {OLD}\n")
    assert run_sealfile(["encrypt", "-i", "--age", key.recipient, str(target)], env).returncode == 0
    return key, env, target


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text("import os, subprocess, sys\npath = sys.argv[-1]\n" + body)
    return f"{sys.executable} {script}"


def _lock(path: Path) -> list[str]:
    """Shell-free commands that make ``path`` unwritable even for root (immutable) or for us (0444)."""
    return ["chattr", "+i", str(path)] if ROOT else ["chmod", "0444", str(path)]


def _unlock(path: Path) -> None:
    if ROOT:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    else:
        os.chmod(path, 0o644)


def _no_plaintext_anywhere(root: Path, secret: str) -> None:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name != "editor.py":
            assert secret.encode() not in path.read_bytes(), f"plaintext left in {path}"


def test_unwritable_file_is_refused_before_the_editor_opens(setup, tmp_path):
    key, env, target = setup
    marker = tmp_path / "editor-ran"
    env["EDITOR"] = _editor(tmp_path, f"open({str(marker)!r}, 'w').write('x')\n")
    subprocess.run(_lock(target), check=True)
    try:
        before = target.read_bytes()
        out = run_sealfile(["edit", str(target)], env)
    finally:
        _unlock(target)
    assert out.returncode == 3, out.stderr
    assert not marker.exists(), "the editor was opened on a file that cannot be saved"
    err = out.stderr.decode()
    assert err.count("\n") == 1 and "secrets.yaml" in err and "not opening the editor" in err
    assert target.read_bytes() == before


def test_failed_write_after_editing_keeps_the_encrypted_edit(setup, tmp_path, sops_bin):
    key, env, target = setup
    lock = _lock(target)
    env["EDITOR"] = _editor(tmp_path, f"open(path, 'w').write('password: {NEW}\\n')\n"
                                      f"subprocess.run({lock!r}, check=True)\n")
    before = target.read_bytes()
    try:
        out = run_sealfile(["edit", str(target)], env)
    finally:
        _unlock(target)
    assert out.returncode == 3, out.stderr
    err = out.stderr.decode()
    assert err.count("\n") == 1
    m = re.search(r"saved, encrypted, to (\S+?);", err)
    assert m, err
    rescue = Path(m.group(1))
    assert rescue.name.startswith("secrets.rescued-") and rescue.suffix == ".yaml"
    assert stat.S_IMODE(os.stat(rescue).st_mode) == 0o600
    assert target.read_bytes() == before
    assert NEW.encode() not in rescue.read_bytes()
    theirs = run_sops(sops_bin, ["decrypt", str(rescue)], env)
    assert theirs.returncode == 0 and theirs.stdout == f"password: {NEW}\n".encode()
    _no_plaintext_anywhere(tmp_path, NEW)
    assert list((tmp_path / "tmproot").iterdir()) == []


@contextlib.contextmanager
def _tiny_filesystem(size: str):
    mount = Path(tempfile.mkdtemp(prefix="sffull-", dir="/tmp"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs needs root")
def test_disk_full_after_editing_rescues_to_the_state_directory(setup, tmp_path, sops_bin):
    key, env, target = setup
    with _tiny_filesystem("48k") as disk:
        small = disk / "secrets.yaml"
        shutil.copy(target, small)
        big = "x" * 60000
        env["EDITOR"] = _editor(tmp_path, f"open(path, 'w').write('password: {NEW}\\nbig: {big}\\n')\n")
        before = small.read_bytes()
        out = run_sealfile(["edit", str(small)], env)
        assert out.returncode == 3, out.stderr
        assert small.read_bytes() == before
        assert sorted(os.listdir(disk)) == ["secrets.yaml"]
    err = out.stderr.decode()
    assert "No space left on device" in err
    rescue = Path(re.search(r"saved, encrypted, to (\S+?);", err).group(1))
    assert rescue.parent == tmp_path / "home" / "state" / "sealfile"
    theirs = run_sops(sops_bin, ["decrypt", "--extract", '["password"]', str(rescue)], env)
    assert theirs.returncode == 0 and theirs.stdout == NEW.encode()
    _no_plaintext_anywhere(tmp_path, NEW)
