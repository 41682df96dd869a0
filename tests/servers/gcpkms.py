"""A fake Cloud KMS speaking the real wire protocols, on 127.0.0.1 only.

No emulator exists for Cloud KMS, so this one implements what sops and
sealfile use: ``google.cloud.kms.v1.KeyManagementService/Encrypt`` and
``/Decrypt`` over gRPC with TLS (the REST form ``POST /v1/{name}:encrypt`` too,
for ``SOPS_GCP_KMS_CLIENT_TYPE=rest``), plus an OAuth 2.0 token endpoint for
service accounts and ``authorized_user`` refresh tokens.  Each crypto key has
its own AES-256-GCM secret and the key name is the AAD, so a ciphertext moved
to another key fails with INVALID_ARGUMENT as on Cloud KMS.  Bearer tokens
are checked (UNAUTHENTICATED / PERMISSION_DENIED), unknown keys give
NOT_FOUND, and the CRC32C fields are checked and filled as Cloud KMS does.

The real ``sops`` binary reaches it through :class:`servers.tls.ConnectProxy`
(``cloudkms.googleapis.com:443`` and ``oauth2.googleapis.com:443`` are routed
here); sealfile can use the same path or ``SOPS_GCP_KMS_ENDPOINT``.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from servers.net import closed_port

from servers.tls import CertificateAuthority, ConnectProxy

__all__ = ["FakeCloudKms", "GcpKmsHarness", "gcp_kms", "crc32c_bitwise", "closed_port"]

_SERVICE = "google.cloud.kms.v1.KeyManagementService"
_HTTP_STATUS = {"INVALID_ARGUMENT": 400, "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403, "NOT_FOUND": 404}


def crc32c_bitwise(data: bytes) -> int:
    """CRC-32C computed bit by bit: independent of sealfile's table-driven version."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF



