"""The ENC[] codec: serialisation of every type tag, AAD binding, the IV stash."""
from __future__ import annotations

import base64
import math
import re

import pytest

from sealfile.core.cipher import Cipher, DataKey, is_token, plaintext_of, value_of
from sealfile.errors import DecryptError, EncryptError
from sealfile.core.tree import Comment, Timestamp

TOKEN = re.compile(r"^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:(\w+)\]$")


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(DataKey.generate())


@pytest.mark.parametrize("value,plain,tag", [
    ("héllo", "héllo".encode(), "str"),
    (42, b"42", "int"),
    (-7, b"-7", "int"),
    (True, b"True", "bool"),
    (False, b"False", "bool"),
    (1.5, b"1.5", "float"),
    (1e20, b"100000000000000000000", "float"),
    (2.0, b"2", "float"),
    (-0.0, b"-0", "float"),
    (1e-7, b"0.0000001", "float"),
    (math.inf, b"+Inf", "float"),
    (-math.inf, b"-Inf", "float"),
    (Timestamp.parse_rfc3339("2006-01-02T15:04:05.123456789+07:06"), b"2006-01-02T15:04:05.123456789+07:06", "time"),
    (Timestamp(2024, 1, 1), b"2024-01-01T00:00:00Z", "time"),
    (Comment(" the login"), b" the login", "comment"),
])
def test_plaintext_serialisation_matches_sops(value, plain, tag):
    assert plaintext_of(value) == (plain, tag)


def test_nan_serialises_as_go_does():
    assert plaintext_of(math.nan) == (b"NaN", "float")


def test_int_outside_int64_is_refused():
    with pytest.raises(EncryptError):
        plaintext_of(2**64 - 1)


def test_token_shape_and_32_byte_iv(cipher):
    token = cipher.encrypt("secret", "db:password:")
    m = TOKEN.match(token)
    assert m, token
    data, iv, tag, type_tag = m.groups()
    assert len(base64.b64decode(iv)) == 32
    assert len(base64.b64decode(tag)) == 16
    assert len(base64.b64decode(data)) == len(b"secret")
    assert type_tag == "str"
    assert is_token(token)


def test_round_trip_every_type(cipher):
    for value in ["x", "", 5, 1.25, True, Timestamp.parse_rfc3339("2024-01-01T00:00:00Z"), Comment("c")]:
        assert cipher.decrypt(cipher.encrypt(value, "a:"), "a:") == value


def test_aad_binds_the_path(cipher):
    token = cipher.encrypt("secret", "a:b:")
    with pytest.raises(DecryptError) as err:
        cipher.decrypt(token, "a:c:")
    assert "secret" not in str(err.value)


def test_tampered_data_fails(cipher):
    token = cipher.encrypt("secret", "k:")
    data = token.split("data:")[1].split(",")[0]
    flipped = base64.b64encode(bytes([base64.b64decode(data)[0] ^ 1]) + base64.b64decode(data)[1:]).decode()
    with pytest.raises(DecryptError):
        cipher.decrypt(token.replace(data, flipped), "k:")


def test_stash_reuses_iv_only_for_identical_triple(cipher):
    token = cipher.encrypt("v", "k:")
    assert cipher.decrypt(token, "k:") == "v"
    assert cipher.encrypt("v", "k:") == token          # same aad, type, plaintext
    assert cipher.encrypt("w", "k:") != token          # different plaintext: fresh IV
    iv = token.split("iv:")[1].split(",")[0]
    assert iv not in cipher.encrypt("v", "other:")     # different path: fresh IV


def test_twelve_byte_iv_is_accepted_on_read():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = DataKey.generate()
    iv = b"\x01" * 12
    sealed = AESGCM(key.raw).encrypt(iv, b"hello", b"k:")
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    token = f"ENC[AES256_GCM,data:{b64(sealed[:-16])},iv:{b64(iv)},tag:{b64(sealed[-16:])},type:str]"
    assert Cipher(key).decrypt(token, "k:") == "hello"


@pytest.mark.parametrize("text,tag,expected", [
    (b"1", "bool", True), (b"t", "bool", True), (b"FALSE", "bool", False),
    (b"+Inf", "float", math.inf), (b"1e3", "float", 1000.0), (b"-12", "int", -12),
])
def test_reader_is_as_tolerant_as_go(text, tag, expected):
    assert value_of(text, tag) == expected


def test_unknown_type_and_bytes_type_are_errors():
    with pytest.raises(DecryptError, match="Unknown datatype"):
        value_of(b"x", "complex")
    with pytest.raises(DecryptError):
        value_of(b"x", "bytes")


def test_data_key_repr_is_redacted():
    key = DataKey.generate()
    assert key.raw.hex() not in repr(key)
    assert "redacted" in repr(key)


def test_the_quick_token_pattern_reads_every_token_as_sops_pattern_does():
    """``_PLAIN_TOKEN`` (no backtracking) must give the groups of sops's greedy pattern, or no match, for any
    text, including fields with commas, ``]`` and ``:`` and text after the closing bracket."""
    import random

    from sealfile.core import cipher

    rnd = random.Random(20261202)
    alphabet = "ABCab019+/=,:]ENC[ivtagtypedata_ \n"
    for _ in range(50_000):
        fields = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6))) for _ in range(5)]
        token = (f"ENC[AES256_GCM,data:{fields[0]},iv:{fields[1]},tag:{fields[2]},type:{fields[3]}]"
                 + (fields[4] if rnd.random() < 0.3 else ""))
        quick = cipher._PLAIN_TOKEN.match(token) or cipher._greedy_token().match(token)
        exact = cipher._greedy_token().match(token)
        assert (quick and quick.groups()) == (exact and exact.groups()), token


def test_every_value_gets_its_own_fresh_iv_across_batches():
    """IVs are drawn 256 at a time: across several batches and two ciphers, each is 32 bytes and none repeats."""
    seen: set[bytes] = set()
    for _ in range(2):
        cipher = Cipher(DataKey.generate())
        for i in range(700):
            token = cipher.encrypt(f"value-{i % 3}", "k:")  # equal plaintexts too: the IV is never reused
            iv = base64.b64decode(re.search(r",iv:([^,]+),", token).group(1))
            assert len(iv) == 32 and iv not in seen
            seen.add(iv)
    assert len(seen) == 1400
