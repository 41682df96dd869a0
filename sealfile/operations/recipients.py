"""What a new file gets: its recipients and how its values are chosen (plain data, no cryptography).

Kept apart from :mod:`.encrypt` so that the API and the command line can
build requests without importing the cipher.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..core.metadata import LAYOUT_311
from ..core.selectors import KINDS
from ..keys import MasterKey
from ..records import default_factory, record

__all__ = ["Recipients", "EncryptOptions"]


@record(frozen=True)
class Recipients:
    """Who a new file is encrypted for, as the caller gives it; empty means "ask the creation rule".

    ``keys`` maps key type names (``age pgp kms gcp_kms azure_kv hc_vault``)
    to comma-separated strings or lists: together they form one key group.
    ``key_groups`` are ready-made groups instead.  ``key_options`` apply to
    keys given as text here or in a rule's flat fields (AWS KMS:
    ``encryption_context``, ``aws_profile``).
    """

    keys: Mapping[str, str | Sequence[str]] = default_factory(dict)
    key_groups: Sequence[Sequence[MasterKey]] | None = None
    shamir_threshold: int | None = None
    key_options: Mapping[str, Any] = default_factory(dict)

    @property
    def given(self) -> bool:
        return self.key_groups is not None or any(self.keys.values())


@record(frozen=True)
class EncryptOptions:
    """How values are chosen and covered: selectors (``encrypted_regex=...``) and the MAC mode."""

    selectors: Mapping[str, str] = default_factory(dict)
    mac_only_encrypted: bool | None = None
    layout: str = LAYOUT_311

    def __post_init__(self) -> None:
        bad = set(self.selectors) - set(KINDS)
        if bad:
            raise TypeError(f"unknown selector(s): {', '.join(sorted(bad))}")
