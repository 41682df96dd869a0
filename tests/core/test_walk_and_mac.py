"""The walk (paths, AADs, selectors, comment stacks) and the MAC rules."""
from __future__ import annotations

import hashlib

import pytest

from sealfile.core.cipher import Cipher, DataKey, is_token
from sealfile.errors import DecryptError, EncryptError, MetadataError
from sealfile.core.mac import MAC_ONLY_ENCRYPTED_PREFIX, mac_aad
from sealfile.core.selectors import Selector
from sealfile.core.tree import Comment, Mapping, from_python
from sealfile.core.treecrypt import decrypt_documents, encrypt_documents
from sealfile.core.walk import walk


def collect(doc, selector=Selector()):
    seen = []

    def visit(value, aad, encrypt, is_comment):
        seen.append((value.text if is_comment else value, aad, encrypt))
        return value

    walk([doc], selector, visit)
    return seen


def test_aad_paths_ignore_list_positions():
    doc = from_python({"db": {"password": "x"}, "list": ["a", {"nested": {"key": "y"}}, ["p", "q"]]})
    doc.insert(0, [Comment(" top"), None])
    doc.get("db").insert(0, [Comment(" in db"), None])
    aads = [(v, a) for v, a, _ in collect(doc)]
    assert aads == [(" top", ":"), (" in db", "db:"), ("x", "db:password:"), ("a", "list:"),
                    ("y", "list:nested:key:"), ("p", "list:"), ("q", "list:")]


def test_nulls_are_not_visited():
    assert collect(from_python({"a": None, "b": 1})) == [(1, "b:", True)]


@pytest.mark.parametrize("selector,expected", [
    (Selector(), {"pw": True, "tok_unencrypted": False, "inner": True}),
    (Selector("encrypted_regex", "^(pw|sub)$"), {"pw": True, "tok_unencrypted": False, "inner": True}),
    (Selector("unencrypted_regex", "^tok"), {"pw": True, "tok_unencrypted": False, "inner": True}),
    (Selector("encrypted_suffix", "_unencrypted"), {"pw": False, "tok_unencrypted": True, "inner": False}),
])
def test_selectors_test_each_component_and_subtrees_inherit(selector, expected):
    doc = from_python({"pw": "1", "tok_unencrypted": "2", "sub": {"inner": "3"}})
    got = {aad.rstrip(":").split(":")[-1]: enc for _, aad, enc in collect(doc, selector)}
    assert got == expected


def test_regex_is_matched_per_component_never_on_joined_path():
    doc = from_python({"x": {"password": "1"}})
    assert collect(doc, Selector("encrypted_regex", "x:password")) == [("1", "x:password:", False)]


def test_encrypted_comment_regex_governs_next_item_and_its_subtree():
    doc = Mapping([[Comment(" sops:enc"), None], [Comment("more"), None], ["key", "v"], ["other", "w"],
                   [Comment(" sops:enc"), None], ["m", from_python({"deep": "d"})], ["after", "z"]])
    got = [(v, enc) for v, _, enc in collect(doc, Selector("encrypted_comment_regex", "sops:enc"))]
    assert got == [(" sops:enc", False), ("more", True), ("v", True), ("w", False),
                   (" sops:enc", False), ("d", True), ("z", False)]


def test_unencrypted_comment_regex_leaves_marker_block_and_next_item_plain():
    doc = Mapping([[Comment(" other"), None], [Comment(" sops:plain"), None], ["key", "v"], ["x", "w"]])
    got = [(v, enc) for v, _, enc in collect(doc, Selector("unencrypted_comment_regex", "sops:plain"))]
    assert got == [(" other", True), (" sops:plain", False), ("v", False), ("w", True)]


def _mac(*parts: bytes, only_encrypted=False) -> str:
    h = hashlib.sha512()
    if only_encrypted:
        h.update(MAC_ONLY_ENCRYPTED_PREFIX)
    for p in parts:
        h.update(p)
    return h.hexdigest().upper()


def test_mac_hashes_every_leaf_but_no_comments_or_nulls():
    doc = from_python({"a": "x", "n": None, "b_unencrypted": 5, "c": True, "e": "", "f": 1.0})
    doc.insert(0, [Comment("c"), None])
    digest = encrypt_documents([doc], Cipher(DataKey.generate()), Selector())
    assert digest == _mac(b"x", b"5", b"True", b"1")


def test_mac_only_encrypted_prefix_and_selection():
    assert MAC_ONLY_ENCRYPTED_PREFIX == hashlib.sha256(b"sops").digest()
    doc = from_python({"password": "x", "plain": "y"})
    digest = encrypt_documents([doc], Cipher(DataKey.generate()), Selector("encrypted_regex", "^password$"), True)
    assert digest == _mac(b"x", only_encrypted=True)


def test_encrypt_then_decrypt_restores_tree_and_digest():
    key = DataKey.generate()
    original = from_python({"a": {"b": [1, "two", {"c": 3.5}]}, "e": "", "t": True})
    original.insert(0, [Comment(" hello"), None])
    original.get("a").get("b").insert(1, Comment(" list comment"))
    tree = from_python({"a": {"b": [1, "two", {"c": 3.5}]}, "e": "", "t": True})
    tree.insert(0, [Comment(" hello"), None])
    tree.get("a").get("b").insert(1, Comment(" list comment"))
    d1 = encrypt_documents([tree], Cipher(key), Selector())
    assert is_token(tree[0][0].text)
    assert is_token(tree.get("a").get("b")[1])  # list comments become string items (sops 3.11)
    assert tree.get("e") == ""
    d2 = decrypt_documents([tree], Cipher(key), Selector())
    assert d1 == d2
    assert tree == original


def test_plain_value_where_encrypted_expected_is_exit_25_without_echo():
    doc = from_python({"password": "hunter2"})
    with pytest.raises(DecryptError) as err:
        decrypt_documents([doc], Cipher(DataKey.generate()), Selector())
    assert err.value.exit_code == 25
    assert "hunter2" not in str(err.value)
    assert "password" in str(err.value)


def test_non_string_keys_refused_on_encrypt():
    doc = Mapping([[1, "x"]])
    with pytest.raises(EncryptError) as err:
        encrypt_documents([doc], Cipher(DataKey.generate()), Selector())
    assert err.value.exit_code == 23


@pytest.mark.parametrize("stored,aad", [
    ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z"),
    ("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05Z"),
    ("2026-01-02T05:04:05+02:00", "2026-01-02T05:04:05+02:00"),
    ("2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05Z"),
])
def test_lastmodified_normalisation(stored, aad):
    assert mac_aad(stored) == aad


@pytest.mark.parametrize("bad", ["2026-01-02T03:04:05z", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05", ""])
def test_lastmodified_rejects_what_go_rejects(bad):
    with pytest.raises(MetadataError):
        mac_aad(bad)