def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Fail(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@contextlib.contextmanager
def _status_of(call: "Call") -> Iterator[None]:
    """A refused request is recorded with the status it was refused with."""
    try:
        yield
    except _Fail as exc:
        call.status = exc.status
        raise


@dataclass
class Call:
    method: str          # "Encrypt" / "Decrypt"
    name: str
    principal: str       # who the token belongs to, or "?" when refused
    sent_crc32c: bool    # the client sent plaintext_crc32c / ciphertext_crc32c
    transport: str       # "grpc" / "rest"
    status: str = "OK"


@dataclass
class ServiceAccount:
    email: str
    key_id: str
    info: dict[str, Any]  # the JSON a user would download


@dataclass
class FakeCloudKms:
    """The state shared by the gRPC server and the HTTPS (token + REST) server."""

    keys: dict[str, bytes] = field(default_factory=dict)
    #: access token -> (principal, key names it may use, or None for every key)
    tokens: dict[str, tuple[str, frozenset[str] | None]] = field(default_factory=dict)
    #: service-account key id -> (principal, public key)
    sa_keys: dict[str, tuple[str, Any]] = field(default_factory=dict)
    #: refresh token -> (client id, client secret, principal)
    refresh_tokens: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: principal -> key names it may use (None: all)
    grants: dict[str, frozenset[str] | None] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    token_requests: list[str] = field(default_factory=list)  # grant types seen by the token endpoint
    #: when set, responses carry wrong CRC32C values (what corruption in transit looks like)
    corrupt_checksums: bool = False

    # -- configuration -----------------------------------------------------------------------------
    def add_key(self, name: str) -> str:
        self.keys[name] = os.urandom(32)
        return name

    def add_token(self, principal: str, keys: list[str] | None = None) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.grants[principal] = None if keys is None else frozenset(keys)
        self.tokens[token] = (principal, self.grants[principal])
        return token

    def add_service_account(self, email: str, token_uri: str, keys: list[str] | None = None) -> ServiceAccount:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_id = secrets.token_hex(20)
        self.sa_keys[key_id] = (email, private.public_key())
        self.grants[email] = None if keys is None else frozenset(keys)
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        info = {"type": "service_account", "project_id": "sealfile-test", "private_key_id": key_id,
                "private_key": pem, "client_email": email, "client_id": "1234567890",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
                "universe_domain": "googleapis.com"}
        return ServiceAccount(email, key_id, info)

    def add_authorized_user(self, principal: str, keys: list[str] | None = None) -> dict[str, Any]:
        """gcloud's ADC file; its token endpoint is always oauth2.googleapis.com (clients ignore token_uri)."""
        client_id, client_secret = "fake-client.apps.googleusercontent.com", secrets.token_urlsafe(12)
        refresh = "1//fake-" + secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = (client_id, client_secret, principal)
        self.grants[principal] = None if keys is None else frozenset(keys)
        return {"type": "authorized_user", "client_id": client_id, "client_secret": client_secret,
                "refresh_token": refresh}

    # -- authentication ------------------------------------------------------------------------------
    def _verify_jwt(self, token: str) -> str:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            head_b64, body_b64, sig_b64 = token.split(".")
            header = json.loads(_b64url_decode(head_b64))
            claims = json.loads(_b64url_decode(body_b64))
        except ValueError:
            raise _Fail("UNAUTHENTICATED", "Request had invalid authentication credentials.") from None
        entry = self.sa_keys.get(header.get("kid", ""))
        if entry is None or header.get("alg") != "RS256":
            raise _Fail("UNAUTHENTICATED", "Request had invalid authentication credentials.")
        email, public = entry
        try:
            public.verify(_b64url_decode(sig_b64), f"{head_b64}.{body_b64}".encode(), padding.PKCS1v15(),
                          hashes.SHA256())
        except InvalidSignature:
            raise _Fail("UNAUTHENTICATED", "Request had invalid authentication credentials.") from None
        if claims.get("iss") != email or float(claims.get("exp", 0)) < time.time():
            raise _Fail("UNAUTHENTICATED", "Request had invalid authentication credentials.")
        return email

    def principal(self, authorization: str | None) -> str:
        if not authorization or not authorization.startswith("Bearer "):
            raise _Fail("UNAUTHENTICATED", "Request is missing required authentication credential.")
        token = authorization[len("Bearer "):].strip()
        if token in self.tokens:
            return self.tokens[token][0]
        if token.count(".") == 2:  # a service account's self-signed JWT
            return self._verify_jwt(token)
        raise _Fail("UNAUTHENTICATED", "Request had invalid authentication credentials. "
                                       "Expected OAuth 2 access token.")

    def _authorize(self, principal: str, name: str) -> bytes:
        allowed = self.grants.get(principal)
        if allowed is not None and name not in allowed:
            raise _Fail("PERMISSION_DENIED", f"Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied "
                                             f"on resource '{name}' (or it may not exist).")
        secret = self.keys.get(name)
        if secret is None:
            raise _Fail("NOT_FOUND", f"CryptoKey {name} not found.")
        return secret

    # -- the two operations ----------------------------------------------------------------------------
    def _admit(self, op: str, authorization: str | None, name: str, data: bytes, crc: int | None,
               transport: str, field_name: str) -> tuple[Call, bytes]:
        """What Cloud KMS checks first for both operations: who calls, may they use the key, and
        the request's checksum.  Records the call; returns it with the key's secret."""
        call = Call(op, name, "?", crc is not None, transport)
        self.calls.append(call)
        with _status_of(call):
            call.principal = self.principal(authorization)
            secret = self._authorize(call.principal, name)
            if crc is not None and crc != crc32c_bitwise(data):
                raise _Fail("INVALID_ARGUMENT", f"The checksum in field {field_name}_crc32c did not match "
                                                f"the data in field {field_name}.")
        return call, secret

    def encrypt(self, authorization: str | None, name: str, plaintext: bytes, crc: int | None,
                transport: str) -> dict[str, Any]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        call, secret = self._admit("Encrypt", authorization, name, plaintext, crc, transport, "plaintext")
        with _status_of(call):
            if not plaintext or len(plaintext) > 65536:
                raise _Fail("INVALID_ARGUMENT", "Plaintext must be between 1 and 65536 bytes.")
        nonce = os.urandom(12)
        ciphertext = b"\x01" + nonce + AESGCM(secret).encrypt(nonce, plaintext, name.encode())
        return {"name": f"{name}/cryptoKeyVersions/1", "ciphertext": ciphertext,
                "ciphertext_crc32c": crc32c_bitwise(ciphertext) ^ self.corrupt_checksums,
                "verified_plaintext_crc32c": crc is not None}

    def decrypt(self, authorization: str | None, name: str, ciphertext: bytes, crc: int | None,
                transport: str) -> dict[str, Any]:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        call, secret = self._admit("Decrypt", authorization, name, ciphertext, crc, transport, "ciphertext")
        with _status_of(call):
            if len(ciphertext) < 1 + 12 + 16 or ciphertext[:1] != b"\x01":
                raise _Fail("INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
            try:
                plaintext = AESGCM(secret).decrypt(ciphertext[1:13], ciphertext[13:], name.encode())
            except InvalidTag:
                raise _Fail("INVALID_ARGUMENT", "Decryption failed: verify that 'name' refers to the "
                                                "correct CryptoKey.") from None
        return {"plaintext": plaintext, "plaintext_crc32c": crc32c_bitwise(plaintext) ^ self.corrupt_checksums,
                "used_primary": True}

    # -- the token endpoint ---------------------------------------------------------------------------
    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        grant = form.get("grant_type", "")
        self.token_requests.append(grant)
        if grant == "refresh_token":
            client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
            entry = self.refresh_tokens.get(form.get("refresh_token", ""))
            if entry is None or entry[:2] != (client_id, client_secret):
                raise _Fail("invalid_grant", "Bad Request")
            principal = entry[2]
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            try:
                principal = self._verify_jwt(form.get("assertion", ""))
            except _Fail:
                raise _Fail("invalid_grant", "Invalid JWT Signature.") from None
        else:
            raise _Fail("unsupported_grant_type", f"Invalid grant_type: {grant}")
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.tokens[token] = (principal, self.grants.get(principal))
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/cloud-platform"}


# -- gRPC front end ---------------------------------------------------------------------------------------

def _grpc_server(state: FakeCloudKms, cert_pem: bytes, key_pem: bytes) -> tuple[Any, int]:
    import grpc
    from google.cloud import kms_v1

    def metadata(context: Any) -> str | None:
        return next((v for k, v in context.invocation_metadata() if k == "authorization"), None)

    def encrypt(request: Any, context: Any) -> Any:
        try:
            out = state.encrypt(metadata(context), request.name, bytes(request.plaintext),
                                request.plaintext_crc32c, "grpc")
        except _Fail as exc:
            context.abort(getattr(grpc.StatusCode, exc.status), exc.message)
        return kms_v1.EncryptResponse(protection_level=kms_v1.ProtectionLevel.SOFTWARE, **out)

    def decrypt(request: Any, context: Any) -> Any:
        try:
            out = state.decrypt(metadata(context), request.name, bytes(request.ciphertext),
                                request.ciphertext_crc32c, "grpc")
        except _Fail as exc:
            context.abort(getattr(grpc.StatusCode, exc.status), exc.message)
        return kms_v1.DecryptResponse(protection_level=kms_v1.ProtectionLevel.SOFTWARE, **out)

    handler = grpc.method_handlers_generic_handler(_SERVICE, {
        "Encrypt": grpc.unary_unary_rpc_method_handler(
            encrypt, request_deserializer=kms_v1.EncryptRequest.deserialize,
            response_serializer=kms_v1.EncryptResponse.serialize),
        "Decrypt": grpc.unary_unary_rpc_method_handler(
            decrypt, request_deserializer=kms_v1.DecryptRequest.deserialize,
            response_serializer=kms_v1.DecryptResponse.serialize),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="fake-kms"))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(key_pem, cert_pem)]))
    server.start()
    return server, port


