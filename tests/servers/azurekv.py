"""A fake Azure Key Vault and Entra ID (login) service, over HTTPS on 127.0.0.1.

No Key Vault emulator exists, so this speaks just enough of the real wire
protocol for the two clients under test, the real sops binary (Go azkeys +
azidentity/MSAL) and sealfile (Python azure-keyvault-keys + azure-identity):

* Entra ID: instance discovery (``/common/discovery/instance``), the tenant's
  OpenID configuration, and the v2.0 token endpoint for the client-credentials
  grant, which checks the client id and secret and issues an opaque bearer token.
* Key Vault: ``GET /keys/{name}[/{version}]`` (a JWK of a real RSA key),
  ``POST /keys/{name}/{version}/encrypt|decrypt`` (RSA-OAEP-256, RSA-OAEP,
  RSA1_5 on base64url values), the ``401`` bearer challenge a client gets on its
  first, unauthenticated request, and Key Vault's JSON error bodies.

Both clients reach it by name (``<vault>.vault.azure.net``,
``login.microsoftonline.com``) through :class:`servers.tls.ConnectProxy`; the
certificate comes from :class:`servers.tls.CertificateAuthority`.
"""
from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from servers.net import closed_port

from servers.tls import CertificateAuthority, ConnectProxy

__all__ = ["FakeAzure", "FakeAzureServer", "AzureEnv", "azure_env", "closed_port", "LOGIN_HOST", "VAULT",
           "TENANT_ID", "CLIENT_ID", "CLIENT_SECRET"]

LOGIN_HOST = "login.microsoftonline.com"
VAULT = "sealtest"
TENANT_ID = "5f2b6a3e-7c1d-4e8a-9b0f-2d4c6e8a0b1c"
CLIENT_ID = "0a9c8e7d-6b5a-4f3e-8d2c-1b0a9f8e7d6c"
CLIENT_SECRET = "fake-Secret~8Q~do-not-leak-4d2f9c"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))



@dataclass
class KeyVersion:
    version: str
    private_key: Any
    created: int


@dataclass
class FakeAzure:
    """State of the fake cloud: one tenant, one service principal, vaults of RSA keys."""

    tenant_id: str = TENANT_ID
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    #: vault name -> key name -> versions, oldest first (the last one is current)
    vaults: dict[str, dict[str, list[KeyVersion]]] = field(default_factory=dict)
    #: (vault, key) pairs the principal has no access to (403 Forbidden)
    denied: set[tuple[str, str]] = field(default_factory=set)
    #: every request seen: (method, host, path without query)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    def add_key(self, vault: str, name: str) -> str:
        """Create a key, or a new (now current) version of an existing one; return the version."""
        from cryptography.hazmat.primitives.asymmetric import rsa

        version = secrets.token_hex(16)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.vaults.setdefault(vault, {}).setdefault(name, []).append(KeyVersion(version, key, int(time.time())))
        return version

    def current_version(self, vault: str, name: str) -> str:
        return self.vaults[vault][name][-1].version

    def versions(self, vault: str, name: str) -> list[str]:
        return [v.version for v in self.vaults[vault][name]]

    def find(self, vault: str, name: str, version: str) -> KeyVersion | None:
        versions = self.vaults.get(vault, {}).get(name, [])
        if not versions:
            return None
        if not version:
            return versions[-1]
        return next((v for v in versions if v.version == version), None)


