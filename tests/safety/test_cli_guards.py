"""Guards on the command line (safety issue, defects 2, 8, 9 and 10).

* ``keygen -o FILE`` never overwrites an identity unless ``--force``;
* conversions that would write an encrypted file nobody can read back are
  refused with exit 4 and the key path, before anything is written;
* a file without a MAC is reported without any digest of its plaintext;
* a command word (or a typo of one) never opens an editor on a new file.
"""
from __future__ import annotations

import os
import re
import stat
import sys

import pytest

import sealfile
from sealfile.errors import EmitError

from conftest import make_age_key, run_sealfile, run_sops


@pytest.fixture
def keyed(tmp_path, workdir, env):
    key = make_age_key(tmp_path / "home")
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    return key, env


# --- defect 2: keygen -------------------------------------------------------------------------

def test_keygen_refuses_to_overwrite_an_identity(workdir, env):
    first = run_sealfile(["keygen", "-o", "keys.txt"], env, cwd=workdir)
    assert first.returncode == 0, first.stderr
    identity = (workdir / "keys.txt").read_bytes()
    assert stat.S_IMODE(os.stat(workdir / "keys.txt").st_mode) == 0o600
    again = run_sealfile(["keygen", "-o", "keys.txt"], env, cwd=workdir)
    assert again.returncode == 3
    assert (workdir / "keys.txt").read_bytes() == identity
    err = again.stderr.decode()
    assert err.count("\n") == 1 and "keys.txt" in err and "--force" in err
    assert b"AGE-SECRET-KEY" not in again.stdout + again.stderr


def test_keygen_force_replaces_and_keeps_mode(workdir, env):
    (workdir / "keys.txt").write_text("old identity\n")
    os.chmod(workdir / "keys.txt", 0o600)
    out = run_sealfile(["keygen", "--force", "-o", "keys.txt"], env, cwd=workdir)
    assert out.returncode == 0, out.stderr
    text = (workdir / "keys.txt").read_text()
    assert text.startswith("# created: ") and "AGE-SECRET-KEY-1" in text
    assert stat.S_IMODE(os.stat(workdir / "keys.txt").st_mode) == 0o600


def test_keygen_refuses_a_dangling_symlink(workdir, env):
    os.symlink(workdir / "elsewhere.txt", workdir / "keys.txt")
    out = run_sealfile(["keygen", "-o", "keys.txt"], env, cwd=workdir)
    assert out.returncode == 3
    assert not (workdir / "elsewhere.txt").exists()


# --- defect 8: conversions that cannot be read back -------------------------------------------

LOSSY = [
    ("multi.yaml", "a: 1\n---\nb: 2\n", "json", "2 YAML documents"),
    ("multi.yaml", "a: 1\n---\nb: 2\n", "dotenv", "2 YAML documents"),
    ("null.yaml", "a: x\nb: null\n", "dotenv", '["b"]: dotenv cannot hold null'),
    ("nested.yaml", "a:\n  b: 1\n", "dotenv", '["a"]: dotenv cannot hold a nested mapping'),
    ("list.yaml", "a:\n  - 1\n", "dotenv", '["a"]: dotenv cannot hold a list'),
    ("null.yaml", "s:\n  a: x\n  b: ~\n", "ini", '["s"]["b"]: INI cannot hold null'),
    ("nested.yaml", "s:\n  a:\n    deep: 1\n", "ini", '["s"]["a"]: INI cannot hold a nested mapping'),
    ("flat.yaml", "a: 1\n", "ini", '["a"]: INI holds sections'),
    ("tree.yaml", "a:\n  b: 1\n", "binary", "a binary file holds exactly one 'data' string"),
    ("dup.json", '{"a": 1, "a": 2}', "yaml", '["a"]: the key appears twice'),
    ("eq.json", '{"a=b": "x"}', "dotenv", "a dotenv key cannot contain '='"),
]


@pytest.mark.parametrize("name,text,out_type,message", LOSSY, ids=[f"{c[0]}-{c[2]}" for c in LOSSY])
def test_lossy_conversion_is_refused_up_front(name, text, out_type, message, keyed, workdir):
    key, env = keyed
    (workdir / name).write_text(text)
    out = run_sealfile(["encrypt", "--age", key.recipient, "--output-type", out_type,
                        "--output", "out.enc", name], env, cwd=workdir)
    assert out.returncode == 4, out.stderr
    err = out.stderr.decode()
    assert message in err and err.count("\n") == 1 and name in err
    assert not (workdir / "out.enc").exists()