# -- HTTPS front end: OAuth token endpoint and the KMS REST API -----------------------------------------

class _HttpsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_HttpsServer"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urllib.parse.urlsplit(self.path).path
        state = self.server.state
        if path in ("/token", "/o/oauth2/token"):
            return self._token(state, body)
        if path.startswith("/v1/") and path.endswith((":encrypt", ":decrypt")):
            return self._kms(state, path[len("/v1/"):], body)
        self._reply(404, {"error": {"code": 404, "message": "no such method", "status": "NOT_FOUND"}})

    def _token(self, state: FakeCloudKms, body: bytes) -> None:
        ctype = self.headers.get("Content-Type", "")
        form = json.loads(body or b"{}") if "json" in ctype else dict(urllib.parse.parse_qsl(body.decode()))
        basic = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            basic = (urllib.parse.unquote(user), urllib.parse.unquote(password))
        try:
            self._reply(200, state.token(form, basic))
        except _Fail as exc:
            self._reply(400, {"error": exc.status, "error_description": exc.message})

    def _kms(self, state: FakeCloudKms, resource: str, body: bytes) -> None:
        name, _, verb = resource.rpartition(":")
        request = json.loads(body or b"{}")
        auth = self.headers.get("Authorization")
        try:
            if verb == "encrypt":
                crc = request.get("plaintextCrc32c")
                out = state.encrypt(auth, name, base64.b64decode(request.get("plaintext", "")),
                                    None if crc is None else int(crc), "rest")
                reply = {"name": out["name"], "ciphertext": base64.b64encode(out["ciphertext"]).decode(),
                         "ciphertextCrc32c": str(out["ciphertext_crc32c"]),
                         "verifiedPlaintextCrc32c": out["verified_plaintext_crc32c"],
                         "protectionLevel": "SOFTWARE"}
            else:
                crc = request.get("ciphertextCrc32c")
                out = state.decrypt(auth, name, base64.b64decode(request.get("ciphertext", "")),
                                    None if crc is None else int(crc), "rest")
                reply = {"plaintext": base64.b64encode(out["plaintext"]).decode(),
                         "plaintextCrc32c": str(out["plaintext_crc32c"]), "usedPrimary": True,
                         "protectionLevel": "SOFTWARE"}
        except _Fail as exc:
            code = _HTTP_STATUS.get(exc.status, 400)
            return self._reply(code, {"error": {"code": code, "message": exc.message, "status": exc.status}})
        self._reply(200, reply)


