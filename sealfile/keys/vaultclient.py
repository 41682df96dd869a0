"""A minimal Vault HTTP client for the transit key source, configured as sops's is.

sops talks to Vault through ``github.com/hashicorp/vault/api`` (``DefaultConfig()``
+ ``NewClient``).  This module reproduces what that client takes from the
environment, reading ``ctx.env`` instead of ``os.environ``:

* token: ``VAULT_TOKEN``, else ``$HOME/.vault-token`` (trimmed), else none (a Vault
  Agent or proxy at the key's address may add its own); ``VAULT_NAMESPACE``
  becomes ``X-Vault-Namespace``; ``VAULT_HEADERS`` (a JSON object) adds headers;
  ``X-Vault-Request: true`` is always sent;
* TLS: ``VAULT_CACERT`` > ``VAULT_CACERT_BYTES`` > ``VAULT_CAPATH`` (every PEM
  file under it, as Go's rootcerts loads it) > the system store;
  ``VAULT_SKIP_VERIFY``, ``VAULT_CLIENT_CERT`` + ``VAULT_CLIENT_KEY``,
  ``VAULT_TLS_SERVER_NAME``; TLS 1.2 at least, as Go's client;
* where to connect: the address recorded in the file, **not** ``VAULT_ADDR``
  (sops overwrites the config's address with the key's; ``VAULT_ADDR`` only
  matters to ``sops publish``), except that ``VAULT_AGENT_ADDR`` (``http(s)://``
  or ``unix://``) wins over it, as in the Go client;
* proxies: ``VAULT_PROXY_ADDR`` / ``VAULT_HTTP_PROXY`` for every request, else
  ``HTTP(S)_PROXY`` / ``NO_PROXY`` like Go's ``ProxyFromEnvironment``, which
  never proxies loopback hosts; only ``http://`` proxies are supported.

Ignored, because sealfile bounds every call itself: ``VAULT_CLIENT_TIMEOUT``,
``VAULT_MAX_RETRIES``, ``VAULT_RATE_LIMIT``; also ``VAULT_SRV_LOOKUP``,
``VAULT_MFA``, ``VAULT_WRAP_TTL``, ``VAULT_DISABLE_REDIRECTS``.

Calls are bounded by ``CONNECT_TIMEOUT``/``READ_TIMEOUT`` and retried
(``ATTEMPTS`` tries) on connection failures, 5xx (but 501) and 429 only, so a
Vault that is down costs well under a second (refused) and at most ~10 s (no
answer to the connection) before decryption moves to the next key; a request
that got no answer is not sent again.  Like the Go client, requests are ``PUT``
and one 301/302/307 redirect (a standby node pointing at the active one) is
followed, never from https to http.  ``http.client`` and ``ssl`` are imported on
first use.
"""
from __future__ import annotations

import posixpath
import re
import time
from ..records import record
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from ..errors import MasterKeyError
from .base import ATTEMPTS, CONNECT_TIMEOUT, READ_TIMEOUT, KeyContext
from .vaultsettings import VaultSettings as _Settings, os_reason as _os_reason, settings as _settings, token_path

__all__ = ["transit", "clean_path", "PATH_SAFE"]

#: what Go's ``escape(path, encodePath)`` keeps besides letters, digits and ``-_.~``
PATH_SAFE = "$&+,/:;=@"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511})
_REDIRECT_STATUS = frozenset({301, 302, 307})
_BACKOFF = 0.3  # seconds between tries; Go waits 1-1.5 s, which only slows failover
_MAX_BODY = 1 << 20


