"""GCP Cloud KMS master keys (sops ``gcpkms/keysource.go``).

The data key is wrapped by Cloud KMS ``Encrypt`` on a crypto key named by its
resource id; ``enc`` is the standard base64 of the returned ciphertext (sops
<= 3.8 used the REST API, whose JSON carries bytes as base64, and later
versions kept that form in the file).  Credentials are chosen as sops chooses them: ``GOOGLE_CREDENTIALS``
(a file path if such a file exists, else the JSON itself), else
``GOOGLE_OAUTH_ACCESS_TOKEN``, else application default credentials.
sops 3.13's ``SOPS_GCP_KMS_ENDPOINT``, ``SOPS_GCP_KMS_UNIVERSE_DOMAIN`` and
``SOPS_GCP_KMS_CLIENT_TYPE`` (``grpc``/``rest``) are honoured too.

Everything is read from ``KeyContext.env``, not the process environment:
the gRPC channel is built here with its TLS roots and proxy taken from that
mapping (gRPC's C core would otherwise read ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``
and ``https_proxy`` from ``os.environ``), and token refreshes go through a
``requests`` session that ignores ``os.environ`` likewise.  TLS roots:
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``, else ``SSL_CERT_FILE`` (what Go, hence
sops, trusts), else gRPC's bundled roots; for HTTPS (token endpoints, the REST
client) ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``SSL_CERT_FILE``, else
certifi.  Proxy: ``grpc_proxy``, ``https_proxy``/``HTTPS_PROXY`` (gRPC also
``http_proxy``) minus ``no_grpc_proxy``/``no_proxy``/``NO_PROXY`` and
loopback, as Go does.

Unlike sops, the wrap and unwrap requests carry CRC32C checksums and the
responses' checksums are verified (Cloud KMS's documented integrity check):
the bytes on the wire and in the file are unchanged by it.
"""
from __future__ import annotations

import binascii
import os
import re
import time
from ..records import record
from typing import Any, Callable, ClassVar, Mapping

from ..errors import MasterKeyError, MetadataError, SealfileError, UnknownRecipient
from .base import (ATTEMPTS, CONNECT_TIMEOUT, KeyBase, KeyContext, KeyEntry, KeyOrder, KeyType, READ_TIMEOUT,
                   import_sdk, now_rfc3339, recorded)

__all__ = ["KEY_TYPE", "GcpKmsKey", "crc32c"]

#: sops's pattern, checked before any call (``newKMSClient``); compiled on first use, through ``re``'s
#: cache: every encrypt reads this module for its flags, and few runs use its keys
_RESOURCE_ID = r"projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+"
#: the scopes the Cloud KMS clients ask for (Go and Python alike)
_SCOPES = ("https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/cloudkms")
_DEFAULT_HOST = "cloudkms.googleapis.com"
_EXTRA = "gcp"
_WHAT = "GCP KMS"
#: whole-call budget (all attempts together), so a dead endpoint costs seconds
_CALL_BUDGET = CONNECT_TIMEOUT + READ_TIMEOUT
#: gRPC codes worth a second attempt: the service (or the path to it) hiccupped
_TRANSIENT = frozenset({"UNAVAILABLE", "RESOURCE_EXHAUSTED", "INTERNAL", "ABORTED"})


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum Cloud KMS uses; inputs here are a few hundred bytes."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC32C_TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


# -- environment: proxies and trust roots, from ctx.env --------------------------------------------

def _bypass_proxy(host: str, env: Mapping[str, str], names: tuple[str, ...]) -> bool:
    """Go's ``NO_PROXY`` rules, simplified: ``*``, domains (and their subdomains), IPs, CIDRs, loopback."""
    import ipaddress

    host = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if host == "localhost" or (address is not None and address.is_loopback):
        return True
    for name in names:
        value = env.get(name)
        if value:
            break
    else:
        return False
    for item in value.split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item == "*":
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(item, strict=False):
                    return True
            except ValueError:
                pass
            continue
        domain = item.lstrip(".").rsplit(":", 1)[0] if item.count(":") == 1 else item.lstrip(".")
        if host == domain or host.endswith("." + domain):
            return True
    return False


