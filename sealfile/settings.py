"""One immutable object with everything an operation takes from its surroundings.

Built once per call (by the API facade, or by the CLI from its flags) and
passed down: the environment key sources read credentials from, the config
file (found the way sops finds it), the decryption order, an ``--indent``
override, and the key context whose caches (loaded age identities, cloud
clients) live exactly as long as this object.  Nothing below reads
``os.environ`` or searches for a config on its own, so the API and the CLI
agree on every setting for the same inputs.
"""
from __future__ import annotations

import os
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from .config import Config, find_config, load_config
from .records import default_factory, record
from .keys import KeyContext, default_decryption_order, parse_decryption_order
from .stores import Store, store_for

__all__ = ["Settings", "ConfigArg"]

#: how callers name a config: a path, a loaded Config, None (search as sops does) or False (none)
ConfigArg = Any


@record(frozen=True, hidden=("env", "keys"))
class Settings:
    """Environment, config, decryption order, output indentation and the key context of one run."""

    env: Mapping[str, str]
    config: Config
    decryption_order: tuple[str, ...]
    indent: int | None = None
    keys: KeyContext = default_factory(KeyContext)

    @classmethod
    def create(cls, *, env: Mapping[str, str] | None = None, config: ConfigArg = None,
               decryption_order: str | Sequence[str] | None = None, indent: int | None = None) -> "Settings":
        """Resolve everything once.

        ``env`` defaults to a copy of the process environment.  ``config`` is a
        path, a :class:`Config`, ``False`` for none, or None to search the
        current directory and its parents (``SEALFILE_CONFIG``/``SOPS_CONFIG``
        first), as sops does.  ``decryption_order`` defaults to
        ``SEALFILE_``/``SOPS_DECRYPTION_ORDER``, then age and PGP first.
        """
        environ = MappingProxyType(dict(os.environ if env is None else env))
        return cls(env=environ, config=_resolve_config(config, environ),
                   decryption_order=_decryption_order(decryption_order, environ), indent=indent,
                   keys=KeyContext(environ))

    def store(self, fmt: str) -> Store:
        """A store for ``fmt`` with the config's ``stores:`` settings; ``indent`` overrides theirs."""
        options = self.config.store_options(fmt)
        if self.indent is not None:
            options["indent"] = self.indent
        return store_for(fmt, **options)

    def get(self, name: str) -> str | None:
        """A ``SOPS_*`` setting, with its ``SEALFILE_*`` alias winning when both are set."""
        return self.keys.get(name)


def _resolve_config(config: ConfigArg, env: Mapping[str, str]) -> Config:
    if isinstance(config, Config):
        return config
    if config is False:
        return Config()
    if config is None or config == "":
        return load_config(find_config(env=env))
    return load_config(os.fspath(config))


def _decryption_order(value: str | Sequence[str] | None, env: Mapping[str, str]) -> tuple[str, ...]:
    if value is None:
        value = env.get("SEALFILE_DECRYPTION_ORDER") or env.get("SOPS_DECRYPTION_ORDER")
    if value is not None and not isinstance(value, str):
        value = ",".join(value)
    return parse_decryption_order(value) or default_decryption_order()
