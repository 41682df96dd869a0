"""Hostile inputs through the Python API: alias bombs and deeply nested documents.

* YAML aliases are expanded within go-yaml's budget ("document contains
  excessive aliasing"), on every read path: plaintext and encrypted files,
  the fast reader and the comment-aware one.  The thresholds below were
  checked against ``sops encrypt`` 3.11 (the CLI tests run sops on them too).
* Documents nest as deep as sops accepts (10,000 levels; for YAML 10,000
  block plus 10,000 flow levels, counted as go-yaml counts them) through
  every layer, and one level more is a clean ParseError, never a
  RecursionError.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

import sealfile
from conftest import make_age_key
from sealfile.config import parse_config
from sealfile.api import start_edit
from sealfile.errors import EmitError, ExcessiveAliasing, ExitCode, ParseError, SealfileError
from sealfile.core.treeedit import set_in_tree, unset_in_tree
from sealfile.errors import InvalidSetFormat
from sealfile.operations.set import parse_value
from sealfile.stores.json import JsonStore
from sealfile.stores.yaml import YamlStore
from sealfile.core.tree import Mapping

DEPTH = 10000  # sops's (go-yaml's and encoding/json's) nesting limit


# --- documents -------------------------------------------------------------------------------

def alias_bomb(levels: int) -> str:
    """``levels`` anchors, each a list of nine aliases to the previous one (9^levels leaves)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def flat_aliases(count: int) -> str:
    """A 300-item list aliased ``count`` times: sops accepts 292 aliases and refuses 293."""
    return "a: &a [" + ", ".join(["x"] * 300) + "]\n" + "".join(f"b{i}: *a\n" for i in range(count))


def nested_aliases(plain_keys: int) -> str:
    """Four levels of six aliases after ``plain_keys`` plain keys: sops refuses 22, accepts 23."""
    lines = [f"p{i}: {i}" for i in range(plain_keys)] + ["a0: &a0 [x0, x1, x2]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 6) + "]" for i in range(1, 5)]
    return "\n".join(lines) + "\n"


def with_comment(text: str) -> str:
    """The same document through the comment-aware reader."""
    return "# a comment\n" + text


def json_map(levels: int) -> bytes:
    return ('{"a":' * levels + '"v"' + "}" * levels).encode()


def json_list(levels: int) -> bytes:
    return ('{"a":' + "[" * (levels - 1) + '"v"' + "]" * (levels - 1) + "}").encode()


def yaml_map(levels: int) -> bytes:
    """``levels`` nested mappings: one block mapping, the rest flow mappings."""
    return ("a: " + "{a: " * (levels - 1) + "v" + "}" * (levels - 1) + "\n").encode()


def yaml_list(levels: int) -> bytes:
    return ("a: " + "[" * (levels - 1) + "v" + "]" * (levels - 1) + "\n").encode()


def depth_of(value: Any) -> int:
    """Nesting depth of plain Python data, without recursion."""
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [c for v in level if isinstance(v, (dict, list))
                 for c in (v.values() if isinstance(v, dict) else v)]
    return depth - 1


@pytest.fixture
def keyed(tmp_path):
    key = make_age_key(tmp_path)
    return key, {"SOPS_AGE_KEY_FILE": str(key.key_file), "HOME": str(tmp_path)}


def _encrypt(data: bytes, fmt: str, keyed) -> bytes:
    key, env = keyed
    return sealfile.encrypt_data(data, input_type=fmt, age=key.recipient, config=False, env=env)


# --- alias bombs -----------------------------------------------------------------------------

READERS = [pytest.param(lambda t: t, id="fast-reader"), pytest.param(with_comment, id="comment-reader")]


@pytest.mark.parametrize("variant", READERS)
def test_alias_bomb_is_refused_before_it_is_expanded(variant, keyed):
    # six levels are 531,441 leaves: expanded, this would succeed (slowly); go-yaml refuses it
    with pytest.raises(ExcessiveAliasing) as info:
        _encrypt(variant(alias_bomb(6)).encode(), "yaml", keyed)
    assert info.value.exit_code == ExitCode.COULD_NOT_READ_INPUT == 2
    assert str(info.value) == "yaml: document contains excessive aliasing"


