"""Metadata parsing/writing and the public Python API (no CLI involved)."""
from __future__ import annotations

import json

import pytest

import sealfile
from conftest import VECTORS, make_age_key
from sealfile.errors import (AlreadyEncrypted, ConfigError, EmptyDocument, MacMismatch, MetadataError,
                             MetadataNotFound, NoKeyCouldDecrypt)
from sealfile.core.metadata import LAYOUT_311, LAYOUT_313, Metadata
from sealfile.stores.json import JsonStore
from sealfile.core.tree import from_python


def _meta_tree(path):
    _, tree = JsonStore().load_encrypted((VECTORS / path).read_bytes())
    return tree


def test_vector_metadata_round_trips_in_311_layout():
    tree = _meta_tree("age.enc.json")
    meta = Metadata.from_tree(tree)
    assert meta.layout == LAYOUT_311
    assert meta.version == "3.11.0"
    assert meta.selector.kind == "unencrypted_suffix"
    assert [e.key.type_name for e in meta.key_groups[0]] == ["age"]
    assert meta.to_tree(for_json=True) == tree


def test_313_layout_is_detected_and_kept_sorted():
    tree = _meta_tree("age.enc.json")
    data = json.loads(JsonStore().dump_encrypted([from_python({"a": 1})], tree))["sops"]
    age = data["age"][0]
    data["age"] = [{"enc": age["enc"], "recipient": age["recipient"]}]
    sorted_tree = from_python(dict(sorted(data.items())))
    meta = Metadata.from_tree(sorted_tree)
    assert meta.layout == LAYOUT_313
    out = meta.to_tree()
    assert [k for k, _ in out] == sorted(k for k, _ in out)
    assert [k for k, _ in out.get("age")[0]] == ["enc", "recipient"]


@pytest.mark.parametrize("field,value,match", [
    ("version", "3.11", "No Major.Minor.Patch"),
    ("version", "", "Version string empty"),
    ("lastmodified", 5, "lastmodified"),
    ("encrypted_regex", "x", "more than one"),
])
def test_bad_metadata_is_rejected(field, value, match):
    tree = _meta_tree("age.enc.json")
    tree.set(field, value)
    with pytest.raises(MetadataError, match=match):
        Metadata.from_tree(tree)


def test_no_keys_in_metadata():
    tree = _meta_tree("age.enc.json")
    tree.delete("age")
    with pytest.raises(MetadataError, match="No keys found"):
        Metadata.from_tree(tree)


def test_versions_sops_accepts():
    tree = _meta_tree("age.enc.json")
    for v in ("0.0.1-bogus", "2.0.0", "v3.9.0", "1.0"):
        tree.set("version", v)
        assert Metadata.from_tree(tree).version == v


@pytest.fixture
def key_env(tmp_path):
    key = make_age_key(tmp_path)
    return key, {"SOPS_AGE_KEY_FILE": str(key.key_file), "HOME": str(tmp_path)}


def test_api_round_trip_and_load(key_env, tmp_path):
    key, env = key_env
    blob = sealfile.encrypt_data(b'{"db": {"password": "p", "port": 5432}, "list": [1, true]}',
                                 input_type="json", age=key.recipient, config=False, env=env)
    assert b'"mac": "ENC[' in blob
    assert sealfile.decrypt_data(blob, input_type="json", env=env, extract='["db"]["password"]') == b"p"
    f = tmp_path / "s.json"
    f.write_bytes(blob)
    assert sealfile.load(f, env=env) == {"db": {"password": "p", "port": 5432}, "list": [1, True]}
    assert isinstance(sealfile.decrypt_file(f, env=env), str)


def test_api_errors_are_typed(key_env, tmp_path):
    key, env = key_env
    with pytest.raises(EmptyDocument):
        sealfile.encrypt_data(b"", input_type="yaml", age=key.recipient, config=False, env=env)
    blob = sealfile.encrypt_data(b"A=1\n", input_type="dotenv", age=key.recipient, config=False, env=env)
    with pytest.raises(AlreadyEncrypted):
        sealfile.encrypt_data(blob, input_type="dotenv", age=key.recipient, config=False, env=env)
    with pytest.raises(MetadataNotFound):
        sealfile.decrypt_data(b"A=1\n", input_type="dotenv", env=env)
    with pytest.raises(NoKeyCouldDecrypt) as err:
        sealfile.decrypt_data(blob, input_type="dotenv", env={"HOME": str(tmp_path)})
    assert key.recipient in err.value.report and err.value.exit_code == 128
    tampered = blob.replace(b"A=ENC", b"B=ENC")
    with pytest.raises(sealfile.errors.DecryptError):
        sealfile.decrypt_data(tampered, input_type="dotenv", env=env)
    with pytest.raises(ConfigError):
        sealfile.encrypt_data(b"A=1\n", input_type="dotenv", config=False, env=env)


def test_mac_checked_unless_ignored(key_env):
    key, env = key_env
    blob = sealfile.encrypt_data(b"A=1\nB_unencrypted=2\n", input_type="dotenv", age=key.recipient,
                                 config=False, env=env)
    edited = blob.replace(b"B_unencrypted=2", b"B_unencrypted=3")
    with pytest.raises(MacMismatch):
        sealfile.decrypt_data(edited, input_type="dotenv", env=env)
    assert b"B_unencrypted=3" in sealfile.decrypt_data(edited, input_type="dotenv", env=env, ignore_mac=True)


def test_mac_only_encrypted_allows_editing_plain_values(key_env):
    key, env = key_env
    blob = sealfile.encrypt_data(b"A=1\nB_unencrypted=2\n", input_type="dotenv", age=key.recipient,
                                 config=False, env=env, mac_only_encrypted=True)
    assert b"sops_mac_only_encrypted=true" in blob
    edited = blob.replace(b"B_unencrypted=2", b"B_unencrypted=3")
    assert b"B_unencrypted=3" in sealfile.decrypt_data(edited, input_type="dotenv", env=env)


def test_go_yaml_key_order():
    """go-yaml's natural order (what sops 3.11 writes a KMS context in), not Python's sort."""
    from sealfile.core.gofmt import go_yaml_sorted

    assert go_yaml_sorted(["a10", "a2", "~z", "_u", "B", "b"]) == ["_u", "~z", "B", "a2", "a10", "b"]
    assert go_yaml_sorted(["x10y", "x9y", "x09y", "x", "xa"]) == ["x", "x9y", "x09y", "x10y", "xa"]
    assert sorted(["a10", "a2"]) == ["a10", "a2"]  # what Go's JSON (byte order) keeps
