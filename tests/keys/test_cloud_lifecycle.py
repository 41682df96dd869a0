"""Cloud keys across the lifecycle commands, with every service running on loopback.

Key groups mixing services (Shamir), ``updatekeys`` adding and removing cloud
keys, ``rotate --add-*/--rm-*`` for every type, and decryption that moves on
when services are down, each checked against the real sops where it can be.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import VECTORS, make_age_key, run_sealfile, run_sops
from servers.azurekv import VAULT, azure_env  # noqa: F401
from servers.gcpkms import gcp_kms  # noqa: F401
from servers.moto import closed_port, moto_server  # noqa: F401
from servers.openbao import openbao  # noqa: F401
from servers.tls import ConnectProxy

PLAIN = (VECTORS / "plain.yaml").read_bytes()
EXPECTED = (VECTORS / "decrypted" / "age.decrypted.yaml").read_bytes()
#: the issue's budget for decrypting with age while a cloud service is unreachable
BUDGET = 30.0


@pytest.fixture(scope="module")
def kms_arn(moto_server) -> str:  # noqa: F811
    return moto_server.create_key()


@pytest.fixture(scope="module")
def clouds(azure_env, gcp_kms, tmp_path_factory):  # noqa: F811
    """One CA bundle and one CONNECT proxy for both fakes (a process has one HTTPS_PROXY),
    and a second proxy that sends every cloud host to a closed port."""
    bundle = tmp_path_factory.mktemp("clouds") / "ca-bundle.pem"
    bundle.write_bytes(azure_env.ca.cert_pem + gcp_kms.ca.cert_pem)
    up = ConnectProxy({**azure_env.proxy.routes, **gcp_kms.proxy.routes})
    dead = closed_port()
    down = ConnectProxy({pattern: dead for pattern in up.routes})
    trust = {name: str(bundle) for name in azure_env.ca.trust_env()}
    yield {"up": up, "down": down, "trust": trust}
    up.close()
    down.close()


@pytest.fixture
def world(tmp_path: Path, moto_server, openbao, azure_env, gcp_kms, clouds, kms_arn):  # noqa: F811
    """One environment that reaches moto (KMS), OpenBao (transit), the fake Azure and the fake GCP."""
    home = tmp_path / "home"
    home.mkdir()
    env = gcp_kms.base_env(azure_env.env(moto_server.env(home)))
    env.update(clouds["up"].env())
    env.update(clouds["trust"])
    env["VAULT_TOKEN"] = openbao.root_token
    env["GOOGLE_OAUTH_ACCESS_TOKEN"] = gcp_kms.token
    gcp_key = gcp_kms.state.add_key("projects/sealfile-test/locations/global/keyRings/ring/cryptoKeys/lifecycle")
    return {
        "env": env, "age": make_age_key(tmp_path, "age.txt"), "dir": tmp_path,
        "kms": kms_arn, "vault": openbao.uri(), "azure": azure_env.key_url("sops-key"), "gcp": gcp_key,
        "azure_env": azure_env, "down_proxy": clouds["down"],
    }


def _without(env: dict[str, str], *names: str, **overrides: str) -> dict[str, str]:
    out = {k: v for k, v in env.items() if k not in names}
    out.update(overrides)
    return out


def _encrypt(world, args: list[str], name: str = "secrets.yaml") -> Path:
    plain = world["dir"] / name
    plain.write_bytes(PLAIN)
    out = run_sealfile(["encrypt", "-i", *args, str(plain)], world["env"], cwd=world["dir"])
    assert out.returncode == 0, out.stderr.decode()
    return plain


def _decrypts(tool: str, sops_bin: str, path: Path, env: dict[str, str]) -> bool:
    run = run_sops if tool == "sops" else None
    out = run(sops_bin, ["decrypt", str(path)], env) if run else run_sealfile(["decrypt", str(path)], env)
    if out.returncode == 0:
        assert out.stdout == EXPECTED
        return True
    assert out.returncode == 128, out.stderr.decode()
    return False


def _values(text: str) -> list[str]:
    return re.findall(r"ENC\[AES256_GCM,data:[^\]]*type:(?:str|int|float|bool|comment)\]",
                      text.split("\nsops:\n")[0])


@pytest.mark.interop
def test_shamir_groups_across_services_both_tools(world, sops_bin):
    """Three groups (KMS with a context | Vault or Azure | age), two needed; written by either tool."""
    cfg = world["dir"] / ".sops.yaml"
    cfg.write_text(
        "creation_rules:\n"
        "  - shamir_threshold: 2\n"
        "    key_groups:\n"
        f"      - kms:\n          - arn: {world['kms']}\n            context: {{team: ops}}\n"
        f"      - hc_vault: ['{world['vault']}']\n"
        f"        azure_keyvault:\n          - vaultUrl: {world['azure_env'].vault_url}\n"
        "            key: sops-key\n            version: \"\"\n"
        f"        gcp_kms:\n          - resource_id: {world['gcp']}\n"
        f"      - age: [{world['age'].recipient}]\n")
    env = world["env"]
    only_kms_and_azure = _without(env, "VAULT_TOKEN", "GOOGLE_OAUTH_ACCESS_TOKEN")
    only_kms = dict(only_kms_and_azure, AZURE_CLIENT_SECRET="wrong-secret-value")
    for writer in ("sealfile", "sops"):
        target = world["dir"] / f"{writer}.yaml"
        target.write_bytes(PLAIN)
        runner = run_sealfile if writer == "sealfile" else (lambda a, e, **k: run_sops(sops_bin, a, e, **k))
        out = runner(["encrypt", "-i", str(target)], env, cwd=world["dir"])
        assert out.returncode == 0, out.stderr.decode()
        text = target.read_text()
        assert "shamir_threshold: 2" in text and text.count("enc:") == 5
        version = world["azure_env"].state.current_version(VAULT, "sops-key")
        assert f"version: {version}" in text  # the current version, recorded as sops records it
        for reader in ("sealfile", "sops"):
            assert _decrypts(reader, sops_bin, target, only_kms_and_azure), (writer, reader)
            assert not _decrypts(reader, sops_bin, target, only_kms), (writer, reader)


@pytest.mark.interop
def test_updatekeys_adds_and_removes_cloud_keys(world, sops_bin):
    """A rule that gains KMS, Vault, Azure and GCP keys: values keep their ciphertext; sops reads the result."""
    cfg = world["dir"] / ".sops.yaml"
    cfg.write_text(f"creation_rules:\n  - age: {world['age'].recipient}\n")
    target = _encrypt(world, [])
    before = _values(target.read_text())
    env = dict(world["env"], SOPS_AGE_KEY_FILE=str(world["age"].key_file))
    cfg.write_text("creation_rules:\n"
                   f"  - age: {world['age'].recipient}\n"
                   f"    kms: {world['kms']}\n    aws_profile: \"\"\n"
                   f"    hc_vault_transit_uri: {world['vault']}\n"
                   f"    azure_keyvault: {world['azure']}\n"
                   f"    gcp_kms: {world['gcp']}\n")
    out = run_sealfile(["updatekeys", "-y", str(target)], env, cwd=world["dir"])
    assert out.returncode == 0, out.stderr.decode()
    shown = out.stdout.decode()
    for key in (world["kms"], world["vault"], world["gcp"], world["azure"] + "/"):
        assert f"+++ {key}" in shown, shown
    assert _values(target.read_text()) == before
    for reader in ("sealfile", "sops"):
        assert _decrypts(reader, sops_bin, target, world["env"])  # no age key: the cloud keys open it
    again = run_sealfile(["updatekeys", "-y", str(target)], env, cwd=world["dir"])
    assert again.returncode == 0 and b"already up to date" in again.stderr, again.stderr.decode()
    cfg.write_text(f"creation_rules:\n  - age: {world['age'].recipient}\n")
    out = run_sealfile(["updatekeys", "-y", str(target)], env, cwd=world["dir"])
    assert out.returncode == 0, out.stderr.decode()
    assert "--- " + world["kms"] in out.stdout.decode()
    text = target.read_text()
    assert "kms:" not in text and "hc_vault:" not in text and "azure_kv:" not in text and "gcp_kms" not in text
    assert not _decrypts("sops", sops_bin, target, world["env"])
    assert _decrypts("sops", sops_bin, target, env)


@pytest.mark.interop
def test_rotate_adds_and_removes_every_cloud_type(world, sops_bin):
    """``rotate --add-kms (with a context) --add-hc-vault-transit --add-azure-kv --add-gcp-kms``, then ``--rm-*``."""
    target = _encrypt(world, ["--age", world["age"].recipient])
    env = dict(world["env"], SOPS_AGE_KEY_FILE=str(world["age"].key_file))
    add = ["--add-kms", world["kms"], "--encryption-context", "app:web", "--add-hc-vault-transit", world["vault"],
           "--add-azure-kv", world["azure"], "--add-gcp-kms", world["gcp"]]
    out = run_sealfile(["rotate", "-i", *add, str(target)], env)
    assert out.returncode == 0, out.stderr.decode()
    text = target.read_text()
    assert "context:\n            app: web" in text and "vault_address:" in text and "azure_kv:" in text
    assert "resource_id: " + world["gcp"] in text
    for reader in ("sealfile", "sops"):
        assert _decrypts(reader, sops_bin, target, world["env"])  # without the age key
    # --rm-kms matches only with the same context (sops's string form); the Azure URL without a
    # version matches the recorded key once completed, as in sops
    keep = run_sealfile(["rotate", "-i", "--rm-kms", world["kms"], str(target)], env)
    assert keep.returncode == 0 and "arn: " + world["kms"] in target.read_text()
    rm = ["--rm-kms", world["kms"], "--encryption-context", "app:web", "--rm-hc-vault-transit", world["vault"],
          "--rm-azure-kv", world["azure"], "--rm-gcp-kms", world["gcp"]]
    out = run_sealfile(["rotate", "-i", *rm, str(target)], env)
    assert out.returncode == 0, out.stderr.decode()
    text = target.read_text()
    assert "kms:" not in text and "hc_vault" not in text and "azure_kv" not in text and "gcp_kms" not in text
    for reader in ("sealfile", "sops"):
        assert not _decrypts(reader, sops_bin, target, world["env"])
        assert _decrypts(reader, sops_bin, target, env)


class _BlackHole:
    """Accepts TCP connections and never answers: the worst kind of unreachable service."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.mark.interop
