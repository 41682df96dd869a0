"""Rewriting an encrypted YAML file changes only the lines that must change.

``set``, ``unset``, ``rotate``, ``updatekeys``, ``groups add/delete`` and
``edit`` keep the file's layout (a hand-written one, or the one sops wrote):
the diff is the changed values' lines, plus ``lastmodified`` and ``mac`` (or,
for key changes, the metadata block); the real sops decrypts every result.
"""
from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

HAND_WRITTEN = (
    "# service settings\n"
    "\n"
    "db:\n"
    "  user: admin   # the login\n"
    "  password: s3cr3t\n"
    "\n"
    "  port: 5432\n"
    "list:\n"
    "- one\n"
    "- two\n"
    "flow: {a: 1, b: [x, y]}\n"
    "cert: |\n"
    "  -----BEGIN-----\n"
    "  abc\n"
    "  -----END-----\n"
    "note_unencrypted: visible\n"
    "---\n"
    "# second document\n"
    "other: value\n"
)

_META = re.compile(r"^\s+(lastmodified|mac):")
_TOKEN = re.compile(r"ENC\[AES256_GCM,data:[^\]]*\]")


def _changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """Removed and added lines (``lastmodified``/``mac`` lines left out)."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        tag, text = line[:2], line[2:]
        if _META.match(text):
            continue
        if tag == "- ":
            removed.append(text)
        elif tag == "+ ":
            added.append(text)
    return removed, added


def _meta_lines_changed(before: str, after: str) -> int:
    return sum(1 for line in difflib.ndiff(before.splitlines(), after.splitlines())
               if line[:2] in ("- ", "+ ") and _META.match(line[2:]))


@pytest.fixture
def setup(tmp_path, env, workdir):
    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    return key, env, workdir


def _encrypted(key, env, workdir: Path, text: str = HAND_WRITTEN, name: str = "f.yaml") -> Path:
    path = workdir / name
    path.write_text(text)
    proc = run_sealfile(["encrypt", "-i", "--age", key.recipient, str(path)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    return path


def _sops_decrypts(sops_bin, env, path: Path) -> bytes:
    proc = run_sops(sops_bin, ["decrypt", str(path)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    return proc.stdout


def test_set_changes_one_line(setup, sops_bin):
    key, env, workdir = setup
    path = _encrypted(key, env, workdir)
    before = path.read_text()
    proc = run_sealfile(["set", str(path), '["db"]["password"]', '"n3w"'], env)
    assert proc.returncode == 0, proc.stderr.decode()
    after = path.read_text()
    removed, added = _changed(before, after)
    assert len(removed) == 1 and removed[0].startswith("  password: ENC[")
    assert len(added) == 1 and added[0].startswith("  password: ENC[")
    assert _meta_lines_changed(before, after) >= 4  # lastmodified and mac (in each document)
    assert b"password: n3w" in _sops_decrypts(sops_bin, env, path)


def test_set_new_key_and_subtree_then_unset(setup, sops_bin):
    key, env, workdir = setup
    path = _encrypted(key, env, workdir)
    before = path.read_text()
    assert run_sealfile(["set", str(path), '["db"]["host"]', '"h"'], env).returncode == 0
    removed, added = _changed(before, path.read_text())
    assert removed == [] and len(added) == 1 and added[0].startswith("  host: ENC[")
    lines = path.read_text().splitlines()
    assert lines[lines.index(added[0]) - 1].startswith("  port: ENC[")  # appended to its own mapping

    assert run_sealfile(["set", str(path), '["extra"]', '{"k": "v", "l": [1]}'], env).returncode == 0
    removed, added = _changed(before, path.read_text())
    assert removed == [] and len(added) == 5 and added[1] == "extra:"

    assert run_sealfile(["unset", str(path), '["db"]["host"]'], env).returncode == 0
    assert run_sealfile(["unset", str(path), '["extra"]'], env).returncode == 0
    assert run_sealfile(["unset", str(path), '["cert"]'], env).returncode == 0
    removed, added = _changed(before, path.read_text())
    assert added == [] and len(removed) == 1 and removed[0].startswith("cert: ENC[")
    plain = _sops_decrypts(sops_bin, env, path)
    assert b"cert" not in plain and b"password: s3cr3t" in plain


def test_set_replacing_a_value_by_a_map_rewrites_only_that_key(setup, sops_bin):
    key, env, workdir = setup
    path = _encrypted(key, env, workdir)
    before = path.read_text()
    assert run_sealfile(["set", str(path), '["cert"]', '{"pem": "x"}'], env).returncode == 0
    removed, added = _changed(before, path.read_text())
    assert len(removed) == 1 and removed[0].startswith("cert: ENC[")
    assert added[0] == "cert:" and added[1].startswith("    pem: ENC[") and len(added) == 2
    assert b"cert:\n    pem: x\n" in _sops_decrypts(sops_bin, env, path)


def test_unencrypted_value_set_is_written_plain(setup, sops_bin):
    key, env, workdir = setup
    path = _encrypted(key, env, workdir)
    before = path.read_text()
    assert run_sealfile(["set", str(path), '["note_unencrypted"]', '"new: text"'], env).returncode == 0
    removed, added = _changed(before, path.read_text())
    assert removed == ["note_unencrypted: visible"] and added == ["note_unencrypted: 'new: text'"]
    _sops_decrypts(sops_bin, env, path)


def test_rotate_changes_only_value_lines(setup, sops_bin):
    key, env, workdir = setup
    path = _encrypted(key, env, workdir)
    before = path.read_text()
    proc = run_sealfile(["rotate", "-i", str(path)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    after = path.read_text()
    body = lambda t: [_TOKEN.sub("V", line) for line in t.split("sops:")[0].splitlines()]  # noqa: E731
    assert body(after) == body(before)  # (the age stanzas in the metadata vary in length)
    assert b"password: s3cr3t" in _sops_decrypts(sops_bin, env, path)


def test_updatekeys_and_groups_change_only_the_metadata(setup, sops_bin, tmp_path):
    key, env, workdir = setup
    path = _encrypted(key, env, workdir)
    before = path.read_text()
    second = make_age_key(tmp_path, "second.txt")
    (workdir / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {key.recipient},{second.recipient}\n")
    proc = run_sealfile(["updatekeys", "-y", str(path)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    after = path.read_text()
    docs_before = [d.split("\nsops:\n")[0] for d in before.split("\n---\n")]
    docs_after = [d.split("\nsops:\n")[0] for d in after.split("\n---\n")]
    assert docs_after == docs_before
    assert after.count(second.recipient) == 2

    third = make_age_key(tmp_path, "third.txt")
    proc = run_sealfile(["groups", "add", "--file", str(path), "--age", third.recipient, "-i"], env)
    assert proc.returncode == 0, proc.stderr.decode()
    final = path.read_text()
    assert [d.split("\nsops:\n")[0] for d in final.split("\n---\n")] == docs_before
    both = tmp_path / "both.txt"
    both.write_text(key.key_file.read_text() + third.key_file.read_text())
    assert b"password: s3cr3t" in _sops_decrypts(sops_bin, {**env, "SOPS_AGE_KEY_FILE": str(both)}, path)


def test_edit_shows_the_files_layout_and_writes_a_one_line_diff(setup, sops_bin, tmp_path):
    key, env, workdir = setup
    path = _encrypted(key, env, workdir)
    before = path.read_text()
    seen = tmp_path / "seen.txt"
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "p = sys.argv[-1]\n"
        "t = open(p).read()\n"
        f"open({str(seen)!r}, 'w').write(t)\n"
        "open(p, 'w').write(t.replace('password: s3cr3t', 'password: changed'))\n")
    proc = run_sealfile(["edit", str(path)], {**env, "EDITOR": f"{sys.executable} {script}"})
    assert proc.returncode == 0, proc.stderr.decode()
    shown = seen.read_text()
    # the editor saw the hand-written layout (comments decrypted, a block scalar as a literal block)
    assert shown.startswith("# service settings\n\ndb:\n  user: admin   # the login\n  password: s3cr3t\n\n")
    assert "list:\n- one\n- two\nflow: {a: 1, b: [x, \"y\"]}\ncert: |\n    -----BEGIN-----\n" in shown
    assert "note_unencrypted: visible\n---\n# second document\nother: value\n" in shown
    removed, added = _changed(before, path.read_text())
    assert len(removed) == 1 and len(added) == 1 and added[0].startswith("  password: ENC[")
    assert b"password: changed" in _sops_decrypts(sops_bin, env, path)


@pytest.mark.parametrize("plain", [
    "# db\nuser: admin\npassword: s3cr3t # inline\nports:\n    - 80\n    - 443\nnested:\n    deep:\n        k: v\n",
    "a: 1\n---\nb: [1, 2]\nc: |\n    multi\n    line\n",
])
def test_files_sops_wrote_keep_sops_layout_byte_for_byte(plain, setup, sops_bin):
    key, env, workdir = setup
    path = workdir / "s.yaml"
    path.write_text(plain)
    proc = run_sops(sops_bin, ["encrypt", "-i", "--age", key.recipient, str(path)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    before = path.read_text()
    first_key = "user" if "user" in plain else "a"
    proc = run_sealfile(["set", str(path), f'["{first_key}"]', '"changed"'], env)
    assert proc.returncode == 0, proc.stderr.decode()
    removed, added = _changed(before, path.read_text())
    assert len(removed) == 1 and removed[0].startswith(f"{first_key}: ENC[")
    assert len(added) == 1 and added[0].startswith(f"{first_key}: ENC[") and added[0].endswith("type:str]")
    assert f"{first_key}: changed".encode() in _sops_decrypts(sops_bin, env, path)

    # and a rotation keeps every line but the values' (and the metadata's)
    before = path.read_text()
    assert run_sealfile(["rotate", "-i", str(path)], env).returncode == 0
    after = path.read_text()
    masked = lambda t: [_TOKEN.sub("V", line) for line in t.splitlines() if not line.startswith(" " * 12)]  # noqa
    assert [m for m in masked(after) if "lastmodified" not in m] == [m for m in masked(before)
                                                                     if "lastmodified" not in m]
    _sops_decrypts(sops_bin, env, path)
