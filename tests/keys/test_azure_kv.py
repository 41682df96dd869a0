"""Azure Key Vault keys against a fake vault + Entra ID, with the real sops binary as the peer.

Both sops (Go) and sealfile (Python) reach ``sealtest.vault.azure.net`` and
``login.microsoftonline.com`` through the CONNECT proxy of ``servers.tls``,
which routes them to the fake HTTPS server on 127.0.0.1 and refuses anything
else; a service principal's secret authenticates both.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sealfile
from conftest import clean_env, make_age_key, run_sealfile, run_sops
from sealfile.errors import MasterKeyError, SealfileError, UnknownRecipient
from sealfile.keys import KeyContext
from functools import partial

from sealfile.keys import parse_keys
from sealfile.keys.azkv import AzureKeyVaultKey

parse_list = partial(parse_keys, "azure_kv")
from servers.azurekv import CLIENT_SECRET, LOGIN_HOST, VAULT, AzureEnv, azure_env, closed_port  # noqa: F401

PLAINTEXTS = {
    "yaml": b"db:\n    user: admin\n    password: s3cr3t\nports:\n    - 80\n    - 443\nenabled: true\n",
    "json": (b'{\n\t"db": {\n\t\t"password": "s3cr3t",\n\t\t"user": "admin"\n\t},\n'
             b'\t"ports": [\n\t\t80,\n\t\t443\n\t]\n}\n'),
    "ini": b"[db]\npassword = s3cr3t\nuser     = admin\n",
}


@pytest.fixture
def az(azure_env: AzureEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Env for sops/sealfile: private HOME, proxy, CA, service principal.

    This process's own environment is poisoned (a dead proxy, a missing CA bundle, a wrong
    secret), so every in-process success proves sealfile took its settings from ``env=``.
    """
    dead = f"http://127.0.0.1:{closed_port()}"
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, dead)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "no-such-ca.pem"))
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "poisoned-process-secret")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return azure_env.env(clean_env(home))


