"""GCP Cloud KMS keys against a fake Cloud KMS and the real sops binary.

The fake (tests/servers/gcpkms.py) speaks gRPC with TLS on 127.0.0.1.  sops
reaches it the way it reaches Google, through ``HTTPS_PROXY`` (a CONNECT
proxy that routes only ``cloudkms.googleapis.com`` and
``oauth2.googleapis.com`` here); sealfile is tested both on that path and
with ``SOPS_GCP_KMS_ENDPOINT``.  Decrypted output is compared byte for byte
with what sops prints for the same plaintext (testdata/vectors/decrypted/).
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sealfile
from conftest import VECTORS, make_age_key, run_sealfile, run_sops
from sealfile.errors import MasterKeyError, NoKeyCouldDecrypt, SealfileError, UnknownRecipient
from sealfile.keys import KeyContext, entry_from_metadata, parse_keys
from sealfile.keys import gcpkms
from sealfile.keys.gcpkms import GcpKmsKey
from servers.gcpkms import closed_port, crc32c_bitwise, gcp_kms  # noqa: F401
from servers.net import CannedReply
from servers.tls import ConnectProxy

pytestmark = pytest.mark.interop

FORMATS = {  # store: (plaintext vector, what sops decrypt prints for it)
    "yaml": ("plain.yaml", "age.decrypted.yaml"),
    "json": ("plain.json", "age.decrypted.json"),
    "dotenv": ("plain.env", "age.decrypted.env"),
}


def _token_env(kms, env: dict, **extra: str) -> dict:
    """sops's path to Google: the CONNECT proxy, the test CA, a static access token."""
    return kms.proxy_env(env, GOOGLE_OAUTH_ACCESS_TOKEN=kms.token, **extra)


def _seal(kms, env: dict, fmt: str, keys: dict | None = None) -> bytes:
    plain = (VECTORS / FORMATS[fmt][0]).read_bytes()
    return sealfile.encrypt_data(plain, input_type=fmt, recipients=keys or {"gcp_kms": [kms.key]},
                                 config=False, env=env)


