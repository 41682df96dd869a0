"""A throwaway CA and an HTTP CONNECT proxy that only ever reaches 127.0.0.1.

Cloud clients (the real sops binary's Go SDKs, and Python's) talk to fixed
hosts such as ``cloudkms.googleapis.com`` or ``login.microsoftonline.com``.
Both honour ``HTTPS_PROXY``; pointing it here sends those connections to a
local fake server instead, and a CA the test generates (trusted through
``SSL_CERT_FILE`` and friends) lets the TLS handshake succeed.  A host that
has no route is refused, so nothing can leak past the loopback interface.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import ipaddress
import socket
import socketserver
import threading
from dataclasses import dataclass
from pathlib import Path

from servers.net import pipe

__all__ = ["CertificateAuthority", "ConnectProxy"]


@dataclass
class IssuedCert:
    cert_file: Path
    key_file: Path
    cert_pem: bytes
    key_pem: bytes


class CertificateAuthority:
    """A self-signed CA written to ``directory/ca.pem``; issues leaf certificates for test servers."""

    def __init__(self, directory: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._x509, self._hashes, self._ser, self._ec, self._oid = x509, hashes, serialization, ec, NameOID
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealfile test CA")])
        now = _dt.datetime.now(_dt.timezone.utc)
        self._cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = self._cert.public_bytes(serialization.Encoding.PEM)
        self.cert_file = self.directory / "ca.pem"
        self.cert_file.write_bytes(self.cert_pem)

    def issue(self, name: str, hostnames: list[str]) -> IssuedCert:
        """A server certificate for ``hostnames`` (DNS names, wildcards, or IP addresses)."""
        x509, ec, oid = self._x509, self._ec, self._oid
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for host in hostnames:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        now = _dt.datetime.now(_dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(oid.COMMON_NAME, hostnames[0])]))
            .issuer_name(self._cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                           critical=False)
            .sign(self._key, self._hashes.SHA256())
        )
        cert_pem = cert.public_bytes(self._ser.Encoding.PEM)
        key_pem = key.private_bytes(self._ser.Encoding.PEM, self._ser.PrivateFormat.PKCS8,
                                    self._ser.NoEncryption())
        cert_file, key_file = self.directory / f"{name}.pem", self.directory / f"{name}.key"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        key_file.chmod(0o600)
        return IssuedCert(cert_file, key_file, cert_pem, key_pem)

    def trust_env(self) -> dict[str, str]:
        """Variables that make Go, OpenSSL, requests and gRPC trust this CA (and only it)."""
        path = str(self.cert_file)
        return {"SSL_CERT_FILE": path, "REQUESTS_CA_BUNDLE": path, "CURL_CA_BUNDLE": path,
                "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": path}


class _Handler(socketserver.BaseRequestHandler):
    server: "_ProxyServer"

    def handle(self) -> None:
        client = self.request
        client.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk or len(head) > 65536:
                return
            head += chunk
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) < 2 or parts[0].upper() != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        target = parts[1]
        backend = self.server.owner.route(target)
        self.server.owner.seen.append(target)
        if backend is None:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", backend), timeout=5)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        extra = head.split(b"\r\n\r\n", 1)[1]
        if extra:
            upstream.sendall(extra)
        pipe(client, upstream)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "ConnectProxy"


class ConnectProxy:
    """``HTTPS_PROXY`` target: CONNECT to a routed host goes to a local port; anything else gets 403.

    ``routes`` maps ``host[:port]`` patterns (fnmatch, e.g. ``*.vault.azure.net``)
    to local ports.  ``seen`` records every CONNECT target, so tests can prove
    which hosts a client tried to reach.
    """

    def __init__(self, routes: dict[str, int] | None = None) -> None:
        self.routes: dict[str, int] = dict(routes or {})
        self.seen: list[str] = []
        self._server = _ProxyServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="connect-proxy", daemon=True)
        self._thread.start()

    def route(self, target: str) -> int | None:
        host = target.rsplit(":", 1)[0] if target.count(":") == 1 else target
        for pattern, port in self.routes.items():
            if fnmatch.fnmatch(target, pattern) or fnmatch.fnmatch(host, pattern):
                return port
        return None

    def env(self) -> dict[str, str]:
        """Proxy variables for a client process; loopback itself is never proxied."""
        return {"HTTPS_PROXY": self.url, "https_proxy": self.url, "HTTP_PROXY": self.url,
                "http_proxy": self.url, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                "grpc_proxy": self.url}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