def sops_decrypt(sops: str, path: Path, env: dict[str, str], *extra: str) -> bytes:
    proc = run_sops(sops, ["decrypt", *extra, str(path)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def sops_encrypt(sops: str, path: Path, env: dict[str, str], *flags: str) -> bytes:
    proc = run_sops(sops, ["encrypt", *flags, str(path)], env)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def azure_entries(blob: bytes, fmt: str) -> list[dict]:
    """The azure_kv entries of a YAML or JSON file, read with a plain parser."""
    import yaml

    doc = json.loads(blob) if fmt == "json" else yaml.safe_load(blob)
    return doc["sops"]["azure_kv"]


def ini_version(blob: bytes) -> str:
    match = re.search(rb"^azure_kv__list_0__map_version\s*=\s*(\S+)$", blob, re.M)
    assert match, blob.decode()
    return match.group(1).decode()


# -- interop: sealfile writes, sops reads --------------------------------------------------------

@pytest.mark.parametrize("fmt,versioned", [("yaml", False), ("yaml", True), ("json", False), ("json", True),
                                           ("ini", False)])
def test_sealfile_encrypts_sops_decrypts(fmt, versioned, azure_env, az, sops_bin, tmp_path):
    old = azure_env.state.versions(VAULT, "sops-key")[0]  # an explicit version that is *not* the current one
    url = azure_env.key_url("sops-key", old if versioned else None)
    before = len(azure_env.state.requests)
    blob = sealfile.encrypt_data(PLAINTEXTS[fmt], input_type=fmt, recipients={"azure_kv": [url]},
                                 config=False, env=az)
    expected = old if versioned else azure_env.state.current_version(VAULT, "sops-key")
    recorded = ini_version(blob) if fmt == "ini" else azure_entries(blob, fmt)[0]["version"]
    assert recorded == expected
    calls = azure_env.state.requests[before:]
    # the data key was wrapped by the vault's encrypt operation, for exactly that version
    assert ("POST", f"{VAULT}.vault.azure.net", f"/keys/sops-key/{expected}/encrypt") in calls
    # the key itself is fetched only to learn the current version, as sops does
    assert any(c[0] == "GET" and c[2].startswith("/keys/sops-key") for c in calls) is (not versioned)
    path = tmp_path / f"secret.enc.{fmt}"
    path.write_bytes(blob)
    assert sops_decrypt(sops_bin, path, az) == PLAINTEXTS[fmt]
    assert sealfile.decrypt_data(blob, input_type=fmt, env=az) == PLAINTEXTS[fmt]


# -- interop: sops writes, sealfile reads --------------------------------------------------------

@pytest.mark.parametrize("fmt,versioned", [("yaml", False), ("json", True), ("ini", False), ("ini", True)])
def test_sops_encrypts_sealfile_decrypts(fmt, versioned, azure_env, az, sops_bin, tmp_path):
    old = azure_env.state.versions(VAULT, "sops-key")[1]
    url = azure_env.key_url("sops-key", old if versioned else None)
    plain = tmp_path / f"secret.{fmt}"
    plain.write_bytes(PLAINTEXTS[fmt])
    blob = sops_encrypt(sops_bin, plain, az, "--azure-kv", url)
    recorded = ini_version(blob) if fmt == "ini" else azure_entries(blob, fmt)[0]["version"]
    assert recorded == (old if versioned else azure_env.state.current_version(VAULT, "sops-key"))
    out = sealfile.decrypt_data(blob, input_type=fmt, env=az)
    assert out == PLAINTEXTS[fmt]
    enc = tmp_path / f"secret.enc.{fmt}"
    enc.write_bytes(blob)
    assert out == sops_decrypt(sops_bin, enc, az)
    # nothing tried to reach a host the proxy does not route
    assert {t.rsplit(":", 1)[0] for t in azure_env.proxy.seen} <= {f"{VAULT}.vault.azure.net", LOGIN_HOST}


def test_cli_round_trip_both_ways(azure_env, az, sops_bin, tmp_path):
    """The sealfile CLI (its env is the process environment) with --azure-kv, against sops."""
    url = azure_env.key_url("sops-key")
    plain = tmp_path / "app.yaml"
    plain.write_bytes(PLAINTEXTS["yaml"])
    proc = run_sealfile(["encrypt", "--azure-kv", url, str(plain)], az)
    assert proc.returncode == 0, proc.stderr.decode()
    mine = tmp_path / "mine.enc.yaml"
    mine.write_bytes(proc.stdout)
    assert sops_decrypt(sops_bin, mine, az) == PLAINTEXTS["yaml"]
    theirs = tmp_path / "theirs.enc.yaml"
    theirs.write_bytes(sops_encrypt(sops_bin, plain, az, "--azure-kv", url))
    proc = run_sealfile(["decrypt", str(theirs)], az)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == PLAINTEXTS["yaml"]
    assert proc.stderr == b""  # no SDK log noise


def test_key_groups_config_records_current_version(azure_env, az, sops_bin, tmp_path):
    """.sops.yaml key_groups form {vaultUrl, key}: both tools resolve and record the current version."""
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - key_groups:\n      - azure_keyvault:\n"
        f"          - vaultUrl: {azure_env.vault_url}\n            key: other-key\n")
    plain = tmp_path / "cfg.yaml"
    plain.write_bytes(PLAINTEXTS["yaml"])
    theirs = run_sops(sops_bin, ["encrypt", str(plain)], az, cwd=tmp_path)
    mine = run_sealfile(["encrypt", str(plain)], az, cwd=tmp_path)
    assert theirs.returncode == 0 and mine.returncode == 0, (theirs.stderr, mine.stderr)
    current = azure_env.state.current_version(VAULT, "other-key")
    assert azure_entries(theirs.stdout, "yaml")[0]["version"] == current
    assert azure_entries(mine.stdout, "yaml")[0]["version"] == current
    assert mask(mine.stdout) == mask(theirs.stdout)


def test_key_rotation_old_files_keep_their_version(azure_env, az, sops_bin, tmp_path):
    first = azure_env.state.add_key(VAULT, "rotating-key")
    url = azure_env.key_url("rotating-key")
    old_blob = sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", recipients={"azure_kv": [url]},
                                     config=False, env=az)
    second = azure_env.state.add_key(VAULT, "rotating-key")
    new_blob = sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", recipients={"azure_kv": [url]},
                                     config=False, env=az)
    assert azure_entries(old_blob, "yaml")[0]["version"] == first
    assert azure_entries(new_blob, "yaml")[0]["version"] == second != first
    old = tmp_path / "old.enc.yaml"
    old.write_bytes(old_blob)
    assert sops_decrypt(sops_bin, old, az) == PLAINTEXTS["yaml"]
    assert sealfile.decrypt_data(old_blob, input_type="yaml", env=az) == PLAINTEXTS["yaml"]


