"""filestatus and sops's legacy flag forms (-r, --set, plain FILE = edit), against the real sops."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

PLAIN = {
    "yaml": ("f.yaml", b"user: admin\npassword: hunter2\n"),
    "json": ("f.json", b'{"user": "admin", "password": "hunter2"}\n'),
    "dotenv": ("f.env", b"USER=admin\nPASSWORD=hunter2\n"),
    "ini": ("f.ini", b"[db]\nuser = admin\npassword = hunter2\n"),
    "binary": ("f.bin", b"hunter2\n"),
}


def _encrypted(tmp_path: Path, env: dict, fmt: str, recipient: str) -> Path:
    name, data = PLAIN[fmt]
    path = tmp_path / name
    path.write_bytes(data)
    out = run_sealfile(["encrypt", "-i", "--age", recipient, str(path)], env)
    assert out.returncode == 0, out.stderr
    return path


@pytest.mark.parametrize("fmt", sorted(PLAIN))
def test_filestatus_agrees_with_sops(tmp_path, env, sops_bin, fmt):
    key = make_age_key(tmp_path)
    enc = _encrypted(tmp_path, env, fmt, key.recipient)
    plain = tmp_path / ("plain-" + PLAIN[fmt][0])
    plain.write_bytes(PLAIN[fmt][1])
    for path, expected in ((enc, True), (plain, False)):
        ours = run_sealfile(["filestatus", str(path)], env)
        assert ours.returncode == 0, ours.stderr
        assert json.loads(ours.stdout) == {"encrypted": expected}
        theirs = run_sops(sops_bin, ["filestatus", str(path)], env)
        if fmt == "binary" and not expected:
            # sops 3.11 parses any .bin file as JSON and fails; a plain binary file is simply not encrypted
            assert theirs.returncode == 1
        else:
            assert theirs.returncode == 0 and ours.stdout == theirs.stdout


@pytest.mark.parametrize("content", [b"a: [\n", None], ids=["unparsable", "missing"])
def test_filestatus_errors_exit_1_like_sops(tmp_path, env, sops_bin, content):
    path = tmp_path / "x.yaml"
    if content is not None:
        path.write_bytes(content)
    ours = run_sealfile(["filestatus", str(path)], env)
    theirs = run_sops(sops_bin, ["filestatus", str(path)], env)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout == b"" and b"Traceback" not in ours.stderr
    assert ours.stderr.count(b"\n") == 1 and b"x.yaml" in ours.stderr


def test_filestatus_without_mac_is_not_encrypted(tmp_path, env, sops_bin):
    key = make_age_key(tmp_path)
    enc = _encrypted(tmp_path, env, "yaml", key.recipient)
    text = enc.read_text()
    start = text.index("    mac: ")
    end = text.index("\n", start)
    enc.write_text(text[:start] + "    mac: \"\"" + text[end:])
    ours = run_sealfile(["filestatus", str(enc)], env)
    theirs = run_sops(sops_bin, ["filestatus", str(enc)], env)
    assert ours.stdout == theirs.stdout == b'{"encrypted":false}\n'


@pytest.mark.parametrize("fmt", ["yaml", "dotenv"])
def test_legacy_rotate_add_key_then_sops_decrypts_with_it(tmp_path, env, sops_bin, fmt):
    a, b = make_age_key(tmp_path, "a.txt"), make_age_key(tmp_path, "b.txt")
    enc = _encrypted(tmp_path, env, fmt, a.recipient)
    before = enc.read_text()
    out = run_sealfile(["-r", "-i", "--add-age", b.recipient, str(enc)], {**env, "SOPS_AGE_KEY_FILE": str(a.key_file)})
    assert out.returncode == 0, out.stderr
    assert enc.read_text() != before and b.recipient in enc.read_text()
    dec = run_sops(sops_bin, ["decrypt", str(enc)], {**env, "SOPS_AGE_KEY_FILE": str(b.key_file)})
    assert dec.returncode == 0, dec.stderr
    assert dec.stdout == PLAIN[fmt][1]


def test_legacy_set_matches_sops_set(tmp_path, env, sops_bin):
    key = make_age_key(tmp_path)
    kenv = {**env, "SOPS_AGE_KEY_FILE": str(key.key_file)}
    ours = _encrypted(tmp_path, env, "yaml", key.recipient)
    theirs = tmp_path / "theirs.yaml"
    theirs.write_bytes(ours.read_bytes())
    expr = '["db"]["port"] 5432'
    assert run_sealfile(["--set", expr, str(ours)], kenv).returncode == 0
    assert run_sops(sops_bin, ["--set", expr, str(theirs)], kenv).returncode == 0
    assert (run_sops(sops_bin, ["decrypt", str(ours)], kenv).stdout
            == run_sops(sops_bin, ["decrypt", str(theirs)], kenv).stdout)
    assert b"port: 5432" in run_sops(sops_bin, ["decrypt", str(ours)], kenv).stdout


def test_plain_file_argument_edits(tmp_path, env, sops_bin):
    key = make_age_key(tmp_path)
    enc = _encrypted(tmp_path, env, "yaml", key.recipient)
    script = tmp_path / "editor.py"
    script.write_text("import sys\np = sys.argv[1]\ns = open(p).read()\n"
                      "open(p, 'w').write(s.replace('admin', 'root'))\n")
    kenv = {**env, "SOPS_AGE_KEY_FILE": str(key.key_file), "EDITOR": f"{sys.executable} {script}"}
    before = enc.read_text().splitlines()
    out = run_sealfile([str(enc)], kenv)
    assert out.returncode == 0, out.stderr
    after = enc.read_text().splitlines()
    changed = [line for line in after if line not in before]
    # the edited value and the MAC change (lastmodified too unless within the same second)
    assert [line.split(":")[0].strip() for line in changed if not line.strip().startswith("lastmodified")] \
        == ["user", "mac"]
    dec = run_sops(sops_bin, ["decrypt", str(enc)], kenv)
    assert dec.stdout == b"user: root\npassword: hunter2\n"


def test_legacy_modes_are_exclusive(tmp_path, env):
    key = make_age_key(tmp_path)
    enc = _encrypted(tmp_path, env, "yaml", key.recipient)
    before = enc.read_bytes()
    out = run_sealfile(["-d", "-r", str(enc)], {**env, "SOPS_AGE_KEY_FILE": str(key.key_file)})
    assert out.returncode == 8
    assert b"--decrypt" in out.stderr and b"--rotate" in out.stderr
    assert enc.read_bytes() == before


def test_groups_remove_is_an_alias_of_delete(tmp_path, env, sops_bin):
    a, b = make_age_key(tmp_path, "a.txt"), make_age_key(tmp_path, "b.txt")
    enc = _encrypted(tmp_path, env, "yaml", a.recipient)
    both = tmp_path / "both.txt"
    both.write_text(a.key_file.read_text() + b.key_file.read_text())
    kenv = {**env, "SOPS_AGE_KEY_FILE": str(both)}
    add = run_sealfile(["groups", "add", "--file", str(enc), "--age", b.recipient, "-i"], kenv)
    assert add.returncode == 0, add.stderr
    assert enc.read_text().count("recipient:") == 2
    rm = run_sealfile(["groups", "remove", "--file", str(enc), "-i", "--shamir-secret-sharing-threshold", "1", "1"],
                      kenv)
    assert rm.returncode == 0, rm.stderr
    assert b.recipient not in enc.read_text()
    assert run_sops(sops_bin, ["decrypt", str(enc)], kenv).stdout == PLAIN["yaml"][1]
