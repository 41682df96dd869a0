"""DotenvStore against the sops 3.11 vectors and the literal line semantics of spec §5.6."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from sealfile.errors import EmitError, MetadataNotFound, ParseError
from sealfile.stores.dotenv import DotenvStore, val_to_string
from sealfile.core.tree import Comment, Mapping, Timestamp

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"


def read(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


@pytest.mark.parametrize("name", ["age.enc.env", "age.edge.enc.env"])
def test_encrypted_vectors_round_trip_byte_exact(name: str) -> None:
    store = DotenvStore()
    data = read(name)
    docs, metadata = store.load_encrypted(data)
    assert not any(isinstance(k, str) and k.startswith("sops_") for k, _ in docs[0])
    assert metadata.get("age")[0].get("recipient") == "age12793gm6ut7lyat2s3nq8arw8uwg7wa3twc8pfv08qj2y7xqfe4yqza9hv4"
    assert metadata.get("age")[0].get("enc").endswith("-----END AGE ENCRYPTED FILE-----\n")
    assert store.dump_encrypted(docs, metadata) == data


@pytest.mark.parametrize("name", ["age.decrypted.env", "age.edge.decrypted.env"])
def test_decrypted_vectors_round_trip(name: str) -> None:
    data = read("decrypted/" + name)
    assert DotenvStore().dump_plain(DotenvStore().load_plain(data)) == data


def test_plain_files_are_rewritten_like_sops() -> None:
    store = DotenvStore()
    assert store.dump_plain(store.load_plain(read("plain.env"))) == read("decrypted/age.decrypted.env")
    # the blank line of plain.edge.env is dropped
    assert store.dump_plain(store.load_plain(read("plain.edge.env"))) == read("decrypted/age.edge.decrypted.env")


def test_nothing_is_trimmed_or_unquoted() -> None:
    doc = DotenvStore().load_plain(b'export A=1\nB = 2\nC="x"\nD=x=y\n#  c\nE=a # b\nF=\nG=l1\\nl2\nH=v\r\n')[0]
    assert doc == Mapping([
        ["export A", "1"], ["B ", " 2"], ["C", '"x"'], ["D", "x=y"], [Comment("  c"), None],
        ["E", "a # b"], ["F", ""], ["G", "l1\nl2"], ["H", "v\r"],
    ])


@pytest.mark.parametrize("data,line", [(b"A=1\nnot a pair\n", 2), (b"A=1\n\n  # indented comment\n", 3)])
def test_line_without_equals_is_a_parse_error_naming_the_line(data: bytes, line: int) -> None:
    with pytest.raises(ParseError) as info:
        DotenvStore().load_plain(data)
    message = str(info.value)
    assert "invalid dotenv input line" in message and str(line) in message
    assert "not a pair" not in message and "indented" not in message
    assert info.value.exit_code == 2


def test_metadata_keys_anywhere_in_the_file() -> None:
    docs, md = DotenvStore().load_encrypted(b"sops_version=3.11.0\nA=1\n#c\nsops_age__list_0__map_enc=x\\ny\n")
    assert docs == [Mapping([["A", "1"], [Comment("c"), None]])]
    assert md == Mapping([["version", "3.11.0"], ["age", [Mapping([["enc", "x\ny"]])]]])
    with pytest.raises(MetadataNotFound, match="sops metadata not found"):
        DotenvStore().load_encrypted(b"A=1\n")


def test_dump_encrypted_appends_sorted_flattened_metadata() -> None:
    md = Mapping([["version", "3.11.0"], ["mac", "ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]"],
                  ["age", [Mapping([["recipient", "age1x"], ["enc", "a\nb\n"]])]], ["shamir_threshold", 2],
                  ["mac_only_encrypted", True], ["pgp", []]])
    out = DotenvStore().dump_encrypted([Mapping([["A", "v"]])], md)
    assert out == (
        b"A=v\nsops_age__list_0__map_enc=a\\nb\\n\nsops_age__list_0__map_recipient=age1x\n"
        b"sops_mac=ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]\nsops_mac_only_encrypted=true\n"
        b"sops_shamir_threshold=2\nsops_version=3.11.0\n"
    )
    assert b"sops_mac=ENC[" in out


def test_nested_values_cannot_be_written() -> None:
    for value in (Mapping([["k", "v"]]), ["a"]):
        with pytest.raises(EmitError) as info:
            DotenvStore().dump_plain([Mapping([["A", value]])])
        assert info.value.exit_code == 4


def test_non_string_values_are_written_like_sops_valtostring() -> None:
    # observed: sops decrypt --output-type dotenv of a JSON file (numbers are float64 in 3.11)
    doc = Mapping([["port", 5432.0], ["big", 1e20], ["ratio", 0.75], ["small", 1e-7], ["n", None], ["t", True],
                   ["i", 5], ["ts", Timestamp.parse_rfc3339("2024-01-01T10:00:00.123456789+02:00")]])
    assert DotenvStore().dump_plain([doc]) == (
        b"port=5432.0\nbig=1E+20\nratio=0.75\nsmall=1E-07\nn=<nil>\nt=true\ni=5\nts=2024-01-01T10:00:00+02:00\n"
    )
    assert val_to_string(float("inf")) == "+Inf" and val_to_string(-0.0) == "-0.0"


def test_non_utf8_bytes_survive() -> None:
    data = b"A=\xff\xfe\n#\x80\n"
    assert DotenvStore().dump_plain(DotenvStore().load_plain(data)) == data


def test_dump_value_and_has_metadata() -> None:
    store = DotenvStore()
    assert store.dump_value("raw\nvalue") == b"raw\nvalue"
    assert store.dump_value(Mapping([["A", "1"]])) == b"A=1\n"
    with pytest.raises(EmitError):
        store.dump_value(5)
    assert store.has_metadata(store.load_plain(b"A=1\nsops_version=3\n"))
    assert not store.has_metadata(store.load_plain(b"A=1\nsops=2\nSOPS_X=1\n"))


def test_ten_thousand_values_load_and_dump_quickly() -> None:
    data = "".join(f"KEY_{i}=value {i}\\nsecond line\n" for i in range(10_000)).encode()
    store = DotenvStore()
    start = time.perf_counter()
    out = store.dump_plain(store.load_plain(data))
    elapsed = time.perf_counter() - start
    assert out == data
    assert elapsed < 0.5
