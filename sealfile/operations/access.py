"""access: who can decrypt what, for the periodic access review security policies ask for.

For each file, each recipient in its key groups, and whether that recipient
*alone* can decrypt it: with one key group any of its keys can; with Shamir
groups a recipient needs to appear in at least ``threshold`` groups.  Read
from the metadata only: no key is needed and nothing is decrypted.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..core.metadata import Metadata
from ..errors import MetadataNotFound, SealfileError
from ..records import default_factory, record
from ..settings import Settings
from ..stores import format_for_path

__all__ = ["Grant", "FileAccess", "access"]


@record(frozen=True)
class Grant:
    """One recipient of one file: the key type, its identifier, the groups it is in, whether it suffices alone."""

    key_type: str
    recipient: str
    groups: tuple[int, ...]
    alone: bool
    label: str = ""


@record
class FileAccess:
    """A file's recipients, its threshold and how many groups it has (or why it could not be read)."""

    file: str
    grants: list[Grant] = default_factory(list)
    threshold: int = 0
    groups: int = 0
    error: str | None = None


def _groups_needed(meta: Metadata) -> int:
    n = len(meta.key_groups)
    return 1 if n < 2 else (meta.shamir_threshold or n)


def _label(key: Any, labels: dict[str, str], settings: Settings) -> str:
    """A human name for the recipient (a PGP key's user id), looked up once per key per run."""
    ident = f"{key.type_name}:{key.to_string()}"
    if ident not in labels:
        labels[ident] = key.label(settings.keys)
    return labels[ident]


def access(paths: Sequence[str], settings: Settings) -> list[FileAccess]:
    """The recipients of every encrypted file among ``paths`` (plain files are skipped)."""
    out = []
    labels: dict[str, str] = {}
    for path in paths:
        store = settings.store(format_for_path(path))
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            _, tree = store.load_encrypted(data)
            meta = Metadata.from_tree(tree)
        except (MetadataNotFound, OSError):
            continue
        except SealfileError as exc:
            if b"sops" in data:  # damaged sops metadata; anything else is just not an encrypted file
                out.append(FileAccess(path, error=exc.message))
            continue
        needed = _groups_needed(meta)
        seen: dict[tuple[str, str], list[int]] = {}
        keys: dict[tuple[str, str], Any] = {}
        for index, group in enumerate(meta.key_groups):
            for entry in group:
                ident = (entry.key.type_name, entry.key.to_string())
                seen.setdefault(ident, []).append(index)
                keys.setdefault(ident, entry.key)
        grants = [Grant(kind, name, tuple(groups), len(set(groups)) >= needed, _label(keys[(kind, name)], labels,
                                                                                  settings))
                  for (kind, name), groups in seen.items()]
        out.append(FileAccess(path, grants, needed, len(meta.key_groups)))
    return out