def test_every_service_down_age_still_decrypts_and_the_report_names_each_key(world, sops_bin):
    """All four services unreachable (one of them hanging): age opens the file within the budget,
    and without the age key the report lists every recipient with its own reason."""
    target = _encrypt(world, ["--age", world["age"].recipient, "--kms", world["kms"],
                              "--hc-vault-transit", world["vault"], "--azure-kv", world["azure"],
                              "--gcp-kms", world["gcp"]])
    hole = _BlackHole()
    try:
        down = dict(world["env"], **world["down_proxy"].env())
        down["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{closed_port()}"
        down["VAULT_AGENT_ADDR"] = f"http://127.0.0.1:{hole.port}"  # replaces the file's address
        order = ["--decryption-order", "kms,gcp_kms,azure_kv,hc_vault,age"]
        start = time.monotonic()
        ok = run_sealfile(["decrypt", *order, str(target)], dict(down, SOPS_AGE_KEY_FILE=str(world["age"].key_file)))
        took = time.monotonic() - start
        assert ok.returncode == 0, ok.stderr.decode()
        assert ok.stdout == EXPECTED and ok.stderr == b""
        assert took < BUDGET, took
        assert hole.held, "Vault was never tried"
        start = time.monotonic()
        bad = run_sealfile(["decrypt", *order, str(target)], down)
        took_bad = time.monotonic() - start
    finally:
        hole.close()
    assert bad.returncode == 128 and took_bad < BUDGET, (bad.returncode, took_bad)
    report = " ".join(bad.stderr.decode().replace("|", " ").split())
    for key in (world["kms"], world["gcp"], world["azure"], world["vault"], world["age"].recipient):
        assert f"{key}" in report, (key, report)
    assert report.count("FAILED") == 6  # the group and each of its five keys
    # each key with its own reason: refused, proxy 502 (gRPC and HTTPS), the hanging Vault, no age key
    for reason in ("EndpointConnectionError", "UNAVAILABLE", "502 Bad Gateway", "no response within",
                   "failed to load age identities"):
        assert reason in report, (reason, report)
    assert "Traceback" not in report


@pytest.mark.interop
def test_legacy_form_groups_add_and_edit_take_cloud_flags(world, sops_bin):
    """sops's other entry points: ``-e`` with ``--kms``, ``groups add --hc-vault-transit --kms``,
    ``edit`` of a new file with ``--gcp-kms``; and a malformed context is exit 6 as in sops."""
    env, work = world["env"], world["dir"]
    target = work / "legacy.yaml"
    target.write_bytes(PLAIN)
    out = run_sealfile(["-e", "--kms", world["kms"], "--encryption-context", "app:web", "-i", str(target)], env)
    assert out.returncode == 0, out.stderr.decode()
    assert "context:\n            app: web" in target.read_text()
    assert _decrypts("sops", sops_bin, target, env)

    bad = ["encrypt", "--kms", world["kms"], "--encryption-context", "app=web", str(work / "x.yaml")]
    (work / "x.yaml").write_bytes(PLAIN)
    ours, theirs = run_sealfile(bad, env), run_sops(sops_bin, bad, env)
    assert ours.returncode == theirs.returncode == 6, (ours.stderr, theirs.stderr)
    assert ours.stdout == b"" and len(ours.stderr.splitlines()) == 1

    out = run_sealfile(["groups", "add", "--file", str(target), "--hc-vault-transit", world["vault"],
                        "--kms", world["kms"], "--encryption-context", "team:x", "-i"], env)
    assert out.returncode == 0, out.stderr.decode()
    text = target.read_text()
    assert "key_groups:" in text and "team: x" in text and "vault_address:" in text
    assert _decrypts("sops", sops_bin, target, _without(env, "VAULT_TOKEN"))  # group 2 through KMS + context

    editor = work / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'token: hunter2\\n' > \"$1\"\n")
    editor.chmod(0o755)
    new = work / "new.yaml"
    out = run_sealfile(["edit", "--gcp-kms", world["gcp"], str(new)], dict(env, EDITOR=str(editor)))
    assert out.returncode == 0, out.stderr.decode()
    assert "resource_id: " + world["gcp"] in new.read_text() and "hunter2" not in new.read_text()
    plain = run_sops(sops_bin, ["decrypt", str(new)], env)
    assert plain.returncode == 0 and plain.stdout == b"token: hunter2\n", plain.stderr.decode()
