"""The 3-way merge itself, without git: trees path by path, metadata, and whole files through the Python API."""
from __future__ import annotations

import difflib

import pytest

import sealfile
from conftest import make_age_key
from sealfile.core.tree import Comment, Mapping, from_python, to_python
from sealfile.operations.gitresolve import mark_conflicts
from sealfile.operations.treemerge import BASE, OURS, THEIRS, copy_documents, merge_documents


def _docs(*values):
    return [from_python(v) for v in values]


def _merge(base, ours, theirs, prefer=OURS):
    o = copy_documents(_docs(ours))
    conflicts, changed = merge_documents(_docs(base), o, _docs(theirs), prefer)
    return to_python(o[0]), [c.where() + ": " + c.reason for c in conflicts], changed


def test_changes_on_different_paths_merge():
    merged, conflicts, changed = _merge(
        {"a": 1, "b": "x", "c": {"d": 1, "e": 2}, "l": [1, 2, 3], "gone": 0},
        {"a": 2, "b": "x", "c": {"d": 1, "e": 2}, "l": [1, 2, 4], "gone": 0, "ours": 5},
        {"a": 1, "b": "y", "c": {"d": 1, "e": 3}, "l": [0, 2, 3], "theirs": 6})
    assert conflicts == [] and changed
    assert merged == {"a": 2, "b": "y", "c": {"d": 1, "e": 3}, "l": [0, 2, 4], "ours": 5, "theirs": 6}


@pytest.mark.parametrize("base, ours, theirs, where", [
    ({"a": 1}, {"a": 2}, {"a": 3}, '["a"]: changed on both sides'),
    ({"a": 1}, {"a": 1.0}, {"a": True}, '["a"]: changed on both sides'),  # types count, as in sops
    ({}, {"a": 2}, {"a": 3}, '["a"]: added on both sides with different values'),
    ({"a": 1}, {}, {"a": 3}, '["a"]: removed on our side, changed on theirs'),
    ({"a": 1}, {"a": 2}, {}, '["a"]: changed on our side, removed on theirs'),
    ({"l": [1, 2]}, {"l": [1, 2, 3]}, {"l": [0]}, 'the list ["l"]: changed on both sides (elements added or '
                                                 'removed)'),
    ({"l": [{"x": 1}]}, {"l": [{"x": 2}]}, {"l": [{"x": 3}]}, '["l"][0]["x"]: changed on both sides'),
])
def test_conflicts_name_the_path_and_each_side_can_be_preferred(base, ours, theirs, where):
    merged, conflicts, _ = _merge(base, ours, theirs)
    assert conflicts == [where] and merged == ours
    assert _merge(base, ours, theirs, THEIRS)[0] == theirs
    assert _merge(base, ours, theirs, BASE)[0] == base


def test_the_same_change_on_both_sides_is_no_conflict():
    merged, conflicts, _ = _merge({"a": 1, "b": 1}, {"a": 2, "b": 1}, {"a": 2, "b": 1})
    assert conflicts == [] and merged == {"a": 2, "b": 1}


def test_comments_merge_with_the_key_below_them():
    base = Mapping([[Comment(" one"), None], ["a", 1], [Comment(" two"), None], ["b", 2]])
    ours = Mapping([[Comment(" one"), None], ["a", 10], [Comment(" two"), None], ["b", 2]])
    theirs = Mapping([[Comment(" ONE"), None], ["a", 1], [Comment(" two"), None], ["b", 2], [Comment(" end"), None]])
    o = [ours]
    conflicts, _ = merge_documents([base], o, [theirs])
    assert conflicts == []
    assert [(k.text if isinstance(k, Comment) else k, v) for k, v in o[0]] == [
        (" ONE", None), ("a", 10), (" two", None), ("b", 2), (" end", None)]
    o = [copy_documents([ours])[0]]
    o[0][0][0] = Comment(" uno")
    conflicts, _ = merge_documents([base], o, [theirs])
    assert [c.where() for c in conflicts] == ['comments above ["a"]']


def test_our_objects_stay_where_ours_is_the_result():
    ours = _docs({"keep": {"x": 1}, "change": 1})
    kept = ours[0][0]
    merge_documents(_docs({"keep": {"x": 1}, "change": 1}), ours, _docs({"keep": {"x": 1}, "change": 2}))
    assert ours[0][0] is kept and ours[0][1] == ["change", 2]


