"""IniStore against the sops 3.11 vectors and go-ini v1.67 behaviour observed through the sops binary."""
from __future__ import annotations

from pathlib import Path

import pytest

from sealfile.errors import EmitError, MetadataNotFound, ParseError
from sealfile.stores.ini import IniStore
from sealfile.core.tree import Comment, Mapping

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"


def read(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def tree(data: bytes) -> Mapping:
    return IniStore().load_plain(data)[0]


def rewrite(data: bytes) -> bytes:
    return IniStore().dump_plain(IniStore().load_plain(data))


def split_sops(data: bytes) -> tuple[bytes, list[bytes]]:
    head, _, meta = data.partition(b"[sops]\n")
    return head, meta.splitlines()


# --- vectors ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["age.enc.ini", "age.edge.enc.ini"])
def test_encrypted_vectors_round_trip(name: str) -> None:
    store = IniStore()
    data = read(name)
    docs, metadata = store.load_encrypted(data)
    assert all(k != "sops" for k, _ in docs[0])
    assert metadata.get("version") == "3.11.0"
    assert "\n" in metadata.get("age")[0].get("enc")  # \n escapes decoded
    out = store.dump_encrypted(docs, metadata)
    head, meta = split_sops(data)
    out_head, out_meta = split_sops(out)
    assert out_head == head  # the data part is byte-exact
    assert sorted(out_meta) == sorted(meta)  # sops 3.11's metadata order is random
    assert out_meta == sorted(out_meta)  # sealfile writes it sorted
    assert out.endswith(b"\nversion                    = 3.11.0\n")


@pytest.mark.parametrize("name", ["age.decrypted.ini", "age.edge.decrypted.ini"])
def test_decrypted_vectors_round_trip(name: str) -> None:
    data = read("decrypted/" + name)
    assert rewrite(data) == data


@pytest.mark.parametrize("plain,decrypted", [
    ("plain.ini", "decrypted/age.decrypted.ini"),
    ("plain.edge.ini", "decrypted/age.edge.decrypted.ini"),
])
def test_plain_files_are_rewritten_like_sops(plain: str, decrypted: str) -> None:
    # aligned '=', '#' comments become ';', inline comments move above their key, quotes dropped
    assert rewrite(read(plain)) == read(decrypted)


def test_edge_vector_tree() -> None:
    doc = tree(read("plain.edge.ini"))
    assert [k for k, _ in doc] == ["DEFAULT", "s1", "s1"]
    assert doc[0][1] == Mapping([["top", "1"]])
    assert doc[1][1] == Mapping([
        [Comment("section comment"), None], ["k1", "v1"], [Comment("inline comment"), None],
        ["k2", "quoted"], ["k3", "with = eq"], [Comment("hash comment"), None],
    ])
    assert doc[2][1] == Mapping([["k4", "duplicate section"]])


def test_empty_default_section_is_always_first() -> None:
    doc = tree(read("plain.ini"))
    assert doc[0] == ["DEFAULT", Mapping()]
    assert doc[1][1][0] == [Comment("top"), None]


# --- go-ini value rules ----------------------------------------------------

def test_value_rules() -> None:
    doc = tree(
        b"[s]\n"
        b"q = \"a;b\"\n"            # ';' starts a comment even inside double quotes
        b"r = 'single'\n"
        b"t = 'it''s'\n"           # more than one quote inside: kept
        b"d = \"\"\"multi\nline\"\"\" ; after\n"
        b"e = `back;tick#`\n"
        b"k = v \\\n  cont \\\n  more\n"
        b"c : colon\n"
        b"a = 1\na = 2\n"          # a repeated key keeps its place and takes the last value
        b"- = auto\n"
        b"sp = \"  x  \"\n"
        b"empty =\n"
    )[1][1]
    assert doc == Mapping([
        ["q", '"a'], [Comment('b"'), None], ["r", "single"], ["t", "'it''s'"],
        ["d", "multi\nline"], [Comment("after"), None], ["e", "back;tick#"], ["k", "v cont more"],
        ["c", "colon"], ["a", "2"], ["#1", "auto"], ["sp", "  x  "], ["empty", ""],
    ])


def test_comments_attach_to_the_next_key_or_section() -> None:
    doc = tree(b"; c1\n# c2\n[s] ; on header\n;; k comment\nk = v ; inline\n; lost at end of file\n")
    assert doc[1] == ["s", Mapping([
        [Comment("c1\n# c2\n; on header"), None], ["k", "v"], [Comment("k comment\n; inline"), None],
    ])]
    assert rewrite(b"; c1\n# c2\n[s] ; on header\n;; k comment\nk = v ; inline\n") == (
        b"; c1\n# c2\n; on header\n[s]\n; k comment\n; inline\nk = v\n"
    )


def test_unicode_keys_align_by_bytes_and_whitespace_follows_go() -> None:
    out = rewrite(b"[s]\n\xc3\xa9 = 1\nab = 2\nk = \x1cv\n")
    assert out == b"[s]\n\xc3\xa9 = 1\nab = 2\nk  = \x1cv\n"  # \x1c is not space for Go


@pytest.mark.parametrize("data,line", [
    (b"[s]\na = 1\nno delimiter\n", 3), (b"[s\n", 1), (b"[]\n", 1), (b"= 1\n", 1),
    (b"[s]\n\"open = 1\n", 2), (b"[s]\nd = \"\"\"never closed\nsecret\n", 2),
])
def test_parse_errors_name_the_line_not_the_content(data: bytes, line: int) -> None:
    with pytest.raises(ParseError) as info:
        IniStore().load_plain(data)
    assert f"line {line}" in str(info.value)
    assert "secret" not in str(info.value) and "delimiter\n" not in str(info.value)
    assert info.value.exit_code == 2


# --- writing ---------------------------------------------------------------

def test_writer_quoting_and_alignment() -> None:
    doc = Mapping([["s", Mapping([
        ["a", "x;y"], ["b", "l1\nl2"], ["c", " pad "], ["d", "back`tick"], ["k=q", "1"], ['k"q', "2"], ["k`b", "3"],
    ])]])
    assert IniStore().dump_plain([doc]) == (
        b"[s]\n"
        b"a         = `x;y`\n"
        b'b         = """l1\nl2"""\n'
        b'c         = " pad "\n'
        b'd         = """back`tick"""\n'
        b"`k=q`     = 1\n"
        b'`k"q`     = 2\n'
        b'"""k`b""" = 3\n'
    )
    assert rewrite(IniStore().dump_plain([doc])) == IniStore().dump_plain([doc])


def test_writer_default_section_and_blank_lines() -> None:
    store = IniStore()
    assert store.dump_plain([Mapping([["DEFAULT", Mapping([["a", "1"]])], ["s", Mapping()]])]) == b"a = 1\n\n[s]\n"
    assert store.dump_plain([Mapping([["DEFAULT", Mapping()], ["s", Mapping([["a", "1"]])]])]) == b"[s]\na = 1\n"
    assert store.dump_plain([Mapping([["s", Mapping()], ["DEFAULT", Mapping([["b", "2"]])]])]) == (
        b"[s]\n\n[DEFAULT]\nb = 2\n"
    )


def test_writer_comment_placement_like_sops() -> None:
    # the tree sops 3.11 builds for a YAML map `x:` with comments; observed with
    # `sops decrypt --output-type ini`: first comment is the section's, a comment
    # with no key before it is lost, the last comment after a key wins
    doc = Mapping([["x", Mapping([
        [Comment("  c0"), None], [Comment(" c1"), None], ["a", 1], [Comment(" c2"), None],
        [Comment(" c3"), None], ["b", 2], [Comment(" c4"), None],
    ])]])
    assert IniStore().dump_plain([doc]) == b";   c0\n[x]\n; c3\na = 1\n; c4\nb = 2\n"


def test_writer_non_string_values_and_errors() -> None:
    doc = Mapping([["s", Mapping([["f", 2.0], ["n", None], ["t", True], ["m", Mapping([["x", [1, "y"]]])]])]])
    assert IniStore().dump_plain([doc]) == b"[s]\nf = 2.0\nn = <nil>\nt = true\nm = [{x [1 y]}]\n"
    for bad in (Mapping([["top", "1"]]), Mapping([["", Mapping()]]), Mapping([["s", Mapping([["", "v"]])]])):
        with pytest.raises(EmitError) as info:
            IniStore().dump_plain([bad])
        assert info.value.exit_code == 4


# --- metadata --------------------------------------------------------------

def test_metadata_with_real_newlines_reads_like_escaped_newlines() -> None:
    escaped = read("age.enc.ini")
    head, _, meta = escaped.partition(b"[sops]\n")
    lines = []
    for line in meta.splitlines():
        key, _, value = line.partition(b" = ")
        if b"\\n" in value:  # the sops 3.13.0/3.13.1 form
            value = b'"""' + value.replace(b"\\n", b"\n") + b'"""'
        lines.append(key + b" = " + value)
    multiline = head + b"[sops]\n" + b"\n".join(lines) + b"\n"
    assert multiline != escaped
    assert IniStore().load_encrypted(multiline)[1] == IniStore().load_encrypted(escaped)[1]


def test_missing_metadata_and_has_metadata() -> None:
    store = IniStore()
    with pytest.raises(MetadataNotFound, match="sops metadata not found"):
        store.load_encrypted(read("plain.ini"))
    assert store.has_metadata(store.load_plain(read("age.enc.ini")))
    assert not store.has_metadata(store.load_plain(read("plain.ini")))


def test_dump_encrypted_has_the_flux_marker_and_sorted_keys() -> None:
    md = Mapping([["version", "3.11.0"], ["mac", "ENC[m]"], ["age", [Mapping([["recipient", "r"], ["enc", "a\nb"]])]]])
    out = IniStore().dump_encrypted([Mapping([["DEFAULT", Mapping()], ["s", Mapping([["k", "v"]])]])], md)
    assert out == (
        b"[s]\nk = v\n\n[sops]\n"
        b"age__list_0__map_enc       = a\\nb\n"
        b"age__list_0__map_recipient = r\n"
        b"mac                        = ENC[m]\n"
        b"version                    = 3.11.0\n"
    )


def test_dump_value_for_extract() -> None:
    # observed: sops decrypt --extract '["list"]' --output-type ini prints json.Marshal of sops's types
    value = ["one", 2.0, 3.5, Mapping([["nested", Mapping([["key", "deep"]])]]), ["x", "y"]]
    assert IniStore().dump_value(value) == (
        b'["one",2,3.5,[{"Key":"nested","Value":[{"Key":"key","Value":"deep"}]}],["x","y"]]'
    )
    assert IniStore().dump_value(5432.0) == b"5432"
    with pytest.raises(EmitError):  # a section's keys are not sections
        IniStore().dump_value(Mapping([["k", "v"]]))
