"""The opt-in clean/smudge filter with the real git: plaintext in the working tree, sops files in the repository.

``git status`` stays clean after a checkout and after a save that changes
nothing (clean is deterministic: the same plaintext gives the same blob,
``lastmodified`` included), a one-value edit is a one-value change in the
committed blob (plus ``lastmodified`` and ``mac``), the real sops decrypts
every committed blob, and no plaintext reaches the object database.  Without
a key, checkout still works and leaves ciphertext.
"""
from __future__ import annotations

import difflib

import pytest

from gitworld import World, objects_containing

OLD, NEW = "pw-base-71c3", "pw-new-0d5b"
PLAIN = {
    "yaml": ("secrets/a.yaml", f"# db settings\ndb:\n  user: dbuser-e2a1   # inline\n  password: {OLD}\n\nlist:\n"
             "  - a\n  - b\n"),
    "json": ("secrets/d.json", f'{{"db": {{"user": "dbuser-e2a1", "password": "{OLD}"}}, "n": 2}}'),
    "dotenv": ("secrets/b.env", f"DB_USER=dbuser-e2a1\nDB_PASSWORD={OLD}\nPORT=5432\n"),
    "ini": ("secrets/c.ini", f"[db]\nuser = dbuser-e2a1\npassword = {OLD}\n\n[web]\nport = 80\n"),
}


def _filtered(tmp_path) -> World:
    w = World(tmp_path)
    w.setup("--filter", "secrets/**")
    w.commit("sealfile git setup --filter")
    return w


def _sops_decrypts(w: World, sops_bin: str, rev: str, name: str) -> bytes:
    blob = w.git("cat-file", "blob", f"{rev}:{name}").stdout
    copy = w.root / ("blob-" + name.replace("/", "-"))
    copy.write_bytes(blob)
    out = w.sops(sops_bin, str(copy))
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("fmt", sorted(PLAIN))
def test_filter_mode_round_trip(fmt, tmp_path, sops_bin):
    w = _filtered(tmp_path)
    name, text = PLAIN[fmt]
    w.write(name, text)
    w.commit("add secrets")
    assert w.git("status", "--porcelain").stdout == b""
    blob = w.git("cat-file", "blob", f"HEAD:{name}").stdout
    assert b"ENC[AES256_GCM" in blob and OLD.encode() not in blob
    assert OLD.encode() in _sops_decrypts(w, sops_bin, "HEAD", name)

    (w.repo / name).unlink()
    w.git("checkout", "--", name)
    checked_out = w.read(name)
    assert OLD.encode() in checked_out and b"ENC[" not in checked_out
    if fmt == "yaml":
        assert checked_out == text.encode()  # the file's own layout, comments included
    assert w.git("status", "--porcelain").stdout == b""

    w.write(name, checked_out)  # a save that changes nothing
    assert w.git("status", "--porcelain").stdout == b""
    assert w.git("cat-file", "blob", f":{name}").stdout == blob

    w.write(name, checked_out.replace(OLD.encode(), NEW.encode()))
    shown = w.git("diff").stdout.decode()
    assert OLD in shown and NEW in shown  # git diff decrypts for the key holder
    w.commit("one value")
    new_blob = w.git("cat-file", "blob", f"HEAD:{name}").stdout
    diff = [line for line in difflib.unified_diff(blob.decode().splitlines(), new_blob.decode().splitlines(), n=0,
                                                  lineterm="") if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert len(diff) == 6, diff  # the value, lastmodified and mac: each one line out, one line in
    assert sum("lastmodified" in line for line in diff) == 2 and sum("mac" in line for line in diff) == 2
    assert NEW.encode() in _sops_decrypts(w, sops_bin, "HEAD", name)
    assert w.git("status", "--porcelain").stdout == b""
    assert not objects_containing(w, OLD) and not objects_containing(w, NEW)


def test_without_a_key_checkout_keeps_ciphertext_and_status_stays_clean(tmp_path):
    w = _filtered(tmp_path)
    name, text = PLAIN["yaml"]
    w.write(name, text)
    w.commit("add secrets")
    blob = w.git("cat-file", "blob", f"HEAD:{name}").stdout
    (w.repo / name).unlink()
    nokey = w.no_key_env()
    out = w.git("checkout", "--", name, env=nokey)
    assert out.returncode == 0 and w.read(name) == blob
    assert w.git("status", "--porcelain", env=nokey).stdout == b""
    log = w.git("log", "-p", "--format=%s", env=nokey).stdout.decode()
    assert "(encrypted " in log and OLD not in log


def test_clean_refuses_rather_than_store_plaintext(tmp_path):
    w = _filtered(tmp_path)
    (w.repo / ".sops.yaml").write_text("creation_rules:\n  - path_regex: ^elsewhere/\n    age: "
                                       f"{w.key.recipient}\n")
    w.write("secrets/new.env", f"TOKEN={OLD}\n")
    out = w.git("add", "secrets/new.env", check=False)
    assert out.returncode != 0 and b"no matching creation rules" in out.stderr
    assert OLD.encode() not in out.stderr and not objects_containing(w, OLD)