@pytest.mark.parametrize("name,text,out_type,message", LOSSY[:4], ids=[f"{c[0]}-{c[2]}" for c in LOSSY[:4]])
def test_lossy_conversion_refused_by_the_api(name, text, out_type, message):
    recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
    with pytest.raises(EmitError) as info:
        sealfile.encrypt_data(text.encode(), input_type="json" if name.endswith(".json") else "yaml",
                              output_type=out_type, age=recipient, config=False)
    assert info.value.exit_code == 4 and message in str(info.value)


def test_set_refuses_null_in_dotenv(keyed, workdir):
    key, env = keyed
    (workdir / "s.env").write_text("A=1\n")
    assert run_sealfile(["encrypt", "-i", "--age", key.recipient, "s.env"], env, cwd=workdir).returncode == 0
    before = (workdir / "s.env").read_bytes()
    out = run_sealfile(["set", "s.env", '["B"]', "null"], env, cwd=workdir)
    assert out.returncode == 4 and '["B"]' in out.stderr.decode()
    assert (workdir / "s.env").read_bytes() == before


@pytest.mark.parametrize("text,out_type", [("a: 1\nb: [1, 2]\n", "json"), ("s:\n  a: 1\n", "ini"),
                                           ("a: x\nb: 2\n", "dotenv")])
def test_representable_conversions_still_work_and_sops_reads_them(text, out_type, keyed, workdir, sops_bin):
    key, env = keyed
    (workdir / "in.yaml").write_text(text)
    out = run_sealfile(["encrypt", "--age", key.recipient, "--output-type", out_type, "in.yaml"], env, cwd=workdir)
    assert out.returncode == 0, out.stderr
    name = "out." + {"dotenv": "env"}.get(out_type, out_type)
    (workdir / name).write_bytes(out.stdout)
    ours = run_sealfile(["decrypt", name], env, cwd=workdir)
    theirs = run_sops(sops_bin, ["decrypt", name], env, cwd=workdir)
    assert ours.returncode == 0 and theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert ours.stdout == theirs.stdout


# --- defect 9: no digest of the plaintext in the missing-MAC error ------------------------------

def test_missing_mac_error_shows_no_digest(keyed, workdir):
    key, env = keyed
    (workdir / "s.yaml").write_text("password: a\n")
    assert run_sealfile(["encrypt", "-i", "--age", key.recipient, "s.yaml"], env, cwd=workdir).returncode == 0
    text = (workdir / "s.yaml").read_text()
    (workdir / "s.yaml").write_text(re.sub(r"(?m)^    mac: .*$", "    mac: \"\"", text))
    out = run_sealfile(["decrypt", "s.yaml"], env, cwd=workdir)
    assert out.returncode == 51
    err = out.stderr.decode()
    assert "no MAC" in err and err.count("\n") == 1
    assert re.search(r"[0-9A-Fa-f]{32,}", err) is None, err
    import hashlib

    assert hashlib.sha512(b"a").hexdigest().upper() not in err


# --- defect 10: command words are not files to edit ------------------------------------------

@pytest.fixture
def editor_env(keyed, tmp_path):
    key, env = keyed
    marker = tmp_path / "editor-ran"
    script = tmp_path / "ed.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    env["EDITOR"] = f"{sys.executable} {script}"
    env["SOPS_AGE_RECIPIENTS"] = key.recipient
    return env, marker


@pytest.mark.parametrize("args,code,expect", [
    (["help"], 0, "Usage: sealfile"),
    (["h"], 0, "Usage: sealfile"),
    (["help", "decrypt"], 0, "Usage: sealfile decrypt"),
    (["completion", "bash"], 0, "_SEALFILE_COMPLETE"),
    (["publish", "s.yaml"], 1, "no such command: 'publish'"),
    (["keyservice"], 1, "no such command: 'keyservice'"),
    (["decrpyt", "f.yaml"], 1, "did you mean 'decrypt'?"),
    (["updatekey", "f.yaml"], 1, "did you mean 'updatekeys'?"),
    (["--config", "x.yaml", "encrpyt"], 1, "did you mean 'encrypt'?"),
])
def test_command_words_never_open_an_editor(args, code, expect, editor_env, workdir):
    env, marker = editor_env
    out = run_sealfile(args, env, cwd=workdir)
    assert out.returncode == code, out.stderr
    assert expect in (out.stdout + out.stderr).decode()
    assert not marker.exists()
    assert sorted(os.listdir(workdir)) == []


def test_an_existing_file_named_like_a_command_is_still_edited(editor_env, workdir):
    env, marker = editor_env
    (workdir / "publish").write_text("x")
    out = run_sealfile(["publish"], env, cwd=workdir)
    assert marker.exists() or out.returncode != 0
    assert b"no such command" not in out.stderr


def test_a_new_file_with_an_extension_is_still_created_by_the_legacy_form(editor_env, workdir):
    env, marker = editor_env
    out = run_sealfile(["new-secrets.yaml"], env, cwd=workdir)
    assert marker.exists(), out.stderr
