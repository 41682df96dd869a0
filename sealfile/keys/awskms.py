"""AWS KMS master keys (sops ``kms/keysource.go``), through botocore.

``enc`` is the standard base64 of the ``CiphertextBlob`` that KMS ``Encrypt``
returns for ``KeyId=arn`` and the key's encryption context; ``Decrypt`` gets
the same ``KeyId`` and context back, as sops 3.11 sends them.  The region is
the one in the ARN; ``role`` is assumed through STS first (session name
``sops@<hostname>``); ``aws_profile`` names a profile of the shared config.

Where boto sees the environment.  sealfile reads settings from
``KeyContext.env`` (so the API's ``env=`` works), but botocore reads
``os.environ``.  Rather than swapping the process environment, every input
that decides *where* a request goes and *as whom* is resolved from ctx.env
and handed to botocore explicitly:

* profile: the key's ``aws_profile`` (explicit, so it outranks environment
  credentials, as in the Go SDK), else ``AWS_PROFILE``/``AWS_DEFAULT_PROFILE``;
  files: ``AWS_CONFIG_FILE``/``AWS_SHARED_CREDENTIALS_FILE``, else
  ``$HOME/.aws/…`` with ``HOME`` from ctx.env;
* credentials: botocore's own resolver chain (profiles, SSO, assume-role
  profiles, credential_process, IMDS...), with its environment and container
  providers rebuilt to read ctx.env (``AWS_ACCESS_KEY_ID``,
  ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_CONTAINER_*``) and
  IMDS dropped when ctx.env has ``AWS_EC2_METADATA_DISABLED=true``;
* endpoint: ``AWS_ENDPOINT_URL_KMS``/``_STS``, ``AWS_ENDPOINT_URL``, then the
  profile's ``services`` section and ``endpoint_url``, passed as
  ``endpoint_url`` with botocore's own lookup switched off;
* TLS and proxies: ``AWS_CA_BUNDLE`` (or the profile's ``ca_bundle``),
  ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (loopback never proxied, as Go).

Lesser knobs (FIPS/dual-stack endpoints, IMDS endpoint, web-identity variables)
are still read by botocore from the process environment.

Every call is bounded by ``CONNECT_TIMEOUT``/``READ_TIMEOUT`` and
``ATTEMPTS`` tries in all (botocore's ``total_max_attempts``), so an
unreachable KMS costs about a second and decryption moves on to the next key.
botocore is imported at first use only.

Context values in the metadata are strings; a hand-written YAML file may hold
other scalars, which sops reads as their text (``1`` -> ``"1"``, ``true`` ->
``"true"``).  sealfile gets typed values from its readers and converts them
back to canonical text, so ``1.50`` or ``0x1`` written unquoted differ from
sops (which keeps the source text); a null value is refused (sops crashes).
"""
from __future__ import annotations

import binascii
import os
import re
from ..records import record, replace
from typing import Any, ClassVar, Mapping

from ..errors import InvalidKmsContext, MasterKeyError, MetadataError, SealfileError, UnknownRecipient
from .base import (ATTEMPTS, CONNECT_TIMEOUT, FlagOption, KeyBase, KeyContext, KeyEntry, KeyOrder, KeyType,
                   READ_TIMEOUT, import_sdk, now_rfc3339, recorded)

__all__ = ["KEY_TYPE", "AwsKmsKey", "parse_context", "context_to_string", "session_name"]

#: sops's ``arnRegex`` (Go's ``\w`` is ASCII, ``.`` stops at newlines); patterns here compile on first use
_ARN = r"arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)/.+\Z"
#: the separator sops's ``NewMasterKeyFromArn`` splits a role off at
_ROLE_MARK = "+arn:aws:iam::"
#: sops's ``stsSessionRegex``: ``@-_`` is a range, so '-' itself is dropped
_STS_DROP = r"[^a-zA-Z0-9=,.@-_]+"
_SESSION_NAME_LIMIT = 64
_INVALID_CONTEXT = "Invalid KMS encryption context format"
_CACHE = "awskms"


# ------------------------------------------------------------------- parsing

def parse_context(text: str) -> dict[str, str]:
    """``--encryption-context "k1:v1,k2:v2"`` as sops's ``ParseKMSContext`` reads it.

    Items split at ',', each must split at ':' into exactly two parts (no
    trimming; a later duplicate key wins); anything else is exit 6.
    """
    if text == "":
        return {}
    out: dict[str, str] = {}
    for item in text.split(","):
        parts = item.split(":")
        if len(parts) != 2:
            raise InvalidKmsContext(_INVALID_CONTEXT)
        out[parts[0]] = parts[1]
    return out


