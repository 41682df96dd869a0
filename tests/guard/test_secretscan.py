"""The secret recognisers: every documented token format fires, and what fills docs and lockfiles does not."""
from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest

from sealfile.operations.secretscan import entropy, looks_secret_name, scan_text, scan_value
from planted_tokens import planted, rand

TOKENS = planted()


@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_each_token_format_is_found_at_high_confidence(kind):
    value = TOKENS[kind]
    hits = scan_text(f"some text before {value} and after")
    assert [h.confidence for h in hits] == ["high"], hits
    expected = "a GitHub token" if kind == "a GitHub fine-grained token" else kind
    assert hits[0].kind == expected
    assert hits[0].start == len("some text before ")
    # under any key name, in a value of its own
    assert [h.kind for h in scan_value("note", value)] == [expected]


def test_private_key_blocks_of_every_flavour_are_found():
    for label in ("", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "DSA "):
        block = f"-----BEGIN {label}PRIVATE KEY-----\n{rand(64)}\n-----END {label}PRIVATE KEY-----\n"
        assert [h.kind for h in scan_text(block)] == ["a private key block"], label
    assert [h.kind for h in scan_text("-----BEGIN PGP PRIVATE KEY BLOCK-----\n")] == ["a private key block"]
    assert scan_text("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n") == []
    assert scan_text("-----BEGIN CERTIFICATE-----\nMIIB\n") == []


def test_other_aws_key_id_prefixes_are_found():
    for prefix in ("ASIA", "AROA", "AIDA", "AGPA", "ANPA", "APKA", "A3TX"):
        assert [h.kind for h in scan_text(prefix + rand(16, "ABCDEFGHJKLMNPQRSTUVWXYZ234567"))] == \
            ["an AWS access key id"], prefix


@pytest.mark.parametrize("text", [
    "AKIAIOSFODNN7EXAMPLE",  # AWS's documented example key id
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "https://user:${DB_PASSWORD}@db.example.com/app",
    "https://user:<password>@db.example.com/app",
    "https://user:changeme@db.example.com/app",
    "https://{{ .User }}:{{ .Password }}@db/app",
    "git@github.com:getsops/sops.git",
    "https://github.com/getsops/sops/blob/main/README.rst",
    "ghp_ is the prefix of a GitHub token",
    "sk-test is not a key",
    "-----BEGIN PUBLIC KEY-----",
    "eyJhbGciOiJIUzI1NiJ9 alone is only a header",
])
def test_documentation_and_prose_do_not_fire(text):
    assert scan_text(text) == []


def test_lockfile_hashes_uuids_and_digests_do_not_fire():
    blob = os.urandom(64)
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()
    lock = (
        '{"packages": {"node_modules/left-pad": {"version": "1.3.0", '
        f'"resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "integrity": "{integrity}"}}}}}}\n'
        f'h1:{base64.b64encode(hashlib.sha256(blob).digest()).decode()}\n'
        f'hash = "sha256:{hashlib.sha256(blob).hexdigest()}"\n'
        f'commit {hashlib.sha1(blob).hexdigest()}\n'
        f'id: {uuid.uuid4()}\n'
    )
    assert scan_text(lock) == []
    for key, value in (("integrity", integrity), ("sha256", hashlib.sha256(blob).hexdigest()),
                       ("id", str(uuid.uuid4())), ("checksum", hashlib.md5(blob).hexdigest()),
                       ("token_id", str(uuid.uuid4())), ("api_key_file", "/etc/app/" + rand(20)),
                       ("password", str(uuid.uuid4()))):
        assert scan_value(key, value) == [], key


@pytest.mark.parametrize("name", ["password", "db_password", "DB_PASSWORD", "apiKey", "api-key", "client_secret",
                                  "GITHUB_TOKEN", "private_key", "passphrase", "SENTRY_DSN", "auth"])
def test_secret_like_names(name):
    assert looks_secret_name(name)


@pytest.mark.parametrize("name", ["username", "host", "port", "password_file", "token_url_path", "secret_name",
                                  "api_key_id", "password_min_length", "token_expiry", "description"])
def test_names_that_are_not_secrets(name):
    assert not looks_secret_name(name)


def test_entropy_fires_only_under_secret_names_and_only_for_random_values():
    random_value = rand(24)
    assert [h.confidence for h in scan_value("db_password", random_value)] == ["medium"]
    assert scan_value("greeting", random_value) == []  # not a secret-like name: entropy alone says nothing
    for weak in ("changeme", "${DB_PASSWORD}", "<your password here>", "xxxxxxxxxxxxxxxx", "********",
                 "hello world how are you", "aaaaaaaaaaaaaaaa", "short1A", "REDACTED", "{{ .Values.pw }}"):
        assert scan_value("db_password", weak) == [], weak


def test_entropy_bits_per_character():
    assert entropy("") == 0.0
    assert entropy("aaaa") == 0.0
    assert entropy("abcd") == pytest.approx(2.0)
    assert entropy(rand(200)) > 5.0


def test_hits_never_carry_the_value():
    for value in TOKENS.values():
        for hit in scan_text(value) + scan_value("password", value):
            assert value not in repr(hit) and value[4:20] not in repr(hit)
