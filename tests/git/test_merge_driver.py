"""The merge driver with the real git in throwaway repositories, for YAML, JSON, dotenv and INI.

Two branches that change different values merge without a conflict, the
real sops decrypts the result (valid MAC, both changes) and every value the
merge did not touch keeps its exact ciphertext; the same value changed
differently is a conflict that leaves our encrypted version in place, no
plaintext anywhere, and ``sealfile git resolve`` finishes it.  Rebase and
cherry-pick use the driver too; rotated data keys, recipients added on one or
both sides, files without metadata and a missing key are handled.
"""
from __future__ import annotations

import pytest

from gitworld import FORMATS, World, editor, objects_containing

OURS, THEIRS = "pw-ours-3f8e", "pw-theirs-c4d0"
NEW_TOKEN = "tok-theirs-9b1d"


def _world(tmp_path, fmt: str) -> tuple[World, str]:
    w = World(tmp_path)
    name, text, *_ = FORMATS[fmt]
    w.encrypted(name, text)
    w.setup()
    w.commit("add secrets and sealfile git setup")
    return w, name


def _branches(w: World, name: str, feature: list[tuple[str, str]], main: list[tuple[str, str]]) -> dict[str, bytes]:
    """Commit ``feature``'s changes on a branch and ``main``'s on main; the file's bytes at each step."""
    versions = {"base": w.read(name)}
    w.git("checkout", "-q", "-b", "feature")
    for path, value in feature:
        w.sf("set", name, path, f'"{value}"')
    w.commit("change on feature")
    versions["theirs"] = w.read(name)
    w.git("checkout", "-q", "main")
    for path, value in main:
        w.sf("set", name, path, f'"{value}"')
    w.commit("change on main")
    versions["ours"] = w.read(name)
    return versions


def _new(after: bytes, before: bytes, w: World) -> set[bytes]:
    return set(w.tokens(after)) - set(w.tokens(before))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_changes_to_different_keys_merge_cleanly(fmt, tmp_path, sops_bin):
    w, name = _world(tmp_path, fmt)
    _, _, changed_here, changed_there, untouched = FORMATS[fmt]
    v = _branches(w, name, feature=[(changed_there, NEW_TOKEN)], main=[(changed_here, OURS)])
    out = w.git("merge", "--no-edit", "feature")
    assert b"CONFLICT" not in out.stdout and not w.git("status", "--porcelain").stdout
    merged = w.read(name)
    plain = w.sops(sops_bin, name)
    assert plain.returncode == 0, plain.stderr  # the real sops: valid MAC
    assert OURS.encode() in plain.stdout and NEW_TOKEN.encode() in plain.stdout
    assert b"pw-base-71c3" not in plain.stdout and b"tok-base-5a2e" not in plain.stdout
    # every value keeps the exact ciphertext of the side it comes from: only the MAC is new
    assert len(_new(merged, v["ours"], w) - set(w.tokens(v["theirs"]))) == 1
    assert len(set(w.tokens(merged)) & _new(v["theirs"], v["base"], w)) == 1  # their change, their token
    assert w.value(name, untouched) == "dbuser-e2a1"
    assert w.git("log", "--format=%s", "-1").stdout.startswith(b"Merge branch 'feature'")
    assert list(w.tmp.iterdir()) == [] and out.stderr == b""  # the driver leaves nothing and says nothing


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_one_key_changed_differently_conflicts_and_resolve_finishes_it(fmt, tmp_path, sops_bin):
    w, name = _world(tmp_path, fmt)
    _, _, path, other, _ = FORMATS[fmt]
    v = _branches(w, name, feature=[(path, THEIRS)], main=[(path, OURS), (other, NEW_TOKEN)])
    out = w.git("merge", "--no-edit", "feature", check=False)
    assert out.returncode != 0 and b"CONFLICT" in out.stdout
    err = out.stderr.decode()
    assert path in err and "sealfile git resolve" in err
    for secret in (OURS, THEIRS, "pw-base-71c3", "dbuser-e2a1"):
        assert secret not in err
    assert w.read(name) == v["ours"]  # the working file is our encrypted version, not conflict markers
    assert w.sops(sops_bin, name).returncode == 0
    for secret in (OURS, THEIRS, "pw-base-71c3"):
        assert w.files_containing(secret) == [] and not objects_containing(w, secret)
    assert b"UU" in w.git("status", "--porcelain").stdout

    scratch = tmp_path / "editor"
    scratch.mkdir()
    keep_theirs = editor(scratch, "text = re.sub(r'<<<<<<< ours\\n.*?=======\\n(.*?)>>>>>>> theirs\\n', r'\\1', text, "
                                  "flags=re.S)\nopen(path, 'w').write(text)\n")
    env = dict(w.env, EDITOR=keep_theirs)
    done = w.sf("git", "resolve", name, env=env)
    shown = (scratch / "seen.txt").read_text()
    for marker in ("<<<<<<< ours", "||||||| base", "=======", ">>>>>>> theirs", OURS, THEIRS, "pw-base-71c3"):
        assert marker in shown
    assert f"git add {name}" in done.stderr.decode() and OURS not in done.stderr.decode()
    assert w.value(name, path) == THEIRS and w.value(name, other) == NEW_TOKEN
    assert list(w.tmp.iterdir()) == []  # the editor's plaintext is gone
    assert b"UU" in w.git("status", "--porcelain").stdout  # nothing staged by resolve
    resolved = w.read(name)
    assert len(set(w.tokens(resolved)) & _new(v["theirs"], v["base"], w)) == 1  # their value, their token
    assert len(_new(resolved, v["ours"], w) - set(w.tokens(v["theirs"]))) == 1  # and a new MAC
    w.git("add", name)
    w.git("commit", "-q", "--no-edit")
    assert w.sops(sops_bin, name).returncode == 0
    assert not objects_containing(w, THEIRS)


