"""Settings every operation resolves the same way: config, store options, decryption order.

Kept in one place so that encrypt, decrypt, edit, set, rotate and updatekeys
agree on what ``config=None`` means (search like sops) and on the
``SOPS_``/``SEALFILE_`` environment fallbacks.
"""
from __future__ import annotations

import os
from typing import Any, Mapping as TMapping, Sequence

from .config import Config, find_config, load_config
from .core.datakey import parse_decryption_order

#: key types tried first when nothing else is asked for (sops's default)
DEFAULT_DECRYPTION_ORDER = ("age", "pgp")


def environ(env: TMapping[str, str] | None) -> dict[str, str]:
    """A private copy of ``env`` (default: the process environment)."""
    return dict(os.environ) if env is None else dict(env)


def resolve_config(config: Any, env: TMapping[str, str]) -> Config:
    """``config`` is a Config, a path, ``False`` (no config) or ``None`` (search as sops does)."""
    if isinstance(config, Config):
        return config
    if config is False:
        return Config()
    if config is None or config == "":
        return load_config(find_config(env=env))
    return load_config(os.fspath(config))


def store_options(cfg: Config, fmt: str, indent: int | None) -> dict[str, Any]:
    """The config's ``stores:`` settings for ``fmt``; an explicit ``indent`` wins."""
    opts = cfg.store_options(fmt)
    if indent is not None and fmt in ("yaml", "json", "binary"):
        opts["indent"] = indent
    return opts


def decryption_order(value: str | Sequence[str] | None, env: TMapping[str, str]) -> tuple[str, ...]:
    """The flag's value, else ``SEALFILE_``/``SOPS_DECRYPTION_ORDER``, else age then PGP."""
    if value is None:
        value = env.get("SEALFILE_DECRYPTION_ORDER") or env.get("SOPS_DECRYPTION_ORDER")
    if value is not None and not isinstance(value, str):
        value = ",".join(value)
    return parse_decryption_order(value) or DEFAULT_DECRYPTION_ORDER
