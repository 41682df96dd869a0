"""Settings from the loose keyword arguments every API function takes (or the caller's ready Settings)."""
from __future__ import annotations

from typing import Mapping as TMapping, Sequence

from ..records import replace
from ..settings import ConfigArg, Settings

__all__ = ["settings_from"]


def settings_from(settings: Settings | None, env: TMapping[str, str] | None, config: ConfigArg,
                  decryption_order: str | Sequence[str] | None, indent: int | None) -> Settings:
    """The caller's Settings (with ``indent`` applied), or new ones from the loose arguments."""
    if settings is not None:
        return settings if indent is None else replace(settings, indent=indent)
    return Settings.create(env=env, config=config, decryption_order=decryption_order, indent=indent)
