"""The binary payload path (sealfile.core.payload) against the generic tree path it replaces.

Every fast-path result is compared with the generic path's on the same input:
same bytes out, or the same error, so the shortcut can never change behaviour.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import sealfile
from sealfile.core import cipher, payload, sopsfile
from sealfile.core.cipher import AUTH_FAILED, Cipher, DataKey
from sealfile.errors import DecryptError, MacMismatch, SealfileError
from sealfile.core.mac import MacHasher
from sealfile.stores import store_for
from sealfile.core.tree import Mapping

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "vectors"
VECTOR_RECIPIENT = "age12793gm6ut7lyat2s3nq8arw8uwg7wa3twc8pfv08qj2y7xqfe4yqza9hv4"
TOKEN = re.compile(rb"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]+,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:str\]")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SOPS_AGE_KEY_FILE": str(VECTORS / "TEST-ONLY-age-key.txt"), "HOME": str(tmp_path)}


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 6 plaintext / 8 base64 bytes, so small payloads cross many chunk boundaries."""
    monkeypatch.setattr(payload, "_CHUNK", 6)
    monkeypatch.setattr(payload, "_B64_CHUNK", 8)


def generic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch every payload shortcut off: what sealfile did before they existed."""
    monkeypatch.setattr(payload, "supports", lambda store: False)


def outcome(call):
    try:
        return "ok", call()
    except SealfileError as exc:
        return "error", type(exc).__name__, exc.exit_code, str(exc)


def both(monkeypatch: pytest.MonkeyPatch, call):
    fast = outcome(call)
    with monkeypatch.context() as m:
        generic(m)
        slow = outcome(call)
    return fast, slow


def encrypt(data: bytes, env: dict[str, str], **kw) -> bytes:
    return sealfile.encrypt_data(data, input_type="binary", age=VECTOR_RECIPIENT, config=False, env=env, **kw)


def layout(blob: bytes) -> bytes:
    """The file with its random parts masked: token fields reduced to their length, no time, no age blob."""
    blob = re.sub(rb"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----", b"AGE", blob,
                  flags=re.S)
    blob = re.sub(rb'lastmodified"?: "?[-0-9T:Z]+', b"lastmodified: X", blob)
    return re.sub(rb"(data|iv|tag):([A-Za-z0-9+/=]+),", lambda m: b"%s:<%d>," % (m[1], len(m[2])), blob)


# ---------------------------------------------------------------------------


def _reencrypted_vector(env: dict[str, str], use_docs: bool) -> tuple[bool, bytes]:
    data = (VECTORS / "age.enc.bin.json").read_bytes()
    df = sealfile.decrypt_tree(data, input_type="binary", env=env)
    opened_as_bytes = df.payload_bytes is not None
    if use_docs:
        assert df.docs[0].get("data").encode("utf-8", "surrogateescape") == (VECTORS / "plain.bin").read_bytes()
    out = df.reencrypt()
    assert TOKEN.search(out).group() == TOKEN.search(data).group()  # the IV stash keeps the token
    return opened_as_bytes, out


@pytest.mark.parametrize("use_docs", [False, True])
def test_a_sops_file_reencrypts_as_on_the_generic_path(use_docs, env, monkeypatch):
    # same second, same IVs from the stash: the whole file comes out identical
    monkeypatch.setattr(sopsfile, "now_rfc3339", lambda: "2026-11-21T22:07:11Z")
    fast = _reencrypted_vector(env, use_docs)
    with monkeypatch.context() as m:
        generic(m)
        slow = _reencrypted_vector(env, use_docs)
    assert fast == (True, slow[1]) and slow[0] is False


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7, 47, 48, 49, 1000])
def test_fast_and_generic_paths_read_each_other(size, env, monkeypatch, small_chunks):
    plain = os.urandom(size)
    fast_blob = encrypt(plain, env)
    with monkeypatch.context() as m:
        generic(m)
        slow_blob = encrypt(plain, env)
        assert sealfile.decrypt_data(fast_blob, input_type="binary", env=env) == plain
    assert sealfile.decrypt_data(slow_blob, input_type="binary", env=env) == plain
    assert layout(fast_blob) == layout(slow_blob)


@pytest.mark.parametrize("options", [{}, {"indent": 2}, {"indent": 0}, {"output_type": "json"},
                                     {"output_type": "yaml"}])
def test_the_envelope_layout_is_the_stores(options, env, monkeypatch, small_chunks):
    plain = b"\xff\xfe binary <&> \"quoted\" \\ \x00\n" * 5
    fast, slow = both(monkeypatch, lambda: encrypt(plain, env, **options))
    assert fast[0] == slow[0] == "ok"
    assert layout(fast[1]) == layout(slow[1])
    fmt = options.get("output_type", "binary")
    assert sealfile.decrypt_data(fast[1], input_type=fmt, output_type="binary", env=env) == plain


@pytest.mark.parametrize("request_", [
    {"output_type": "json"}, {"output_type": "yaml"}, {"extract": '["data"]'}, {"extract": '["nope"]'},
    {"input_type": "json", "output_type": "binary"}, {"input_type": "json"},
])
def test_other_outputs_of_a_payload_match_the_generic_path(request_, env, monkeypatch, small_chunks):
    blob = encrypt(b"line one\nline two \xc3\xa9 \xff\n", env)
    kw = {"input_type": "binary", **request_}
    fast, slow = both(monkeypatch, lambda: sealfile.decrypt_data(blob, env=env, **kw))
    assert fast == slow


DAMAGES = ("ciphertext changed", "not base64", "padding inside", "one char short", "four chars short",
           "control char", "newline", "non-ascii", "invalid utf-8", "escaped char", "empty data", "iv changed",
           "tag changed", "short tag", "type int", "trailing junk in token", "extra key", "data last",
           "second data key", "no metadata", "bad metadata", "mac changed", "trailing text", "not json", "bom",
           "leading space")
#: damage that sops's token regex and JSON reader accept
HARMLESS = ("trailing junk in token", "leading space")


def _variants(blob: bytes) -> dict[str, bytes]:
    token = TOKEN.search(blob)
    assert token is not None
    start = token.start() + len(b"ENC[AES256_GCM,data:")
    data_end = blob.index(b",iv:", start)
    iv = blob.index(b",iv:", start) + 4
    tag = blob.index(b",tag:", start) + 5

    def at(pos: int, new: bytes, drop: int = 1) -> bytes:
        return blob[:pos] + new + blob[pos + drop:]

    flip = b"B" if blob[start + 9:start + 10] != b"B" else b"C"
    return {
        "ciphertext changed": at(start + 9, flip),
        "not base64": at(start + 9, b"!"),
        "padding inside": at(start + 4, b"QQ==", 4),
        "one char short": at(start + 9, b""),
        "four chars short": at(start + 8, b"", 4),
        "control char": at(start + 9, b"\x01"),
        "newline": at(start + 9, b"\n"),
        "non-ascii": at(start + 9, "é".encode()),
        "invalid utf-8": at(start + 9, b"\xff"),
        "escaped char": at(start + 9, b"\\u0041" if blob[start + 9:start + 10] != b"A" else b"\\u0042"),
        "empty data": blob[:start] + blob[data_end:],
        "iv changed": at(iv + 3, b"A" if blob[iv + 3:iv + 4] != b"A" else b"B"),
        "tag changed": at(tag + 3, b"A" if blob[tag + 3:tag + 4] != b"A" else b"B"),
        "short tag": at(tag, b"", 4),
        "type int": blob.replace(b",type:str]", b",type:int]", 1),
        "trailing junk in token": blob.replace(b",type:str]", b",type:str]junk", 1),
        "extra key": blob.replace(b'"data": ', b'"x": "y",\n\t"data": ', 1),
        "data last": blob.replace(b'\t"data": ', b'\t"x": 1,\n\t"data": ', 1),
        "second data key": blob.replace(b',\n\t"sops"', b',\n\t"data": "ENC[x]",\n\t"sops"', 1),
        "no metadata": blob[:blob.index(b',\n\t"sops"')] + b"\n}\n",
        "bad metadata": blob.replace(b'"version": "3.11.0"', b'"version": 3', 1),
        "mac changed": blob.replace(b'"mac": "ENC[AES256_GCM,data:', b'"mac": "ENC[AES256_GCM,data:A', 1),
        "trailing text": blob + b"x",
        "not json": blob[:-3],
        "bom": b"\xef\xbb\xbf" + blob,
        "leading space": b" \n" + blob,
    }


@pytest.mark.parametrize("name", DAMAGES)
def test_damaged_files_fail_exactly_as_on_the_generic_path(name, env, monkeypatch, small_chunks):
    variants = _variants(encrypt(os.urandom(40), env))
    assert set(variants) == set(DAMAGES)
    blob = variants[name]
    fast, slow = both(monkeypatch, lambda: sealfile.decrypt_data(blob, input_type="binary", env=env))
    assert fast == slow
    assert fast[0] == ("ok" if name in HARMLESS else "error")


def test_a_mac_mismatch_returns_no_plaintext(env, monkeypatch):
    original = encrypt(b"the real content", env)
    df = sealfile.decrypt_tree(original, input_type="binary", env=env)
    df.docs = [Mapping([["data", "swapped content"]])]
    swapped = df.reencrypt()  # same data key, a MAC for the new content
    old_token = TOKEN.search(original)
    forged = original[:old_token.start()] + TOKEN.search(swapped).group() + original[old_token.end():]
    fast, slow = both(monkeypatch, lambda: sealfile.decrypt_data(forged, input_type="binary", env=env))
    assert fast == slow and fast[1] == "MacMismatch"
    with pytest.raises(MacMismatch):
        sealfile.decrypt_data(forged, input_type="binary", env=env)
    assert sealfile.decrypt_data(forged, input_type="binary", env=env, ignore_mac=True) == b"swapped content"


def test_a_payload_is_opened_once_and_not_kept_when_unauthentic(env, small_chunks):
    blob = encrypt(os.urandom(30), env)
    key = sealfile.decrypt_tree(blob, input_type="binary", env=env).data_key
    sealed = payload.find(blob, store_for("binary"))
    assert sealed is not None
    with pytest.raises(DecryptError) as info:
        sealed.open(Cipher(DataKey(bytes(32))), MacHasher())
    assert info.value.message == f"could not decrypt value at data:: {AUTH_FAILED}"
    with pytest.raises(DecryptError):
        sealed.open(Cipher(key), MacHasher())  # the buffer is gone
    again = payload.find(blob, store_for("binary"))
    assert again is not None and len(again.open(Cipher(key), MacHasher())) == 30


def test_rotate_and_set_keep_the_payload_path_working(env, monkeypatch, tmp_path):
    plain = os.urandom(1000)
    f = tmp_path / "secret.bin"
    f.write_bytes(encrypt(plain, env))
    df = sealfile.open_file(f, env=env)
    df.new_data_key()
    df.rewrap(df.master_keys())
    rotated = df.reencrypt()
    assert df.payload_bytes == plain  # the tree was never needed
    assert sealfile.decrypt_data(rotated, input_type="binary", env=env) == plain
    with monkeypatch.context() as m:
        generic(m)
        assert sealfile.decrypt_data(rotated, input_type="binary", env=env) == plain


def test_streaming_gcm_beyond_the_one_shot_limit_matches(monkeypatch):
    # values of 2 GiB and more cannot go through AESGCM; the streaming branch must give the same tokens
    key = DataKey(os.urandom(32))
    value = os.urandom(100)
    token = Cipher(key).encrypt_bytes(value, "str", "a:")
    monkeypatch.setattr(cipher, "_ONE_SHOT_LIMIT", 10)
    streamed = Cipher(key)
    assert streamed.decrypt_bytes(token, "a:") == (value, "str")
    assert streamed.encrypt_bytes(value, "str", "a:") == token  # same IV from the stash, same bytes
    with pytest.raises(DecryptError) as info:
        Cipher(key).decrypt_bytes(token, "b:")
    assert info.value.message == AUTH_FAILED
    monkeypatch.undo()
    assert Cipher(key).decrypt_bytes(streamed.encrypt_bytes(b"x" * 50, "str", "c:"), "c:") == (b"x" * 50, "str")
