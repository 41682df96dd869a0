"""What changed, without showing secrets: git's diff views, ``sealfile diff`` and ``sealfile log``.

``git log -p`` shows decrypted values to whoever holds a key and, to anyone
else, the key paths with a fingerprint of each ciphertext (a hash of the
token, never of the value) and the recipients; it never fails.  ``sealfile
diff`` and ``sealfile log`` report key paths added, removed and changed,
recipients and data key rotations, with values only on request.
"""
from __future__ import annotations

import hashlib
import json
import re

import pytest

from conftest import make_age_key
from gitworld import FORMATS, World

NEW = "pw-new-0d5b"


def _two_commits(tmp_path, fmt: str) -> tuple[World, str, str]:
    w = World(tmp_path)
    name, text, path, *_ = FORMATS[fmt]
    w.encrypted(name, text)
    w.setup()
    w.commit("add secrets")
    w.sf("set", name, path, f'"{NEW}"')
    w.commit("new password")
    return w, name, path


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_log_p_decrypts_for_key_holders_and_redacts_for_everyone_else(fmt, tmp_path):
    w, name, path = _two_commits(tmp_path, fmt)
    shown = w.git("log", "-p", "--format=%s").stdout.decode()
    assert re.search(r"^-.*pw-base-71c3", shown, re.M) and re.search(rf"^\+.*{NEW}", shown, re.M)
    assert w.key.recipient in shown  # the recipients close each view

    nokey = w.no_key_env()
    out = w.git("log", "-p", "--format=%s", env=nokey)
    redacted = out.stdout.decode()
    assert out.returncode == 0 and out.stderr == b""
    for secret in ("pw-base-71c3", NEW, "dbuser-e2a1", "tok-base-5a2e"):
        assert secret not in redacted
    token = re.search(rb"ENC\[AES256_GCM,data:[^\]]*\]", _line_of(w.read(name), path)).group(0)
    assert f"(encrypted {hashlib.sha256(token).hexdigest()[:8]})" in redacted
    assert re.search(r"^\+.*\(encrypted [0-9a-f]{8}\)", redacted, re.M) and w.key.recipient in redacted
    assert w.git("show", "HEAD", env=nokey).returncode == 0


def _line_of(data: bytes, path: str) -> bytes:
    key = re.findall(r'\["([^"]+)"\]', path)[-1].encode()
    return next(line for line in data.splitlines() if key in line and b"ENC[" in line)


def test_textconv_never_breaks_git(tmp_path):
    w = World(tmp_path)
    w.setup("secrets/*")
    w.write("secrets/broken.yaml", "sops: [unclosed\n")
    w.write("secrets/blob.bin", bytes(range(256)))
    w.write("secrets/plain.env", "A=1\n")
    w.commit("odd files")
    w.write("secrets/broken.yaml", "sops: {lastmodified: 3}\n")
    w.write("secrets/plain.env", "A=2\n")
    out = w.git("diff")
    assert out.returncode == 0 and b"+A=2" in out.stdout and b"+sops: {lastmodified: 3}" in out.stdout
    assert w.git("log", "-p").returncode == 0
    missing = w.sf("git", "textconv", "secrets/none.yaml", check=False)
    assert missing.returncode == 0 and missing.stdout == b""


def test_diff_reports_paths_and_recipients_and_shows_values_only_on_request(tmp_path):
    w = World(tmp_path)
    name = "secrets/app.yaml"
    w.encrypted(name, "db:\n  user: dbuser-e2a1\n  password: pw-base-71c3\nold: gone-5e1f\n")
    w.commit("add")
    second = make_age_key(tmp_path, "second.txt")
    w.rules(w.key.recipient, second.recipient)
    w.sf("updatekeys", "-y", name)
    w.sf("set", name, '["db"]["password"]', f'"{NEW}"')
    w.sf("set", name, '["api"]', '{"token": "tok-9a9a"}')
    w.sf("unset", name, '["old"]')
    w.commit("change")
    out = w.sf("diff", "HEAD~1:secrets/app.yaml", name).stdout.decode()
    assert out.splitlines() == ["--- HEAD~1:secrets/app.yaml", "+++ secrets/app.yaml",
                                'added    ["api"]["token"]', 'removed  ["old"]', 'changed  ["db"]["password"]',
                                f"recipient added    age {second.recipient}"]
    with_values = w.sf("diff", "--show-values", "HEAD~1:secrets/app.yaml", name).stdout.decode()
    assert f'changed  ["db"]["password"]: "pw-base-71c3" -> "{NEW}"' in with_values
    assert 'removed  ["old"]: "gone-5e1f" -> (none)' in with_values
    same = w.sf("diff", name, "HEAD:secrets/app.yaml").stdout.decode()
    assert same.splitlines()[2:] == ["no changes"]


