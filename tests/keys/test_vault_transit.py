"""HashiCorp Vault / OpenBao transit keys against a real OpenBao dev server and the real sops.

Interop in both directions (YAML, JSON, dotenv; a plain and a nested engine
path), the metadata layout, URI parsing compared with sops, tokens, errors,
failover, TLS with client certificates, namespaces, proxies and lazy imports.
"""
from __future__ import annotations

import re
import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sealfile
from conftest import VECTORS, make_age_key, run_sealfile, run_sops
from sealfile.api import decrypt_tree
from sealfile.errors import MasterKeyError, SealfileError, UnknownRecipient
from sealfile.keys import KeyContext
from sealfile.keys import vaultclient
from sealfile.keys.base import ATTEMPTS
from sealfile.keys.hcvault import VaultTransitKey
from servers.openbao import LoopbackProxy, OpenBao, closed_port, openbao  # noqa: F401

FORMATS = {  # format: (plaintext vector, what sops prints when decrypting it)
    "yaml": ("plain.yaml", "age.decrypted.yaml"),
    "json": ("plain.json", "age.decrypted.json"),
    "dotenv": ("plain.env", "age.decrypted.env"),
}
SUFFIX = {"yaml": ".yaml", "json": ".json", "dotenv": ".env"}
ENGINES = {"transit": ("transit", "sops"), "nested": ("team/a/transit", "nested")}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _encrypt(env: dict, fmt: str, uris: list[str], config: str | bool = False, **recipients) -> bytes:
    plain = (VECTORS / FORMATS[fmt][0]).read_bytes()
    return sealfile.encrypt_data(plain, input_type=fmt, recipients={"hc_vault": uris, **recipients},
                                 config=config, env=env)


def _no_token_in(bao: OpenBao, *outputs: bytes) -> None:
    for out in outputs:
        for token in (bao.root_token, bao.limited_token):
            assert token.encode() not in out


def _flat(text: str | bytes) -> str:
    """A sealfile error report with its wrapped lines joined back into sentences."""
    if isinstance(text, bytes):
        text = text.decode()
    return re.sub(r"\s*\n\s*(?:-\s)?(?:\|\s?)?", " ", text)


def _sops_decrypt(sops: str, blob: bytes, fmt: str, env: dict) -> subprocess.CompletedProcess:
    return run_sops(sops, ["decrypt", "--input-type", fmt, "--output-type", fmt, "/dev/stdin"], env, input=blob)


def _with_address(blob: bytes, old: str, new: str) -> bytes:
    return blob.replace(old.encode(), new.encode())


# --- interop with sops ---------------------------------------------------------