# -- metadata layout -----------------------------------------------------------------------------

_MASKED = re.compile(r'^(\s*"?(?:enc|created_at|lastmodified|mac)"?\s*:\s*)("?)[^"\n]*?("?)(,?)$', re.M)


def mask(blob: bytes) -> str:
    """The file with every ciphertext, MAC and timestamp replaced; field order and quoting kept."""
    text = re.sub(r"ENC\[AES256_GCM,[^\]]*\]", "ENC[...]", blob.decode())
    return _MASKED.sub(r"\1\2<masked>\3\4", text)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_metadata_layout_matches_sops(fmt, azure_env, az, sops_bin, tmp_path):
    url = azure_env.key_url("sops-key")
    plain = tmp_path / f"layout.{fmt}"
    plain.write_bytes(PLAINTEXTS[fmt])
    theirs = sops_encrypt(sops_bin, plain, az, "--azure-kv", url)
    mine = sealfile.encrypt_data(PLAINTEXTS[fmt], input_type=fmt, recipients={"azure_kv": [url]},
                                 config=False, env=az)
    assert "<masked>" in mask(theirs) and "azure_kv" in mask(theirs)
    assert mask(mine) == mask(theirs)
    entry = azure_entries(mine, fmt)[0]
    assert list(entry) == ["vault_url", "name", "version", "created_at", "enc"]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", entry["enc"])  # base64url, no padding
    assert len(entry["enc"]) == 342  # 256 bytes of RSA-2048 ciphertext


# -- failures ------------------------------------------------------------------------------------

@pytest.fixture
def enc_file(azure_env, az, tmp_path) -> Path:
    path = tmp_path / "f.enc.yaml"
    path.write_bytes(sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False, env=az,
                                           recipients={"azure_kv": [azure_env.key_url("sops-key")]}))
    return path


def test_wrong_client_secret(azure_env, az, enc_file, sops_bin):
    wrong = "Wr0ng~secret~value~7f3a"
    bad = dict(az, AZURE_CLIENT_SECRET=wrong)
    proc = run_sealfile(["decrypt", str(enc_file)], bad)
    err = proc.stderr.decode()
    assert proc.returncode == 128, err
    key = AzureKeyVaultKey.from_metadata(azure_entries(enc_file.read_bytes(), "yaml")[0]).key.to_string()
    assert key in err
    assert "AADSTS7000215" in err and "Traceback" not in err
    assert wrong not in err and CLIENT_SECRET not in err
    assert run_sops(sops_bin, ["decrypt", str(enc_file)], bad).returncode == 128