def test_diff_tells_a_rotation_from_a_rewrap(tmp_path):
    w = World(tmp_path)
    name = "secrets/app.env"
    w.encrypted(name, "A=1\nB=two\n")
    w.commit("add")
    w.sf("updatekeys", "-y", name)  # nothing to change: the same file
    w.rules(w.key.recipient, make_age_key(tmp_path, "x.txt").recipient)
    w.sf("updatekeys", "-y", name)  # re-wrapped for a new recipient: same data key
    w.commit("rewrap")
    assert "data key rotated" not in w.sf("diff", "HEAD~1:" + name, name).stdout.decode()
    w.sf("rotate", "-i", name)
    w.commit("rotate")
    keyless = w.sf("diff", "HEAD~1:" + name, name).stdout.decode()
    assert "data key rotated" in keyless and "changed  " not in keyless
    exact = w.sf("diff", "--show-values", "HEAD~1:" + name, name).stdout.decode()
    assert exact.splitlines()[2:] == ["data key rotated"]  # with a key: rotated, and no value changed


def test_log_is_the_audit_trail(tmp_path):
    w = World(tmp_path)
    name = "secrets/app.json"
    w.encrypted(name, '{"db": {"password": "pw-base-71c3"}, "n": 1}')
    w.commit("add secrets")
    w.sf("set", name, '["db"]["password"]', f'"{NEW}"')
    w.commit("new password")
    w.sf("rotate", "-i", name)
    w.commit("rotate the data key")
    w.git("mv", name, "secrets/renamed.json")
    w.commit("rename")
    text = w.sf("log", "secrets/renamed.json").stdout.decode()
    for secret in ("pw-base-71c3", NEW):
        assert secret not in text
    assert text.count("Author: Alice Example <alice@example.invalid>") == 4
    assert "renamed  from secrets/app.json" in text and "data key rotated" in text
    assert 'changed  ["db"]["password"]' in text and 'added    ["n"]' in text
    entries = json.loads(w.sf("log", "--format", "json", "secrets/renamed.json").stdout)
    assert [e["subject"] for e in entries] == ["rename", "rotate the data key", "new password", "add secrets"]
    assert entries[1]["data_key_rotated"] is True and entries[2]["changed"] == ['["db"]["password"]']
    assert entries[3]["recipients_added"] == [f"age {w.key.recipient}"]
    assert entries[0]["renamed_from"] == "secrets/app.json" and entries[0]["changed"] == []


def test_log_keeps_a_change_the_merge_did_not_keep(tmp_path):
    """A password changed on main, then replaced by the branch's in a conflict resolution: git's default
    history simplification would drop main's commit; an audit trail must not."""
    w = World(tmp_path)
    w.setup()
    name = "secrets/app.json"
    w.encrypted(name, '{"db": {"password": "pw-base-71c3"}}')
    w.commit("add secrets")
    w.git("checkout", "-q", "-b", "feature")
    w.sf("set", name, '["db"]["password"]', '"pw-feature-0d1e"')
    w.commit("feature password")
    w.git("checkout", "-q", "main")
    w.sf("set", name, '["db"]["password"]', '"pw-main-9a7b"')
    w.commit("main password")
    assert w.git("merge", "--no-edit", "feature", check=False).returncode == 1  # a conflict
    w.git("checkout", "--theirs", "--", name)  # the branch's version wins
    w.commit("merge feature")
    entries = json.loads(w.sf("log", "--format", "json", name).stdout)
    subjects = [e["subject"] for e in entries]
    assert subjects[0] == "merge feature" and entries[0]["changed"] == ['["db"]["password"]']
    assert sorted(subjects[1:3]) == ["feature password", "main password"] and subjects[3] == "add secrets"
