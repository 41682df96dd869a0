"""Format-preserving YAML: encrypting a hand-written file keeps its layout, and sops agrees.

Every file of ``CORPUS`` is encrypted by sealfile; the result must

* have the plaintext's line structure: the same lines, in the same order, with
  only values and comment texts replaced by ``ENC[...]`` tokens (a block
  scalar becomes one token line), plus one ``sops:`` block at the end of
  every document, written the way sops writes it;
* decrypt with the real sops (no warning, MAC verified) to exactly what sops
  prints after encrypting the same plaintext itself, and with sealfile to
  the same bytes.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_sealfile, run_sops

CORPUS = {
    "comments-everywhere": (
        "# a comment above everything\n"
        "\n"
        "db:  # after a key\n"
        "  # above a nested key\n"
        "  user: admin   # inline, after a value\n"
        "  password: s3cr3t\n"
        "\n"
        "  # between blank lines\n"
        "\n"
        "  port: 5432\n"
        "# at the end of a nested block\n"
        "top: value\n"
        "# the very end\n"
    ),
    "indent-2-3-indentless": (
        "two:\n"
        "  a: 1\n"
        "  b:\n"
        "    c: deep\n"
        "three:\n"
        "   x: one\n"
        "   y:\n"
        "      z: two\n"
        "list:\n"
        "- first\n"
        "- second  # inline on an item\n"
        "-   spaced: item\n"
        "    other: 2\n"
        "nested:\n"
        "    - - inner\n"
        "      - inner2\n"
    ),
    "quoting": (
        "plain: value\n"
        "'single key': 'single value'\n"
        "\"double key\": \"double\\tvalue\"\n"
        "quoted_number: \"123\"\n"
        "quoted_bool: 'true'\n"
        "colon: 'a: b'\n"
        "hash: \"x # not a comment\"\n"
        "unicode: \"h\\u00e9llo\"\n"
        "emoji: caf\u00e9 \u2615\n"
    ),
    "multiline": (
        "literal: |\n"
        "  line one\n"
        "  line two\n"
        "strip: |-\n"
        "  no newline\n"
        "keep: |+\n"
        "  kept\n"
        "\n"
        "folded: >\n"
        "  folded\n"
        "  text\n"
        "\n"
        "quoted: \"first\n"
        "  second\"\n"
        "plain_multi: one\n"
        "  two\n"
        "after: end\n"
    ),
    "flow": (
        "map: {a: 1, b: two, 'c': \"three\"}\n"
        "seq: [x, y, 3]\n"
        "nested: {l: [1, {m: n}], e: []}\n"
        "empty_map: {}\n"
        "multi_line_flow: [\n"
        "  one,\n"
        "  two\n"
        "]\n"
    ),
    "documents": (
        "# first document\n"
        "a: 1\n"
        "# between documents\n"
        "---\n"
        "b: two\n"
        "...\n"
        "--- # after the marker\n"
        "# third\n"
        "c: [3]\n"
    ),
    "selectors-and-types": (
        "password: s3cr3t\n"
        "visible_unencrypted: stays as written   # note\n"
        "nested_unencrypted:\n"
        "  keep: '1'\n"
        "  also: [a, b]\n"
        "int: 42\n"
        "hex: 0x1F\n"
        "float: 1.50\n"
        "exp: 1e3\n"
        "bool: yes\n"
        "real_bool: True\n"
        "null_value: null\n"
        "tilde: ~\n"
        "empty:\n"
        "empty_string: ''\n"
        "empty_double: \"\"\n"
        "date: 2024-01-01\n"
        "timestamp: 2006-01-02T15:04:05.123456789+07:06\n"
        "tagged: !!str 123\n"
    ),
    "crlf-free-odd-spacing": (
        "key:    spaced value\n"
        "other :  x\n"
        "list:\n"
        "  -   a\n"
        "  -    b\n"
        "last: z"  # no final newline
    ),
}

#: files whose block scalars turn several plaintext lines into one token line
_COLLAPSES = {"multiline", "flow"}

_LIST_COMMENT = re.compile(r"\s*- ENC\[AES256_GCM,data:[^\]]*,type:comment\]$")
_TOKEN = re.compile(r'"?ENC\[AES256_GCM,data:[^\]]*\]"?')


def _without_metadata(text: str) -> str:
    """The encrypted text without its ``sops:`` blocks (each runs to the next document or the end)."""
    out = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith("sops:"):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


def _line_matches(plain: str, enc: str) -> bool:
    """``enc`` is ``plain`` with values or comment texts replaced by tokens."""
    if plain == enc:
        return True
    indent = len(plain) - len(plain.lstrip())
    if enc[:indent] != plain[:indent]:
        return False
    masked = _TOKEN.sub("V", enc)
    if "#" in plain and masked.rstrip().endswith("#V"):
        masked = masked.rstrip()[:-2].rstrip()
        plain = plain[:plain.index(" #") if " #" in plain else plain.index("#")].rstrip()
        if plain == masked:
            return True
    key = re.match(r"\s*(?:-\s+)*(?:'[^']*'|\"[^\"]*\"|[^:#'\"]+?)\s*:(?=\s|$)", plain)
    if key:
        return masked.startswith(key.group(0))
    return masked.strip().lstrip("- ").startswith("V") or masked.strip() == "- V"


def _encrypt(tmp_path: Path, env, key, name: str, text: str, *extra: str) -> tuple[Path, str]:
    src = tmp_path / f"{name}.yaml"
    src.write_text(text)
    proc = run_sealfile(["encrypt", "--age", key.recipient, *extra, str(src)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    out = tmp_path / f"{name}.enc.yaml"
    out.write_bytes(proc.stdout)
    return out, proc.stdout.decode()


def _sops_round_trip(sops_bin, env, tmp_path: Path, name: str, text: str, key) -> bytes:
    """What sops prints when it decrypts its own encryption of ``text``."""
    src = tmp_path / f"{name}.sops-src.yaml"
    src.write_text(text)
    enc = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(src)], env)
    assert enc.returncode == 0, enc.stderr.decode()
    mid = tmp_path / f"{name}.sops.enc.yaml"
    mid.write_bytes(enc.stdout)
    dec = run_sops(sops_bin, ["decrypt", str(mid)], env)
    assert dec.returncode == 0, dec.stderr.decode()
    return dec.stdout


@pytest.fixture
def keyed(env, age_key):
    env["SOPS_AGE_KEY_FILE"] = str(age_key.key_file)
    return env, age_key


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_encrypt_keeps_the_layout_and_sops_decrypts_it(name, keyed, sops_bin, tmp_path):
    env, key = keyed
    text = CORPUS[name]
    path, out = _encrypt(tmp_path, env, key, name, text)

    # the metadata: a block-style `sops:` key closing every document, with Flux's marker
    documents = len(re.findall(r"^---", text, re.M)) + (0 if text.startswith("---") else 1)
    assert len(re.findall(r"^sops:\n", out, re.M)) == documents
    assert len(re.findall(r"^    mac: ENC\[", out, re.M)) == documents

    body = _without_metadata(out)
    plain_lines = text.splitlines()
    enc_lines = body.splitlines()
    if name not in _COLLAPSES:
        # an inline comment on a list item is the one thing that gains a line: sops stores an
        # encrypted list comment as a list item, placed before the item it commented
        enc_lines = [e for i, e in enumerate(enc_lines)
                     if not (_LIST_COMMENT.match(e) and i + 1 < len(enc_lines)
                             and not plain_lines[min(i, len(plain_lines) - 1)].lstrip().startswith("#"))]
        assert len(enc_lines) == len(plain_lines), body
        for p, e in zip(plain_lines, enc_lines):
            assert _line_matches(p, e), (p, e)
    # no plaintext value survives unless it is unencrypted, null or empty
    assert "s3cr3t" not in out and "admin" not in out

    theirs = run_sops(sops_bin, ["decrypt", str(path)], env)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert theirs.stderr == b""  # not even "possibly unencrypted comment"
    assert theirs.stdout == _sops_round_trip(sops_bin, env, tmp_path, name, text, key)
    ours = run_sealfile(["decrypt", str(path)], env)
    assert ours.returncode == 0, ours.stderr.decode()
    assert ours.stdout == theirs.stdout


def test_multiline_values_become_one_token_line(keyed, tmp_path):
    env, key = keyed
    _, out = _encrypt(tmp_path, env, key, "multiline", CORPUS["multiline"])
    masked = _TOKEN.sub("V", _without_metadata(out))
    assert masked == ("literal: V\n"
                      "strip: V\n"
                      "keep: V\n"
                      "\n"
                      "folded: V\n"
                      "\n"
                      "quoted: V\n"
                      "plain_multi: V\n"
                      "after: V\n")


def test_flow_collections_get_quoted_tokens(keyed, tmp_path):
    env, key = keyed
    _, out = _encrypt(tmp_path, env, key, "flow", CORPUS["flow"])
    masked = re.sub(r'ENC\[AES256_GCM,data:[^\]]*\]', "V", _without_metadata(out))
    assert masked == ('map: {a: "V", b: "V", \'c\': "V"}\n'
                      'seq: ["V", "V", "V"]\n'
                      'nested: {l: ["V", {m: "V"}], e: []}\n'
                      'empty_map: {}\n'
                      'multi_line_flow: [\n'
                      '  "V",\n'
                      '  "V"\n'
                      ']\n')


def test_unencrypted_null_and_empty_values_stay_byte_identical(keyed, tmp_path):
    env, key = keyed
    _, out = _encrypt(tmp_path, env, key, "sel", CORPUS["selectors-and-types"])
    lines = out.splitlines()
    for kept in ("nested_unencrypted:", "  keep: '1'", "  also: [a, b]", "null_value: null", "tilde: ~",
                 "empty:", "empty_string: ''", 'empty_double: ""'):
        assert kept in lines
    assert any(line.startswith("visible_unencrypted: stays as written   #ENC[") for line in lines)
    assert re.search(r"^tagged: ENC\[.*type:str\]$", out, re.M)
    assert re.search(r"^bool: ENC\[.*type:str\]$", out, re.M)  # yes is a string for sops


def test_encrypted_regex_leaves_other_lines_untouched(keyed, tmp_path, sops_bin):
    env, key = keyed
    text = ("apiVersion: v1\nkind: Secret   # a k8s secret\nmetadata:\n  name: app\n\n"
            "stringData:\n  password: hunter2\n  token: abc\n")
    path, out = _encrypt(tmp_path, env, key, "k8s", text, "--encrypted-regex", "^(data|stringData)$")
    body = _without_metadata(out).splitlines()
    assert body[0] == "apiVersion: v1" and body[2:6] == ["metadata:", "  name: app", "", "stringData:"]
    assert body[1] == "kind: Secret   # a k8s secret"  # comments outside the regex stay plain too
    assert body[6].startswith("  password: ENC[") and body[7].startswith("  token: ENC[")
    theirs = run_sops(sops_bin, ["decrypt", str(path)], env)
    assert theirs.returncode == 0 and theirs.stderr == b""
    assert b"password: hunter2" in theirs.stdout and b"kind: Secret" in theirs.stdout


@pytest.mark.parametrize("text", [
    "base: &b {x: 1}\nuse: *b\n",                   # an alias: expanded into a copy
    "a: | # a comment on a block scalar's header\n  x\n",
    "base: {x: 1}\nmerged:\n  <<: {y: 2}\n",        # a merge key (sops writes it as !!merge)
    "root: {flow: mapping}\n---\n{a: 1}\n",          # a flow document: no block key can follow
])
def test_what_cannot_be_spliced_is_written_as_sops_writes_it(text, keyed, tmp_path, sops_bin):
    env, key = keyed
    path, out = _encrypt(tmp_path, env, key, "fallback", text)
    # the go-yaml layout: what sops's own encryption looks like, token for token
    src = tmp_path / "fallback.sops-src.yaml"
    src.write_text(text)
    theirs_enc = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(src)], env)
    assert theirs_enc.returncode == 0, theirs_enc.stderr.decode()

    def shape(data: str) -> str:
        data = _TOKEN.sub("V", data)
        return re.sub(r"(?s)\nsops:\n.*?(?=\n---|\Z)", "\nsops: M", data)

    assert shape(out) == shape(theirs_enc.stdout.decode())
    theirs = run_sops(sops_bin, ["decrypt", str(path)], env)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert theirs.stdout == _sops_round_trip(sops_bin, env, tmp_path, "fallback", text, key)


def test_keep_layout_false_writes_what_sops_writes(keyed, tmp_path, sops_bin):
    env, key = keyed
    (tmp_path / ".sealfile.yaml").write_text("stores:\n  yaml:\n    keep_layout: false\n")
    src = tmp_path / "two.yaml"
    src.write_text("db:\n  user: admin # login\n\n  port: 1\n")
    proc = run_sealfile(["encrypt", "--age", key.recipient, str(src)], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    masked = _without_metadata(_TOKEN.sub("V", proc.stdout.decode()))
    assert masked == "db:\n    #V\n    user: V\n    port: V\n"
