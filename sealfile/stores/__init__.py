"""Store lookup by name or file extension (sops's rules, §5.10 of the spec)."""
from __future__ import annotations

import importlib
from typing import Any

from .base import Store

__all__ = ["Store", "store_for", "format_for_path", "FORMATS"]

FORMATS = ("yaml", "json", "dotenv", "ini", "binary")
_MODULES = {
    "yaml": "sealfile.stores.yaml:YamlStore",
    "json": "sealfile.stores.json:JsonStore",
    "dotenv": "sealfile.stores.dotenv:DotenvStore",
    "ini": "sealfile.stores.ini:IniStore",
    "binary": "sealfile.stores.binary:BinaryStore",
}


def format_for_path(path: str | None) -> str:
    """sops picks the format from the (case-sensitive) extension; anything else is binary."""
    name = path or ""
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".env"):
        return "dotenv"
    if name.endswith(".ini"):
        return "ini"
    return "binary"


def store_for(fmt: str, **options: Any) -> Store:
    """A store instance; ``options`` are the ``stores:`` settings of the config (e.g. indent)."""
    module_name, _, cls_name = _MODULES[fmt].partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(**options)
