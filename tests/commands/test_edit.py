"""sealfile edit, end to end with scripted editors and the real sops as the peer.

Each editor is a small Python script written by the test: it records how it
was called (argv, temp path, file and directory modes, pid) in a side file and
then changes the file, fails, or signals.  TMPDIR points at a per-test root,
so "no plaintext left behind" is checked by looking at that whole root.
"""
from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

OLD = "old-pass-7d1e"
NEW = "new-pass-93fa"
PRESS_KEY = "Press enter to return to the editor, or Ctrl+C to exit."

PLAINTEXTS = {
    "yaml": ("secrets.yaml", f"# db settings\nuser: admin\npassword: {OLD}\nports:\n    - 80\n    - 443\nratio: 0.5\n"),
    "json": ("secrets.json", f'{{"user": "admin", "password": "{OLD}", "n": 2, "ok": true}}'),
    "dotenv": ("secrets.env", f"USER=admin\nPASSWORD={OLD}\nPORT=5432\n"),
    "ini": ("secrets.ini", f"[db]\nuser = admin\npassword = {OLD}\n\n[web]\nport = 80\n"),
    "binary": ("secrets.bin", f"first line\npassword {OLD}\nlast line\n"),
}

_PREAMBLE = '''\
import json, os, signal, stat, sys, time
RECORD = {record!r}
path = sys.argv[-1]
with open(path, "rb") as fh:
    seen = fh.read()
with open(RECORD, "a") as fh:
    fh.write(json.dumps({{"argv": sys.argv[1:], "path": path, "pid": os.getpid(),
                         "mode": stat.S_IMODE(os.stat(path).st_mode),
                         "dir_mode": stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode),
                         "seen": seen.decode("utf-8", "replace")}}) + "\\n")
def write(data):
    with open(path, "wb") as fh:
        fh.write(data)
'''


class Editor:
    """A scripted editor; ``command`` goes into $EDITOR, ``calls`` are its recorded invocations."""

    def __init__(self, directory: Path, name: str, body: str) -> None:
        directory.mkdir(exist_ok=True)
        self.record = directory / f"ed_{name}.jsonl"
        self.script = directory / f"ed_{name}.py"
        self.script.write_text(_PREAMBLE.format(record=str(self.record)) + body)
        self.command = f"{sys.executable} {self.script}"

    @property
    def calls(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]


@pytest.fixture
def setup(tmp_path, workdir, env):
    """(key, env, tmproot): an age key, an environment using it, and the private TMPDIR root."""
    key = make_age_key(tmp_path / "home")
    tmproot = tmp_path / "tmproot"
    tmproot.mkdir()
    for name in ("EDITOR", "VISUAL", "SOPS_EDITOR", "SEALFILE_EDITOR"):
        env.pop(name, None)
    env.update(SOPS_AGE_KEY_FILE=str(key.key_file), TMPDIR=str(tmproot))
    return key, env, tmproot


def _editor(tmp_path: Path, name: str, body: str) -> Editor:
    return Editor(tmp_path / "scripts", name, body)


def _edit(args: list[str], env: dict, cwd: Path, editor: Editor | None, input: bytes = b""):
    e = dict(env)
    if editor is not None:
        e["EDITOR"] = editor.command
    return run_sealfile(["edit", *args], e, cwd=cwd, input=input)


def _sops_encrypted(sops_bin, key, env, workdir: Path, fmt: str) -> Path:
    name, text = PLAINTEXTS[fmt]
    path = workdir / name
    path.write_text(text)
    proc = run_sops(sops_bin, ["encrypt", "-i", "--age", key.recipient, str(path)], env, cwd=workdir)
    assert proc.returncode == 0, proc.stderr.decode()
    return path


def _files_containing(roots: list[Path], needle: bytes) -> list[Path]:
    hits = []
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file() and needle in p.read_bytes():
                hits.append(p)
    return hits


def _assert_clean(tmproot: Path, workdir: Path, editor: Editor, needle: str) -> None:
    """The temp dir the editor saw is gone, nothing is left in TMPDIR, no file holds the plaintext."""
    assert editor.calls, "the editor never ran"
    for call in editor.calls:
        assert not os.path.exists(os.path.dirname(call["path"]))
    assert list(tmproot.iterdir()) == []
    assert _files_containing([tmproot, workdir], needle.encode()) == []


def _diff(before: bytes, after: bytes) -> tuple[list[str], list[str], bool]:
    """Removed and added lines apart from lastmodified/mac (ciphertext masked), and whether the MAC changed."""
    old, new = before.decode().splitlines(), after.decode().splitlines()

    def shape(lines: set[str]) -> list[str]:
        return sorted(re.sub(r"ENC\[[^]]*\]", "ENC[...]", l) for l in lines if not _META_LINE.match(l))

    mac_changed = any(_MAC_LINE.match(l) for l in set(old) - set(new))
    return shape(set(old) - set(new)), shape(set(new) - set(old)), mac_changed


