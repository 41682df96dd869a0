"""JsonStore against the sops 3.11 vectors and Go encoding/json behaviour observed with the binary."""
from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from sealfile.errors import EmitError, MetadataError, MetadataNotFound, ParseError
from sealfile.stores.json import JsonStore
from sealfile.core.tree import Comment, Mapping, Timestamp

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"


def read(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def dump(node: Mapping, **kw) -> bytes:
    return JsonStore(**kw).dump_plain([node])


# --- vectors ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["age.enc.json", "age.types.enc.json", "age.enc.bin.json"])
def test_encrypted_vectors_round_trip_byte_exact(name: str) -> None:
    store = JsonStore()
    data = read(name)
    docs, metadata = store.load_encrypted(data)
    assert all(k != "sops" for k, _ in docs[0])
    assert metadata.get("version") == "3.11.0"
    assert store.dump_encrypted(docs, metadata) == data


@pytest.mark.parametrize("name", ["age.decrypted.json", "age.types.decrypted.json"])
def test_decrypted_vectors_round_trip(name: str) -> None:
    data = read("decrypted/" + name)
    assert JsonStore().dump_plain(JsonStore().load_plain(data)) == data


@pytest.mark.parametrize("plain,decrypted", [
    ("plain.json", "decrypted/age.decrypted.json"),
    ("plain.types.json", "decrypted/age.types.decrypted.json"),
])
def test_plaintext_is_rewritten_like_sops(plain: str, decrypted: str) -> None:
    # 2.0 -> 2, 1e20 -> 100000000000000000000, <a&b> escaped, 9007199254740993 -> ...992
    assert JsonStore().dump_plain(JsonStore().load_plain(read(plain))) == read(decrypted)


# --- reading ---------------------------------------------------------------

def test_duplicate_keys_and_order_are_kept() -> None:
    doc = JsonStore().load_plain(b'{"b": 1, "a": 2, "b": 3}')[0]
    assert [k for k, _ in doc] == ["b", "a", "b"]
    assert [v for _, v in doc] == [1, 2, 3]
    assert dump(doc) == b'{\n\t"b": 1,\n\t"a": 2,\n\t"b": 3\n}\n'


def test_number_types() -> None:
    doc = JsonStore().load_plain(
        b'{"i": 5432, "n": -7, "f": 1.5, "w": 2.0, "e": 1e3, "z": -0, '
        b'"max_exact": 9007199254740991, "big": 9007199254740993, "huge": 123456789012345678901234567890}'
    )[0]
    values = dict(doc)
    assert values["i"] == 5432 and type(values["i"]) is int
    assert values["n"] == -7 and type(values["n"]) is int
    assert type(values["f"]) is float and type(values["w"]) is float and type(values["e"]) is float
    assert type(values["z"]) is float and math.copysign(1.0, values["z"]) == -1.0
    assert values["max_exact"] == 2**53 - 1 and type(values["max_exact"]) is int
    assert values["big"] == 9007199254740992.0 and type(values["big"]) is float
    assert type(values["huge"]) is float
    assert dump(doc).splitlines()[-3:] == [b'\t"big": 9007199254740992,', b'\t"huge": 1.2345678901234568e+29', b"}"]


@pytest.mark.parametrize("data", [
    b'{"a": 1e400}', b'{"a": -1e400}', b'{"a": NaN}', b'{"a": Infinity}', b'{"a": ' + b"9" * 400 + b"}",
    b"[1]", b'"text"', b"", b"  \n", b'{"a": 1', b'{"a": [1,]}', b'{"a": 1,}', b'{"a" 1}', b"{a: 1}",
    b'{"a": 01}', b'\xef\xbb\xbf{"a": 1}', b'{"a": "tab\there"}',
])
def test_invalid_input_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError) as info:
        JsonStore().load_plain(data)
    assert info.value.exit_code == 2


def test_parse_error_does_not_echo_the_value() -> None:
    with pytest.raises(ParseError) as info:
        JsonStore().load_plain(b'{"password": "hunter2" "x": 1}')
    assert "hunter2" not in str(info.value)


def test_text_after_the_object_is_ignored_in_plaintext_but_not_in_encrypted_files() -> None:
    assert JsonStore().load_plain(b'{"a": 1} trailing {')[0] == Mapping([["a", 1]])
    with pytest.raises(ParseError):
        JsonStore().load_encrypted(b'{"a": 1, "sops": {"version": "3.11.0"}} trailing')


def test_invalid_utf8_and_lone_surrogates_become_replacement_characters() -> None:
    doc = JsonStore().load_plain(b'{"a": "\xff\xe2\x82x", "b": "\\ud800x", "c": "\\ud83d\\ude00", "\\udc00": 1}')[0]
    assert doc.get("a") == "\ufffd\ufffd\ufffdx"  # one U+FFFD per invalid byte, as Go
    assert doc.get("b") == "\ufffdx"
    assert doc.get("c") == "\U0001F600"
    assert doc[3][0] == "\ufffd"


# --- writing ---------------------------------------------------------------