def _proxy_for(host: str, env: Mapping[str, str], *, grpc: bool) -> str | None:
    names = ("grpc_proxy", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY") if grpc else (
        "https_proxy", "HTTPS_PROXY")
    no_proxy = ("no_grpc_proxy", "no_proxy", "NO_PROXY") if grpc else ("no_proxy", "NO_PROXY")
    proxy = next((env[n] for n in names if env.get(n)), None)
    if proxy is None or _bypass_proxy(host, env, no_proxy):
        return None
    return proxy


def _read_roots(path: str, variable: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise MasterKeyError(f"cannot read the TLS roots {path} named by {variable}: "
                             f"{exc.strerror or type(exc).__name__}") from None


def _grpc_roots(env: Mapping[str, str]) -> bytes | None:
    for variable in ("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "SSL_CERT_FILE"):
        if env.get(variable):
            return _read_roots(env[variable], variable)
    return None


def _https_verify(env: Mapping[str, str]) -> str | bool:
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        if env.get(variable):
            return env[variable]
    return True


def _split_endpoint(endpoint: str) -> tuple[str, int]:
    """``host[:port]`` (a URL's scheme and path are dropped); port 443 by default."""
    if "://" in endpoint:
        endpoint = endpoint.split("://", 1)[1]
    endpoint = endpoint.split("/", 1)[0]
    host, sep, port = endpoint.rpartition(":")
    if sep and port.isdigit() and (not host.startswith("[") or host.endswith("]")):
        return host, int(port)
    return endpoint, 443


def _endpoint(ctx: KeyContext) -> tuple[str, int]:
    explicit = ctx.get("SOPS_GCP_KMS_ENDPOINT")
    if explicit:
        return _split_endpoint(explicit.strip())
    universe = ctx.get("SOPS_GCP_KMS_UNIVERSE_DOMAIN")
    if universe:
        return f"cloudkms.{universe.strip()}", 443
    return _DEFAULT_HOST, 443


# -- credentials ------------------------------------------------------------------------------------

class _AuthHttp:
    """google-auth's HTTP callable for token refreshes: bounded, with proxy and roots from ctx.env."""

    def __init__(self, env: Mapping[str, str]) -> None:
        requests = import_sdk("requests", _EXTRA, _WHAT)
        transport = import_sdk("google.auth.transport.requests", _EXTRA, _WHAT)
        session = requests.Session()
        session.trust_env = False  # os.environ's proxies and CA bundles do not apply; ctx.env's do
        self._inner = transport.Request(session=session)
        self._env = env
        self._verify = _https_verify(env)

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 timeout: Any = None, **kwargs: Any) -> Any:
        from urllib.parse import urlsplit

        proxy = _proxy_for(urlsplit(url).hostname or "", self._env, grpc=False)
        kwargs.setdefault("proxies", {"https": proxy, "http": proxy} if proxy else {})
        kwargs.setdefault("verify", self._verify)
        if not isinstance(timeout, (int, float)) or timeout > _CALL_BUDGET:
            timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
        return self._inner(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)


def _safe_reason(exc: BaseException) -> str:
    """The first line of an exception's message, without the response bodies google-auth appends;
    for connection failures just the OS reason."""
    first = str(exc.args[0] if exc.args else "").strip()
    errno = re.search(r"\[Errno -?\d+\][^'\")]*", first)
    if errno:
        return errno.group(0).strip()
    return (first.splitlines()[0] if first else type(exc).__name__)[:300]


def _load_info(info: Any, source: str) -> Any:
    import warnings

    auth = import_sdk("google.auth", _EXTRA, _WHAT)
    if not isinstance(info, dict):
        raise MasterKeyError(f"{source} does not hold a credentials JSON object")
    with warnings.catch_warnings():
        # sops accepts every credential type here, so the generic loader is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        creds, _ = auth.load_credentials_from_dict(info, default_scopes=list(_SCOPES))
    return creds


def _credentials(ctx: KeyContext, http: _AuthHttp) -> Any:
    """sops's order: GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, application default credentials."""
    exceptions = import_sdk("google.auth.exceptions", _EXTRA, _WHAT)
    try:
        creds = _choose_credentials(ctx)
        if hasattr(creds, "with_always_use_jwt_access"):
            # service accounts sign their own JWT, as Go's client does (EnableJwtWithScope)
            creds = creds.with_always_use_jwt_access(True)
        if not creds.valid:
            creds.refresh(http)
    except SealfileError:
        raise
    except (exceptions.GoogleAuthError, OSError) as exc:  # OSError: requests' missing CA bundle
        raise MasterKeyError(f"GCP KMS credentials failed: {_safe_reason(exc)}") from None
    except ValueError as exc:  # a credentials document with missing or malformed fields
        raise MasterKeyError(f"GCP KMS credentials are invalid: {_safe_reason(exc)}") from None
    except Exception as exc:  # google-auth tripping over a document of the wrong shape: no text, it may quote it
        raise MasterKeyError(f"GCP KMS credentials are invalid: {type(exc).__name__}") from None
    return creds


def _choose_credentials(ctx: KeyContext) -> Any:
    import json

    raw = ctx.get("GOOGLE_CREDENTIALS")
    if raw:
        if os.path.exists(raw):
            try:
                with open(raw, "rb") as fh:
                    text = fh.read()
            except OSError as exc:
                raise MasterKeyError(f"cannot read the credentials file {raw} named by GOOGLE_CREDENTIALS: "
                                     f"{exc.strerror or type(exc).__name__}") from None
            source = f"the credentials file {raw} (GOOGLE_CREDENTIALS)"
        else:
            text, source = raw.encode("utf-8", "replace"), "GOOGLE_CREDENTIALS"
        try:
            info = json.loads(text)
        except ValueError:  # never echo it: it may be a private key
            raise MasterKeyError(f"{source} is neither an existing file nor credentials JSON") from None
        return _load_info(info, source)
    token = ctx.get("GOOGLE_OAUTH_ACCESS_TOKEN")
    if token:
        oauth2 = import_sdk("google.oauth2.credentials", _EXTRA, _WHAT)
        return oauth2.Credentials(token=token)
    return _application_default(ctx)


def _application_default(ctx: KeyContext) -> Any:
    """ADC with ctx.env's file locations; the metadata server etc. are left to google-auth."""
    import warnings

    auth = import_sdk("google.auth", _EXTRA, _WHAT)
    path = ctx.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        config_dir = ctx.get("CLOUDSDK_CONFIG") or os.path.join(ctx.get("HOME") or os.path.expanduser("~"),
                                                                ".config", "gcloud")
        well_known = os.path.join(config_dir, "application_default_credentials.json")
        path = well_known if os.path.isfile(well_known) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if path:
            creds, _ = auth.load_credentials_from_file(path, default_scopes=list(_SCOPES))
        else:
            creds, _ = auth.default(default_scopes=list(_SCOPES))
    return creds


# -- the client ---------------------------------------------------------------------------------------

def _grpc_client(ctx: KeyContext, creds: Any, http: _AuthHttp, host: str, port: int) -> Any:
    grpc = import_sdk("grpc", _EXTRA, _WHAT)
    auth_grpc = import_sdk("google.auth.transport.grpc", _EXTRA, _WHAT)
    kms = import_sdk("google.cloud.kms_v1", _EXTRA, _WHAT)
    transports = import_sdk("google.cloud.kms_v1.services.key_management_service.transports", _EXTRA, _WHAT)

    target = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    proxy = _proxy_for(host, ctx.env, grpc=True)
    options: list[tuple[str, Any]] = [("grpc.http_proxy", proxy)] if proxy else [("grpc.enable_http_proxy", 0)]
    ssl = grpc.ssl_channel_credentials(root_certificates=_grpc_roots(ctx.env))
    plugin = auth_grpc.AuthMetadataPlugin(creds, http, default_host=_DEFAULT_HOST)
    channel = grpc.secure_channel(
        target, grpc.composite_channel_credentials(ssl, grpc.metadata_call_credentials(plugin)), options=options)
    return kms.KeyManagementServiceClient(transport=transports.KeyManagementServiceGrpcTransport(
        channel=channel, host=target))


def _rest_client(ctx: KeyContext, creds: Any, http: _AuthHttp, host: str, port: int) -> Any:
    """sops 3.13's ``SOPS_GCP_KMS_CLIENT_TYPE=rest``: HTTP/1.1 + JSON instead of gRPC."""
    kms = import_sdk("google.cloud.kms_v1", _EXTRA, _WHAT)
    transports = import_sdk("google.cloud.kms_v1.services.key_management_service.transports", _EXTRA, _WHAT)
    transport = transports.KeyManagementServiceRestTransport(
        host=host if port == 443 else f"{host}:{port}", credentials=creds)
    # The transport builds its AuthorizedSession (a requests.Session) for os.environ and offers no
    # parameter for it, so it is adjusted in place: proxy and roots from ctx.env, token refreshes
    # through our bounded HTTP, and a refused token reported as the call's 401 rather than as a
    # failed refresh (which a static token cannot do).  tests/cloud/test_gcp_kms.py covers it.
    session = transport._session
    session.trust_env = False
    proxy = _proxy_for(host, ctx.env, grpc=False)
    session.proxies = {"https": proxy, "http": proxy} if proxy else {}
    session.verify = _https_verify(ctx.env)
    session._refresh_status_codes = ()
    session._auth_request = http
    return kms.KeyManagementServiceClient(transport=transport)


def _client(ctx: KeyContext) -> Any:
    """One KMS client per endpoint and transport per run (KeyContext.cache); credentials are
    resolved once per run, and so is a failure to get them (it is not retried for every key)."""
    host, port = _endpoint(ctx)
    kind = "rest" if (ctx.get("SOPS_GCP_KMS_CLIENT_TYPE") or "").strip().lower() == "rest" else "grpc"
    cache_key = f"gcp_kms:{kind}:{host}:{port}"
    client = ctx.cache.get(cache_key)
    if client is not None:
        return client
    import_sdk("google.cloud.kms_v1", _EXTRA, _WHAT)  # a missing extra is the reason, not credentials
    http = ctx.cache.get("gcp_kms:http")
    if http is None:
        http = ctx.cache["gcp_kms:http"] = _AuthHttp(ctx.env)
    creds = ctx.cache.get("gcp_kms:credentials")
    if isinstance(creds, MasterKeyError):
        raise MasterKeyError(creds.message)
    if creds is None:
        try:
            creds = ctx.cache["gcp_kms:credentials"] = _credentials(ctx, http)
        except MasterKeyError as exc:
            ctx.cache["gcp_kms:credentials"] = exc
            raise
    make = _rest_client if kind == "rest" else _grpc_client
    client = ctx.cache[cache_key] = make(ctx, creds, http, host, port)
    return client


def _call(method: Callable[..., Any], request: Any, operation: str) -> Any:
    """Call with at most ATTEMPTS tries, all inside one deadline; errors become MasterKeyError."""
    exceptions = import_sdk("google.api_core.exceptions", _EXTRA, _WHAT)
    auth_exceptions = import_sdk("google.auth.exceptions", _EXTRA, _WHAT)
    requests = import_sdk("requests", _EXTRA, _WHAT)
    deadline = time.monotonic() + _CALL_BUDGET
    for attempt in range(1, ATTEMPTS + 1):
        remaining = deadline - time.monotonic()
        try:
            return method(request=request, retry=None, timeout=max(remaining, 0.5))
        except exceptions.GoogleAPICallError as exc:
            code, reason = _status_name(exc), _call_message(exc)
            transient = code in _TRANSIENT
        except OSError as exc:  # the REST client: requests' errors, and a missing CA bundle (a bare OSError)
            code, reason = "connection failed", _safe_reason(exc)
            transient = isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout))
        except auth_exceptions.GoogleAuthError as exc:  # a token refresh during the call
            raise MasterKeyError(f"GCP KMS credentials failed: {_safe_reason(exc)}") from None
        except Exception as exc:  # e.g. protobuf's ParseError on a reply that is not Cloud KMS's: its text
            # may quote the reply's fields, so only the type is told
            raise MasterKeyError(f"GCP KMS {operation} failed: {type(exc).__name__}") from None
        if not (transient and attempt < ATTEMPTS and deadline - time.monotonic() > 1.0):
            raise MasterKeyError(f"GCP KMS {operation} failed: {code}: {reason}")
        time.sleep(0.25 * attempt)
    raise AssertionError("unreachable")