@pytest.mark.parametrize("variant", READERS)
def test_alias_bomb_in_an_encrypted_file_is_refused_before_decrypting(variant, keyed):
    encrypted = _encrypt(b"password: hunter2\n", "yaml", keyed).decode()
    hostile = variant(alias_bomb(6) + encrypted)
    _, env = keyed
    with pytest.raises(ExcessiveAliasing) as info:
        sealfile.decrypt_data(hostile.encode(), input_type="yaml", config=False, env=env)
    assert info.value.exit_code == 2  # kept on the decrypt path, where other YAML errors are exit 1
    assert "document contains excessive aliasing" in str(info.value)


@pytest.mark.parametrize("variant", READERS)
@pytest.mark.parametrize("mode", ["plain", "encrypted"])
def test_alias_budget_matches_go_yaml_at_the_threshold(variant, mode):
    store = YamlStore()
    load = store.load_plain if mode == "plain" else (lambda data: store.load_encrypted(data + b"sops: {}\n"))
    for accepted, refused in ((flat_aliases(292), flat_aliases(293)), (nested_aliases(23), nested_aliases(22))):
        load(variant(accepted).encode())
        with pytest.raises(ExcessiveAliasing):
            load(variant(refused).encode())


@pytest.mark.parametrize("variant", READERS)
def test_ordinary_anchors_and_merge_keys_still_expand(variant, keyed):
    text = ("base: &base\n    timeout: 60\n    retries: [1, 2, 3]\n"
            + "".join(f"job{i}:\n    <<: *base\n    name: job{i}\n    copy: *base\n" for i in range(2000)))
    _, env = keyed
    encrypted = _encrypt(variant(text).encode(), "yaml", keyed)
    data = sealfile.decrypt_data(encrypted, input_type="yaml", output_type="json", config=False, env=env)
    doc = json.loads(data)
    assert doc["job1999"] == {"<<": {"timeout": 60, "retries": [1, 2, 3]}, "name": "job1999",
                              "copy": {"timeout": 60, "retries": [1, 2, 3]}}


# --- nesting depth ---------------------------------------------------------------------------

DEEP = [
    pytest.param("json", json_map(DEPTH), id="json-mappings"),
    pytest.param("json", json_list(DEPTH), id="json-lists"),
    pytest.param("json", json_list(DEPTH).replace(b'"v"', b'"v", "\\udc00"'), id="json-lone-surrogate"),
    pytest.param("yaml", yaml_map(DEPTH), id="yaml-mappings"),
    pytest.param("yaml", yaml_list(DEPTH), id="yaml-lists"),
    pytest.param("yaml", b"# comment\n" + yaml_list(DEPTH), id="yaml-lists-comment-reader"),
]


@pytest.mark.parametrize("fmt,data", DEEP)
def test_sops_depth_limit_round_trips_through_the_api(fmt, data, keyed, tmp_path):
    _, env = keyed
    store = JsonStore() if fmt == "json" else YamlStore()
    encrypted = _encrypt(data, fmt, keyed)
    decrypted = sealfile.decrypt_data(encrypted, input_type=fmt, config=False, env=env)
    assert decrypted == store.dump_plain(store.load_plain(data))
    path = tmp_path / f"deep.{fmt}"
    path.write_bytes(encrypted)
    value = sealfile.load(path, env=env)
    assert depth_of(value) == DEPTH
    if b"udc00" in data:
        assert "\ufffd".encode() in decrypted  # Go decodes a lone surrogate escape to U+FFFD
    leaf = value
    while isinstance(leaf, (dict, list)):
        leaf = leaf["a"] if isinstance(leaf, dict) else leaf[0]
    assert leaf == "v"


@pytest.mark.parametrize("data", [json_map(DEPTH + 1), json_list(DEPTH + 1), b'{"a": [{}, ' + json_map(DEPTH) + b"]}"],
                         ids=["mappings", "lists", "empty-object-inside"])
def test_json_one_level_deeper_is_a_parse_error(data, keyed):
    with pytest.raises(ParseError) as info:
        _encrypt(data, "json", keyed)
    assert info.value.exit_code == 2
    assert "exceeded max depth of 10000" in str(info.value)


def test_deep_json_in_an_encrypted_file_is_a_parse_error(keyed):
    encrypted = _encrypt(json_map(DEPTH), "json", keyed).decode()
    hostile = encrypted.replace('"a": ', '"a": {"b": ', 1).replace('\n\t"sops"', '}\n\t"sops"', 1)
    _, env = keyed
    with pytest.raises(ParseError) as info:
        sealfile.decrypt_data(hostile.encode(), input_type="json", config=False, env=env)
    assert "exceeded max depth of 10000" in str(info.value)