def _sops_seal(kms, sops_bin: str, env: dict, fmt: str, tmp_path: Path) -> bytes:
    """The same vector encrypted for the test key by the real sops."""
    plain = tmp_path / FORMATS[fmt][0]
    plain.write_bytes((VECTORS / FORMATS[fmt][0]).read_bytes())
    out = run_sops(sops_bin, ["encrypt", "--gcp-kms", kms.key, str(plain)], env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout


def _write(tmp_path: Path, fmt: str, data: bytes, stem: str = "secret") -> Path:
    path = tmp_path / f"{stem}{Path(FORMATS[fmt][0]).suffix}"
    path.write_bytes(data)
    return path


def _expected(fmt: str) -> bytes:
    return (VECTORS / "decrypted" / FORMATS[fmt][1]).read_bytes()


def _reason(exc: NoKeyCouldDecrypt) -> str:
    """The per-key report with its line wrapping undone."""
    return re.sub(r"\s*\n\s*\|?\s*", " ", exc.report)


# -- interop with the sops binary ------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sealfile_encrypts_sops_decrypts(fmt, gcp_kms, sops_bin, env, tmp_path):
    env = _token_env(gcp_kms, env)
    mark, seen = len(gcp_kms.state.calls), len(gcp_kms.proxy.seen)
    path = _write(tmp_path, fmt, _seal(gcp_kms, env, fmt))
    dec = run_sops(sops_bin, ["decrypt", str(path)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stdout == _expected(fmt)
    calls = gcp_kms.calls_since(mark)
    assert [(c.method, c.name, c.status) for c in calls] == [("Encrypt", gcp_kms.key, "OK"),
                                                             ("Decrypt", gcp_kms.key, "OK")]
    assert calls[0].sent_crc32c and not calls[1].sent_crc32c  # sealfile checks CRC32C; sops does not
    assert gcp_kms.proxy.seen[seen:] == ["cloudkms.googleapis.com:443"] * 2  # both went through the proxy


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sops_encrypts_sealfile_decrypts(fmt, gcp_kms, sops_bin, env, tmp_path):
    env = _token_env(gcp_kms, env)
    sealed = _sops_seal(gcp_kms, sops_bin, env, fmt, tmp_path)
    # through the proxy, as sops did
    assert sealfile.decrypt_data(sealed, input_type=fmt, env=env) == _expected(fmt)
    # and straight to the endpoint, no proxy involved
    seen = len(gcp_kms.proxy.seen)
    direct = gcp_kms.endpoint_env(env, GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token)
    assert sealfile.decrypt_data(sealed, input_type=fmt, env=direct) == _expected(fmt)
    assert len(gcp_kms.proxy.seen) == seen


def test_cli_round_trip_through_the_endpoint_then_sops(gcp_kms, sops_bin, env, tmp_path):
    """``sealfile encrypt --gcp-kms`` with SOPS_GCP_KMS_ENDPOINT; sops (via the proxy) decrypts it."""
    direct = gcp_kms.endpoint_env(env, GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token)
    plain = tmp_path / "plain.yaml"
    plain.write_bytes((VECTORS / "plain.yaml").read_bytes())
    seen = len(gcp_kms.proxy.seen)
    enc = run_sealfile(["encrypt", "--gcp-kms", f" {gcp_kms.key} ", str(plain)], direct, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    assert len(gcp_kms.proxy.seen) == seen
    path = _write(tmp_path, "yaml", enc.stdout)
    dec = run_sops(sops_bin, ["decrypt", str(path)], _token_env(gcp_kms, env), cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stdout == _expected("yaml")
    own = run_sealfile(["decrypt", str(path)], direct, cwd=tmp_path)
    assert own.returncode == 0 and own.stdout == _expected("yaml"), own.stderr.decode()


def test_rest_client_type(gcp_kms, sops_bin, env, tmp_path):
    """SOPS_GCP_KMS_CLIENT_TYPE=rest (sops 3.13) uses HTTP/JSON; the file is the same to sops 3.11."""
    rest = gcp_kms.base_env(env)
    rest.update(SOPS_GCP_KMS_CLIENT_TYPE="rest", SOPS_GCP_KMS_ENDPOINT=gcp_kms.rest_endpoint,
                GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token)
    mark = len(gcp_kms.state.calls)
    path = _write(tmp_path, "yaml", _seal(gcp_kms, rest, "yaml"))
    assert [(c.method, c.transport, c.sent_crc32c) for c in gcp_kms.calls_since(mark)] == [
        ("Encrypt", "rest", True)]
    dec = run_sops(sops_bin, ["decrypt", str(path)], _token_env(gcp_kms, env), cwd=tmp_path)
    assert dec.returncode == 0 and dec.stdout == _expected("yaml"), dec.stderr.decode()
    assert sealfile.decrypt_data(path.read_bytes(), input_type="yaml", env=rest) == _expected("yaml")
    rest["GOOGLE_OAUTH_ACCESS_TOKEN"] = "ya29.not-a-valid-token"
    with pytest.raises(NoKeyCouldDecrypt) as info:
        sealfile.decrypt_data(path.read_bytes(), input_type="yaml", env=rest)
    assert "GCP KMS Decrypt failed: UNAUTHENTICATED: Request had invalid authentication" in _reason(info.value)


_VOLATILE = re.compile(  # YAML `enc: v`, JSON `"enc": "v"`, dotenv `sops_..._enc=v`
    r'^(\s*(?:- )?"?(?:sops_(?:\w*__map_)?)?(?:enc|created_at|lastmodified|mac)"?\s*[:=]\s*)(.*)$', re.M)
_ARMOR_LINES = re.compile(r"^\s+[A-Za-z0-9+/=]{4,}\n", re.M)


def _metadata_shape(text: str, fmt: str) -> str:
    """The metadata block with every volatile value's characters masked (quotes and lengths kept)."""
    if fmt == "yaml":
        text = text[text.index("\nsops:\n"):]
    elif fmt == "json":
        text = text[text.index('"sops": {'):]
    else:
        text = "\n".join(line for line in text.splitlines() if line.startswith("sops_"))
    text = _VOLATILE.sub(lambda m: m.group(1) + re.sub(r"[A-Za-z0-9+/=]", "x", m.group(2)), text)
    return _ARMOR_LINES.sub("", text)  # inside age's armor (its length varies: Go's age adds grease)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_metadata_layout_equals_sops(fmt, gcp_kms, sops_bin, env, tmp_path):
    env = _token_env(gcp_kms, env)
    theirs = _sops_seal(gcp_kms, sops_bin, env, fmt, tmp_path)
    ours = _seal(gcp_kms, env, fmt)
    assert _metadata_shape(ours.decode(), fmt) == _metadata_shape(theirs.decode(), fmt)
    if fmt == "yaml":  # the shape really is sops 3.11's: resource_id, created_at (quoted), enc
        assert re.search(r"\n    gcp_kms:\n        - resource_id: projects/\S+\n"
                         r"          created_at: \"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\"\n"
                         r"          enc: [A-Za-z0-9+/]+=*\n    lastmodified: ", ours.decode())


def test_config_key_groups_with_resource_id_mappings(gcp_kms, sops_bin, env, tmp_path):
    """``.sops.yaml`` ``key_groups: [{gcp_kms: [{resource_id: ...}], age: [...]}]``, read by both tools."""
    env = _token_env(gcp_kms, env)
    age = make_age_key(tmp_path)
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - key_groups:\n      - gcp_kms:\n          - resource_id: " + gcp_kms.key
        + "\n          - resource_id: " + gcp_kms.other_key + "\n        age:\n          - " + age.recipient + "\n")
    plain = tmp_path / "plain.yaml"
    plain.write_bytes((VECTORS / "plain.yaml").read_bytes())
    theirs = run_sops(sops_bin, ["encrypt", str(plain)], env, cwd=tmp_path)
    assert theirs.returncode == 0, theirs.stderr.decode()
    ours = sealfile.encrypt_data(plain.read_bytes(), input_type="yaml", filename=str(plain),
                                 config=str(tmp_path / ".sops.yaml"), env=env)
    assert _metadata_shape(ours.decode(), "yaml") == _metadata_shape(theirs.stdout.decode(), "yaml")
    assert ours.decode().count("- resource_id: ") == 2
    # each tool decrypts the other's file with the GCP keys alone (no age identity given)
    path = _write(tmp_path, "yaml", ours)
    dec = run_sops(sops_bin, ["decrypt", str(path)], env, cwd=tmp_path)
    assert dec.returncode == 0 and dec.stdout == _expected("yaml"), dec.stderr.decode()
    assert sealfile.decrypt_data(theirs.stdout, input_type="yaml", env=env) == _expected("yaml")


# -- credentials ----------------------------------------------------------------------------------------------

def test_service_account_credentials_file_and_inline_json(gcp_kms, sops_bin, env, tmp_path):
    """GOOGLE_CREDENTIALS: a path if that file exists, else the JSON itself.  Both tools sign their own
    JWT with the service account key (no token exchange); the fake verifies the RS256 signature."""
    sa = gcp_kms.state.add_service_account("sealer@sealfile-test.iam.gserviceaccount.com",
                                           "https://oauth2.googleapis.com/token")
    sa_file = tmp_path / "sa.json"
    sa_file.write_text(json.dumps(sa.info))
    exchanges = len(gcp_kms.state.token_requests)
    for value in (str(sa_file), json.dumps(sa.info)):
        # a bad static token must be ignored: GOOGLE_CREDENTIALS comes first
        creds_env = gcp_kms.proxy_env(env, GOOGLE_CREDENTIALS=value, GOOGLE_OAUTH_ACCESS_TOKEN="ya29.bad")
        mark = len(gcp_kms.state.calls)
        path = _write(tmp_path, "yaml", _seal(gcp_kms, creds_env, "yaml"))
        dec = run_sops(sops_bin, ["decrypt", str(path)], creds_env, cwd=tmp_path)
        assert dec.returncode == 0 and dec.stdout == _expected("yaml"), dec.stderr.decode()
        enc = run_sops(sops_bin, ["encrypt", "--gcp-kms", gcp_kms.key, str(VECTORS / "plain.yaml")],
                       creds_env, cwd=tmp_path)
        assert enc.returncode == 0, enc.stderr.decode()
        assert sealfile.decrypt_data(enc.stdout, input_type="yaml", env=creds_env) == _expected("yaml")
        assert [(c.method, c.principal) for c in gcp_kms.calls_since(mark)] == [
            ("Encrypt", sa.email), ("Decrypt", sa.email), ("Encrypt", sa.email), ("Decrypt", sa.email)]
    assert len(gcp_kms.state.token_requests) == exchanges


def test_application_default_credentials_authorized_user(gcp_kms, sops_bin, env, tmp_path):
    """No GOOGLE_CREDENTIALS, no token: ADC from GOOGLE_APPLICATION_CREDENTIALS (an authorized_user
    refresh token), exchanged at oauth2.googleapis.com: both tools ignore the file's token_uri."""
    principal = "developer@sealfile.invalid"
    user = gcp_kms.state.add_authorized_user(principal)
    user["token_uri"] = f"https://127.0.0.1:{closed_port()}/token"  # never used
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps(user))
    adc_env = gcp_kms.proxy_env(env, GOOGLE_APPLICATION_CREDENTIALS=str(adc))
    mark, seen = len(gcp_kms.state.calls), len(gcp_kms.proxy.seen)
    grants = len(gcp_kms.state.token_requests)
    both = {"gcp_kms": [gcp_kms.key, gcp_kms.other_key]}
    path = _write(tmp_path, "yaml", _seal(gcp_kms, adc_env, "yaml", keys=both))
    assert gcp_kms.proxy.seen[seen:] == ["oauth2.googleapis.com:443", "cloudkms.googleapis.com:443"]
    dec = run_sops(sops_bin, ["decrypt", str(path)], adc_env, cwd=tmp_path)
    assert dec.returncode == 0 and dec.stdout == _expected("yaml"), dec.stderr.decode()
    assert gcp_kms.state.token_requests[grants:] == ["refresh_token", "refresh_token"]
    # KMS straight at SOPS_GCP_KMS_ENDPOINT while the token still comes through the proxy
    mixed = dict(adc_env, SOPS_GCP_KMS_ENDPOINT=gcp_kms.endpoint)
    seen = len(gcp_kms.proxy.seen)
    assert sealfile.decrypt_data(path.read_bytes(), input_type="yaml", env=mixed) == _expected("yaml")
    assert gcp_kms.proxy.seen[seen:] == ["oauth2.googleapis.com:443"]
    assert {c.principal for c in gcp_kms.calls_since(mark)} == {principal}
    # a revoked refresh token: a clear reason, no secret in it
    adc.write_text(json.dumps(dict(user, refresh_token="1//revoked")))
    grants = len(gcp_kms.state.token_requests)
    with pytest.raises(NoKeyCouldDecrypt) as info:
        sealfile.decrypt_data(path.read_bytes(), input_type="yaml", env=mixed)
    assert len(gcp_kms.state.token_requests) == grants + 1  # one failed exchange for both keys
    assert f"{gcp_kms.key}: FAILED" in info.value.report and f"{gcp_kms.other_key}: FAILED" in info.value.report
    reason = _reason(info.value)
    assert "GCP KMS credentials failed: invalid_grant: Bad Request" in reason
    assert user["client_secret"] not in reason and "1//" not in reason


def test_bad_credentials_give_safe_reasons(gcp_kms, env, tmp_path):
    path = _write(tmp_path, "yaml", _seal(gcp_kms, _token_env(gcp_kms, env), "yaml"))
    secret = "-----BEGIN PRIVATE KEY-----TOPSECRET"
    cases = [
        ('{"type": "service_account", "private_key": "' + secret + '"}',
         "GCP KMS credentials failed: Failed to load service account credentials"),
        ("not json " + secret, "GOOGLE_CREDENTIALS is neither an existing file nor credentials JSON"),
        (str(tmp_path), "cannot read the credentials file"),  # exists, but is a directory
    ]
    for value, expected in cases:
        with pytest.raises(NoKeyCouldDecrypt) as info:
            sealfile.decrypt_data(path.read_bytes(), input_type="yaml",
                                  env=gcp_kms.proxy_env(env, GOOGLE_CREDENTIALS=value))
        reason = _reason(info.value)
        assert expected in reason and "TOPSECRET" not in reason, reason


# -- failures ---------------------------------------------------------------------------------------------------

def test_wrong_token_exit_128_naming_the_key(gcp_kms, sops_bin, env, tmp_path):
    path = _write(tmp_path, "yaml", _seal(gcp_kms, _token_env(gcp_kms, env), "yaml"))
    bad = gcp_kms.proxy_env(env, GOOGLE_OAUTH_ACCESS_TOKEN="ya29.wrong-token-value")
    out = run_sealfile(["decrypt", str(path)], bad, cwd=tmp_path)
    err = out.stderr.decode()
    assert out.returncode == 128, err
    assert gcp_kms.key in err and "UNAUTHENTICATED" in err
    assert "wrong-token-value" not in err and out.stdout == b""
    theirs = run_sops(sops_bin, ["decrypt", str(path)], bad, cwd=tmp_path)
    assert theirs.returncode == 128 and b"Unauthenticated" in theirs.stderr


def test_permission_denied_and_unknown_key(gcp_kms, sops_bin, env, tmp_path):
    path = _write(tmp_path, "yaml", _seal(gcp_kms, _token_env(gcp_kms, env), "yaml"))
    limited = gcp_kms.state.add_token("limited@sealfile.invalid", keys=[gcp_kms.other_key])
    with pytest.raises(NoKeyCouldDecrypt) as info:
        sealfile.decrypt_data(path.read_bytes(), input_type="yaml",
                              env=gcp_kms.proxy_env(env, GOOGLE_OAUTH_ACCESS_TOKEN=limited))
    assert f"GCP KMS Decrypt failed: PERMISSION_DENIED: Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' " \
           f"denied on resource '{gcp_kms.key}'" in _reason(info.value)
    unknown = "projects/sealfile-test/locations/global/keyRings/ring/cryptoKeys/nope"
    with pytest.raises(SealfileError) as err:
        sealfile.encrypt_data(b"a: b\n", input_type="yaml", recipients={"gcp_kms": [unknown]}, config=False,
                              env=_token_env(gcp_kms, env))
    assert err.value.exit_code == 1
    assert f"Could not generate data key: {unknown}: GCP KMS Encrypt failed: NOT_FOUND: " \
           f"CryptoKey {unknown} not found." == err.value.message
    theirs = run_sops(sops_bin, ["encrypt", "--gcp-kms", unknown, str(VECTORS / "plain.yaml")],
                      _token_env(gcp_kms, env), cwd=tmp_path)
    assert theirs.returncode == 1 and b"NotFound" in theirs.stderr


def test_ciphertext_moved_to_another_key(gcp_kms, sops_bin, env, tmp_path):
    env = _token_env(gcp_kms, env)
    moved = _seal(gcp_kms, env, "yaml").replace(gcp_kms.key.encode(), gcp_kms.other_key.encode())
    path = _write(tmp_path, "yaml", moved)
    with pytest.raises(NoKeyCouldDecrypt) as info:
        sealfile.decrypt_data(moved, input_type="yaml", env=env)
    assert f"{gcp_kms.other_key}: FAILED" in info.value.report
    assert "GCP KMS Decrypt failed: INVALID_ARGUMENT: Decryption failed" in _reason(info.value)
    theirs = run_sops(sops_bin, ["decrypt", str(path)], env, cwd=tmp_path)
    assert theirs.returncode == 128 and b"InvalidArgument" in theirs.stderr


def test_corrupted_checksums_are_detected(gcp_kms, env):
    """sealfile checks Cloud KMS's CRC32C fields (sops does not)."""
    env = _token_env(gcp_kms, env)
    blob = _seal(gcp_kms, env, "yaml")
    gcp_kms.state.corrupt_checksums = True
    try:
        with pytest.raises(SealfileError, match="GCP KMS Encrypt response failed its checksum"):
            _seal(gcp_kms, env, "yaml")
        with pytest.raises(NoKeyCouldDecrypt) as info:
            sealfile.decrypt_data(blob, input_type="yaml", env=env)
    finally:
        gcp_kms.state.corrupt_checksums = False
    assert "GCP KMS Decrypt response failed its checksum" in _reason(info.value)


def test_endpoint_down_fails_fast(gcp_kms, env, tmp_path):
    blob = _seal(gcp_kms, _token_env(gcp_kms, env), "yaml")
    path = _write(tmp_path, "yaml", blob)
    down = f"127.0.0.1:{closed_port()}"
    for client_type in ("grpc", "rest"):
        dead = gcp_kms.endpoint_env(env, GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token, SOPS_GCP_KMS_ENDPOINT=down,
                                    SOPS_GCP_KMS_CLIENT_TYPE=client_type)
        start = time.monotonic()
        with pytest.raises(NoKeyCouldDecrypt) as info:
            sealfile.decrypt_data(blob, input_type="yaml", env=dead)
        assert time.monotonic() - start < 15
        reason = _reason(info.value)
        assert gcp_kms.key in info.value.report
        assert ("UNAVAILABLE" in reason if client_type == "grpc" else "Connection refused" in reason), reason
    start = time.monotonic()
    out = run_sealfile(["decrypt", str(path)], dead, cwd=tmp_path)
    assert out.returncode == 128 and gcp_kms.key.encode() in out.stderr
    assert time.monotonic() - start < 15


def test_hanging_endpoint_is_bounded_by_the_deadline(gcp_kms, env, monkeypatch):
    """A server that accepts and never answers costs the call budget, not forever."""
    blob = _seal(gcp_kms, _token_env(gcp_kms, env), "yaml")
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    monkeypatch.setattr(gcpkms, "_CALL_BUDGET", 1.5)
    hang = gcp_kms.endpoint_env(env, GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token,
                                SOPS_GCP_KMS_ENDPOINT=f"127.0.0.1:{listener.getsockname()[1]}")
    start = time.monotonic()
    try:
        with pytest.raises(NoKeyCouldDecrypt) as info:
            sealfile.decrypt_data(blob, input_type="yaml", env=hang)
    finally:
        listener.close()
        for conn in accepted:
            conn.close()
    assert time.monotonic() - start < 5
    assert "DEADLINE_EXCEEDED" in _reason(info.value)


def test_broken_setups_give_reasons_not_tracebacks(gcp_kms, env, tmp_path):
    """A missing CA bundle (requests raises a bare OSError) and a credentials document google-auth
    trips over (AttributeError) are MasterKeyErrors naming the cause."""
    key = GcpKmsKey(gcp_kms.key)
    missing = str(tmp_path / "no-such-ca.pem")
    rest = gcp_kms.base_env(env)
    rest.update(SOPS_GCP_KMS_CLIENT_TYPE="rest", SOPS_GCP_KMS_ENDPOINT=gcp_kms.rest_endpoint,
                GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token, SSL_CERT_FILE=missing, REQUESTS_CA_BUNDLE=missing)
    with pytest.raises(MasterKeyError, match="GCP KMS Decrypt failed: .*invalid path: " + re.escape(missing)):
        key.unwrap("AAAA", KeyContext(rest))
    user = gcp_kms.state.add_authorized_user("ca@sealfile.invalid")
    adc = gcp_kms.endpoint_env(env, GOOGLE_CREDENTIALS=json.dumps(user), REQUESTS_CA_BUNDLE=missing)
    with pytest.raises(MasterKeyError, match="GCP KMS credentials failed: .*invalid path: ") as info:
        key.unwrap("AAAA", KeyContext(adc))
    assert user["client_secret"] not in info.value.message
    odd = gcp_kms.endpoint_env(env, GOOGLE_CREDENTIALS=json.dumps(
        {"type": "impersonated_service_account", "source_credentials": 5, "service_account_impersonation_url": "x"}))
    with pytest.raises(MasterKeyError, match="GCP KMS credentials are invalid: AttributeError"):
        key.unwrap("AAAA", KeyContext(odd))


def test_reply_that_is_not_cloud_kms_is_a_reason(gcp_kms, env):
    """A REST endpoint answering 200 with something else: a MasterKeyError that quotes none of the reply."""
    cert = gcp_kms.ca.issue("not-kms", ["127.0.0.1"])
    reply = b'{"plaintextCrc32c": "REPLY-TEXT"}'

    with CannedReply(reply, "application/json", (str(cert.cert_file), str(cert.key_file))) as server:
        rest = gcp_kms.base_env(env)
        rest.update(SOPS_GCP_KMS_CLIENT_TYPE="rest", SOPS_GCP_KMS_ENDPOINT=f"127.0.0.1:{server.port}",
                    GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token)
        with pytest.raises(MasterKeyError, match="GCP KMS Decrypt failed: ParseError") as info:
            GcpKmsKey(gcp_kms.key).unwrap("AAAA", KeyContext(rest))
        assert "REPLY-TEXT" not in info.value.message


def test_unreachable_gcp_falls_back_to_age(gcp_kms, env, tmp_path):
    """``--decryption-order gcp_kms,age``: GCP is tried first, fails fast, the age key decrypts."""
    age = make_age_key(tmp_path)
    keys = {"gcp_kms": [gcp_kms.key], "age": [age.recipient]}
    blob = _seal(gcp_kms, _token_env(gcp_kms, env), "yaml", keys=keys)
    path = _write(tmp_path, "yaml", blob)
    dead_proxy = ConnectProxy({"cloudkms.googleapis.com:443": closed_port()})
    try:
        fallback = gcp_kms.base_env(env)
        fallback.update(dead_proxy.env(), GOOGLE_OAUTH_ACCESS_TOKEN=gcp_kms.token,
                        SOPS_AGE_KEY_FILE=str(age.key_file))
        start = time.monotonic()
        out = run_sealfile(["decrypt", "--decryption-order", "gcp_kms,age", str(path)], fallback, cwd=tmp_path)
        elapsed = time.monotonic() - start
    finally:
        dead_proxy.close()
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == _expected("yaml")
    assert "cloudkms.googleapis.com:443" in dead_proxy.seen  # GCP really was tried first
    assert elapsed < 10


def test_missing_sdk_names_the_extra(gcp_kms, env, monkeypatch):
    blob = _seal(gcp_kms, _token_env(gcp_kms, env), "yaml")
    monkeypatch.setitem(sys.modules, "google.cloud.kms_v1", None)
    with pytest.raises(NoKeyCouldDecrypt) as info:
        sealfile.decrypt_data(blob, input_type="yaml", env=_token_env(gcp_kms, env))
    assert "pip install 'sealfile[gcp]'" in _reason(info.value)


# -- the key itself, and lazy loading -----------------------------------------------------------------------

def test_parse_string_forms_and_metadata():
    rid = "projects/p/locations/global/keyRings/r/cryptoKeys/k"
    assert GcpKmsKey.parse(" projects/p/locations/global/ keyRings/r/cryptoKeys/k ").resource_id == rid
    assert GcpKmsKey.parse({"resource_id": rid}) == GcpKmsKey(rid)
    assert GcpKmsKey(rid).to_string() == rid
    assert [k.resource_id for k in parse_keys("gcp_kms", f"{rid}, ,{rid}2")] == [rid, rid + "2"]
    for bad in ("projects/p/locations/l/keyRings/r", f"{rid}/cryptoKeyVersions/1", "keyRings/r/cryptoKeys/k",
                f"x{rid}", 5):
        with pytest.raises(UnknownRecipient):
            GcpKmsKey.parse(bad)
    key = GcpKmsKey(rid)
    assert key.to_metadata("ZW5j", "2026-01-02T03:04:05Z") == [
        ("resource_id", rid), ("created_at", "2026-01-02T03:04:05Z"), ("enc", "ZW5j")]
    import datetime as dt

    entry = entry_from_metadata("gcp_kms", {"resource_id": rid, "enc": "ZW5j",
                                            "created_at": dt.datetime(2026, 1, 2, 3, 4, 5)})
    assert (entry.key, entry.enc, entry.created_at) == (key, "ZW5j", "2026-01-02T03:04:05Z")
    # an invalid id in a file loads (other keys may still decrypt) and fails with sops's words, offline
    odd = entry_from_metadata("gcp_kms", {"resource_id": "not/a/key", "enc": "ZW5j"})
    with pytest.raises(MasterKeyError, match="no valid resource ID found in 'not/a/key'"):
        odd.key.unwrap(odd.enc, KeyContext({}))
    with pytest.raises(MasterKeyError, match="not valid base64"):
        key.unwrap("***", KeyContext({}))


def test_crc32c_and_environment_helpers():
    assert gcpkms.crc32c(b"123456789") == 0xE3069283 == crc32c_bitwise(b"123456789")
    data = bytes(range(256)) * 3
    assert gcpkms.crc32c(data) == crc32c_bitwise(data)
    env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": ".internal,10.0.0.0/8"}
    assert gcpkms._proxy_for("cloudkms.googleapis.com", env, grpc=True) == "http://proxy:3128"
    assert gcpkms._proxy_for("kms.internal", env, grpc=True) is None
    assert gcpkms._proxy_for("10.1.2.3", env, grpc=False) is None
    assert gcpkms._proxy_for("127.0.0.1", env, grpc=True) is None  # loopback never goes through a proxy
    with_grpc_proxy = {"grpc_proxy": "http://g:1", **env}
    assert gcpkms._proxy_for("cloudkms.googleapis.com", with_grpc_proxy, grpc=True) == "http://g:1"
    assert gcpkms._split_endpoint("127.0.0.1:8443") == ("127.0.0.1", 8443)
    assert gcpkms._split_endpoint("https://cloudkms.s3nsapis.fr/") == ("cloudkms.s3nsapis.fr", 443)
    assert gcpkms._split_endpoint("[::1]:9") == ("[::1]", 9)
    universe = KeyContext({"SOPS_GCP_KMS_UNIVERSE_DOMAIN": "s3nsapis.fr"})
    assert gcpkms._endpoint(universe) == ("cloudkms.s3nsapis.fr", 443)


def test_no_sdk_loaded_for_age_or_by_the_module(gcp_kms, env, tmp_path):
    """Importing the key source, and an age decrypt of a file that also has a GCP key, load no SDK."""
    age = make_age_key(tmp_path)
    keys = {"gcp_kms": [gcp_kms.key], "age": [age.recipient]}
    blob = _seal(gcp_kms, _token_env(gcp_kms, env), "yaml", keys=keys)
    path = _write(tmp_path, "yaml", blob)
    age_env = gcp_kms.base_env(env)
    age_env["SOPS_AGE_KEY_FILE"] = str(age.key_file)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sealfile", "decrypt", str(path)],
                          env=age_env, capture_output=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0 and proc.stdout == _expected("yaml"), proc.stderr.decode()[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.decode().splitlines()
                if line.startswith("import time:")]
    assert "sealfile.keys.gcpkms" in imported  # the file's GCP entry was parsed ...
    assert not [m for m in imported if m.split(".")[0] in ("google", "grpc", "requests", "proto")]  # ... lazily


def test_entry_without_resource_id_fails_only_when_used(tmp_path):
    """sops reads a missing resource_id as "": the file loads, that key alone fails, age still opens it."""
    age = make_age_key(tmp_path)
    blob = sealfile.encrypt_data(b"a: secret\n", input_type="yaml", age=age.recipient, config=False).decode()
    damaged = blob.replace("sops:\n", "sops:\n    gcp_kms:\n        - created_at: \"2026-11-28T00:00:00Z\"\n"
                                      "          enc: CiQAbm90LWEta2V5\n", 1)
    env = {"HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": str(age.key_file)}
    out = sealfile.decrypt_data(damaged.encode(), input_type="yaml", decryption_order="gcp_kms,age", env=env)
    assert out == b"a: secret\n"
    with pytest.raises(NoKeyCouldDecrypt) as info:
        sealfile.decrypt_data(damaged.encode(), input_type="yaml", env={"HOME": str(tmp_path)})
    assert "no valid resource ID found in ''" in " ".join(info.value.report.replace("|", " ").split())