def clean_path(path: str) -> str:
    """Go's ``path.Clean`` (posixpath keeps a leading ``//``, Go does not)."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


# --- settings from the environment ------------------------------------------

class _Transient(Exception):
    """A failure worth another try (connection refused or reset, 5xx, throttling)."""


@record(hidden=("auth",))  # basic credentials from user info in the address stay out of reprs
class _Target:
    scheme: str  # "http", "https" or "unix"
    host: str
    port: int
    base_path: str
    netloc: str  # for messages and absolute URLs: host[:port], no user info
    auth: str = ""  # basic credentials from user info in the address, as Go sends them
    socket_path: str = ""

    def url(self, path: str) -> str:
        scheme = "http" if self.scheme == "unix" else self.scheme
        return f"{scheme}://{self.netloc}{path}"


def _target(address: str) -> _Target:
    """Where to connect for an address recorded in a file (or VAULT_AGENT_ADDR)."""
    if address.startswith("unix://"):
        return _Target("unix", "localhost", 80, "", "localhost", socket_path=address[len("unix://"):])
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        raise MasterKeyError(f"invalid Vault address {_redact_userinfo(address)!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise MasterKeyError(f"unsupported protocol scheme {parts.scheme!r} in Vault address "
                             f"{_redact_userinfo(address)!r}")
    if not parts.hostname:
        raise MasterKeyError(f"no host in Vault address {_redact_userinfo(address)!r}")
    auth = ""
    if parts.username is not None:
        import base64

        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    netloc = parts.netloc.rpartition("@")[2]
    return _Target(scheme, parts.hostname, port or (443 if scheme == "https" else 80), unquote(parts.path),
                   netloc, auth)


def _redact_userinfo(url: str) -> str:
    """Drop user info up to the *last* ``@`` of the authority, as URL parsers split it (``u:p@ss@host``)."""
    return re.sub(r"(//)[^/?#]*@", r"\1", url)


def transit(vault_address: str, api_path: str, payload: dict[str, str], ctx: KeyContext,
            operation: str) -> dict[str, Any]:
    """PUT ``payload`` to ``/v1/<api_path>``; return the response's ``data`` or raise MasterKeyError."""
    import json

    verb = "encrypt the data key with" if operation == "encrypt" else "decrypt the data key from"
    settings = _settings(ctx)
    target = _target(settings.agent_address or vault_address)
    prefix = f"failed to {verb} Vault transit backend '{api_path}' at {target.url('')}"
    # Go's path.Join(base, "/v1/"+api_path): posixpath.join would drop /v1 before an absolute api_path
    path = quote(clean_path(f"{target.base_path}/v1/{api_path}"), safe=PATH_SAFE)
    body = json.dumps(payload).encode("utf-8")
    try:
        status, raw = _send(target, path, body, settings)
    except MasterKeyError as exc:
        raise MasterKeyError(f"{prefix}: {exc.message}") from None
    if status >= 400 or status < 200:
        # scrub before _vault_errors shortens the text, so a cut cannot leave part of the token behind
        reason = _vault_errors(_scrub(raw.decode("utf-8", "replace"), settings.token))
        if not settings.token:
            reason += f" (no Vault token: set VAULT_TOKEN or write the token to {token_path(settings.env)})"
        raise MasterKeyError(f"{prefix}: HTTP {status}: {reason}")
    try:
        document = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise MasterKeyError(f"{prefix}: the response is not JSON") from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        raise MasterKeyError(f"{prefix}: transit backend is empty")
    return data


def _send(target: _Target, path: str, body: bytes, settings: _Settings) -> tuple[int, bytes]:
    """One logical request: ATTEMPTS tries, and at most one redirect."""
    redirected = False
    attempt = 0
    while True:
        attempt += 1
        try:
            status, location, raw = _once(target, path, body, settings)
        except _Transient as exc:
            if attempt >= ATTEMPTS:
                raise MasterKeyError(f"{exc} (after {attempt} attempts)") from None
            time.sleep(_BACKOFF)
            continue
        if status in _RETRY_STATUS and attempt < ATTEMPTS:
            time.sleep(_BACKOFF)
            continue
        if status in _REDIRECT_STATUS and location and not redirected:
            redirected = True
            target, path = _follow(target, path, location)
            attempt = 0
            continue
        return status, raw