def _padding(alg: str) -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    if alg == "RSA-OAEP-256":
        return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    if alg == "RSA-OAEP":
        return padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    if alg == "RSA1_5":
        return padding.PKCS1v15()
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: buffer each response and send it in one piece (headers and body in separate small
    #: writes would meet Nagle's algorithm and the client's delayed ACK: 40 ms a request)
    wbufsize = -1
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        return

    # -- plumbing ---------------------------------------------------------
    def _host(self) -> str:
        return (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _kv_error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": {"code": code, "message": message}})

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        host = self._host()
        state.requests.append((method, host, url.path))
        body = self._body()
        if host == LOGIN_HOST:
            self._login(method, url.path, parse_qs(url.query), body)
        elif host.endswith(".vault.azure.net"):
            self._vault(method, host.split(".", 1)[0], url.path, body)
        else:
            self._send(404, {"error": "unknown host"})

    # -- Entra ID ---------------------------------------------------------
    def _login(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> None:
        state = self.server.state
        base = f"https://{LOGIN_HOST}"
        parts = [p for p in path.split("/") if p]
        if method == "GET" and parts == ["common", "discovery", "instance"]:
            tenant = state.tenant_id
            self._send(200, {
                "tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [{"preferred_network": LOGIN_HOST, "preferred_cache": "login.windows.net",
                              "aliases": [LOGIN_HOST, "login.windows.net", "login.microsoft.com",
                                          "sts.windows.net"]}],
            })
            return
        if method == "GET" and len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            if tenant != state.tenant_id:
                self._send(400, {"error": "invalid_tenant",
                                 "error_description": f"AADSTS90002: Tenant '{tenant}' not found."})
                return
            self._send(200, {
                "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
                "issuer": f"{base}/{tenant}/v2.0",
                "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                          "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            })
            return
        if method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            if parts[0] != state.tenant_id:
                self._send(400, {"error": "invalid_request",
                                 "error_description": f"AADSTS90002: Tenant '{parts[0]}' not found."})
            elif form.get("grant_type") != "client_credentials":
                self._send(400, {"error": "unsupported_grant_type",
                                 "error_description": "AADSTS70003: grant type not supported here."})
            elif form.get("client_id") != state.client_id:
                self._send(400, {"error": "unauthorized_client", "error_codes": [700016],
                                 "error_description": "AADSTS700016: Application with identifier "
                                 f"'{form.get('client_id')}' was not found in the directory."})
            elif form.get("client_secret") != state.client_secret:
                self._send(401, {"error": "invalid_client", "error_codes": [7000215],
                                 "error_description": "AADSTS7000215: Invalid client secret provided. "
                                 "Ensure the secret being sent in the request is the client secret value, "
                                 f"not the client secret ID, for a secret added to app '{state.client_id}'."})
            elif "https://vault.azure.net/.default" not in form.get("scope", "").split():
                self._send(400, {"error": "invalid_scope",
                                 "error_description": f"AADSTS70011: invalid scope '{form.get('scope')}'."})
            else:
                token = "fake." + secrets.token_urlsafe(24)
                state.tokens.add(token)
                self._send(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                 "access_token": token})
            return
        self._send(404, {"error": "not_found", "error_description": f"no route for {method} {path}"})

    # -- Key Vault --------------------------------------------------------
    def _vault(self, method: str, vault: str, path: str, body: bytes) -> None:
        state = self.server.state
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in state.tokens:
            challenge = (f'Bearer authorization="https://{LOGIN_HOST}/{state.tenant_id}", '
                         'resource="https://vault.azure.net"')
            self._send(401, {"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a "
                                       "Bearer or PoP token."}}, {"WWW-Authenticate": challenge})
            return
        parts = path.split("/")[1:]  # keep empty segments: /keys/name/ and /keys/name//encrypt are meaningful
        if len(parts) < 2 or parts[0] != "keys" or not parts[1]:
            self._kv_error(404, "NotFound", f"no route for {method} {path}")
            return
        name = parts[1]
        version = parts[2] if len(parts) > 2 else ""
        op = parts[3] if len(parts) > 3 else ""
        if (vault, name) in state.denied:
            self._kv_error(403, "Forbidden", f"The user, group or application 'appid={state.client_id}' does "
                           f"not have keys {op or 'get'} permission on key vault '{vault};location=westeurope'.")
            return
        key = state.find(vault, name, version)
        if key is None:
            self._kv_error(404, "KeyNotFound", f"A key with (name/id) {name}/{version} was not found in this "
                           "key vault. If you recently deleted this key you may be able to recover it.")
            return
        kid = f"https://{vault}.vault.azure.net/keys/{name}/{key.version}"
        if method == "GET" and len(parts) <= 3:
            self._send(200, self._key_bundle(kid, key))
        elif method == "POST" and len(parts) == 4 and op in ("encrypt", "decrypt"):
            self._operate(op, kid, key, body)
        else:
            self._kv_error(405, "MethodNotAllowed", f"{method} {path} is not supported")

    @staticmethod
    def _key_bundle(kid: str, key: KeyVersion) -> dict[str, Any]:
        numbers = key.private_key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {
            "key": {"kid": kid, "kty": "RSA", "key_ops": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
                    "n": b64url(n), "e": b64url(e)},
            "attributes": {"enabled": True, "created": key.created, "updated": key.created,
                           "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
            "tags": {},
        }

    def _operate(self, op: str, kid: str, key: KeyVersion, body: bytes) -> None:
        try:
            params = json.loads(body or b"{}")
            alg, value = params["alg"], unb64url(params["value"])
        except (ValueError, KeyError, TypeError):
            self._kv_error(400, "BadParameter", "Property 'alg' or 'value' is missing or malformed.")
            return
        pad = _padding(alg)
        if pad is None:
            self._kv_error(400, "BadParameter", f"Invalid algorithm '{alg}'.")
            return
        try:
            if op == "encrypt":
                result = key.private_key.public_key().encrypt(value, pad)
            else:
                result = key.private_key.decrypt(value, pad)
        except ValueError:
            self._kv_error(400, "BadParameter", "The parameter is incorrect.")
            return
        self._send(200, {"kid": kid, "value": b64url(result)})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    state: FakeAzure
    tls: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        # the TLS handshake runs in the connection's own thread, never in the accept loop
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        super().finish_request(request, client_address)


class FakeAzureServer:
    """Runs :class:`FakeAzure` on an HTTPS port of 127.0.0.1 with the given certificate."""

    def __init__(self, state: FakeAzure, cert_file: Path, key_file: Path) -> None:
        self.state = state
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = state
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(str(cert_file), str(key_file))
        tls.set_alpn_protocols(["http/1.1"])
        self._server.tls = tls
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-azure", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class AzureEnv:
    """Everything a test needs: the fake cloud, proxies to it (working and dead), env builders."""

    state: FakeAzure
    server: FakeAzureServer
    ca: CertificateAuthority
    proxy: ConnectProxy
    #: routes login to the server but every vault to a closed port (the vault is down)
    vault_down_proxy: ConnectProxy
    #: routes every host to a closed port (all of Azure is unreachable)
    all_down_proxy: ConnectProxy

    @property
    def vault_url(self) -> str:
        return f"https://{VAULT}.vault.azure.net"

    def key_url(self, name: str, version: str | None = None) -> str:
        return f"{self.vault_url}/keys/{name}" + (f"/{version}" if version else "")

    def env(self, base: dict[str, str], *, proxy: ConnectProxy | None = None, **extra: str) -> dict[str, str]:
        """``base`` plus proxy, CA trust and service-principal variables; nothing can reach real Azure."""
        out = {k: v for k, v in base.items() if not k.startswith(("AZURE_", "MSI_", "IDENTITY_"))
               and k.lower() not in ("https_proxy", "http_proxy", "no_proxy", "all_proxy")}
        out.update((proxy or self.proxy).env())
        out.update(self.ca.trust_env())
        out.update({"AZURE_TENANT_ID": self.state.tenant_id, "AZURE_CLIENT_ID": self.state.client_id,
                    "AZURE_CLIENT_SECRET": self.state.client_secret,
                    "AZURE_AUTHORITY_HOST": f"https://{LOGIN_HOST}"})
        out.update(extra)
        return out


@pytest.fixture(scope="session")
def azure_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureEnv]:
    """The fake Key Vault + login service and its proxies, started once per session."""
    state = FakeAzure()
    for name, versions in (("sops-key", 3), ("other-key", 1), ("locked-key", 1)):
        for _ in range(versions):
            state.add_key(VAULT, name)
    state.denied.add((VAULT, "locked-key"))
    ca = CertificateAuthority(tmp_path_factory.mktemp("azure-ca"))
    cert = ca.issue("azure", ["*.vault.azure.net", LOGIN_HOST, "127.0.0.1"])
    server = FakeAzureServer(state, cert.cert_file, cert.key_file)
    dead = closed_port()
    proxy = ConnectProxy({"*.vault.azure.net": server.port, LOGIN_HOST: server.port})
    vault_down = ConnectProxy({"*.vault.azure.net": dead, LOGIN_HOST: server.port})
    all_down = ConnectProxy({"*.vault.azure.net": dead, LOGIN_HOST: dead})
    yield AzureEnv(state, server, ca, proxy, vault_down, all_down)
    # each shutdown waits out a 0.5 s poll of its serve_forever loop: do them side by side
    closers = [threading.Thread(target=c.close) for c in (proxy, vault_down, all_down, server)]
    for t in closers:
        t.start()
    for t in closers:
        t.join()
