"""BinaryStore: opaque bytes in, sops's JSON envelope out (spec §5.8)."""
from __future__ import annotations

from pathlib import Path

import pytest

from sealfile.errors import EmitError, MetadataNotFound
from sealfile.stores.binary import BinaryStore
from sealfile.core.tree import Comment, Mapping

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"


def read(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def test_plain_bytes_round_trip_including_non_utf8() -> None:
    data = read("plain.bin")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    docs = BinaryStore().load_plain(data)
    assert [k for k, _ in docs[0]] == ["data"]
    assert isinstance(docs[0][0][1], str)
    assert BinaryStore().dump_plain(docs) == data == read("decrypted/age.bin.decrypted.bin")


def test_empty_file() -> None:
    assert BinaryStore().load_plain(b"") == [Mapping([["data", ""]])]
    assert BinaryStore().dump_plain([Mapping([["data", ""]])]) == b""


def test_encrypted_vector_round_trips_byte_exact() -> None:
    data = read("age.enc.bin.json")
    docs, metadata = BinaryStore().load_encrypted(data)
    assert [k for k, _ in docs[0]] == ["data"]
    assert metadata.get("version") == "3.11.0"
    out = BinaryStore().dump_encrypted(docs, metadata)
    assert out == data
    assert out.startswith(b'{\n\t"data": "ENC[') and b'"mac": "ENC[' in out


def test_indent_option_applies_to_the_envelope() -> None:
    out = BinaryStore(indent=2).dump_encrypted([Mapping([["data", "ENC[x]"]])], Mapping([["version", "3.11.0"]]))
    assert out == b'{\n  "data": "ENC[x]",\n  "sops": {\n    "version": "3.11.0"\n  }\n}\n'


def test_an_encrypted_file_read_as_binary_is_just_content() -> None:
    # sops encrypts an encrypted file again when told it is binary (no exit 203)
    store = BinaryStore()
    assert not store.has_metadata(store.load_plain(read("age.enc.bin.json")))
    assert store.has_metadata([Mapping([["data", "x"], ["sops", Mapping()]])])


def test_trees_without_string_data_cannot_be_written() -> None:
    store = BinaryStore()
    for docs in ([Mapping([["other", "x"]])], [Mapping([["data", 5]])], [Mapping([["data", Mapping()]])],
                 [Mapping([[Comment("data"), None]])], [], [Mapping([["data", "a"]]), Mapping([["data", "b"]])]):
        with pytest.raises(EmitError) as info:
            store.dump_plain(docs)
        assert info.value.exit_code == 4
    assert store.dump_plain([Mapping([["x", 1], ["data", "found"]])]) == b"found"


def test_dump_value_and_missing_metadata() -> None:
    store = BinaryStore()
    assert store.dump_value(Mapping([["data", "abc"]])) == b"abc"
    with pytest.raises(EmitError):
        store.dump_value(5)
    with pytest.raises(MetadataNotFound):
        store.load_encrypted(b'{"data": "x"}')