_META_LINE = re.compile(r'^\s*"?(sops_)?(lastmodified|mac)"?\s*[:=]')
_MAC_LINE = re.compile(r'^\s*"?(sops_)?mac"?\s*[:=]')


@pytest.mark.parametrize("fmt", list(PLAINTEXTS))
def test_one_value_edit_is_a_one_value_diff(fmt, setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, fmt)
    before = path.read_bytes()
    twin = workdir / ("twin" + path.suffix)
    twin.write_bytes(before)
    plain_before = run_sops(sops_bin, ["decrypt", str(path)], env, cwd=workdir).stdout
    editor = _editor(tmp_path, "replace", f"write(seen.replace({OLD.encode()!r}, {NEW.encode()!r}))\n")

    proc = _edit([path.name], env, workdir, editor)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b"" and proc.stdout == b""
    theirs = run_sops(sops_bin, ["edit", twin.name], {**env, "EDITOR": editor.command}, cwd=workdir)
    assert theirs.returncode == 0, theirs.stderr.decode()

    removed, added, mac_changed = _diff(before, path.read_bytes())
    value_key = {"binary": '"data"', "dotenv": "PASSWORD="}.get(fmt, "password")
    assert len(removed) == 1 and value_key in removed[0] and mac_changed
    assert (removed, added, mac_changed) == _diff(before, twin.read_bytes())  # the same diff as sops's edit

    plain = run_sops(sops_bin, ["decrypt", str(path)], env, cwd=workdir)
    assert plain.returncode == 0, plain.stderr.decode()
    assert plain.stdout == plain_before.replace(OLD.encode(), NEW.encode())

    call = editor.calls[0]
    assert os.path.basename(call["path"]) == path.name
    assert call["mode"] == 0o600 and call["dir_mode"] == 0o700
    assert Path(call["path"]).parent.parent == tmproot
    assert call["seen"].encode() == plain_before
    _assert_clean(tmproot, workdir, editor, NEW)


@pytest.mark.parametrize("fmt", ["yaml", "binary"])
def test_unchanged_file_exits_200_like_sops(fmt, setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, fmt)
    before = path.read_bytes()
    editor = _editor(tmp_path, "noop", "")
    ours = _edit([path.name], env, workdir, editor)
    theirs = run_sops(sops_bin, ["edit", path.name], {**env, "EDITOR": editor.command}, cwd=workdir)
    assert ours.returncode == theirs.returncode == 200, theirs.stderr.decode()
    assert ours.stderr.decode() == "File has not changed, exiting.\n"
    assert path.read_bytes() == before
    _assert_clean(tmproot, workdir, editor, OLD)