def test_string_escaping_matches_go() -> None:
    doc = Mapping([["<k>&", "\b\f\x01\x7f\t\r\n\"\\/ \u2028\u2029 é ☃ \ufffd"]])
    assert dump(doc) == (
        b'{\n\t"\\u003ck\\u003e\\u0026": "\\b\\f\\u0001\x7f\\t\\r\\n\\"\\\\/ \\u2028\\u2029 '
        + "é ☃ \ufffd".encode() + b'"\n}\n'
    )


def test_raw_bytes_that_are_not_utf8_are_written_as_escaped_replacement() -> None:
    doc = Mapping([["a", b"x\xffy".decode("utf-8", "surrogateescape")]])
    assert dump(doc) == b'{\n\t"a": "x\\ufffdy"\n}\n'


def test_floats_ints_and_other_scalars() -> None:
    doc = Mapping([["a", 1e21], ["b", 1.5e-7], ["c", -0.0], ["d", 2.0], ["e", 1e20], ["f", 0.1], ["g", 7],
                   ["h", True], ["i", None], ["t", Timestamp.parse_rfc3339("2006-01-02T15:04:05.120+07:06")]])
    assert dump(doc, indent=0) == (
        b'{\n"a": 1e+21,\n"b": 1.5e-7,\n"c": -0,\n"d": 2,\n"e": 100000000000000000000,\n"f": 0.1,\n"g": 7,\n'
        b'"h": true,\n"i": null,\n"t": "2006-01-02T15:04:05.12+07:06"\n}\n'
    )


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_inf_and_nan_cannot_be_written(value: float) -> None:
    with pytest.raises(EmitError) as info:
        dump(Mapping([["a", value]]))
    assert info.value.exit_code == 4


def test_layout_empty_containers_comments_and_indent() -> None:
    doc = Mapping([
        [Comment("dropped"), None],
        ["m", Mapping([[Comment("only a comment"), None]])],
        ["l", [Comment("x"), []]],
        ["n", Mapping([["k", [1, Mapping()]]])],
    ])
    assert dump(doc, indent=2) == (
        b'{\n  "m": {},\n  "l": [\n    []\n  ],\n  "n": {\n    "k": [\n      1,\n      {}\n    ]\n  }\n}\n'
    )
    assert dump(doc, indent=-1) == dump(doc) and dump(doc).startswith(b'{\n\t"m"')
    assert dump(Mapping()) == b"{}\n"
    with pytest.raises(EmitError):
        dump(doc, indent=-2)


def test_metadata_is_the_last_key_with_the_flux_marker() -> None:
    store = JsonStore()
    out = store.dump_encrypted([Mapping([["a", "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"]])],
                               Mapping([["mac", "ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]"], ["version", "3.11.0"]]))
    assert b'"mac": "ENC[' in out
    assert out.endswith(b'\t"sops": {\n\t\t"mac": "ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]",\n'
                        b'\t\t"version": "3.11.0"\n\t}\n}\n')


def test_load_encrypted_metadata_cases() -> None:
    store = JsonStore()
    docs, md = store.load_encrypted(b'{"a": 1, "sops": {"shamir_threshold": 2, "version": "3.11.0"}}')
    assert docs == [Mapping([["a", 1]])]
    assert md.get("shamir_threshold") == 2 and type(md.get("shamir_threshold")) is int
    with pytest.raises(MetadataNotFound, match="sops metadata not found"):
        store.load_encrypted(b'{"a": 1}')
    with pytest.raises(MetadataNotFound):
        store.load_encrypted(b'{"a": 1, "sops": null}')
    with pytest.raises(MetadataError):
        store.load_encrypted(b'{"a": 1, "sops": 5}')


def test_dump_value_for_extract() -> None:
    # sops decrypt --extract: a map is a document (newline), anything else has no newline
    store = JsonStore()
    assert store.dump_value(Mapping([["k", 1]])) == b'{\n\t"k": 1\n}\n'
    assert store.dump_value(5432) == b"5432"
    assert store.dump_value(5432.0) == b"5432"
    assert store.dump_value(True) == b"true"
    assert store.dump_value(None) == b"null"
    assert store.dump_value(["x", Mapping([["k", "v"]])]) == b'[\n\t"x",\n\t{\n\t\t"k": "v"\n\t}\n]'


def test_has_metadata() -> None:
    store = JsonStore()
    assert store.has_metadata(store.load_plain(b'{"a": 1, "sops": {}}'))
    assert not store.has_metadata(store.load_plain(b'{"a": {"sops": 1}, "sops_x": 2}'))


def test_ten_thousand_values_load_and_dump_quickly() -> None:
    body = ", ".join(f'"k{i}": {{"s": "v{i}<&>", "n": {i}, "f": {i / 7}, "b": true, "l": [1, "x", null]}}'
                     for i in range(1400))
    data = ("{" + body + "}").encode()
    store = JsonStore()
    start = time.perf_counter()
    out = store.dump_plain(store.load_plain(data))
    elapsed = time.perf_counter() - start
    assert out.count(b"\n") > 10_000
    assert elapsed < 0.5