# go-yaml counts block and flow nesting separately, from its scanner's tokens; the messages name
# the line go-yaml names (checked against sops, for the plain file and with a comment line on top)
_REFUSED = "yaml: {}exceeded max depth of 10000"
YAML_DEPTHS = [
    # (document, accepted, go-yaml's message when refused: as it is, with "# c" above)
    pytest.param(b"a:\n  " + b"- " * (DEPTH - 1) + b"[" * DEPTH + b"x" + b"]" * DEPTH + b"\n", True, (),
                 id="10000-block-and-10000-flow"),
    pytest.param(b"a:\n  " + b"- " * DEPTH + b"x\n", False, ("line 2: ", "line 2: "), id="10001-block"),
    pytest.param(yaml_list(DEPTH + 2), False, ("", "line 2: "), id="10001-flow"),
    pytest.param(b"a: [b: [c: " + b"[" * (DEPTH - 2) + b"x" + b"]" * DEPTH + b"\n", True, (),
                 id="flow-pairs-are-not-flow-levels"),
    pytest.param(b"a: [b: [c: " + b"[" * (DEPTH - 1) + b"x" + b"]" * (DEPTH + 1) + b"\n", False,
                 ("", "line 2: "), id="flow-pairs-10001"),
    pytest.param(b"a:\n- " + b"- " * (DEPTH - 1) + b"x\n", True, (), id="indentless-list-is-not-a-level"),
    pytest.param(b"a:\n- " + b"- " * DEPTH + b"x\n", False, ("line 2: ", "line 2: "), id="indentless-10001"),
    pytest.param(b"a:\n    b:\n        c:\n            " + b"- " * (DEPTH - 2) + b"x\n", False,
                 ("line 3: ", "line 4: "), id="stale-key-line"),
]


@pytest.mark.parametrize("commented", [False, True], ids=["fast-reader", "comment-reader"])
@pytest.mark.parametrize("data,accepted,where", YAML_DEPTHS)
def test_yaml_depth_is_counted_as_go_yaml_counts_it(data, accepted, where, commented):
    data = b"# c\n" + data if commented else data
    if accepted:
        docs = YamlStore().load_plain(data)
        assert docs[0].find("a") >= 0
        return
    with pytest.raises(ParseError) as info:
        YamlStore().load_plain(data)
    assert str(info.value) == _REFUSED.format(where[commented])


def test_yaml_depth_error_on_decrypt_is_worded_and_coded_as_sops(keyed):
    encrypted = _encrypt(b"a:\n  " + b"- " * (DEPTH - 1) + b"x\n", "yaml", keyed)
    hostile = encrypted.replace(b"- - ", b"- - - ", 1)
    _, env = keyed
    with pytest.raises(ParseError) as info:
        sealfile.decrypt_data(hostile, input_type="yaml", config=False, env=env)
    assert str(info.value) == "Error unmarshalling input yaml: yaml: line 2: exceeded max depth of 10000"
    assert info.value.exit_code == ExitCode.GENERIC  # sops: exit 1 for unreadable encrypted YAML


@pytest.mark.parametrize("commented", [False, True], ids=["fast-reader", "comment-reader"])
def test_an_alias_copies_a_value_at_the_depth_limit(commented):
    data = b"a: &x " + b"[" * (DEPTH - 1) + b"v" + b"]" * (DEPTH - 1) + b"\nb: *x\n"
    doc = YamlStore().load_plain(b"# c\n" + data if commented else data)[0]
    a, b = doc.get("a"), doc.get("b")
    for _ in range(DEPTH - 1):
        assert a is not b  # a copy, not the same lists
        a, b = a[0], b[0]
    assert a == b == "v"


def test_deep_yaml_converts_to_json_and_ini(keyed):
    _, env = keyed
    encrypted = _encrypt(b"s:\n  " + yaml_map(DEPTH - 1), "yaml", keyed)
    as_json = sealfile.decrypt_data(encrypted, input_type="yaml", output_type="json", config=False, env=env)
    assert as_json.count(b"{") == DEPTH
    as_ini = sealfile.decrypt_data(encrypted, input_type="yaml", output_type="ini", config=False, env=env)
    assert as_ini == b"[s]\na = " + b"[{a " * (DEPTH - 2) + b"v" + b"}]" * (DEPTH - 2) + b"\n"  # Go's %v, as sops