def test_ciphertext_for_another_key(azure_env, az, enc_file, sops_bin):
    """An enc made for sops-key, presented as other-key's: the vault's decrypt refuses it."""
    other = azure_env.state.current_version(VAULT, "other-key")
    text = re.sub(r"name: sops-key\n(\s*)version: \w+", rf"name: other-key\n\1version: {other}",
                  enc_file.read_text())
    enc_file.write_text(text)
    proc = run_sealfile(["decrypt", str(enc_file)], az)
    err = proc.stderr.decode()
    assert proc.returncode == 128, err
    assert f"{azure_env.vault_url}/keys/other-key/{other}" in err
    assert "Azure Key Vault decrypt failed: BadParameter" in err
    assert run_sops(sops_bin, ["decrypt", str(enc_file)], az).returncode == 128


def test_forbidden_key_aborts_encryption(azure_env, az):
    locked = azure_env.state.current_version(VAULT, "locked-key")
    with pytest.raises(SealfileError) as info:
        sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False, env=az,
                              recipients={"azure_kv": [azure_env.key_url("locked-key", locked)]})
    assert "Azure Key Vault encrypt failed: Forbidden: " in info.value.message
    assert f"/keys/locked-key/{locked}" in info.value.message
    with pytest.raises(SealfileError) as info:  # no version: the version lookup is refused first
        sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False, env=az,
                              recipients={"azure_kv": [azure_env.key_url("locked-key")]})
    assert "current version: Forbidden" in info.value.message


def test_missing_key_fails_encryption(azure_env, az):
    with pytest.raises(SealfileError, match="KeyNotFound"):
        sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False, env=az,
                              recipients={"azure_kv": [azure_env.key_url("no-such-key")]})


def test_vault_down_fails_fast(azure_env, az, enc_file):
    env = azure_env.env(az, proxy=azure_env.vault_down_proxy)
    start = time.monotonic()
    proc = run_sealfile(["decrypt", str(enc_file)], env)
    elapsed = time.monotonic() - start
    err = proc.stderr.decode()
    assert proc.returncode == 128, err
    assert elapsed < 15, elapsed
    assert "Azure Key Vault decrypt failed: cannot reach the service" in err
    assert "Traceback" not in err


def test_login_down_fails_fast_in_process(azure_env, az, enc_file):
    env = azure_env.env(az, proxy=azure_env.all_down_proxy)
    start = time.monotonic()
    with pytest.raises(SealfileError) as info:
        sealfile.decrypt_data(enc_file.read_bytes(), input_type="yaml", env=env)
    assert time.monotonic() - start < 15
    assert info.value.exit_code == 128
    assert "Azure Key Vault decrypt failed" in info.value.report
    assert CLIENT_SECRET not in info.value.report


def test_age_key_used_when_vault_unreachable(azure_env, az, tmp_path):
    age = make_age_key(tmp_path)
    blob = sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False, env=az,
                                 recipients={"azure_kv": [azure_env.key_url("sops-key")], "age": [age.recipient]})
    path = tmp_path / "mixed.enc.yaml"
    path.write_bytes(blob)
    down = azure_env.all_down_proxy
    seen_before = len(down.seen)
    env = azure_env.env(az, proxy=down, SOPS_AGE_KEY_FILE=str(age.key_file))
    start = time.monotonic()
    proc = run_sealfile(["decrypt", "--decryption-order", "azure_kv,age", str(path)], env)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == PLAINTEXTS["yaml"]
    assert elapsed < 15, elapsed
    assert any(t.startswith(f"{VAULT}.vault.azure.net") for t in down.seen[seen_before:])  # Azure went first


# -- parsing and metadata, no network --------------------------------------------------------------

