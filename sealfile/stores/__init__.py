"""The registry of file formats: the one list of them in sealfile.

Each format is a store class (``load_plain``, ``dump_encrypted``... see
:mod:`.base`) that also declares what the rest of sealfile needs to know about
it: its config section, the options it takes, the example a new file starts
from, how its metadata is written.  Adding a format means writing its module
and adding one line to ``_FORMATS``.  Stores are imported on first use, so
``sealfile decrypt f.json`` never loads the YAML parser.
"""
from __future__ import annotations

from ..records import record
from typing import Any

from .base import Store

__all__ = ["Store", "Format", "store_for", "store_class", "format_for_path", "formats", "config_sections", "FORMATS", "CONFIG_FORMAT"]


@record(frozen=True)
class Format:
    """A registry line: the format's name, the store class, and the file name endings it claims."""

    name: str
    implementation: str
    extensions: tuple[str, ...]


#: one line per format; a file whose name ends in none of the extensions is binary (sops's rule)
_FORMATS = (
    Format("yaml", "sealfile.stores.yaml:YamlStore", (".yaml", ".yml")),
    Format("json", "sealfile.stores.json:JsonStore", (".json",)),
    Format("dotenv", "sealfile.stores.dotenv:DotenvStore", (".env",)),
    Format("ini", "sealfile.stores.ini:IniStore", (".ini",)),
    Format("binary", "sealfile.stores.binary:BinaryStore", ()),
)
#: the format of a file whose name says nothing
_FALLBACK = "binary"
#: sops reads its config file as YAML, whatever the file is called
CONFIG_FORMAT = "yaml"
#: every format name, in the registry's order
FORMATS = tuple(f.name for f in _FORMATS)


def formats() -> tuple[Format, ...]:
    return _FORMATS


def config_sections() -> tuple[str, ...]:
    """The sections of the config's ``stores:`` (``json_binary`` for binary, as sops names it); imports
    every store, so only for config checks."""
    return tuple(store_class(f.name).config_section for f in _FORMATS)


def format_for_path(path: str | None) -> str:
    """sops picks the format from the (case-sensitive) extension; anything else is binary."""
    name = path or ""
    for fmt in _FORMATS:
        if fmt.extensions and name.endswith(fmt.extensions):
            return fmt.name
    return _FALLBACK


def store_class(fmt: str) -> Any:
    """The store class of format ``fmt`` (imported now)."""
    for entry in _FORMATS:
        if entry.name == fmt:
            module_name, _, cls_name = entry.implementation.partition(":")
            return getattr(__import__(module_name, fromlist=["_"]), cls_name)
    raise KeyError(fmt)


def store_for(fmt: str, **options: Any) -> Store:
    """A store instance; ``options`` are its ``stores:`` settings from the config (those it declares)."""
    cls = store_class(fmt)
    accepted = {k: v for k, v in options.items() if k in cls.options}
    store: Store = cls(**accepted)
    return store