@pytest.mark.interop
@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sealfile_encrypts_sops_decrypts(fmt, engine, openbao, sops_bin, home, tmp_path):
    env = openbao.env(home)
    blob = _encrypt(env, fmt, [openbao.uri(*ENGINES[engine])])
    assert b"vault:v1:" in blob
    target = tmp_path / ("sealed" + SUFFIX[fmt])
    target.write_bytes(blob)
    expected = (VECTORS / "decrypted" / FORMATS[fmt][1]).read_bytes()
    dec = run_sops(sops_bin, ["decrypt", str(target)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stdout == expected
    assert sealfile.decrypt_data(blob, input_type=fmt, env=env) == expected


@pytest.mark.interop
@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sops_encrypts_sealfile_decrypts(fmt, engine, openbao, sops_bin, home, tmp_path):
    env = openbao.env(home)
    plain = tmp_path / ("plain" + SUFFIX[fmt])
    plain.write_bytes((VECTORS / FORMATS[fmt][0]).read_bytes())
    enc = run_sops(sops_bin, ["encrypt", "--hc-vault-transit", openbao.uri(*ENGINES[engine]), str(plain)],
                   env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    target = tmp_path / ("sops" + SUFFIX[fmt])
    target.write_bytes(enc.stdout)
    dec = run_sealfile(["decrypt", str(target)], env, cwd=tmp_path)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stdout == (VECTORS / "decrypted" / FORMATS[fmt][1]).read_bytes()
    opened = decrypt_tree(enc.stdout, input_type=fmt, env=env)
    assert opened.master_keys() == [[VaultTransitKey.parse(openbao.uri(*ENGINES[engine]))]]
    rewritten = opened.reencrypt()  # the entry read from sops's file is written back unchanged
    assert re.findall(r"vault:v1:[A-Za-z0-9+/=]+|\d{4}-\d\d-\d\dT[\d:]+Z", rewritten.decode())[:2] == \
        re.findall(r"vault:v1:[A-Za-z0-9+/=]+|\d{4}-\d\d-\d\dT[\d:]+Z", enc.stdout.decode())[:2]
    back = _sops_decrypt(sops_bin, rewritten, fmt, env)
    assert back.returncode == 0 and back.stdout == dec.stdout, back.stderr.decode()


def _normalised(blob: bytes) -> str:
    """The file with every value that differs between two encryptions replaced."""
    text = blob.decode()
    text = re.sub(r"ENC\[AES256_GCM,[^\]]*\]", "ENC[...]", text)
    text = re.sub(r"vault:v1:[A-Za-z0-9+/=]+", "vault:v1:...", text)
    text = re.sub(r"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----", "AGE", text,
                  flags=re.S)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME", text)


@pytest.mark.interop
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_metadata_layout_matches_sops(fmt, openbao, sops_bin, home, tmp_path):
    env = openbao.env(home)
    uri = openbao.uri("team/a/transit", "nested")
    plain = tmp_path / ("plain" + SUFFIX[fmt])
    plain.write_bytes((VECTORS / FORMATS[fmt][0]).read_bytes())
    theirs = run_sops(sops_bin, ["encrypt", "--hc-vault-transit", uri, str(plain)], env, cwd=tmp_path)
    assert theirs.returncode == 0, theirs.stderr.decode()
    sops_layout = tmp_path / "sops-layout.yaml"  # go-yaml's layout, not the plaintext's
    sops_layout.write_text("stores:\n    yaml:\n        keep_layout: false\n")
    ours = _encrypt(env, fmt, [uri], config=str(sops_layout))
    assert _normalised(ours) == _normalised(theirs.stdout)
    if fmt == "yaml":  # the entry itself, field by field, quoting included
        assert re.search(r"    hc_vault:\n        - vault_address: http://127\.0\.0\.1:\d+\n"
                         r"          engine_path: team/a/transit\n          key_name: nested\n"
                         r"          created_at: \"TIME\"\n          enc: vault:v1:\.\.\.\n", _normalised(ours))


ACCEPTED = ["{a}/v1/transit/keys/sops/", "HTTP://{h}/v1/transit/keys/sops", "{a}//v1/transit/keys/sops",
            "{a}/v1/transit/notkeys/sops", "{a}/v1/team/a/transit/keys/nested", "{a}/v1/transit/keys/sops#frag"]
REJECTED = ["{a}/prefix/v1/transit/keys/sops", "{a}/v1/v1/transit/keys/sops", "{a}/v1/transit/sops",
            "{a}/v1//transit/keys/sops", "{a}", "{h}/v1/transit/keys/sops"]


@pytest.mark.interop
def test_uri_forms_parse_like_sops(openbao, sops_bin, home, tmp_path):
    env = openbao.env(home)
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: 1\n")
    host = openbao.addr.split("//")[1]
    for form in ACCEPTED:
        uri = form.format(a=openbao.addr, h=host)
        enc = run_sops(sops_bin, ["encrypt", "--hc-vault-transit", uri, str(plain)], env, cwd=tmp_path)
        assert enc.returncode == 0, (uri, enc.stderr.decode())
        fields = dict(re.findall(r"(vault_address|engine_path|key_name): (\S+)", enc.stdout.decode()))
        key = VaultTransitKey.parse(uri)
        assert (key.vault_address, key.engine_path, key.key_name) == (
            fields["vault_address"], fields["engine_path"], fields["key_name"]), uri
    for form in REJECTED:
        uri = form.format(a=openbao.addr, h=host)
        enc = run_sops(sops_bin, ["encrypt", "--hc-vault-transit", uri, str(plain)], env, cwd=tmp_path)
        assert enc.returncode == 1, uri
        with pytest.raises(UnknownRecipient) as info:
            VaultTransitKey.parse(uri)
        assert info.value.exit_code == 1
        if "prefixed URL" in enc.stderr.decode() or "formatted correctly" in enc.stderr.decode():
            assert info.value.message == enc.stderr.decode().strip(), uri


@pytest.mark.interop
def test_prefixed_uri_exits_like_sops(openbao, sops_bin, home, tmp_path):
    env = openbao.env(home)
    prefixed = f"{openbao.addr}/vault/v1/transit/keys/sops"
    (tmp_path / "f.yaml").write_text("a: 1\n")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / ".sops.yaml").write_text(f"creation_rules:\n  - hc_vault_transit_uri: {prefixed}\n")
    (tmp_path / "rules" / "f.yaml").write_text("a: 1\n")
    for args, cwd in ((["encrypt", "--hc-vault-transit", prefixed, "f.yaml"], tmp_path),
                      (["encrypt", "f.yaml"], tmp_path / "rules")):
        theirs = run_sops(sops_bin, args, env, cwd=cwd)
        ours = run_sealfile(args, env, cwd=cwd)
        assert theirs.returncode == ours.returncode == 1, args
        assert b"running Vault with a prefixed URL is not supported" in theirs.stderr
        assert b"running Vault with a prefixed URL is not supported! (Format has to be like " \
               b"https://vault.example.com:8200/v1/transit/keys/keyName)" in ours.stderr
        assert ours.stdout == b""


@pytest.mark.interop
def test_cli_flag_env_var_and_rotate(openbao, sops_bin, home, tmp_path):
    age = make_age_key(tmp_path)
    env = openbao.env(home)
    (tmp_path / "f.yaml").write_bytes((VECTORS / "plain.yaml").read_bytes())
    expected = (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()
    by_flag = run_sealfile(["encrypt", "--hc-vault-transit", openbao.uri(), "f.yaml"], env, cwd=tmp_path)
    by_env = run_sealfile(["encrypt", "f.yaml"], {**env, "SOPS_VAULT_URIS": openbao.uri("team/a/transit", "nested")},
                          cwd=tmp_path)
    assert by_flag.returncode == by_env.returncode == 0, by_flag.stderr.decode() + by_env.stderr.decode()
    assert b"key_name: sops" in by_flag.stdout and b"key_name: nested" in by_env.stdout
    (tmp_path / "e.yaml").write_bytes(by_flag.stdout)
    # rotate: swap the Vault key for an age key, then add the nested Vault key back
    swap = run_sealfile(["rotate", "-i", "--add-age", age.recipient, "--rm-hc-vault-transit", openbao.uri(),
                         "e.yaml"], env, cwd=tmp_path)
    assert swap.returncode == 0, swap.stderr.decode()
    assert b"hc_vault" not in (tmp_path / "e.yaml").read_bytes()
    add = run_sealfile(["rotate", "-i", "--add-hc-vault-transit", openbao.uri("team/a/transit", "nested"),
                        "e.yaml"], {**env, "SOPS_AGE_KEY_FILE": str(age.key_file)}, cwd=tmp_path)
    assert add.returncode == 0, add.stderr.decode()
    rotated = (tmp_path / "e.yaml").read_bytes()
    assert b"engine_path: team/a/transit" in rotated and age.recipient.encode() in rotated
    dec = run_sops(sops_bin, ["decrypt", "e.yaml"], env, cwd=tmp_path)  # no age identity: Vault does it
    assert dec.returncode == 0 and dec.stdout == expected, dec.stderr.decode()


@pytest.mark.interop
def test_config_key_groups_both_ways(openbao, sops_bin, home, tmp_path):
    age = make_age_key(tmp_path)
    env = openbao.env(home, SOPS_AGE_KEY_FILE=str(tmp_path / "none.txt"))
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - key_groups:\n"
        f"      - hc_vault:\n          - {openbao.uri('team/a/transit', 'nested')}\n"
        f"        age:\n          - {age.recipient}\n"
        "stores:\n  yaml:\n    keep_layout: false\n")  # go-yaml's layout, not the plaintext's
    (tmp_path / "f.yaml").write_bytes((VECTORS / "plain.yaml").read_bytes())
    tools = {"sealfile": lambda args: run_sealfile(args, env, cwd=tmp_path),
             "sops": lambda args: run_sops(sops_bin, args, env, cwd=tmp_path)}
    written = {}
    for writer, reader in (("sealfile", "sops"), ("sops", "sealfile")):
        enc = tools[writer](["encrypt", "f.yaml"])
        assert enc.returncode == 0, enc.stderr.decode()
        written[writer] = enc.stdout
        (tmp_path / "g.yaml").write_bytes(enc.stdout)
        dec = tools[reader](["decrypt", "g.yaml"])  # no age identity: Vault must do it
        assert dec.returncode == 0, (writer, dec.stderr.decode())
        assert dec.stdout == (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()
    assert b"engine_path: team/a/transit" in written["sealfile"]
    assert _normalised(written["sealfile"]) == _normalised(written["sops"])


# --- tokens --------------------------------------------------------------------

@pytest.mark.interop
def test_token_from_vault_token_file(openbao, sops_bin, home, tmp_path):
    blob = _encrypt(openbao.env(home), "yaml", [openbao.uri()])
    (tmp_path / "f.yaml").write_bytes(blob)
    (home / ".vault-token").write_text(f"  {openbao.root_token}\n\n")
    env = openbao.env(home, token=None)
    assert "VAULT_TOKEN" not in env
    ours = run_sealfile(["decrypt", "f.yaml"], env, cwd=tmp_path)
    theirs = run_sops(sops_bin, ["decrypt", "f.yaml"], env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 0, ours.stderr.decode()
    assert ours.stdout == theirs.stdout == (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()


def test_no_token_fails_with_exit_128(openbao, home, tmp_path):
    (tmp_path / "f.yaml").write_bytes(_encrypt(openbao.env(home), "yaml", [openbao.uri()]))
    started = time.monotonic()
    proc = run_sealfile(["decrypt", "f.yaml"], openbao.env(home, token=None), cwd=tmp_path)
    assert proc.returncode == 128
    assert "HTTP 403: permission denied (no Vault token: set VAULT_TOKEN or write the token to " \
        f"{home}/.vault-token)" in _flat(proc.stderr)
    assert proc.stdout == b""
    assert time.monotonic() - started < 5
    _no_token_in(openbao, proc.stderr)


@pytest.mark.interop
def test_token_without_permission(openbao, sops_bin, home, tmp_path):
    (tmp_path / "f.yaml").write_bytes(_encrypt(openbao.env(home), "yaml", [openbao.uri()]))
    env = openbao.env(home, token=openbao.limited_token)
    ours = run_sealfile(["decrypt", "f.yaml"], env, cwd=tmp_path)
    theirs = run_sops(sops_bin, ["decrypt", "f.yaml"], env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 128
    assert f"'transit/decrypt/sops' at {openbao.addr}: HTTP 403: permission denied" in _flat(ours.stderr)
    assert b"Traceback" not in ours.stderr
    _no_token_in(openbao, ours.stdout, ours.stderr)
    with pytest.raises(SealfileError) as info:  # and wrapping is refused the same way
        _encrypt(env, "yaml", [openbao.uri()])
    assert info.value.exit_code == 1
    assert "Could not generate data key" in info.value.message and "permission denied" in info.value.message
    _no_token_in(openbao, info.value.message.encode())


@pytest.mark.interop
def test_wrong_key_is_refused(openbao, sops_bin, home, tmp_path):
    env = openbao.env(home)
    blob = _encrypt(env, "yaml", [openbao.uri()])
    (tmp_path / "f.yaml").write_bytes(blob.replace(b"key_name: sops", b"key_name: other"))
    ours = run_sealfile(["decrypt", "f.yaml"], env, cwd=tmp_path)
    theirs = run_sops(sops_bin, ["decrypt", "f.yaml"], env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 128
    assert "'transit/decrypt/other' at " in _flat(ours.stderr)
    assert "HTTP 400: cipher: message authentication failed" in _flat(ours.stderr)
    _no_token_in(openbao, ours.stdout, ours.stderr)
    (tmp_path / "g.yaml").write_bytes(blob.replace(b"key_name: sops", b"key_name: missing"))
    missing = run_sealfile(["decrypt", "g.yaml"], env, cwd=tmp_path)
    assert missing.returncode == 128 and "HTTP 400: encryption key not found" in _flat(missing.stderr)


# --- the service down -------------------------------------------------------------

def test_server_down_fails_fast(openbao, home, tmp_path):
    env = openbao.env(home)
    dead = f"http://127.0.0.1:{closed_port()}"
    (tmp_path / "f.yaml").write_bytes(_with_address(_encrypt(env, "yaml", [openbao.uri()]),
                                                    openbao.addr, dead))
    started = time.monotonic()
    proc = run_sealfile(["decrypt", "f.yaml"], env, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert proc.returncode == 128
    assert f"at {dead}: cannot connect: connection refused (after {ATTEMPTS} attempts)" in _flat(proc.stderr)
    assert elapsed < 5, elapsed
    _no_token_in(openbao, proc.stdout, proc.stderr)
    started = time.monotonic()
    with pytest.raises(SealfileError) as info:  # encrypting fails as fast, with sops's exit code
        _encrypt(env, "yaml", [f"{dead}/v1/transit/keys/sops"])
    assert info.value.exit_code == 1 and "connection refused" in info.value.message
    assert time.monotonic() - started < 5
    print(f"vault down: CLI failed in {elapsed:.2f} s")


@pytest.mark.interop
def test_age_key_takes_over_when_vault_is_unreachable(openbao, sops_bin, home, tmp_path, monkeypatch):
    age = make_age_key(tmp_path)
    env = openbao.env(home, SOPS_AGE_KEY_FILE=str(age.key_file))
    blob = _encrypt(env, "yaml", [openbao.uri()], age=[age.recipient])
    sops_reads = _sops_decrypt(sops_bin, blob, "yaml", env)  # mixed metadata, read by sops
    assert sops_reads.returncode == 0, sops_reads.stderr.decode()
    dead = _with_address(blob, openbao.addr, f"http://127.0.0.1:{closed_port()}")
    (tmp_path / "f.yaml").write_bytes(dead)
    started = time.monotonic()
    proc = run_sealfile(["decrypt", "--decryption-order", "hc_vault,age", "f.yaml"], env, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == sops_reads.stdout == (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()
    assert elapsed < 10, elapsed
    tries = []  # in-process: Vault really was tried first, ATTEMPTS times
    real_once = vaultclient._once

    def counting(*args):
        tries.append(args[0].port)
        return real_once(*args)

    monkeypatch.setattr(vaultclient, "_once", counting)
    assert sealfile.decrypt_data(dead, input_type="yaml", decryption_order="hc_vault,age", env=env) \
        == proc.stdout
    assert len(tries) == ATTEMPTS
    print(f"vault unreachable -> age: CLI succeeded in {elapsed:.2f} s")


def test_a_server_that_never_answers_costs_one_read_timeout(openbao, home, monkeypatch):
    monkeypatch.setattr(vaultclient, "READ_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections (kernel backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        key = VaultTransitKey.parse(f"http://127.0.0.1:{silent.getsockname()[1]}/v1/transit/keys/sops")
        started = time.monotonic()
        with pytest.raises(SealfileError) as info:
            key.unwrap("vault:v1:AAAA", KeyContext(openbao.env(home)))
        elapsed = time.monotonic() - started
    assert info.value.message.endswith(": no response within 0.5 s")
    assert 0.5 <= elapsed < 1.5  # not retried: the request may have reached Vault


def test_5xx_is_retried_and_4xx_is_not(openbao, home, monkeypatch):
    calls: list[int] = []
    real_once = vaultclient._once

    def counting(*args):
        result = real_once(*args)
        calls.append(result[0])
        return result

    monkeypatch.setattr(vaultclient, "_once", counting)
    env = openbao.env(home)
    locked = VaultTransitKey.parse(f"{openbao.addr}/v1/locked/transit/keys/k")  # a locked namespace: 503
    with pytest.raises(SealfileError) as info:
        locked.wrap(b"\0" * 32, KeyContext(env))
    assert calls == [503] * ATTEMPTS
    assert "HTTP 503: API access to this namespace has been locked by an administrator" in info.value.message
    calls.clear()
    refused = VaultTransitKey.parse(openbao.uri())
    with pytest.raises(SealfileError) as info:
        refused.wrap(b"\0" * 32, KeyContext(openbao.env(home, token=openbao.limited_token)))
    assert calls == [403]
    assert info.value.message.endswith("HTTP 403: permission denied")


class _Responder(BaseHTTPRequestHandler):
    """A one-route stand-in for Vault (or for a Vault Agent in front of it): ``server.reply`` answers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        return

    def do_PUT(self) -> None:  # http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, data = self.server.reply(self, body)
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _serve(reply) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Responder)
    server.daemon_threads = True
    server.reply = reply
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def test_token_echoed_by_a_server_is_scrubbed_even_where_the_reason_is_cut(openbao, home):
    """A proxy's error page that echoes the request headers: the token must not survive the 200-char cut."""
    token = "hvs." + "T" * 60
    echo = _serve(lambda handler, body: (418, b"x" * 170 + f" X-Vault-Token: {token}".encode()))
    try:
        key = VaultTransitKey.parse(f"http://127.0.0.1:{echo.server_address[1]}/v1/transit/keys/sops")
        with pytest.raises(MasterKeyError) as info:
            key.unwrap("vault:v1:AAAA", KeyContext(openbao.env(home, token=token)))
    finally:
        _stop(echo)
    assert "HTTP 418" in info.value.message
    assert "hvs.TTTT" not in info.value.message


def test_settings_and_targets_do_not_show_credentials_in_their_repr(home):
    ctx = KeyContext({"VAULT_TOKEN": "s.sekret-token-value", "HOME": str(home)})
    assert "sekret" not in repr(vaultclient._settings(ctx))
    assert "p4ss" not in repr(vaultclient._target("http://user:p4ss@127.0.0.1:8200"))


def test_proxy_password_with_an_at_sign_is_not_shown(home):
    env = {"VAULT_TOKEN": "s.abcdefghijklmnop", "HOME": str(home),
           "VAULT_PROXY_ADDR": "socks5://user:p@ssw0rd@proxy.example:1080"}
    with pytest.raises(MasterKeyError) as info:
        VaultTransitKey.parse("http://vault.example:8200/v1/transit/keys/k").unwrap("vault:v1:AAAA", KeyContext(env))
    assert "is not supported" in info.value.message
    assert "ssw0rd" not in info.value.message and "user" not in info.value.message


@pytest.mark.parametrize("address,extra", [
    ("http://a..b:8200", {}),  # IDNA refuses an empty label
    ("https://" + "x" * 70 + ":8200", {}),  # ... and one over 63 characters
    ("http://a b:8200", {}),  # http.client refuses blanks in a host
    ("http://127.0.0.1:1", {"VAULT_AGENT_ADDR": "http://a b:8200"}),
    ("http://127.0.0.1:1", {"VAULT_PROXY_ADDR": "http://a..b:3128"}),
])
def test_a_host_python_cannot_use_is_a_key_failure_not_a_crash(address, extra, home):
    """sops reports such a key as failed and goes on with the next one; so must sealfile."""
    env = {"VAULT_TOKEN": "s.abcdefghijklmnop", "HOME": str(home), **extra}
    with pytest.raises(MasterKeyError):
        VaultTransitKey(address, "transit", "sops").unwrap("vault:v1:AAAA", KeyContext(env))


@pytest.mark.interop
def test_engine_path_with_a_leading_slash_decrypts_like_sops(openbao, sops_bin, home):
    """Go's path.Join keeps "/transit" under /v1/; posixpath.join would drop /v1/ and the key fails."""
    env = openbao.env(home)
    blob = _encrypt(env, "yaml", [openbao.uri()]).replace(b"engine_path: transit", b"engine_path: /transit")
    assert b"engine_path: /transit" in blob
    theirs = _sops_decrypt(sops_bin, blob, "yaml", env)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert sealfile.decrypt_data(blob, input_type="yaml", env=env) == theirs.stdout


@pytest.mark.interop
def test_no_token_through_an_agent_that_adds_its_own(openbao, sops_bin, home):
    """A key addressed at a Vault Agent listener with ``use_auto_auth_token``: no token on the client side."""
    def forward(handler, body):
        request = urllib.request.Request(openbao.addr + handler.path, data=body, method="PUT",
                                         headers={"X-Vault-Token": openbao.root_token,
                                                  "Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    agent = _serve(forward)
    try:
        agent_addr = f"http://127.0.0.1:{agent.server_address[1]}"
        blob = _with_address(_encrypt(openbao.env(home), "yaml", [openbao.uri()]), openbao.addr, agent_addr)
        env = openbao.env(home, token=None)
        theirs = _sops_decrypt(sops_bin, blob, "yaml", env)
        assert theirs.returncode == 0, theirs.stderr.decode()
        assert sealfile.decrypt_data(blob, input_type="yaml", env=env) == theirs.stdout
    finally:
        _stop(agent)


# --- settings the Vault client reads ------------------------------------------------

@pytest.mark.interop
def test_namespace_header(openbao, sops_bin, home, tmp_path):
    env = openbao.env(home, VAULT_NAMESPACE="team1")
    blob = _encrypt(env, "yaml", [openbao.uri("transit", "nsk")])
    dec = _sops_decrypt(sops_bin, blob, "yaml", env)
    assert dec.returncode == 0, dec.stderr.decode()
    assert sealfile.decrypt_data(blob, input_type="yaml", env=env) == dec.stdout
    with pytest.raises(SealfileError) as info:  # the root namespace has no key "nsk"
        sealfile.decrypt_data(blob, input_type="yaml", env=openbao.env(home))
    assert info.value.exit_code == 128 and "HTTP 400: encryption key not found" in _flat(info.value.report)


@pytest.mark.interop
def test_tls_with_client_certificate(openbao, sops_bin, home, tmp_path):
    env = openbao.env(home, **openbao.tls_env())
    uri = openbao.uri(tls=True)
    blob = _encrypt(env, "json", [uri])
    assert openbao.tls_addr.encode() in blob
    dec = _sops_decrypt(sops_bin, blob, "json", env)
    assert dec.returncode == 0, dec.stderr.decode()
    assert dec.stdout == (VECTORS / "decrypted" / "age.decrypted.json").read_bytes()
    plain = tmp_path / "plain.json"
    plain.write_bytes((VECTORS / "plain.json").read_bytes())
    enc = run_sops(sops_bin, ["encrypt", "--hc-vault-transit", uri, str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    assert sealfile.decrypt_data(enc.stdout, input_type="json", env=env) == dec.stdout
    capath = tmp_path / "cas"
    capath.mkdir()
    (capath / "any-name.crt").write_bytes(openbao.ca_file.read_bytes())  # Go reads every file, any name
    by_dir = {**env, "VAULT_CAPATH": str(capath)}
    del by_dir["VAULT_CACERT"]
    assert sealfile.decrypt_data(blob, input_type="json", env=by_dir) == dec.stdout
    insecure = {**by_dir, "VAULT_SKIP_VERIFY": "true"}
    del insecure["VAULT_CAPATH"]
    assert sealfile.decrypt_data(blob, input_type="json", env=insecure) == dec.stdout


def _reason(blob: bytes, env: dict, fmt: str = "json") -> str:
    with pytest.raises(SealfileError) as info:
        sealfile.decrypt_data(blob, input_type=fmt, env=env)
    assert info.value.exit_code == 128
    return _flat(info.value.report)


def test_tls_failures_have_clear_reasons(openbao, home):
    env = openbao.env(home, **openbao.tls_env())
    blob = _encrypt(env, "json", [openbao.uri(tls=True)])
    untrusted = {k: v for k, v in env.items() if k != "VAULT_CACERT"}
    assert "TLS certificate is not trusted: unable to get local issuer certificate (set VAULT_CACERT or " \
        "VAULT_CAPATH)" in _reason(blob, untrusted)
    no_client = {k: v for k, v in env.items() if not k.startswith("VAULT_CLIENT_")}
    assert "set VAULT_CLIENT_CERT and VAULT_CLIENT_KEY" in _reason(blob, no_client)
    assert "both client cert and client key must be provided" in _reason(
        blob, {k: v for k, v in env.items() if k != "VAULT_CLIENT_KEY"})
    assert "could not parse VAULT_SKIP_VERIFY" in _reason(blob, {**env, "VAULT_SKIP_VERIFY": "maybe"})


@pytest.mark.interop
def test_agent_address_wins_and_vault_addr_does_not(openbao, sops_bin, home):
    env = openbao.env(home)
    blob = _with_address(_encrypt(env, "yaml", [openbao.uri()]), openbao.addr,
                         f"http://127.0.0.1:{closed_port()}")
    agent = {**env, "VAULT_AGENT_ADDR": openbao.addr}
    expected = (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()
    assert sealfile.decrypt_data(blob, input_type="yaml", env=agent) == expected
    theirs = _sops_decrypt(sops_bin, blob, "yaml", agent)
    assert theirs.returncode == 0 and theirs.stdout == expected, theirs.stderr.decode()
    assert "connection refused" in _reason(blob, {**env, "VAULT_ADDR": openbao.addr}, "yaml")


def test_proxies(openbao, home):
    env = openbao.env(home)
    blob = _encrypt(env, "yaml", [openbao.uri()])
    expected = (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()
    dead = f"http://127.0.0.1:{closed_port()}"
    # HTTP_PROXY never applies to a loopback Vault (Go's ProxyFromEnvironment)
    assert sealfile.decrypt_data(blob, input_type="yaml", env={**env, "HTTP_PROXY": dead}) == expected
    # VAULT_PROXY_ADDR applies to every request
    assert f"cannot connect through the proxy {dead}: connection refused" in _reason(
        blob, {**env, "VAULT_PROXY_ADDR": dead}, "yaml")
    proxy = LoopbackProxy()
    try:
        via = {**env, "VAULT_PROXY_ADDR": proxy.url.replace("//", "//u:p%40ss@")}
        assert sealfile.decrypt_data(blob, input_type="yaml", env=via) == expected
        tls = {**via, **openbao.tls_env()}
        tls_blob = _encrypt(tls, "yaml", [openbao.uri(tls=True)])
        assert sealfile.decrypt_data(tls_blob, input_type="yaml", env=tls) == expected
    finally:
        proxy.close()
    methods = [(m, t.split("/")[2] if m != "CONNECT" else t) for m, t, _ in proxy.seen]
    http_host, tls_host = openbao.addr.split("//")[1], openbao.tls_addr.split("//")[1]
    assert ("PUT", http_host) in methods and ("CONNECT", tls_host) in methods
    assert {auth for _, _, auth in proxy.seen} == {"Basic dTpwQHNz"}  # u:p@ss


# --- imports ------------------------------------------------------------------------

def test_vault_module_loads_no_http_stack_until_used(openbao, home):
    code = ("import sys, sealfile, sealfile.keys\n"
            "before = set(sys.modules)\n"
            "import sealfile.keys.hcvault, sealfile.keys.vaultclient\n"
            "print(' '.join(sorted(set(sys.modules) - before)))\n")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          timeout=60, env=openbao.env(home))
    assert proc.returncode == 0, proc.stderr
    added = set(proc.stdout.split())
    assert "sealfile.keys.hcvault" in added
    assert not added & {"ssl", "http.client", "socket", "urllib.request", "json", "hvac", "requests", "urllib3"}
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "sealfile.keys.hcvault" in imported and not imported & {"hvac", "requests", "urllib3"}
    decrypt = ("import sys, sealfile\n"
               "sealfile.decrypt_data(sys.stdin.buffer.read(), input_type='yaml')\n"
               "print(' '.join(sorted(sys.modules)))\n")
    blob = _encrypt(openbao.env(home), "yaml", [openbao.uri()])
    proc = subprocess.run([sys.executable, "-c", decrypt], input=blob, capture_output=True, timeout=60,
                          env=openbao.env(home))
    assert proc.returncode == 0, proc.stderr.decode()
    used = {m.split(".")[0] for m in proc.stdout.decode().split()}
    assert "http" in used and not used & {"hvac", "requests", "boto3", "botocore", "google", "azure"}


def test_age_decrypt_does_not_load_the_vault_module(home, openbao):
    code = ("import sys, os, sealfile\n"
            f"os.environ['SOPS_AGE_KEY_FILE'] = {str(VECTORS / 'TEST-ONLY-age-key.txt')!r}\n"
            f"sealfile.decrypt_file({str(VECTORS / 'age.enc.json')!r})\n"
            "print(' '.join(sorted(sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=openbao.env(home))
    assert proc.returncode == 0, proc.stderr
    assert not {"sealfile.keys.hcvault", "sealfile.keys.vaultclient"} & set(proc.stdout.split())