def test_parse_follows_sops_url_pattern():
    key = AzureKeyVaultKey.parse("  https://v.vault.azure.net/keys/k/0123abcd \n")
    assert (key.vault_url, key.name, key.version) == ("https://v.vault.azure.net", "k", "0123abcd")
    assert key.to_string() == "https://v.vault.azure.net/keys/k/0123abcd"
    assert AzureKeyVaultKey.parse("https://v.vault.azure.net/keys/k").version == ""
    assert AzureKeyVaultKey.parse("https://v.vault.azure.net/keys/k/").version == ""
    for bad in ("http://v.vault.azure.net/keys/k", "https://v.vault.azure.net/secrets/k",
                "https://v.vault.azure.net/keys/k/v/extra", "https://v.vault.azure.net/keys/",
                "", "v.vault.azure.net/keys/k", "https://v.vault.azure.net:443/keys/k/v?x/y"):
        with pytest.raises(UnknownRecipient):
            AzureKeyVaultKey.parse(bad)
    mapping = AzureKeyVaultKey.parse({"vaultUrl": "https://v.vault.azure.net", "key": "k", "version": "9"})
    assert mapping == AzureKeyVaultKey("https://v.vault.azure.net", "k", "9")
    assert AzureKeyVaultKey.parse({"vaultUrl": "https://v.vault.azure.net", "key": "k"}).version == ""
    with pytest.raises(UnknownRecipient):
        AzureKeyVaultKey.parse({"vaultUrl": "https://v.vault.azure.net"})
    assert [k.name for k in parse_list("https://a.vault.azure.net/keys/x,https://b.vault.azure.net/keys/y/1")] \
        == ["x", "y"]


def test_metadata_round_trip_and_enc_strictness():
    key = AzureKeyVaultKey("https://v.vault.azure.net", "k", "0123")
    fields = key.to_metadata("abc_-", "2026-01-02T03:04:05Z")
    assert fields == [("vault_url", "https://v.vault.azure.net"), ("name", "k"), ("version", "0123"),
                      ("created_at", "2026-01-02T03:04:05Z"), ("enc", "abc_-")]
    entry = AzureKeyVaultKey.from_metadata({**dict(fields),
                                            "created_at": _dt.datetime(2026, 1, 2, 3, 4, 5)})
    assert entry.key == key and entry.enc == "abc_-" and entry.created_at == "2026-01-02T03:04:05Z"
    for enc in ("abc=", "ab+c", "a"):  # padding, the standard alphabet, an impossible length
        with pytest.raises(MasterKeyError, match="base64url"):
            key.unwrap(enc, KeyContext(env={}))


def test_bad_token_credentials_selection(az):
    with pytest.raises(SealfileError) as info:
        sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False,
                              env=dict(az, AZURE_TOKEN_CREDENTIALS="bogus"),
                              recipients={"azure_kv": ["https://sealtest.vault.azure.net/keys/sops-key"]})
    assert "AZURE_TOKEN_CREDENTIALS" in info.value.message


def test_token_credentials_selection_follows_go(azure_env, az, enc_file, monkeypatch, tmp_path):
    """AZURE_TOKEN_CREDENTIALS narrows the chain as azidentity does: "dev" skips the secret."""
    blob = enc_file.read_bytes()
    named = dict(az, AZURE_TOKEN_CREDENTIALS="environmentcredential")  # names match case-insensitively
    ok = sealfile.decrypt_data(blob, input_type="yaml", env=named)
    assert ok == PLAINTEXTS["yaml"]
    # azure-identity finds az/azd on the *process* PATH (env= cannot reach it): empty it, so a
    # developer's logged-in az cannot answer
    monkeypatch.setenv("PATH", str(tmp_path))
    env = dict(az, AZURE_TOKEN_CREDENTIALS="dev")
    with pytest.raises(SealfileError) as info:
        sealfile.decrypt_data(blob, input_type="yaml", env=env)
    report = info.value.report
    assert "AzureCliCredential" in report and "ClientSecretCredential" not in report


