"""exec-env and exec-file, the library side: what the command gets, never how it is run.

exec-env exports the first document's top-level values, formatted as sops
formats them (``ValToString``); exec-file hands over the decrypted file.
Starting the command, the FIFO, signals and ``--user`` are the CLI's
(``cli/process.py``), so a program using the library decides for itself how
to run anything.
"""
from __future__ import annotations

import os
from typing import Mapping as TMapping, Sequence

from ..core.gofmt import val_to_string
from ..core.tree import Comment, Mapping
from ..errors import InvalidArgument, NotExportable, SealfileError
from ..settings import Settings
from .files import read_input, resolve_types

__all__ = ["environment_pairs", "build_environment", "exported_environment", "decrypted_content",
           "check_filename", "DEFAULT_FILENAME"]

#: name of the FIFO / file inside the private directory, as in sops
DEFAULT_FILENAME = "tmp-file"


def environment_pairs(doc: Mapping) -> list[tuple[str, str]]:
    """(name, value) for each top-level item of ``doc``, refusing what an environment cannot hold.

    The checks run in sops's order (complex value, comment, non-string key, ``=``),
    so the first offending key reported is the same one.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in doc:
        if isinstance(value, (Mapping, list)):
            raise NotExportable(f"cannot use complex value in environment; offending key {key}")
        if isinstance(key, Comment):
            continue
        if not isinstance(key, str):
            raise NotExportable(f"cannot use non-string keys in environment, got {type(key).__name__}")
        if "=" in key:
            raise NotExportable(f"cannot use keys with '=' in environment: {key}")
        text = value if isinstance(value, str) else val_to_string(value)
        if "\0" in key or "\0" in text:
            # Go's exec refuses too; name the key, never the value
            raise NotExportable(f"cannot put a NUL byte in the environment; offending key {key.replace(chr(0), '?')}")
        pairs.append((key, text))
    return pairs


def build_environment(pairs: Sequence[tuple[str, str]], *, pristine: bool = False,
                      base: TMapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``base`` (default ``os.environ``) unless pristine, then ``pairs``.

    A later entry replaces an earlier one and moves to its place, as Go's
    ``exec.Cmd`` de-duplicates ``Env``.
    """
    env: dict[str, str] = {} if pristine else dict(os.environ if base is None else base)
    for key, value in pairs:
        env.pop(key, None)
        env[key] = value
    return env


def exported_environment(path: str | os.PathLike[str], settings: Settings, *, pristine: bool = False,
                         input_type: str | None = None, ignore_mac: bool = False) -> dict[str, str]:
    """The environment exec-env gives its command: ``settings.env`` (unless pristine) plus the file's values."""
    from .decrypt import open_decrypted

    p = os.fspath(path)
    fmt, _ = resolve_types(p, input_type, None, None)
    try:
        sf = open_decrypted(read_input(p), settings, input_type=fmt, ignore_mac=ignore_mac, keep_iv=False,
                            path=p)
        pairs = environment_pairs(sf.docs[0] if sf.docs else Mapping())
    except SealfileError as exc:
        raise exc.with_path(p)
    return build_environment(pairs, pristine=pristine, base=settings.env)


def decrypted_content(path: str | os.PathLike[str], settings: Settings, *, input_type: str | None = None,
                      output_type: str | None = None, ignore_mac: bool = False) -> bytes:
    """The decrypted file exec-file serves, in ``output_type`` (default: the format of the file's name)."""
    from .decrypt import decrypt

    p = os.fspath(path)
    fmt_in, fmt_out = resolve_types(p, input_type, output_type, None)
    try:
        return decrypt(read_input(p), settings, input_type=fmt_in, output_type=fmt_out, ignore_mac=ignore_mac)
    except SealfileError as exc:
        raise exc.with_path(p)


def check_filename(name: str | None) -> str:
    """The FIFO's name: one plain path component, so the plaintext stays in the private directory.

    sops accepts ``../x`` and ``/x`` (and then leaves the file behind); sealfile refuses them.
    """
    if name is None or name == "":
        return DEFAULT_FILENAME
    if "/" in name or name in (".", "..") or "\0" in name:
        raise InvalidArgument(f"--filename must be a plain file name without '/', got {name!r}")
    return name