def _follow(target: _Target, path: str, location: str) -> tuple[_Target, str]:
    new = urljoin(target.url(path), location)
    parts = urlsplit(new)
    if target.scheme == "https" and parts.scheme.lower() != "https":
        raise MasterKeyError("redirect would cause protocol downgrade")
    moved = _target(f"{parts.scheme}://{parts.netloc}")
    return moved, quote(unquote(parts.path), safe=PATH_SAFE) + (f"?{parts.query}" if parts.query else "")


def _once(target: _Target, path: str, body: bytes, settings: _Settings) -> tuple[int, str, bytes]:
    import http.client
    import socket
    import ssl

    try:
        conn, request_target, headers, via = _connection(target, path, settings)
    except http.client.InvalidURL as exc:  # blanks or control characters in a host name
        raise MasterKeyError(f"invalid Vault address: {exc}") from None
    headers.update({"Content-Type": "application/json", "Content-Length": str(len(body))})
    try:
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            raise MasterKeyError(f"the server's TLS certificate is not trusted: {exc.verify_message} "
                                 "(set VAULT_CACERT or VAULT_CAPATH)") from None
        except ssl.SSLError as exc:
            raise MasterKeyError(f"TLS handshake failed{via}: {_tls_reason(exc)}") from None
        except socket.gaierror as exc:
            raise MasterKeyError(f"cannot resolve {target.host}{via}: {exc.strerror or exc}") from None
        except (TimeoutError, socket.timeout):
            raise _Transient(f"cannot connect{via}: no connection within {CONNECT_TIMEOUT:g} s") from None
        except OSError as exc:
            raise _Transient(f"cannot connect{via}: {_os_reason(exc).lower()}") from None
        except ValueError as exc:  # UnicodeError: a host name IDNA cannot encode ("a..b", a label over 63)
            raise MasterKeyError(f"invalid host name{via}: {exc}") from None
        if conn.sock is not None:
            conn.sock.settimeout(READ_TIMEOUT)
        try:
            conn.request("PUT", request_target, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read(_MAX_BODY)
        except (TimeoutError, socket.timeout):
            raise MasterKeyError(f"no response within {READ_TIMEOUT:g} s{via}") from None
        except ssl.SSLError as exc:  # TLS 1.3 reports a refused client certificate here
            raise MasterKeyError(f"TLS error{via}: {_tls_reason(exc)}") from None
        except ConnectionError as exc:  # includes http.client.RemoteDisconnected
            raise _Transient(f"connection lost{via}: {_os_reason(exc).lower()}") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: a bad header
            raise MasterKeyError(f"request failed{via}: {_os_reason(exc)}") from None
        return response.status, response.getheader("Location") or "", raw
    finally:
        conn.close()


def _tls_reason(exc: Any) -> str:
    import ssl

    if isinstance(exc, ssl.SSLEOFError):
        reason = "the server closed the TLS connection"
    else:
        reason = str(getattr(exc, "reason", "") or _os_reason(exc)).lower().replace("_", " ")
    if any(word in reason for word in ("closed", "certificate required", "handshake failure", "bad certificate")):
        reason += " (if it requires a client certificate, set VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)"
    return reason


def _connection(target: _Target, path: str, settings: _Settings) -> tuple[Any, str, dict[str, str], str]:
    """An unconnected connection (direct, through a proxy, or a unix socket), the request
    target, the headers, and how the server is reached (for messages)."""
    import http.client

    https_class, unix_class = _connection_classes()
    headers = dict(settings.headers)
    if target.auth:
        headers["Authorization"] = target.auth
    if target.scheme == "unix":
        return unix_class(target.socket_path), path, headers, f" (unix socket {target.socket_path})"
    proxy = _proxy_for(target, settings)
    via = f" through the proxy {proxy.url('')}" if proxy else ""
    if target.scheme == "http":
        if proxy is None:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=CONNECT_TIMEOUT)
            return conn, path, headers, via
        if proxy.auth:
            headers["Proxy-Authorization"] = proxy.auth
        conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=CONNECT_TIMEOUT)
        return conn, target.url(path), headers, via
    context = settings.tls_context()
    server_name = settings.env.get("VAULT_TLS_SERVER_NAME") or target.host
    if proxy is None:
        return https_class(target.host, target.port, context, server_name), path, headers, via
    conn = https_class(proxy.host, proxy.port, context, server_name)
    conn.set_tunnel(target.host, target.port,
                    headers={"Proxy-Authorization": proxy.auth} if proxy.auth else None)
    return conn, path, headers, via