def context_to_string(context: Mapping[str, str]) -> str:
    """sops's ``kmsContextToString``: ``k:v`` pairs sorted by key, comma-joined."""
    return ",".join(f"{k}:{context[k]}" for k in sorted(context))


def context_option(value: Any) -> dict[str, str] | None:
    """An ``encryption_context`` option: ``k1:v1,k2:v2`` text (malformed is exit 6) or a mapping."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, Mapping):
        return dict(value)  # the key converts and checks the values, as for config files
    return parse_context(str(value))


def _scalar_text(value: Any, what: str, error: type[SealfileError]) -> str:
    """A scalar as sops's YAML decoding into a string gives it (its text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if value is None:
        raise error(f"{what} is null")
    if isinstance(value, (list, tuple, dict, Mapping)):
        raise error(f"{what} is not a string")
    return str(value)  # e.g. a timestamp


def _context_pairs(raw: Any, error: type[SealfileError]) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise error("a KMS encryption context must be a mapping of strings")
    pairs = {}
    for k, v in raw.items():
        key = _scalar_text(k, "a KMS encryption context key", error)
        pairs[key] = _scalar_text(v, f"the KMS encryption context value of {key!r}", error)
    return tuple(sorted(pairs.items()))


def _optional_text(value: Any, what: str, error: type[SealfileError]) -> str:
    return "" if value is None else _scalar_text(value, what, error)


def session_name(hostname: str | None = None) -> str:
    """``sops@<hostname>`` with what STS rejects removed, at most 64 characters."""
    if hostname is None:
        import socket

        hostname = socket.gethostname()
    name = "sops@" + re.sub(_STS_DROP, "", hostname)
    return name[:_SESSION_NAME_LIMIT]


# ------------------------------------------------------------------- the key

KEY_TYPE = KeyType(
    name="kms", implementation="sealfile.keys.awskms:AwsKmsKey",
    order=KeyOrder(flags=0, collect=0, group_311=1, top_311=10),
    flag="kms", flag_short="-k", describe="AWS KMS key ARNs",
    flag_help="Comma-separated AWS KMS key ARNs (ARN+ROLE_ARN to assume a role).",
    recipients_env="KMS_ARN", rule_field="kms", group_field="kms", rule_options=("aws_profile",),
    flag_options=(
        FlagOption("aws-profile", "aws_profile", "PROFILE", "AWS profile for the KMS keys given here."),
        FlagOption("encryption-context", "encryption_context", "K:V,...",
                   "KMS encryption context (comma-separated key:value pairs) of the KMS keys given here."),
    ),
    extra="aws")