def _status_name(exc: Any) -> str:
    """The canonical code (PERMISSION_DENIED...): from gRPC, or from a REST error body's ``status``."""
    status = getattr(exc, "grpc_status_code", None)
    if status is not None:
        return str(getattr(status, "name", status))
    try:
        named = exc.response.json()["error"]["status"]
        if isinstance(named, str) and named:
            return named
    except Exception:  # no body, not JSON, no status: fall back to the HTTP code
        pass
    return f"HTTP {exc.code}" if getattr(exc, "code", None) else type(exc).__name__


def _call_message(exc: Any) -> str:
    text = (getattr(exc, "message", None) or str(exc)).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    if re.match(r"(POST|GET) https?://", text) and ": " in text:  # REST: "POST <url>: <message>"
        text = text.split(": ", 1)[1]
    return text[:300]


KEY_TYPE = KeyType(
    name="gcp_kms", implementation="sealfile.keys.gcpkms:GcpKmsKey",
    order=KeyOrder(flags=1, collect=1, group_311=2, top_311=11),
    flag="gcp-kms", describe="GCP KMS key resource IDs", flag_help="Comma-separated GCP KMS key resource IDs.",
    recipients_env="GCP_KMS_IDS", rule_field="gcp_kms", group_field="gcp_kms", extra="gcp")