def test_editor_failure_leaves_file_untouched(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    before = path.read_bytes()
    editor = _editor(tmp_path, "fail", f"write(seen.replace({OLD.encode()!r}, {NEW.encode()!r}))\nsys.exit(1)\n")
    ours = _edit([path.name], env, workdir, editor)
    theirs = run_sops(sops_bin, ["edit", path.name], {**env, "EDITOR": editor.command}, cwd=workdir)
    assert ours.returncode == theirs.returncode == 201
    err = ours.stderr.decode()
    assert err == f"sealfile: error: {path.name}: Could not run editor: exit status 1\n"
    assert path.read_bytes() == before
    _assert_clean(tmproot, workdir, editor, NEW)


@pytest.mark.parametrize("fmt,invalid", [("yaml", f"a: [1, 2\npassword: {NEW}\n"),
                                         ("json", f'{{"password": "{NEW}",\n')])
def test_invalid_edit_with_stdin_at_eof_aborts(fmt, invalid, setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, fmt)
    before = path.read_bytes()
    editor = _editor(tmp_path, "invalid", f"write({invalid.encode()!r})\n")
    proc = _edit([path.name], env, workdir, editor, input=b"")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "Traceback" not in err and NEW not in err
    assert err.count(PRESS_KEY) == 1
    assert err.splitlines()[0].startswith(f"sealfile: error: {path.name}: Could not load tree")
    assert err.splitlines()[-1].startswith(f"sealfile: error: {path.name}: ")
    assert len(editor.calls) == 1
    assert path.read_bytes() == before
    _assert_clean(tmproot, workdir, editor, NEW)


def test_parse_error_then_fix_keeps_the_users_work(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    plain_before = run_sops(sops_bin, ["decrypt", str(path)], env, cwd=workdir).stdout
    invalid = b"user: [admin\n"
    body = (f"if len(open(RECORD).readlines()) == 1:\n    write({invalid!r})\n"
            f"else:\n    write({plain_before.replace(OLD.encode(), NEW.encode())!r})\n")
    editor = _editor(tmp_path, "fix", body)
    proc = _edit([path.name], env, workdir, editor, input=b"\n")
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode().count(PRESS_KEY) == 1
    first, second = editor.calls
    assert first["path"] == second["path"]
    assert second["seen"].encode() == invalid  # the editor re-opens the user's text, not the original
    theirs = run_sops(sops_bin, ["decrypt", str(path)], env, cwd=workdir)
    assert theirs.stdout == plain_before.replace(OLD.encode(), NEW.encode())
    _assert_clean(tmproot, workdir, editor, NEW)


def test_editor_killed_by_sigint(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    before = path.read_bytes()
    body = (f"write(seen.replace({OLD.encode()!r}, {NEW.encode()!r}))\n"
            "signal.signal(signal.SIGINT, signal.SIG_DFL)\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(10)\n")
    editor = _editor(tmp_path, "sigint", body)
    proc = _edit([path.name], env, workdir, editor)
    assert proc.returncode == 201
    assert "Could not run editor: signal: interrupt" in proc.stderr.decode()
    assert path.read_bytes() == before
    _assert_clean(tmproot, workdir, editor, NEW)


def test_ctrl_c_goes_to_the_editor_only(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    body = ("os.kill(os.getppid(), signal.SIGINT)\ntime.sleep(0.5)\n"
            f"write(seen.replace({OLD.encode()!r}, {NEW.encode()!r}))\n")
    editor = _editor(tmp_path, "ctrlc", body)
    proc = _edit([path.name], env, workdir, editor)
    assert proc.returncode == 0, proc.stderr.decode()
    theirs = run_sops(sops_bin, ["decrypt", "--extract", '["password"]', str(path)], env, cwd=workdir)
    assert theirs.stdout.decode() == NEW
    _assert_clean(tmproot, workdir, editor, NEW)


def test_sigterm_stops_the_editor_and_cleans_up(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    before = path.read_bytes()
    body = (f"write(seen.replace({OLD.encode()!r}, {NEW.encode()!r}))\n"
            "os.kill(os.getppid(), signal.SIGTERM)\ntime.sleep(30)\n")
    editor = _editor(tmp_path, "sigterm", body)
    started = time.monotonic()
    proc = _edit([path.name], env, workdir, editor)
    assert time.monotonic() - started < 20
    assert proc.returncode == 128 + signal.SIGTERM
    assert proc.stderr.decode() == f"sealfile: error: {path.name}: interrupted by SIGTERM; the file was not changed\n"
    assert path.read_bytes() == before
    with pytest.raises(ProcessLookupError):
        os.kill(editor.calls[0]["pid"], 0)  # the editor was stopped, not orphaned
    _assert_clean(tmproot, workdir, editor, NEW)


def test_ctrl_c_at_the_prompt_cleans_up(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    before = path.read_bytes()
    editor = _editor(tmp_path, "invalid", f"write(b'password: [{NEW}\\n')\n")
    proc = subprocess.Popen([sys.executable, "-m", "sealfile", "edit", path.name], cwd=workdir,
                            env={**env, "EDITOR": editor.command}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        seen = b""
        while PRESS_KEY.encode() not in seen:
            line = proc.stderr.readline()
            assert line, seen.decode()
            seen += line
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 85
    assert "Traceback" not in rest.decode() and NEW not in (seen + rest).decode()
    assert path.read_bytes() == before
    _assert_clean(tmproot, workdir, editor, NEW)


@pytest.mark.parametrize("fmt", list(PLAINTEXTS))
def test_new_file_from_creation_rules_matches_sops(fmt, setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    (workdir / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: ^new\n    age: {key.recipient}\n")
    name = PLAINTEXTS[fmt][0].replace("secrets", "new")
    editor = _editor(tmp_path, "welcome", "write(seen.replace(b'Edit this file', b'Edited " + NEW + "'))\n")
    ours = _edit([name], env, workdir, editor)
    assert ours.returncode == 0, ours.stderr.decode()
    twin = "new-sops" + Path(name).suffix
    theirs = run_sops(sops_bin, ["edit", twin], {**env, "EDITOR": editor.command}, cwd=workdir)
    assert theirs.returncode == 0, theirs.stderr.decode()
    ours_call, sops_call = editor.calls
    assert ours_call["seen"] == sops_call["seen"]  # sops's example document, byte for byte
    assert stat.S_IMODE((workdir / name).stat().st_mode) == stat.S_IMODE((workdir / twin).stat().st_mode)
    plain = run_sops(sops_bin, ["decrypt", name], env, cwd=workdir)
    assert plain.returncode == 0, plain.stderr.decode()
    assert NEW.encode() in plain.stdout
    assert plain.stdout == run_sops(sops_bin, ["decrypt", twin], env, cwd=workdir).stdout
    assert NEW.encode() not in (workdir / name).read_bytes()
    assert list(tmproot.iterdir()) == []


def test_new_file_left_as_the_example_is_not_created(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    editor = _editor(tmp_path, "noop", "")
    ours = _edit(["--age", key.recipient, "fresh.yaml"], env, workdir, editor)
    theirs = run_sops(sops_bin, ["edit", "--age", key.recipient, "fresh.yaml"],
                      {**env, "EDITOR": editor.command}, cwd=workdir)
    assert ours.returncode == theirs.returncode == 200
    assert not (workdir / "fresh.yaml").exists()
    assert list(tmproot.iterdir()) == []


def test_new_file_with_key_flag(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    editor = _editor(tmp_path, "json", f'write(b\'{{"token": "{NEW}"}}\')\n')
    proc = _edit(["--age", key.recipient, "--encrypted-regex", "^tok", "new.json"], env, workdir, editor)
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads((workdir / "new.json").read_text())
    assert doc["sops"]["encrypted_regex"] == "^tok" and doc["token"].startswith("ENC[")
    plain = run_sops(sops_bin, ["decrypt", "new.json"], env, cwd=workdir)
    assert json.loads(plain.stdout) == {"token": NEW}


def test_new_file_without_keys_fails_before_the_editor(setup, workdir, tmp_path):
    _, env, tmproot = setup
    editor = _editor(tmp_path, "noop", "")
    proc = _edit(["new.yaml"], env, workdir, editor)
    assert proc.returncode == 1
    assert "no keys provided" in proc.stderr.decode()
    assert editor.calls == [] and not (workdir / "new.yaml").exists()


def test_no_editor_found(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    before = path.read_bytes()
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = run_sealfile(["edit", path.name], {**env, "PATH": str(empty)}, cwd=workdir, input=b"")
    assert proc.returncode == 201
    assert "no editor available" in proc.stderr.decode()
    assert path.read_bytes() == before
    assert list(tmproot.iterdir()) == []


def test_sops_editor_with_arguments_wins_over_editor(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    editor = _editor(tmp_path, "args", "")
    e = {**env, "SOPS_EDITOR": f"{editor.command} --flag 'two words'", "EDITOR": "false"}
    ours = run_sealfile(["edit", path.name], e, cwd=workdir, input=b"")
    theirs = run_sops(sops_bin, ["edit", path.name], e, cwd=workdir)
    assert ours.returncode == theirs.returncode == 200
    ours_call, sops_call = editor.calls
    assert ours_call["argv"][:2] == sops_call["argv"][:2] == ["--flag", "two words"]
    assert len(ours_call["argv"]) == 3 and ours_call["argv"][2] == ours_call["path"]


def test_show_master_keys_matches_sops_and_saves(setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    shown = _editor(tmp_path, "noop", "")
    ours = _edit(["-s", path.name], env, workdir, shown)
    theirs = run_sops(sops_bin, ["edit", "-s", path.name], {**env, "EDITOR": shown.command}, cwd=workdir)
    assert ours.returncode == theirs.returncode == 200
    ours_call, sops_call = shown.calls
    assert ours_call["seen"] == sops_call["seen"] and "\nsops:\n" in ours_call["seen"]

    editor = _editor(tmp_path, "replace", f"write(seen.replace({OLD.encode()!r}, {NEW.encode()!r}))\n")
    proc = _edit(["-s", path.name], env, workdir, editor)
    assert proc.returncode == 0, proc.stderr.decode()
    out = run_sops(sops_bin, ["decrypt", "--extract", '["password"]', path.name], env, cwd=workdir)
    assert out.stdout.decode() == NEW
    _assert_clean(tmproot, workdir, editor, NEW)


@pytest.mark.parametrize("file_version", ["3.9.0", "3.99.0"])
def test_version_is_raised_only_when_older(file_version, setup, sops_bin, workdir, tmp_path):
    key, env, tmproot = setup
    path = _sops_encrypted(sops_bin, key, env, workdir, "yaml")
    text = path.read_text().replace("version: 3.11.0", f"version: {file_version}")
    twin = workdir / "twin.yaml"
    path.write_text(text)
    twin.write_text(text)
    editor = _editor(tmp_path, "replace", f"write(seen.replace({OLD.encode()!r}, {NEW.encode()!r}))\n")
    assert _edit([path.name], env, workdir, editor).returncode == 0
    assert run_sops(sops_bin, ["edit", twin.name], {**env, "EDITOR": editor.command}, cwd=workdir).returncode == 0
    ours = re.findall(r"(?m)^    version: (.*)$", path.read_text())
    theirs = re.findall(r"(?m)^    version: (.*)$", twin.read_text())
    assert ours == theirs == [max(file_version, "3.11.0", key=lambda v: tuple(map(int, v.split("."))))]
