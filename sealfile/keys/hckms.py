"""HuaweiCloud KMS keys: known to sops, not implemented by sealfile.

sops 3.11 reads and writes an ``hckms`` list in key groups.  sealfile keeps
such entries exactly as they are when it rewrites a file (so a file shared
with a team that uses them loses nothing), but cannot wrap or unwrap a data
key with them.
"""
from __future__ import annotations

from .base import KeyOrder, KeyType

__all__ = ["KEY_TYPE"]

KEY_TYPE = KeyType(
    name="hckms", implementation=None,
    order=KeyOrder(flags=2, collect=2, group_311=3, top_311=12),
    rule_field="hckms", group_field="hckms")
