"""A real OpenBao dev server for the Vault transit tests, on 127.0.0.1 only.

One ``bao server -dev`` per session, with two listeners: the dev listener
(plain http) and a TLS listener that requires a client certificate, both
backed by the same in-memory storage so one key can be reached either way.
It holds transit engines at ``transit/`` and at the nested path
``team/a/transit/``, a namespace ``team1`` with its own transit engine, and a
*locked* namespace ``locked`` whose every request answers 503 (a real 5xx for
the retry tests).  ``limited_token`` has only the ``default`` policy, so it is
refused by transit.
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from servers.net import closed_port, pipe

from conftest import clean_env, require

__all__ = ["OpenBao", "openbao", "closed_port", "LoopbackProxy"]

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
               "no_proxy", "all_proxy")


@dataclass
class OpenBao:
    addr: str  # http://127.0.0.1:PORT
    tls_addr: str  # https://127.0.0.1:PORT, client certificate required
    root_token: str
    limited_token: str
    ca_file: Path
    client_cert: Path
    client_key: Path
    log: Path

    def uri(self, engine: str = "transit", key: str = "sops", *, tls: bool = False) -> str:
        return f"{self.tls_addr if tls else self.addr}/v1/{engine}/keys/{key}"

    def env(self, home: Path, *, token: str | None = "root", **extra: str) -> dict[str, str]:
        """A client environment: no proxies, no BAO_/VAULT_ settings but those asked for."""
        env = {k: v for k, v in clean_env(home).items() if k not in _PROXY_VARS and not k.startswith("BAO_")}
        if token == "root":
            env["VAULT_TOKEN"] = self.root_token
        elif token:
            env["VAULT_TOKEN"] = token
        env.update(extra)
        return env

    def tls_env(self) -> dict[str, str]:
        return {"VAULT_CACERT": str(self.ca_file), "VAULT_CLIENT_CERT": str(self.client_cert),
                "VAULT_CLIENT_KEY": str(self.client_key)}



def _port_pair() -> int:
    """A free port whose successor is free too: the dev listener's cluster port is PORT+1."""
    for _ in range(50):
        port = closed_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