def test_documents_added_on_both_sides_conflict():
    ours, theirs = _docs({"a": 1}, {"b": 1}), _docs({"a": 1}, {"c": 1})
    conflicts, changed = merge_documents(_docs({"a": 1}), ours, theirs)
    assert [c.where() for c in conflicts] == ["the documents"] and not changed


def test_resolve_marks_each_conflicting_run_of_lines():
    marked = mark_conflicts(b"a: 1\nb: ours\nc: 3\n", b"a: 1\nb: base\nc: 3\n", b"a: 1\nb: theirs\nc: 3\n")
    assert marked == (b"a: 1\n<<<<<<< ours\nb: ours\n||||||| base\nb: base\n=======\nb: theirs\n>>>>>>> theirs\n"
                      b"c: 3\n")


# --- whole files through the API ------------------------------------------------------------------

LAYOUT = """\
# Settings of the web service

db:   # the database
  user: app
  password: base-pass

api:
  token: base-token   # rotated monthly
"""


@pytest.fixture
def keyed(tmp_path, env):
    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    return key, env


def _edit(data: bytes, env, path: str, value: str) -> bytes:
    f = sealfile.decrypt_tree(data, input_type="yaml", env=env, config=False)
    keys = path.split(".")
    node = f.docs[0]
    for k in keys[:-1]:
        node = node.get(k)
    node.set(keys[-1], value)
    return f.reencrypt()


def test_a_merged_yaml_file_keeps_our_layout_and_differs_only_where_theirs_changed(keyed, sops_bin, tmp_path):
    key, env = keyed
    base = sealfile.encrypt_data(LAYOUT.encode(), input_type="yaml", age=key.recipient, env=env, config=False)
    ours = _edit(base, env, "db.password", "our-pass")
    theirs = _edit(base, env, "api.token", "their-token")
    tools = sealfile.git_tools(env=env, config=False)
    result = tools.merge(base, ours, theirs, "app.yaml")
    assert result.conflicts == [] and result.data is not None
    changed = [line for line in difflib.ndiff(ours.decode().splitlines(), result.data.decode().splitlines())
               if line[:1] in "+-"]
    assert sum("token:" in line for line in changed) == 2 and sum("mac:" in line for line in changed) == 2
    assert all(any(k in line for k in ("token:", "lastmodified:", "mac:")) for line in changed)
    (tmp_path / "merged.yaml").write_bytes(result.data)
    from conftest import run_sops

    plain = run_sops(sops_bin, ["decrypt", str(tmp_path / "merged.yaml")], env).stdout.decode()
    assert "our-pass" in plain and "their-token" in plain
    assert tools.merge(base, ours, ours, "app.yaml").data == ours  # nothing of theirs to bring: ours as it is
    assert tools.merge(base, base, theirs, "app.yaml").data == theirs


def test_key_groups_merge_and_shamir_layouts_changed_on_both_sides_conflict(keyed, tmp_path):
    key, env = keyed
    k2, k3 = make_age_key(tmp_path, "k2.txt"), make_age_key(tmp_path, "k3.txt")
    both = tmp_path / "all.txt"
    both.write_text(key.key_file.read_text() + k2.key_file.read_text() + k3.key_file.read_text())
    env["SOPS_AGE_KEY_FILE"] = str(both)
    base = sealfile.encrypt_data(b"a: 1\nb: 2\n", input_type="yaml", age=key.recipient, env=env, config=False)
    f = sealfile.decrypt_tree(base, input_type="yaml", env=env, config=False)
    f.rewrap([f.master_keys()[0] + [sealfile.api.resolve_keys([("age", k2.recipient)])[0]]])
    ours = f.reencrypt()
    # a second group on their side, a new key in the one group on ours: a conflict
    path = tmp_path / "t.yaml"
    path.write_bytes(base)
    theirs = sealfile.add_group(path, [("age", k3.recipient)], 2, env=env, config=False)
    result = sealfile.git_tools(env=env, config=False).merge(base, ours, theirs, "t.yaml")
    assert result.data is None and any("key groups" in c for c in result.conflicts)
    g = sealfile.decrypt_tree(base, input_type="yaml", env=env, config=False)
    g.rewrap([g.master_keys()[0] + [sealfile.api.resolve_keys([("age", k3.recipient)])[0]]])
    merged = sealfile.git_tools(env=env, config=False).merge(base, ours, g.reencrypt(), "t.yaml").data
    assert merged is not None
    for k in (key, k2, k3):
        only = dict(env, SOPS_AGE_KEY_FILE=str(k.key_file))
        assert sealfile.decrypt_data(merged, input_type="yaml", env=only, config=False) == b"a: 1\nb: 2\n"