def test_resolve_that_keeps_the_markers_or_fails_changes_nothing(tmp_path):
    w, name = _world(tmp_path, "yaml")
    path = FORMATS["yaml"][2]
    v = _branches(w, name, feature=[(path, THEIRS)], main=[(path, OURS)])
    w.git("merge", "--no-edit", "feature", check=False)
    scratch = tmp_path / "editor"
    scratch.mkdir()
    for body, code in (("sys.exit(3)\n", 201), ("open(path, 'w').write(text + '\\n')\n", 2)):
        out = w.sf("git", "resolve", name, env=dict(w.env, EDITOR=editor(scratch, body)), check=False, input=b"")
        assert out.returncode == code, out.stderr
        assert w.read(name) == v["ours"] and list(w.tmp.iterdir()) == []
        assert OURS not in out.stderr.decode() and THEIRS not in out.stderr.decode()
    assert w.sf("git", "resolve", "secrets/none.yaml", check=False).returncode == 1


def test_rebase_and_cherry_pick_use_the_driver(tmp_path, sops_bin):
    w, name = _world(tmp_path, "yaml")
    _, _, here, there, _ = FORMATS["yaml"]
    _branches(w, name, feature=[(there, NEW_TOKEN)], main=[(here, OURS)])
    w.git("checkout", "-q", "-b", "picked", "main")
    w.git("cherry-pick", "feature")
    assert w.value(name, here) == OURS and w.value(name, there) == NEW_TOKEN
    w.git("checkout", "-q", "feature")
    w.git("rebase", "-q", "main")
    assert w.value(name, here) == OURS and w.value(name, there) == NEW_TOKEN
    assert w.sops(sops_bin, name).returncode == 0
    assert w.git("log", "--format=%s", "main..feature").stdout.strip() == b"change on feature"


@pytest.mark.parametrize("rotating", ["feature", "main"])
def test_a_rotated_data_key_wins(rotating, tmp_path, sops_bin):
    w, name = _world(tmp_path, "json")
    _, _, here, there, _ = FORMATS["json"]
    w.git("checkout", "-q", "-b", "feature")
    w.sf("set", name, there, f'"{NEW_TOKEN}"')
    if rotating == "feature":
        w.sf("rotate", "-i", name)
    w.commit("feature")
    theirs = w.read(name)
    w.git("checkout", "-q", "main")
    w.sf("set", name, here, f'"{OURS}"')
    if rotating == "main":
        w.sf("rotate", "-i", name)
    w.commit("main")
    ours = w.read(name)
    w.git("merge", "--no-edit", "feature")
    merged = w.read(name)
    assert w.sops(sops_bin, name).returncode == 0
    assert w.value(name, here) == OURS and w.value(name, there) == NEW_TOKEN
    # the rotated side's key: its values keep their tokens, the other side's change is re-encrypted with it
    holder = theirs if rotating == "feature" else ours
    assert len(set(w.tokens(merged)) - set(w.tokens(holder))) == 2  # one value and the MAC


