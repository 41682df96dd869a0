"""Azure SDK clients for Key Vault keys, built from a :class:`KeyContext` only.

azure-identity and requests normally read ``os.environ``; sealfile's API takes
an explicit ``env``, so everything they would look up there is passed in from
``ctx.env`` instead: credentials, the authority host, proxies and the CA bundle.

Credentials follow sops 3.11, which uses azidentity's ``DefaultAzureCredential``
(v1.12): the first of these that yields a token wins, and a credential that is
configured but *fails* (a wrong secret) ends the search, as in Go:

1. environment: ``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` with
   ``AZURE_CLIENT_SECRET``, else ``AZURE_CLIENT_CERTIFICATE_PATH`` (PEM or
   PKCS12, ``AZURE_CLIENT_CERTIFICATE_PASSWORD``, ``AZURE_CLIENT_SEND_CERTIFICATE_CHAIN``),
   else ``AZURE_USERNAME`` + ``AZURE_PASSWORD``;
2. workload identity: ``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + ``AZURE_FEDERATED_TOKEN_FILE``;
3. managed identity (``AZURE_CLIENT_ID`` selects a user-assigned identity);
4. the Azure CLI (``az``), then 5. the Azure Developer CLI (``azd``).

``AZURE_TOKEN_CREDENTIALS`` narrows the chain exactly as in Go (``dev``,
``prod`` or one credential's name), ``AZURE_AUTHORITY_HOST`` picks the cloud
and ``AZURE_ADDITIONALLY_ALLOWED_TENANTS`` is honoured.  Limits: the managed
identity flavour (App Service, Arc, IMDS...) and the ``az``/``azd``
subprocesses still see the process environment, because azure-identity offers
no way to hand them another one.

Every HTTP call is bounded by ``CONNECT_TIMEOUT``/``READ_TIMEOUT`` and
``ATTEMPTS`` so a dead vault or login endpoint costs seconds, not minutes.
"""
from __future__ import annotations

import logging
import re
import urllib.request
from typing import Any, Mapping
from urllib.parse import urlsplit

from ..errors import MasterKeyError
from .base import ATTEMPTS, CONNECT_TIMEOUT, READ_TIMEOUT, KeyContext, import_sdk

__all__ = ["key_client", "describe_error"]

_EXTRA = "azure"
_WHAT = "Azure Key Vault"
_PUBLIC_AUTHORITY = "login.microsoftonline.com"
_IMDS_HOST = "169.254.169.254"
#: the names AZURE_TOKEN_CREDENTIALS accepts, in chain order
_CHAIN = ("EnvironmentCredential", "WorkloadIdentityCredential", "ManagedIdentityCredential",
          "AzureCLICredential", "AzureDeveloperCLICredential")
_SELECTIONS = {"dev": _CHAIN[3:], "prod": _CHAIN[:3]}
#: environment values that must never appear in an error message
_SECRET_VARS = ("AZURE_CLIENT_SECRET", "AZURE_PASSWORD", "AZURE_CLIENT_CERTIFICATE_PASSWORD")

# azure-identity logs each failed credential at WARNING; with no handler configured Python's
# last-resort handler would print that to stderr.  Failures reach the user as MasterKeyError
# reasons instead; an application that configures logging still receives the records.
logging.getLogger("azure").addHandler(logging.NullHandler())


def _sdk(module: str) -> Any:
    return import_sdk(module, _EXTRA, _WHAT)


def _proxies(env: Mapping[str, str], host: str, scheme: str = "https") -> dict[str, str]:
    """The proxy requests would pick for ``host`` from ``env`` (``*_proxy`` and ``no_proxy``)."""
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY")
    if no_proxy and urllib.request.proxy_bypass_environment(host, {"no": no_proxy}):
        return {}
    proxy = (env.get(f"{scheme}_proxy") or env.get(f"{scheme.upper()}_PROXY")
             or env.get("all_proxy") or env.get("ALL_PROXY"))
    return {scheme: proxy} if proxy else {}


