"""What the command line turns its options into: Settings, recipients, key specs (no click here).

Shared by the click commands and the click-free fast path for ``decrypt``
(:mod:`.fast`), so both build the run's settings the same way.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import NoFileSpecified, SealfileError
from .optspec import SELECTOR_NAMES, param_name

if TYPE_CHECKING:
    from .. import api

def env_names(name: str) -> list[str]:
    """``SEALFILE_NAME`` then ``SOPS_NAME``: the SEALFILE_ one wins when both are set."""
    return ["SEALFILE_" + name, "SOPS_" + name]


def api_module() -> Any:
    """The API, imported when a command needs it (``sealfile --help`` loads no cryptography)."""
    from .. import api

    return api


def flagged_key_types() -> list[Any]:
    return [kt for kt in api_module().key_types() if kt.flag]


def _split(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) or value is None else list(value)
    return [part.strip() for item in items for part in (item or "").split(",") if part.strip()]


def key_option_values(kw: dict[str, Any]) -> dict[str, Any]:
    """Pop the key types' flag options (``--aws-profile`` ...) from ``kw``: the options for keys given as text."""
    names = {o.param for kt in api_module().key_types() for o in kt.flag_options}
    return {name: value for name in names if (value := kw.pop(name, None)) not in (None, "", ())}


def recipients(kw: dict[str, Any]) -> "api.Recipients":
    """Pop ``recipient_options``' values from ``kw`` as the Recipients of a new file."""
    keys = {kt.name: value for kt in flagged_key_types() if (value := kw.pop(param_name("key_", kt), None))}
    return api_module().Recipients(keys=keys, shamir_threshold=kw.pop("shamir_threshold", None),
                          key_options=key_option_values(kw))


def key_specs(kw: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
    """Pop the ``<prefix><flag>`` options (comma lists, repeatable) from ``kw`` as (key type, spec) pairs."""
    return [(kt.name, spec) for kt in flagged_key_types() for spec in _split(kw.pop(param_name(prefix, kt), None))]


def parse_specs(specs: list[tuple[str, str]], key_options: dict[str, Any]) -> list[Any]:
    """Key objects for (type, spec) pairs, with the flag options applied (``--encryption-context``)."""
    return api_module().resolve_keys(specs, key_options)


def encrypt_options(kw: dict[str, Any]) -> "api.EncryptOptions":
    """Pop ``selector_options``' values from ``kw`` as EncryptOptions (the global --mac-only-encrypted too)."""
    selectors = {name: value for name in SELECTOR_NAMES if (value := kw.pop(name, None))}
    return api_module().EncryptOptions(selectors=selectors, mac_only_encrypted=kw.pop("mac_only_encrypted", None))


def global_value(ctx: Any, name: str, local: Any) -> Any:
    """A per-command value, else the same option given before the command."""
    if local not in (None, False):
        return local
    return ctx.find_root().params.get(name) if ctx is not None else local


def settings(ctx: Any, *, config_path: str | None = None, indent: int | None = None,
             decryption_order: str | None = None, file: str | None = None) -> "api.Settings":
    """The run's Settings from this command's options merged over the global ones.

    A bad setting (an unreadable config, a bad decryption order) names ``file``.
    """
    try:
        return api_module().Settings.create(config=global_value(ctx, "config_path", config_path) or None,
                                   indent=global_value(ctx, "indent", indent), decryption_order=decryption_order)
    except SealfileError as exc:
        raise exc.with_path(None if file == "-" else file)


def warn_unknown_config_fields(run_settings: Any) -> None:
    """One stderr line per config field nobody reads (encrypt and edit only: never on a decrypt, whose
    output helm-secrets reads merged with stderr)."""
    import sys

    cfg = run_settings.config
    for path, name, meant in cfg.unknown:
        where = ".".join(str(p) for p in path[:-1]) or "the top level"
        hint = f"; did you mean {meant!r}?" if meant else ""
        sys.stderr.write(f"sealfile: warning: {cfg.path}: unknown field {name!r} in {where} (ignored){hint}\n")


def require_file(file: str | None) -> str:
    """sops's "no file specified" (exit 100) when a command got no FILE."""
    if not file:
        raise NoFileSpecified("Error: no file specified")
    return file