def test_recipients_added_on_either_side_merge(tmp_path, sops_bin):
    from conftest import make_age_key

    w, name = _world(tmp_path, "yaml")
    second, third = make_age_key(tmp_path, "second.txt"), make_age_key(tmp_path, "third.txt")
    _, _, here, there, _ = FORMATS["yaml"]
    w.git("checkout", "-q", "-b", "feature")
    w.rules(w.key.recipient, second.recipient)
    w.sf("updatekeys", "-y", name)
    w.sf("set", name, there, f'"{NEW_TOKEN}"')
    w.commit("feature: a second recipient")
    w.git("checkout", "-q", "main")
    w.rules(w.key.recipient, third.recipient)
    w.sf("updatekeys", "-y", name)
    w.sf("set", name, here, f'"{OURS}"')
    w.commit("main: a third recipient")
    out = w.git("merge", "--no-edit", "feature", check=False)
    assert out.returncode != 0 and b".sops.yaml" in out.stdout  # the config itself conflicts, as text
    w.rules(w.key.recipient, second.recipient, third.recipient)
    assert b"UU secrets" not in w.git("status", "--porcelain").stdout  # the secrets file merged cleanly
    w.commit("merge")
    for key in (w.key, second, third):
        env = dict(w.env, SOPS_AGE_KEY_FILE=str(key.key_file))
        assert w.value(name, here, env=env) == OURS and w.value(name, there, env=env) == NEW_TOKEN
        assert w.sops(sops_bin, name, env=env).returncode == 0


def _plain_scenario(w: World, name: str, ours: str, theirs: str) -> tuple[int, bytes]:
    w.write(name, "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n")
    w.commit("plain file")
    w.git("checkout", "-q", "-b", "feature")
    w.write(name, theirs)
    w.commit("feature")
    w.git("checkout", "-q", "main")
    w.write(name, ours)
    w.commit("main")
    out = w.git("merge", "--no-edit", "feature", check=False)
    return out.returncode, w.read(name)


@pytest.mark.parametrize("theirs", ["a: 1\nb: 2\nc: 3\nd: 4\ne: five\n", "a: 1\nb: two!\nc: 3\nd: 4\ne: 5\n"])
def test_a_file_without_metadata_merges_as_plain_git_does(theirs, tmp_path):
    ours = "a: 1\nb: two\nc: 3\nd: 4\ne: 5\n"
    with_driver = World(tmp_path / "with")
    with_driver.setup("secrets/*.yaml")
    plain = World(tmp_path / "without")
    got = _plain_scenario(with_driver, "secrets/plain.yaml", ours, theirs)
    expected = _plain_scenario(plain, "secrets/plain.yaml", ours, theirs)
    assert with_driver.git("check-attr", "merge", "secrets/plain.yaml").stdout.strip().endswith(b"sealfile")
    assert got == expected
    assert (got[0] != 0) == (b"<<<<<<< HEAD" in got[1])


def test_without_a_key_the_merge_is_a_clean_conflict_that_resolve_finishes(tmp_path, sops_bin):
    w, name = _world(tmp_path, "ini")
    _, _, here, there, _ = FORMATS["ini"]
    v = _branches(w, name, feature=[(there, NEW_TOKEN)], main=[(here, OURS)])
    out = w.git("merge", "--no-edit", "feature", check=False, env=w.no_key_env())
    assert out.returncode != 0 and b"CONFLICT" in out.stdout
    err = out.stderr.decode()
    assert "no master key was able to decrypt" in err and "keeps our version" in err
    assert "Traceback" not in err and "internal error" not in err
    assert w.read(name) == v["ours"] and w.sops(sops_bin, name).returncode == 0
    # with the key back, resolve finishes the merge without an editor: no value conflicts
    w.sf("git", "resolve", name, env=dict(w.env, EDITOR="false"))
    assert w.value(name, here) == OURS and w.value(name, there) == NEW_TOKEN
    w.git("add", name)
    w.git("commit", "-q", "--no-edit")
    assert w.sops(sops_bin, name).returncode == 0