def _http(ctx: KeyContext, host: str, scheme: str = "https") -> dict[str, Any]:
    """Pipeline options shared by the vault client and every credential: bounded, env from ctx."""
    transport = ctx.cache.get("azkv.transport")
    if transport is None:
        transport_mod = _sdk("azure.core.pipeline.transport")
        env = ctx.env
        verify: bool | str = (env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE")
                              or env.get("SSL_CERT_FILE") or True)
        # use_env_settings=False: requests must not consult os.environ behind ctx's back
        transport = transport_mod.RequestsTransport(use_env_settings=False, connection_timeout=CONNECT_TIMEOUT,
                                                    read_timeout=READ_TIMEOUT, connection_verify=verify)
        ctx.cache["azkv.transport"] = transport
    return {"transport": transport, "proxies": _proxies(ctx.env, host, scheme),
            "retry_total": ATTEMPTS - 1, "retry_backoff_factor": 0.5, "retry_backoff_max": 2}


class _Unavailable:
    """Stands in for a credential whose configuration is missing, so the final error says why."""

    def __init__(self, name: str, reason: str) -> None:
        self._credential_name = name
        self._reason = reason

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise _sdk("azure.identity").CredentialUnavailableError(message=self._reason)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        return self.get_token(*scopes)

    def __enter__(self) -> "_Unavailable":
        return self

    def __exit__(self, *args: Any) -> None:
        return None

    def close(self) -> None:
        return None


def _selected(env: Mapping[str, str]) -> tuple[str, ...]:
    if "AZURE_TOKEN_CREDENTIALS" not in env:
        return _CHAIN
    value = env["AZURE_TOKEN_CREDENTIALS"]
    if value in _SELECTIONS:
        return _SELECTIONS[value]
    for name in _CHAIN:
        if value.lower() == name.lower():
            return (name,)
    raise MasterKeyError(f"invalid AZURE_TOKEN_CREDENTIALS value {value!r}: use \"dev\", \"prod\" or the name "
                         f"of one credential ({', '.join(_CHAIN)})")


def _environment_credential(ctx: KeyContext, common: dict[str, Any]) -> Any:
    identity = _sdk("azure.identity")
    env = ctx.env
    tenant, client = env.get("AZURE_TENANT_ID"), env.get("AZURE_CLIENT_ID")
    if not tenant:
        return _Unavailable("EnvironmentCredential", "AZURE_TENANT_ID is not set")
    if not client:
        return _Unavailable("EnvironmentCredential", "AZURE_CLIENT_ID is not set")
    if env.get("AZURE_CLIENT_SECRET"):
        return identity.ClientSecretCredential(tenant, client, env["AZURE_CLIENT_SECRET"], **common)
    if env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
        send_chain = (env.get("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN") or "").lower() in ("1", "true")
        return identity.CertificateCredential(tenant, client, env["AZURE_CLIENT_CERTIFICATE_PATH"],
                                              password=env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None,
                                              send_certificate_chain=send_chain, **common)
    if env.get("AZURE_USERNAME") and env.get("AZURE_PASSWORD"):
        return identity.UsernamePasswordCredential(client, env["AZURE_USERNAME"], env["AZURE_PASSWORD"],
                                                   tenant_id=tenant, **common)
    return _Unavailable("EnvironmentCredential", "none of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, "
                        "AZURE_USERNAME and AZURE_PASSWORD is set")


def _member(name: str, ctx: KeyContext, common: dict[str, Any], tenants: list[str]) -> Any:
    """One credential of the chain, by its AZURE_TOKEN_CREDENTIALS name."""
    identity = _sdk("azure.identity")
    env = ctx.env
    if name == "EnvironmentCredential":
        return _environment_credential(ctx, common)
    if name == "WorkloadIdentityCredential":
        wanted = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE")
        missing = [v for v in wanted if not env.get(v)]
        if missing:
            return _Unavailable(name, f"{', '.join(missing)} not set")
        return identity.WorkloadIdentityCredential(tenant_id=env["AZURE_TENANT_ID"], client_id=env["AZURE_CLIENT_ID"],
                                                   token_file_path=env["AZURE_FEDERATED_TOKEN_FILE"], **common)
    if name == "ManagedIdentityCredential":
        return identity.ManagedIdentityCredential(client_id=env.get("AZURE_CLIENT_ID") or None,
                                                  **_http(ctx, _IMDS_HOST, "http"))
    if name == "AzureCLICredential":
        return identity.AzureCliCredential(additionally_allowed_tenants=tenants, process_timeout=int(READ_TIMEOUT))
    return identity.AzureDeveloperCliCredential(additionally_allowed_tenants=tenants,
                                                process_timeout=int(READ_TIMEOUT))


