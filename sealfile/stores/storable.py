"""What each format cannot hold, checked before an encrypted file is written.

sops writes some conversions that nothing can read back: several YAML
documents as JSON (the MAC covers values that are not in the file), ``null``
in a dotenv file (written as ``<nil>``, then "not encrypted" on decrypt),
nested values in INI sections.  sealfile refuses them up front (exit 4) with
the key path and what cannot be represented, so no file it writes is one it
cannot decrypt.  Each store calls the check for its own format from
``check_storable``; the trees checked here are the ones about to be written.
"""
from __future__ import annotations

from typing import Any

from ..errors import EmitError
from ..core.tree import Comment, Mapping
from ..errors import format_key_path as format_path

__all__ = ["single_document", "flat_values", "unique_top_keys", "binary_envelope"]


def single_document(docs: list[Mapping], fmt: str) -> None:
    if len(docs) > 1:
        raise EmitError(f"cannot write {len(docs)} YAML documents as {fmt}: a {fmt} file holds one "
                        "document (keep the output in YAML, or split the documents into several files)")


def _describe(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a nested mapping"
    if isinstance(value, list):
        return "a list"
    return None


def flat_values(doc: Mapping, fmt: str, prefix: tuple[str, ...] = ()) -> None:
    """Every value of ``doc`` must be a scalar that is not null (dotenv, and an INI section's keys)."""
    for key, value in doc:
        if isinstance(key, Comment):
            if "\n" in key.text:
                raise EmitError(f"cannot write a comment spanning several lines in {fmt} "
                                f"(under {format_path(prefix) or 'the top level'})")
            continue
        what = _describe(value)
        if what is not None:
            raise EmitError(f"{format_path((*prefix, key))}: {fmt} cannot hold {what}, only strings, numbers "
                            "and booleans")
        # dotenv: checked inline, as this runs for every entry of every dotenv file (the key path is
        # formatted only for a message)
        if fmt == "dotenv" and (key.__class__ is not str or "=" in key or "\n" in key or key[:1] == "#"
                                or value.__class__ is str and "\\n" in value and not value.startswith(_TOKEN_HEAD)):
            _dotenv_refusal(key, value, prefix)


_TOKEN_HEAD = "ENC[AES256_GCM,"


def _dotenv_refusal(key: Any, value: Any, prefix: tuple[str, ...]) -> None:
    """The entry's problem, if it has one (the inline test above may also stop at str subclasses)."""
    if not isinstance(key, str) or "=" in key or "\n" in key or key.startswith("#"):
        raise EmitError(f"{format_path((*prefix, key))}: a dotenv key cannot contain '=' or a line break, or start with '#'")
    if isinstance(value, str) and not value.startswith(_TOKEN_HEAD) and "\\n" in value:
        raise EmitError(f"{format_path((*prefix, key))}: an unencrypted dotenv value cannot contain the two "
                        "characters \\n (they read back as a line break)")


def unique_top_keys(doc: Mapping, fmt: str) -> None:
    """Top-level keys must be unique where the reader checks them (an encrypted YAML file's first document)."""
    seen: set[Any] = set()
    for key, _ in doc:
        if isinstance(key, Comment):
            continue
        try:
            if key in seen:
                raise EmitError(f"{format_path((key,))}: the key appears twice at the top level, which a {fmt} "
                                "file cannot hold")
            seen.add(key)
        except TypeError:
            continue


def binary_envelope(docs: list[Mapping]) -> None:
    """A binary file is one ``data`` string; anything else would not decrypt back to a file."""
    keys = [k for k, _ in docs[0] if not isinstance(k, Comment)] if len(docs) == 1 else None
    data = docs[0].get("data") if keys == ["data"] else None
    # the check sees the tree as written: an encrypted value must have been a string
    is_string = isinstance(data, str) and (not data.startswith("ENC[AES256_GCM,") or data.endswith(",type:str]"))
    if not is_string:
        raise EmitError("cannot write structured data as a binary file: a binary file holds exactly one "
                        "'data' string (choose --output-type yaml, json, dotenv or ini)")