def test_yaml_deeper_than_json_allows_is_an_emit_error_like_sops(keyed):
    # 10,000 block plus 10,000 flow levels are fine in YAML; JSON output stops at 10,000 as sops's does
    data = b"a:\n  " + b"- " * (DEPTH - 1) + b"[" * DEPTH + b"x" + b"]" * DEPTH + b"\n"
    key, env = keyed
    with pytest.raises(EmitError) as info:
        sealfile.encrypt_data(data, input_type="yaml", output_type="json", age=key.recipient, config=False,
                              env=env)
    assert info.value.exit_code == 4
    assert "exceeded max depth of 10000" in str(info.value)


def test_extracting_a_deep_list_as_ini_writes_go_json(keyed):
    _, env = keyed
    encrypted = _encrypt(json_list(DEPTH), "json", keyed)
    out = sealfile.decrypt_data(encrypted, input_type="json", output_type="ini", extract='["a"]', config=False,
                                env=env)
    assert out == b"[" * (DEPTH - 1) + b'"v"' + b"]" * (DEPTH - 1)


@pytest.mark.parametrize("fmt", ["json", "yaml", "dotenv"])
def test_deep_unknown_sops_metadata_is_ignored_without_recursion(fmt, keyed):
    """An attacker controls the metadata too: a deeply nested extra entry must not crash the reader."""
    _, env = keyed
    encrypted = _encrypt({"json": b'{"a": "b"}', "yaml": b"a: b\n", "dotenv": b"a=b\n"}[fmt], fmt, keyed)
    if fmt == "json":
        hostile = encrypted.replace(b'"sops": {', b'"sops": {"x": ' + json_list(DEPTH - 2) + b",", 1)
    elif fmt == "yaml":
        deep = b"[" * (DEPTH - 2) + b"v" + b"]" * (DEPTH - 2)
        hostile = encrypted.replace(b"\nsops:\n", b"\nsops:\n    x: " + deep + b"\n", 1)
    else:
        hostile = encrypted + b"sops_x" + b"__list_0" * DEPTH + b"=1\n"
    plain = sealfile.decrypt_data(hostile, input_type=fmt, config=False, env=env)
    assert plain == {"json": b'{\n\t"a": "b"\n}\n', "yaml": b"a: b\n", "dotenv": b"a=b\n"}[fmt]


def test_config_with_deeply_merged_key_groups(tmp_path):
    recipient = make_age_key(tmp_path).recipient
    group = "{merge: [" * 3000 + f"{{age: [{recipient}]}}" + "]}" * 3000
    cfg = parse_config(f"creation_rules: [{{key_groups: [{group}]}}]\n".encode())
    assert cfg.rule_for("x.yaml").key_groups == ((("age", recipient),),)


def test_set_and_unset_at_the_depth_limit():
    doc = Mapping([["a", None]])
    path = ["a"] * (DEPTH - 1)
    assert set_in_tree(doc, path, parse_value(json_map(DEPTH - 1)))  # creates 9,998 mappings on the way
    assert not set_in_tree(doc, path, parse_value(json_map(DEPTH - 1)))  # an equal value, compared at any depth
    unset_in_tree(doc, path + ["a"] * (DEPTH - 1))  # the innermost "a": "v"
    node, levels = doc, 0
    while node:
        node, levels = node.get("a"), levels + 1
    # doc's "a", the 9,998 mappings set created, the value's 9,998 levels down to its emptied innermost one
    assert node == Mapping() and levels == 1 + 2 * (DEPTH - 2)
    with pytest.raises(InvalidSetFormat):
        parse_value(json_map(DEPTH + 1))


def test_editing_a_deep_json_file_keeps_it(keyed, tmp_path):
    _, env = keyed
    path = tmp_path / "deep.json"
    path.write_bytes(_encrypt(json_map(DEPTH - 1)[:-1] + b', "n": 2.0}', "json", keyed))
    session = start_edit(path, env=env)
    encrypted = session.apply(session.initial)  # an unchanged number keeps its float type, at any depth
    assert sealfile.decrypt_data(encrypted, input_type="json", config=False, env=env) == session.initial


def test_no_recursion_error_escapes_the_api(keyed):
    for fmt, data in (("json", json_map(50 * DEPTH)), ("yaml", yaml_list(50 * DEPTH))):
        with pytest.raises(SealfileError) as info:
            _encrypt(data, fmt, keyed)
        assert "exceeded max depth of 10000" in str(info.value)