def _credential(ctx: KeyContext) -> Any:
    cached = ctx.cache.get("azkv.credential")
    if cached is not None:
        return cached
    identity = _sdk("azure.identity")
    env = ctx.env
    authority = env.get("AZURE_AUTHORITY_HOST") or _PUBLIC_AUTHORITY
    authority_host = urlsplit(authority if "://" in authority else f"https://{authority}").hostname or authority
    tenants = [t for t in (env.get("AZURE_ADDITIONALLY_ALLOWED_TENANTS") or "").split(";") if t]
    common = dict(_http(ctx, authority_host), authority=authority, additionally_allowed_tenants=tenants)
    chain: list[Any] = []
    for name in _selected(env):
        try:
            chain.append(_member(name, ctx, common, tenants))
        except (OSError, ValueError) as exc:
            # an unreadable certificate, a malformed tenant id...: azidentity reports a credential it
            # cannot build as unavailable and tries the next one, so decryption is not aborted here
            reason = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror else str(exc)
            chain.append(_Unavailable(name, f"cannot be set up: {reason}"))
    credential = identity.ChainedTokenCredential(*chain)
    ctx.cache["azkv.credential"] = credential
    return credential


def key_client(ctx: KeyContext, vault_url: str) -> Any:
    """A ``KeyClient`` for ``vault_url`` (one per vault and run), authenticated by the chain above."""
    cache_key = f"azkv.client:{vault_url}"
    client = ctx.cache.get(cache_key)
    if client is None:
        keys = _sdk("azure.keyvault.keys")
        host = urlsplit(vault_url).hostname or ""
        try:
            client = keys.KeyClient(vault_url, _credential(ctx), **_http(ctx, host))
        except ValueError as exc:
            raise MasterKeyError(f"cannot use Azure Key Vault {vault_url!r}: {exc}") from None
        ctx.cache[cache_key] = client
    return client


def _innermost(exc: BaseException) -> BaseException:
    """The lowest-level cause (urllib3's reason, azure-core's inner exception, ``__cause__``)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = (getattr(exc, "inner_exception", None) or getattr(exc, "reason", None) or exc.__cause__
               or next((a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)), None))
        if not isinstance(nxt, BaseException):
            break
        exc = nxt
    return exc


def _one_line(text: str, limit: int = 400) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe_error(exc: BaseException, ctx: KeyContext) -> str:
    """A one-line, secret-free account of an Azure SDK failure."""
    core = _sdk("azure.core.exceptions")
    if isinstance(exc, core.ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        # from the credential chain: keep what each credential said, drop the boilerplate
        text = str(getattr(exc, "message", None) or exc)
        attempts = [line.strip() for line in text.splitlines() if line.startswith("\t")]
        detail = "authentication failed: " + ("; ".join(attempts) if attempts else text.splitlines()[0])
    elif isinstance(exc, core.HttpResponseError) and getattr(exc, "status_code", None):
        error = getattr(exc, "error", None)
        code, message = getattr(error, "code", None), getattr(error, "message", None)
        reason = getattr(exc, "reason", None) or f"HTTP {exc.status_code}"
        detail = f"{code}: {message}" if code and message else f"{reason} (HTTP {exc.status_code})"
    elif isinstance(exc, (core.ServiceRequestError, core.ServiceResponseError)):
        detail = f"cannot reach the service: {_innermost(exc)}"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    for var in _SECRET_VARS:
        value = ctx.env.get(var)
        if value and len(value) >= 4:
            detail = detail.replace(value, "***")
    return _one_line(detail)