@record(frozen=True, hidden=("legacy_context",), uncompared=("legacy_context",))
class AwsKmsKey(KeyBase):
    """A KMS key ARN, with the role to assume, encryption context and AWS profile."""

    type_name: ClassVar[str] = "kms"
    arn: str
    role: str = ""
    #: sorted (key, value) pairs: hashable, and the order sops writes them in
    context: tuple[tuple[str, str], ...] = ()
    aws_profile: str = ""
    #: set for files written by sops < 3.3.0, whose multi-value contexts may have
    #: been sent to KMS with every value replaced by one of them (sops PR #435)
    legacy_context: bool = False

    @classmethod
    def from_arn(cls, text: str, context: Mapping[str, str] | None = None, aws_profile: str = "") -> "AwsKmsKey":
        """sops's ``NewMasterKeyFromArn``: spaces dropped, ``+arn:aws:iam::…`` is the role."""
        arn, role = text.replace(" ", ""), ""
        at = arn.find(_ROLE_MARK)
        if at > 0:
            arn, role = arn[:at], arn[at + 1:]
        return cls(arn, role, _context_pairs(context, UnknownRecipient), aws_profile or "")

    @classmethod
    def parse(cls, spec: Any, options: Mapping[str, Any] | None = None) -> "AwsKmsKey":
        """A CLI string (``ARN[+ROLE_ARN]``) or a ``key_groups`` mapping, taken verbatim as sops does.

        A string takes ``encryption_context`` (``k:v,k2:v2`` text or a mapping)
        and ``aws_profile`` from ``options``: the flags given with it, or a
        rule's fields.  A mapping carries its own, as in sops.
        """
        if isinstance(spec, str):
            opts = options or {}
            return cls.from_arn(spec, context_option(opts.get("encryption_context")), opts.get("aws_profile") or "")
        if not isinstance(spec, Mapping):
            raise UnknownRecipient(f"a KMS key must be an ARN string or a mapping, not {type(spec).__name__}")
        if not isinstance(spec.get("arn"), str):
            raise UnknownRecipient("a KMS key mapping needs an 'arn' string")
        return cls(spec["arn"],
                   _optional_text(spec.get("role"), "the KMS role", UnknownRecipient),
                   _context_pairs(spec.get("context"), UnknownRecipient),
                   _optional_text(spec.get("aws_profile"), "the KMS aws_profile", UnknownRecipient))

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """A malformed ``--encryption-context`` is exit 6 even before any KMS key is parsed, as in sops."""
        context_option(options.get("encryption_context"))

    def for_file_version(self, release: tuple[int, int, int] | None) -> "AwsKmsKey":
        """Files written by sops before 3.3.0 may have sent a multi-value context with its values
        mixed up (sops PR #435); their keys also try those variations on decryption, as sops does."""
        if release is not None and release < (3, 3, 0):
            return replace(self, legacy_context=True)
        return self

    @property
    def context_map(self) -> dict[str, str]:
        return dict(self.context)

    def to_string(self) -> str:
        """sops's ``ToString``: ``arn[+role]``, then ``|context`` and ``|profile`` when set."""
        text = f"{self.arn}+{self.role}" if self.role else self.arn
        context = context_to_string(self.context_map)
        if self.aws_profile:
            return f"{text}|{context}|{self.aws_profile}"
        return f"{text}|{context}" if context else text

    def wrap(self, data_key: bytes, ctx: KeyContext) -> str:
        raw = bytes(getattr(data_key, "raw", data_key))
        kwargs: dict[str, Any] = {"KeyId": self.arn, "Plaintext": raw}
        if self.context:
            kwargs["EncryptionContext"] = self.context_map
        client = _kms_client(self, ctx)
        try:  # the subscript too: an endpoint that is not KMS may answer 200 without it
            blob = client.encrypt(**kwargs)["CiphertextBlob"]
        except Exception as exc:  # botocore's errors, and anything under them
            raise MasterKeyError(_reason(exc, "AWS KMS Encrypt failed: ")) from None
        return binascii.b2a_base64(blob, newline=False).decode("ascii")

    def unwrap(self, enc: str, ctx: KeyContext) -> bytes:
        import base64  # not at start-up: every encrypt reads this module for its flags
        try:  # Go's StdEncoding skips CR and LF
            blob = base64.b64decode(enc.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            raise MasterKeyError("error base64-decoding the KMS enc field") from None
        client = _kms_client(self, ctx)
        first: Exception | None = None
        for context in self._contexts_to_try():
            kwargs: dict[str, Any] = {"CiphertextBlob": blob, "KeyId": self.arn}
            if context:
                kwargs["EncryptionContext"] = context
            try:
                return bytes(client.decrypt(**kwargs)["Plaintext"])
            except Exception as exc:  # botocore's errors
                first = first or exc
                if _error_code(exc) != "InvalidCiphertextException":
                    break
        raise MasterKeyError(_reason(first, "AWS KMS Decrypt failed: "))

    def _contexts_to_try(self) -> list[dict[str, str]]:
        """The recorded context, then (legacy files only) each value given to every key."""
        contexts = [self.context_map]
        values = sorted({v for _, v in self.context})
        if self.legacy_context and len(self.context) >= 2 and len(values) > 1:
            contexts += [{k: v for k, _ in self.context} for v in values]
        return contexts

    def to_metadata(self, enc: str, created_at: str | None) -> list[tuple[str, Any]]:
        fields: list[tuple[str, Any]] = [("arn", self.arn)]
        if self.role:
            fields.append(("role", self.role))
        if self.context:
            fields.append(("context", self.context_map))
        fields += [("created_at", created_at or now_rfc3339()), ("enc", enc), ("aws_profile", self.aws_profile)]
        return fields

    @classmethod
    def from_metadata(cls, entry: Mapping[str, Any]) -> KeyEntry:
        """One ``kms`` entry; absent fields are empty, as in sops (a key without an ARN fails on use)."""
        key = cls(_optional_text(entry.get("arn"), "the arn of a kms entry", MetadataError),
                  _optional_text(entry.get("role"), "the role of a kms entry", MetadataError),
                  _context_pairs(entry.get("context"), MetadataError),
                  _optional_text(entry.get("aws_profile"), "the aws_profile of a kms entry", MetadataError))
        return KeyEntry(key, *recorded(entry))


# ------------------------------------------------------------------- clients

def _region(arn: str) -> str:
    match = re.match(_ARN, arn, re.ASCII)
    if match is None:
        raise MasterKeyError(f"no valid ARN found in {arn!r}")
    return match.group(1)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() == "true"


#: lower-cased marks of what botocore's DEBUG records of bodies and signed headers would show:
#: the data key (KMS ``Plaintext``) and an assumed role's keys (STS reply, security-token header)
_LOG_SECRETS = ("plaintext", "secretaccesskey", "sessiontoken", "security-token")


def _guard_botocore_logs() -> None:
    """Filter the loggers that write request/response bodies and signed headers (once per process).

    ``logging`` is imported here, when botocore is about to be used, not when the key type is read.
    """
    import logging

    class _WithholdSecrets(logging.Filter):
        """Blank botocore DEBUG records that hold key material, for applications that log at DEBUG."""

        def filter(self, record: logging.LogRecord) -> bool:
            try:
                text = record.getMessage().lower()
            except Exception:  # a record that cannot be formatted holds nothing to withhold
                return True
            if any(mark in text for mark in _LOG_SECRETS):
                record.msg, record.args = "[botocore debug record withheld by sealfile: it holds key material]", ()
            return True

    for name in ("botocore.endpoint", "botocore.parsers", "botocore.auth"):
        logger = logging.getLogger(name)
        if not any(type(f).__name__ == "_WithholdSecrets" for f in logger.filters):
            logger.addFilter(_WithholdSecrets())


def _session(ctx: KeyContext, profile: str) -> Any:
    """A botocore session configured from ctx.env (see the module docstring); one per profile."""
    cache_key = f"{_CACHE}.session\0{profile}"
    if cache_key in ctx.cache:
        return ctx.cache[cache_key]
    _guard_botocore_logs()
    botocore_session = import_sdk("botocore.session", "aws", "AWS KMS")
    credentials = import_sdk("botocore.credentials", "aws", "AWS KMS")
    config_mod = import_sdk("botocore.config", "aws", "AWS KMS")
    env = ctx.env
    session = botocore_session.Session()
    # Also bounds the clients botocore makes for itself (STS for a profile's role_arn or
    # web identity, SSO), which would otherwise wait 60 s per read, five times over.
    session.set_default_client_config(config_mod.Config(
        connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
        retries={"total_max_attempts": ATTEMPTS, "mode": "standard"}))
    store = session.get_component("config_store")
    home = env.get("HOME")
    for name, var, default in (("config_file", "AWS_CONFIG_FILE", "config"),
                               ("credentials_file", "AWS_SHARED_CREDENTIALS_FILE", "credentials")):
        path = env.get(var) or (os.path.join(home, ".aws", default) if home else f"~/.aws/{default}")
        store.set_config_variable(name, path)
    if profile:  # explicit: outranks environment credentials, like the Go SDK's SharedConfigProfile
        session.set_config_variable("profile", profile)
    else:
        store.set_config_variable("profile", env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or None)
    store.set_config_variable("sts_regional_endpoints", "regional")
    store.set_config_variable("defaults_mode", "legacy")
    resolver = session.get_component("credential_provider")
    providers = []
    for provider in resolver.providers:
        if isinstance(provider, credentials.EnvProvider):
            provider = credentials.EnvProvider(environ=env)
        elif isinstance(provider, credentials.ContainerProvider):
            provider = credentials.ContainerProvider(environ=env)
        elif isinstance(provider, (credentials.OriginalEC2Provider, credentials.BotoProvider)):
            continue  # boto2-era files named by os.environ; the Go SDK has neither
        elif isinstance(provider, credentials.InstanceMetadataProvider) and _truthy(
                env.get("AWS_EC2_METADATA_DISABLED")):
            continue
        providers.append(provider)
    resolver.providers = providers
    ctx.cache[cache_key] = session
    return session


def _endpoint(session: Any, env: Mapping[str, str], service: str) -> str | None:
    """botocore's configured-endpoint lookup, over ctx.env instead of os.environ."""
    scoped = session.get_scoped_config()  # ProfileNotFound for an unknown profile
    ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
    if _truthy(ignore if ignore is not None else scoped.get("ignore_configured_endpoint_urls")):
        return None
    for var in (f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_ENDPOINT_URL"):
        if env.get(var):
            return env[var]
    section = scoped.get("services")
    if section:
        services = session.full_config.get("services", {}).get(section) or {}
        url = (services.get(service) or {}).get("endpoint_url")
        if url:
            return url
    return scoped.get("endpoint_url") or None


def _proxies(env: Mapping[str, str], url: str) -> dict[str, str]:
    """Proxies for ``url`` from ctx.env, as Go's ``http.ProxyFromEnvironment`` picks them."""
    import ipaddress
    import urllib.request
    from urllib.parse import urlsplit  # (here: the key declarations load with every encrypt)

    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
    if loopback or (no_proxy and urllib.request.proxy_bypass_environment(host, {"no": no_proxy})):
        return {}
    found = {}
    for scheme in ("http", "https"):
        value = env.get(f"{scheme.upper()}_PROXY") or env.get(f"{scheme}_proxy")
        if value:
            found[scheme] = value
    return found


def _client(session: Any, ctx: KeyContext, service: str, region: str, **credentials: str) -> Any:
    config_mod = import_sdk("botocore.config", "aws", "AWS KMS")
    endpoint = _endpoint(session, ctx.env, service)
    url = endpoint or f"https://{service}.{region}.amazonaws.com"
    # merged over the session's bounded default (timeouts, retries)
    config = config_mod.Config(ignore_configured_endpoint_urls=True, proxies=_proxies(ctx.env, url))
    verify: Any = ctx.env.get("AWS_CA_BUNDLE") or session.get_scoped_config().get("ca_bundle") or True
    return session.create_client(service, region_name=region, endpoint_url=endpoint, verify=verify,
                                 config=config, **credentials)


def _kms_client(key: AwsKmsKey, ctx: KeyContext) -> Any:
    """A KMS client for the key's region, profile and role; one per combination and run."""
    region = _region(key.arn)
    try:
        session = _session(ctx, key.aws_profile)
        endpoint = _endpoint(session, ctx.env, "kms")
        cache_key = f"{_CACHE}.client\0{region}\0{key.aws_profile}\0{key.role}\0{endpoint}"
        if cache_key in ctx.cache:
            return ctx.cache[cache_key]
        credentials: dict[str, str] = {}
        if key.role:
            credentials = _assume_role(session, ctx, region, key.role)
        client = _client(session, ctx, "kms", region, **credentials)
    except SealfileError:  # our own reasons (and MissingExtra) are already clear
        raise
    except Exception as exc:  # botocore: ProfileNotFound, config parse errors...
        raise MasterKeyError(_reason(exc, "AWS KMS setup failed: ")) from None
    ctx.cache[cache_key] = client
    return client


def _assume_role(session: Any, ctx: KeyContext, region: str, role: str) -> dict[str, str]:
    sts = _client(session, ctx, "sts", region)
    try:
        out = sts.assume_role(RoleArn=role, RoleSessionName=session_name())
    except Exception as exc:
        raise MasterKeyError(f"failed to assume role {role!r}: {_reason(exc)}") from None
    creds = out["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}


# -------------------------------------------------------------------- errors

def _service_error(exc: BaseException | None) -> tuple[str, str]:
    """(code, message) of an error the service answered with; empty for client-side failures."""
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("Code") or ""), " ".join(str(error.get("Message") or "").split())


def _error_code(exc: BaseException | None) -> str:
    return _service_error(exc)[0]


_HINTS = {
    "InvalidCiphertextException": "the encryption context differs from the one used to encrypt, "
                                  "or enc was not made by this key",
    "IncorrectKeyException": "enc was made by a different KMS key",
    "NotFoundException": "no such key or alias in this account and region",
    "AccessDeniedException": "the credentials in use may not use this key",
    "KMSInvalidStateException": "the key is disabled or pending deletion",
    "UnrecognizedClientException": "the access key is not valid",
    "InvalidClientTokenId": "the access key is not valid",
    "ExpiredTokenException": "the session token has expired",
}


def _reason(exc: BaseException | None, prefix: str = "") -> str:
    """One safe line for a botocore failure: error code and message, never request parameters."""
    name = type(exc).__name__
    code, message = _service_error(exc)
    if code:
        hint = _HINTS.get(code)
        detail = f"{code}: {message[:300]}" if message else code
        return prefix + (f"{detail} ({hint})" if hint and not message else detail)
    if name == "NoCredentialsError":
        return prefix + ("no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                         "AWS_PROFILE, or the key's aws_profile)")
    if name == "ParamValidationError":  # its text may quote parameter values: never show it
        return prefix + "botocore rejected the request parameters"
    if type(exc).__module__.startswith("botocore"):  # templated texts: endpoint, profile, file names
        return prefix + f"{name}: {' '.join(str(exc).split())[:300]}"
    return prefix + name