def _proxy_for(target: _Target, settings: _Settings) -> _Target | None:
    """The proxy for ``target``, chosen as the Go client chooses it."""
    if settings.proxy_override:
        value = settings.proxy_override
    else:
        import ipaddress
        from urllib.request import proxy_bypass_environment

        host = target.host.lower()
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if loopback:
            return None
        env = settings.env
        if target.scheme == "https":
            value = env.get("HTTPS_PROXY") or env.get("https_proxy") or ""
        else:
            value = "" if env.get("REQUEST_METHOD") else env.get("HTTP_PROXY") or env.get("http_proxy") or ""
        no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
        if not value or (no_proxy and proxy_bypass_environment(f"{target.host}:{target.port}",
                                                               {"no": no_proxy})):
            return None
    if "://" not in value:
        value = "http://" + value
    proxy = _target(value) if value.lower().startswith("http://") else None
    if proxy is None:
        raise MasterKeyError(f"proxy {_redact_userinfo(value)!r} is not supported: "
                             "sealfile reaches Vault through http:// proxies only")
    return proxy  # user info in the proxy URL becomes Proxy-Authorization


def _vault_errors(text: str) -> str:
    """Vault's ``errors`` array, unwrapped from go-multierror's "1 error occurred" layout."""
    import json

    try:
        document = json.loads(text)
    except ValueError:
        document = None
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list) or not errors:
        snippet = " ".join(text.split())[:200]
        return snippet or "empty response"
    out: list[str] = []
    for item in errors:
        message = str(item)
        if re.match(r"\d+ errors? occurred:", message):
            out.extend(line.strip()[2:] for line in message.splitlines() if line.strip().startswith("* "))
        else:
            out.append(" ".join(message.split()))
    return "; ".join(m[:300] for m in out if m) or "unknown error"


def _scrub(message: str, token: str) -> str:
    """Never let the token reach a message, whatever a server (or a proxy) echoes."""
    return message.replace(token, "<token>") if len(token) >= 8 else message


_CONNECTIONS: dict[str, type] = {}


def _connection_classes() -> tuple[type, type]:
    """http.client subclasses, defined on first use so importing this module loads no ssl/http."""
    if not _CONNECTIONS:
        import http.client
        import socket

        class HTTPSConnection(http.client.HTTPSConnection):
            """TLS with a server name that may differ from the host (VAULT_TLS_SERVER_NAME)."""

            def __init__(self, host: str, port: int, context: Any, server_name: str) -> None:
                super().__init__(host, port, timeout=CONNECT_TIMEOUT, context=context)
                self.sf_context, self.sf_server_name = context, server_name

            def connect(self) -> None:
                http.client.HTTPConnection.connect(self)  # TCP, and the proxy tunnel if any
                self.sock = self.sf_context.wrap_socket(self.sock, server_hostname=self.sf_server_name)

        class UnixConnection(http.client.HTTPConnection):
            """HTTP over a unix socket, for ``VAULT_AGENT_ADDR=unix:///path``."""

            def __init__(self, socket_path: str) -> None:
                super().__init__("localhost", timeout=CONNECT_TIMEOUT)
                self.sf_socket_path = socket_path

            def connect(self) -> None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(CONNECT_TIMEOUT)
                try:
                    sock.connect(self.sf_socket_path)
                except OSError:
                    sock.close()
                    raise
                self.sock = sock

        _CONNECTIONS.update(https=HTTPSConnection, unix=UnixConnection)
    return _CONNECTIONS["https"], _CONNECTIONS["unix"]