class _HttpsServer(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeCloudKms
    tls: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        sock.settimeout(10)
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


def _https_server(state: FakeCloudKms, cert_file: Path, key_file: Path) -> tuple[_HttpsServer, int]:
    server = _HttpsServer(("127.0.0.1", 0), _HttpsHandler)
    server.state = state
    server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.tls.load_cert_chain(str(cert_file), str(key_file))
    threading.Thread(target=server.serve_forever, name="fake-kms-https", daemon=True).start()
    return server, server.server_address[1]


# -- the session fixture ------------------------------------------------------------------------------------

@dataclass
class GcpKmsHarness:
    """A running fake Cloud KMS, its CA, and a CONNECT proxy routing Google's hosts to it."""

    state: FakeCloudKms
    ca: CertificateAuthority
    proxy: ConnectProxy
    grpc_port: int
    https_port: int
    directory: Path
    key: str            # a crypto key the default token may use
    other_key: str      # a second one (ciphertext-moved tests)
    token: str          # GOOGLE_OAUTH_ACCESS_TOKEN with access to every key
    metadata_port: int  # closed: any metadata-server lookup fails locally
    servers: tuple[Any, ...] = ()  # kept referenced: a collected grpc.Server stops serving

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def rest_endpoint(self) -> str:
        return f"127.0.0.1:{self.https_port}"

    def base_env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` without Google credentials, with the test CA, a dead metadata server and the proxy.

        The proxy is always set so that a client that is not pointed anywhere else reaches the
        fake or gets a 403, never Google (it refuses every host but the two it routes).
        """
        out = {k: v for k, v in env.items()
               if not k.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_")) and k.lower() not in (
                   "https_proxy", "http_proxy", "grpc_proxy", "no_proxy", "no_grpc_proxy", "all_proxy")}
        out.update(self.ca.trust_env())
        out.update(self.proxy.env())
        out["GCE_METADATA_HOST"] = f"127.0.0.1:{self.metadata_port}"
        out["GCE_METADATA_IP"] = f"127.0.0.1:{self.metadata_port}"
        out["CLOUDSDK_CONFIG"] = str(self.directory / "no-gcloud")
        return out

    def proxy_env(self, env: dict[str, str], **extra: str) -> dict[str, str]:
        """How the real sops reaches the fake: cloudkms.googleapis.com through the CONNECT proxy."""
        out = self.base_env(env)
        out.update(extra)
        return out

    def endpoint_env(self, env: dict[str, str], **extra: str) -> dict[str, str]:
        """sealfile with SOPS_GCP_KMS_ENDPOINT=127.0.0.1:PORT (loopback: the proxy is not used)."""
        out = self.base_env(env)
        out["SOPS_GCP_KMS_ENDPOINT"] = self.endpoint
        out.update(extra)
        return out

    def calls_since(self, mark: int) -> list[Call]:
        return self.state.calls[mark:]


@pytest.fixture(scope="session")
def gcp_kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcpKmsHarness]:
    directory = tmp_path_factory.mktemp("gcpkms")
    ca = CertificateAuthority(directory / "ca")
    grpc_cert = ca.issue("cloudkms", ["cloudkms.googleapis.com", "127.0.0.1"])
    https_cert = ca.issue("oauth2", ["oauth2.googleapis.com", "127.0.0.1"])
    state = FakeCloudKms()
    key = state.add_key("projects/sealfile-test/locations/global/keyRings/ring/cryptoKeys/sops")
    other = state.add_key("projects/sealfile-test/locations/europe-west1/keyRings/ring2/cryptoKeys/other")
    token = state.add_token("tester@sealfile.invalid")
    server, grpc_port = _grpc_server(state, grpc_cert.cert_pem, grpc_cert.key_pem)
    https, https_port = _https_server(state, https_cert.cert_file, https_cert.key_file)
    proxy = ConnectProxy({"cloudkms.googleapis.com:443": grpc_port, "oauth2.googleapis.com:443": https_port})
    harness = GcpKmsHarness(state, ca, proxy, grpc_port, https_port, directory, key, other, token, closed_port(),
                            (server, https))
    yield harness
    proxy.close()
    https.shutdown()
    https.server_close()
    server.stop(grace=None)