def test_unreadable_certificate_skips_the_environment_credential(azure_env, az, tmp_path):
    """azidentity reports a credential it cannot build as unavailable; decryption goes on to the next key."""
    age = make_age_key(tmp_path)
    blob = sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False, env=az,
                                 recipients={"azure_kv": [azure_env.key_url("sops-key")], "age": [age.recipient]})
    env = {k: v for k, v in az.items() if k != "AZURE_CLIENT_SECRET"}
    env.update(AZURE_CLIENT_CERTIFICATE_PATH=str(tmp_path / "no-such-cert.pem"),
               AZURE_TOKEN_CREDENTIALS="EnvironmentCredential")
    with pytest.raises(SealfileError) as info:
        sealfile.decrypt_data(blob, input_type="yaml", env=env)
    assert info.value.exit_code == 128
    assert "EnvironmentCredential" in info.value.report and "no-such-cert.pem" in info.value.report
    env["SOPS_AGE_KEY_FILE"] = str(age.key_file)
    assert sealfile.decrypt_data(blob, input_type="yaml", decryption_order="azure_kv,age", env=env) \
        == PLAINTEXTS["yaml"]


def test_entry_without_vault_url_or_name_fails_only_when_used(tmp_path):
    """sops reads missing fields as "": a damaged azure_kv entry must not stop an age key from decrypting."""
    age = make_age_key(tmp_path)
    blob = sealfile.encrypt_data(PLAINTEXTS["yaml"], input_type="yaml", config=False, env={},
                                 recipients={"age": [age.recipient]})
    damaged = blob.replace(b"sops:\n", b"sops:\n    azure_kv:\n        - version: ''\n"
                           b"          created_at: \"2026-01-02T03:04:05Z\"\n          enc: AAAA\n", 1)
    assert damaged != blob
    env = {"SOPS_AGE_KEY_FILE": str(age.key_file)}
    assert sealfile.decrypt_data(damaged, input_type="yaml", decryption_order="azure_kv,age", env=env) \
        == PLAINTEXTS["yaml"]
    entry = AzureKeyVaultKey.from_metadata({"created_at": "2026-01-02T03:04:05Z", "enc": "AAAA"})
    assert entry.key == AzureKeyVaultKey("", "", "")


def test_missing_sdk_names_the_extra(tmp_path):
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'azure':\n"
        "            raise ImportError(name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from sealfile.keys import KeyContext, provider\n"
        "from sealfile.errors import MissingExtra\n"
        "key = provider('azure_kv').parse('https://v.vault.azure.net/keys/k/1')\n"
        "try:\n"
        "    key.unwrap('AAAA', KeyContext(env={}))\n"
        "except MissingExtra as exc:\n"
        "    print(exc.message)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'sealfile[azure]'" in proc.stdout


# -- lazy import ---------------------------------------------------------------------------------

def test_sdk_is_imported_lazily(tmp_path):
    """Importing the key source, parsing keys and an age decrypt load no Azure module."""
    age = make_age_key(tmp_path)
    blob = sealfile.encrypt_data(b"a: 1\n", input_type="yaml", config=False, env={},
                                 recipients={"age": [age.recipient]})
    (tmp_path / "a.enc.yaml").write_bytes(blob)
    code = (
        "import sys, sealfile\n"
        "from sealfile.keys import provider\n"
        "k = provider('azure_kv').parse('https://v.vault.azure.net/keys/k/1')\n"
        "assert k.to_string() == 'https://v.vault.azure.net/keys/k/1'\n"
        f"out = sealfile.decrypt_file({str(tmp_path / 'a.enc.yaml')!r}, "
        f"env={{'SOPS_AGE_KEY_FILE': {str(age.key_file)!r}}})\n"
        "assert out == 'a: 1\\n', out\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          timeout=60, env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = proc.stdout.split()
    assert "sealfile.keys.azkv" in modules and "sealfile.keys.age" in modules
    # importlib.import_module'd modules are missing from -X importtime, so check sys.modules too
    timed = [line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    heavy = ("azure", "msal", "requests", "urllib3")
    assert not [m for m in modules + timed if m.split(".")[0] in heavy]
    assert "sealfile.keys.azclient" not in modules
