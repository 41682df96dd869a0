"""What the Vault client takes from the environment, read once per run (see :mod:`.vaultclient`).

Token (``VAULT_TOKEN``, else ``~/.vault-token``), namespace and extra headers,
TLS material (``VAULT_CACERT``/``_BYTES``/``CAPATH``, client certificates,
``VAULT_SKIP_VERIFY``, ``VAULT_TLS_SERVER_NAME``), the agent and proxy
addresses: gathered from ``ctx.env`` as Vault's Go client gathers them from
the process environment, and kept in the run's key context.
"""
from __future__ import annotations

import os
from ..records import record
from typing import Any, Mapping

from ..errors import MasterKeyError
from .base import KeyContext

__all__ = ["VaultSettings", "settings", "os_reason", "token_path"]

_CACHE_KEY = "hc_vault.settings"


@record(hidden=("token", "headers", "env", "_tls"))  # credentials stay out of reprs (tracebacks, debuggers)
class VaultSettings:
    token: str
    headers: dict[str, str]
    agent_address: str
    proxy_override: str
    env: Mapping[str, str]
    _tls: Any = None

    def tls_context(self) -> Any:
        if self._tls is None:
            self._tls = _tls_context(self.env)
        return self._tls


def settings(ctx: KeyContext) -> VaultSettings:
    cached = ctx.cache.get(_CACHE_KEY)
    if cached is None:
        env = ctx.env
        agent = env.get("VAULT_AGENT_ADDR") or ""
        # no token is no error: sops then sends none, which a Vault Agent (use_auto_auth_token) accepts
        token = env.get("VAULT_TOKEN") or _token_file(env)
        if any(not c.isprintable() for c in token):
            raise MasterKeyError("configured Vault token contains non-printable characters and cannot be used")
        headers = {"X-Vault-Request": "true"}
        headers.update(_env_headers(env.get("VAULT_HEADERS") or ""))
        if token:
            headers["X-Vault-Token"] = token
        if env.get("VAULT_NAMESPACE"):
            headers["X-Vault-Namespace"] = env["VAULT_NAMESPACE"]
        proxy = env.get("VAULT_PROXY_ADDR") or env.get("VAULT_HTTP_PROXY") or ""
        cached = VaultSettings(token, headers, agent, proxy, env)
        ctx.cache[_CACHE_KEY] = cached
    return cached


def token_path(env: Mapping[str, str]) -> str:
    home = env.get("HOME")
    if not home:
        import pwd

        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except (KeyError, OSError):
            home = "~"
    return os.path.join(home, ".vault-token")


def _token_file(env: Mapping[str, str]) -> str:
    """``~/.vault-token``: a missing file means no token; an unreadable one is an error (as sops)."""
    path = token_path(env)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise MasterKeyError(f"cannot get Vault token: cannot read {path}: "
                             f"{exc.strerror or type(exc).__name__}") from None


def _env_headers(text: str) -> dict[str, str]:
    """``VAULT_HEADERS``: a JSON object of extra headers, none of them ``X-Vault-*``."""
    if not text:
        return {}
    import json

    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise MasterKeyError("could not unmarshal environment-supplied headers (VAULT_HEADERS)")
    forbidden = sorted(k for k in value if k.startswith("X-Vault-"))
    if forbidden:
        raise MasterKeyError(f"failed to setup Headers[{', '.join(forbidden)}]: Header starting by 'X-Vault-' "
                             "are for internal usage only")
    if any(not isinstance(v, str) or "\n" in v or "\r" in v for v in value.values()):
        raise MasterKeyError("environment-supplied headers (VAULT_HEADERS) include non-string values")
    return dict(value)


def _parse_bool(env: Mapping[str, str], name: str) -> bool:
    """Go's ``strconv.ParseBool``."""
    value = env.get(name) or ""
    if value in ("", "0", "f", "F", "false", "FALSE", "False"):
        return False
    if value in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    raise MasterKeyError(f"cannot create Vault client: could not parse {name}")


def _tls_context(env: Mapping[str, str]) -> Any:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        if env.get("VAULT_CACERT"):
            context.load_verify_locations(cafile=env["VAULT_CACERT"])
        elif env.get("VAULT_CACERT_BYTES"):
            context.load_verify_locations(cadata=env["VAULT_CACERT_BYTES"])
        elif env.get("VAULT_CAPATH"):
            _load_ca_path(context, env["VAULT_CAPATH"])
        else:
            context.load_default_certs()
            for name, kind in (("SSL_CERT_FILE", "cafile"), ("SSL_CERT_DIR", "capath")):
                if env.get(name) and os.path.exists(env[name]):
                    context.load_verify_locations(**{kind: env[name]})
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise MasterKeyError(f"cannot load the CA certificates for Vault: {os_reason(exc)}") from None
    if _parse_bool(env, "VAULT_SKIP_VERIFY"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    cert, key = env.get("VAULT_CLIENT_CERT") or "", env.get("VAULT_CLIENT_KEY") or ""
    if bool(cert) != bool(key):
        raise MasterKeyError("cannot create Vault client: both client cert and client key must be provided "
                             "(VAULT_CLIENT_CERT, VAULT_CLIENT_KEY)")
    if cert:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise MasterKeyError(f"cannot load the Vault client certificate {cert}: {os_reason(exc)}") from None
    return context


def _load_ca_path(context: Any, directory: str) -> None:
    """Every file under ``directory`` must be PEM, as Go's ``rootcerts.LoadCAPath`` requires."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, "no such directory", directory)
    for root, _dirs, files in os.walk(directory):
        for name in sorted(files):
            with open(os.path.join(root, name), encoding="ascii", errors="replace") as fh:
                text = fh.read()
            if "-----BEGIN CERTIFICATE-----" not in text:
                raise ValueError(f"couldn't parse PEM in: {os.path.join(root, name)}")
            context.load_verify_locations(cadata=text)


def os_reason(exc: BaseException) -> str:
    strerror = getattr(exc, "strerror", None)
    if strerror:
        filename = getattr(exc, "filename", None)
        return f"{strerror}: {filename}" if filename else strerror
    reason = getattr(exc, "reason", None)
    return str(reason or exc or type(exc).__name__)


# --- the HTTP call ------------------------------------------------------------