@record(frozen=True)
class GcpKmsKey(KeyBase):
    """A Cloud KMS symmetric crypto key: ``projects/P/locations/L/keyRings/R/cryptoKeys/K``."""

    type_name: ClassVar[str] = "gcp_kms"
    resource_id: str

    @classmethod
    def parse(cls, spec: Any, options: Mapping[str, Any] | None = None) -> "GcpKmsKey":
        if isinstance(spec, Mapping) and "resource_id" in spec:
            spec = spec["resource_id"]
        if not isinstance(spec, str):
            raise UnknownRecipient(f"a GCP KMS resource ID must be a string, not {type(spec).__name__}")
        resource_id = spec.replace(" ", "").strip()  # sops removes every space
        if not re.fullmatch(_RESOURCE_ID, resource_id):
            raise UnknownRecipient(f"not a GCP KMS key resource ID "
                                   f"(projects/P/locations/L/keyRings/R/cryptoKeys/K): {spec!r}")
        return cls(resource_id)

    def to_string(self) -> str:
        return self.resource_id

    def _check(self) -> None:
        if not re.fullmatch(_RESOURCE_ID, self.resource_id):
            raise MasterKeyError(f"no valid resource ID found in {self.resource_id!r}")

    def wrap(self, data_key: bytes, ctx: KeyContext) -> str:
        self._check()
        raw = bytes(getattr(data_key, "raw", data_key))
        client = _client(ctx)
        response = _call(client.encrypt, {"name": self.resource_id, "plaintext": raw,
                                              "plaintext_crc32c": crc32c(raw)}, "Encrypt")
        ciphertext = bytes(response.ciphertext)
        if not ciphertext:
            raise MasterKeyError("GCP KMS Encrypt returned no ciphertext")
        if response.verified_plaintext_crc32c is False:
            raise MasterKeyError("GCP KMS Encrypt did not verify the data key's checksum: "
                                 "the request was corrupted in transit")
        if response.ciphertext_crc32c is not None and response.ciphertext_crc32c != crc32c(ciphertext):
            raise MasterKeyError("GCP KMS Encrypt response failed its checksum: corrupted in transit")
        return binascii.b2a_base64(ciphertext, newline=False).decode("ascii")

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        self._check()
        if not enc:
            raise MasterKeyError("the gcp_kms entry has no enc value")
        import base64

        try:  # Go's StdEncoding: padded, ignores line breaks
            ciphertext = base64.b64decode(enc.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyError("the gcp_kms enc value is not valid base64") from None
        client = _client(ctx)
        response = _call(client.decrypt, {"name": self.resource_id, "ciphertext": ciphertext,
                                              "ciphertext_crc32c": crc32c(ciphertext)}, "Decrypt")
        plaintext = bytes(response.plaintext)
        if response.plaintext_crc32c is not None and response.plaintext_crc32c != crc32c(plaintext):
            raise MasterKeyError("GCP KMS Decrypt response failed its checksum: corrupted in transit")
        if not plaintext:
            raise MasterKeyError("GCP KMS Decrypt returned an empty data key")
        return plaintext

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        return [("resource_id", self.resource_id), ("created_at", created_at or now_rfc3339()), ("enc", enc)]

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> KeyEntry:
        resource_id = entry.get("resource_id")
        if resource_id is not None and not isinstance(resource_id, str):
            raise MetadataError("the resource_id of a gcp_kms key entry is not a string")
        # kept verbatim, valid, missing or not: sops loads such a file and only this key fails to decrypt
        return KeyEntry(cls(resource_id or ""), *recorded(entry))