def _make_certs(directory: Path) -> tuple[Path, Path, Path, Path, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (EC P-256)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = _dt.datetime.now(_dt.timezone.utc)

    def write_key(key: ec.EllipticCurvePrivateKey, name: str) -> Path:
        path = directory / name
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)
        return path

    def build(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None,
              signer: ec.EllipticCurvePrivateKey | None, extensions: list) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - _dt.timedelta(hours=1)).not_valid_after(now + _dt.timedelta(days=2)))
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        return builder.sign(signer or key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("sealfile vault test CA", ca_key, None, None,
               [(x509.BasicConstraints(ca=True, path_length=None), True)])
    leaf = [(x509.BasicConstraints(ca=False, path_length=None), True)]
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = build("127.0.0.1", server_key, ca.subject, ca_key, leaf + [
        (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                      x509.DNSName("localhost")]), False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = build("sealfile test client", client_key, ca.subject, ca_key, leaf + [
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)])
    paths = []
    for cert, name in ((ca, "ca.pem"), (server, "server.pem"), (client, "client.pem")):
        (directory / name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths.append(directory / name)
    return paths[0], paths[1], write_key(server_key, "server.key"), paths[2], write_key(client_key, "client.key")


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if pytest dies without running the fixture's teardown."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _healthy(addr: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    try:
        with opener.open(f"{addr}/v1/sys/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


class _Server:
    def __init__(self, workdir: Path) -> None:
        self.bao = require("bao")
        self.workdir = workdir
        self.root_token = "root-" + secrets.token_hex(12)
        ca, server_cert, server_key, client_cert, client_key = _make_certs(workdir)
        self.ca, self.client_cert, self.client_key = ca, client_cert, client_key
        self.log = workdir / "openbao.log"
        for _ in range(3):  # a port taken between choosing and binding: choose again
            port, tls_port, tls_cluster = _port_pair(), closed_port(), closed_port()
            config = workdir / "listener.hcl"
            config.write_text(
                'listener "tcp" {\n'
                f'  address = "127.0.0.1:{tls_port}"\n'
                f'  cluster_address = "127.0.0.1:{tls_cluster}"\n'
                f'  tls_cert_file = "{server_cert}"\n'
                f'  tls_key_file = "{server_key}"\n'
                f'  tls_client_ca_file = "{ca}"\n'
                '  tls_require_and_verify_client_cert = true\n'
                '}\n')
            self.addr, self.tls_addr = f"http://127.0.0.1:{port}", f"https://127.0.0.1:{tls_port}"
            with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
                self.proc = subprocess.Popen(
                    [self.bao, "server", "-dev", "-dev-no-store-token", f"-dev-root-token-id={self.root_token}",
                     f"-dev-listen-address=127.0.0.1:{port}", f"-config={config}"],
                    cwd=workdir, env=self._server_env(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None and not _healthy(self.addr):
                time.sleep(0.05)
            if self.proc.poll() is None and _healthy(self.addr):
                return
            self.stop()
        pytest.fail(f"OpenBao dev server did not start; log:\n{self.log.read_text()[-3000:]}")

    def _server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("BAO_", "VAULT_")) and k not in _PROXY_VARS}
        env["HOME"] = str(self.workdir)  # the dev server may write a token helper file there
        return env

    def run(self, *args: str) -> str:
        env = self._server_env()
        env.update(BAO_ADDR=self.addr, BAO_TOKEN=self.root_token)
        proc = subprocess.run([self.bao, *args], env=env, capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            pytest.fail(f"bao {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_openbao(workdir: Path) -> tuple[OpenBao, _Server]:
    server = _Server(workdir)
    try:
        server.run("secrets", "enable", "transit")
        server.run("secrets", "enable", "-path=team/a/transit", "transit")
        for key in ("transit/keys/sops", "transit/keys/other", "team/a/transit/keys/nested"):
            server.run("write", "-f", key)
        server.run("namespace", "create", "team1")
        server.run("secrets", "enable", "-namespace=team1", "transit")
        server.run("write", "-namespace=team1", "-f", "transit/keys/nsk")
        server.run("namespace", "create", "locked")
        server.run("secrets", "enable", "-namespace=locked", "transit")
        server.run("write", "-namespace=locked", "-f", "transit/keys/k")
        server.run("namespace", "lock", "locked")
        limited = server.run("token", "create", "-policy=default", "-field=token")
    except BaseException:
        server.stop()
        raise
    return OpenBao(server.addr, server.tls_addr, server.root_token, limited, server.ca, server.client_cert,
                   server.client_key, server.log), server


@pytest.fixture(scope="session")
def openbao():
    """The session's OpenBao dev server (started on first use, stopped at the end)."""
    workdir = Path(tempfile.mkdtemp(prefix="sfbao"))
    bao, server = start_openbao(workdir)
    yield bao
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: "_ProxyServer"
    rbufsize = 0  # unbuffered: nothing after the header is left behind in a buffer

    def handle(self) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n") and len(head) < 65536:
            line = self.rfile.readline()
            if not line:
                return
            head += line
        method, target = head.split(b" ", 2)[:2]
        lines = head.decode("latin-1").split("\r\n")
        auth = next((line.split(":", 1)[1].strip() for line in lines
                     if line.lower().startswith("proxy-authorization:")), "")
        owner = self.server.owner
        if method == b"CONNECT":
            host, _, port = target.decode().rpartition(":")
        else:  # an absolute URI: http://host:port/path
            hostport = target.decode().split("/", 3)[2]
            host, _, port = hostport.rpartition(":")
        owner.seen.append((method.decode(), target.decode(), auth))
        if host not in ("127.0.0.1", "localhost"):  # never anywhere but loopback
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
        if method == b"CONNECT":
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            path = "/" + target.decode().split("/", 3)[3]
            kept = [line for line in lines[1:] if not line.lower().startswith("proxy-authorization:")]
            upstream.sendall(f"{method.decode()} {path} HTTP/1.1\r\n".encode() + "\r\n".join(kept).encode("latin-1"))
        pipe(self.connection, upstream)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    owner: "LoopbackProxy"


class LoopbackProxy:
    """An HTTP proxy (CONNECT and absolute-URI forwarding) that only reaches 127.0.0.1.

    ``seen`` records (method, target, Proxy-Authorization) of every request.
    """

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.owner = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
