"""verify: decrypt in memory, check every value and the MAC, keep nothing.

A verdict per file, for CI jobs that must prove the files decrypt with the
keys at hand (and that nobody edited them by hand) without ever printing or
writing a value.
"""
from __future__ import annotations

import os
from typing import Sequence

from ..errors import SealfileError
from ..records import record
from ..settings import Settings
from .decrypt import open_decrypted
from .files import read_input, resolve_types

__all__ = ["Verdict", "verify"]


@record(frozen=True)
class Verdict:
    """One file: ``ok``, or the error that stopped it (its exit code is sops's for that failure)."""

    file: str
    ok: bool
    error: SealfileError | None = None


def verify(paths: Sequence[str | os.PathLike[str]], settings: Settings, *, input_type: str | None = None) -> list[Verdict]:
    """Decrypt each file completely in memory (every value's tag, then the MAC); nothing is kept or printed."""
    verdicts = []
    for path in paths:
        p = os.fspath(path)
        fmt, _ = resolve_types(p, input_type, None, None)
        try:
            open_decrypted(read_input(p), settings, input_type=fmt, keep_iv=False, path=p)
        except SealfileError as exc:
            verdicts.append(Verdict(p, False, exc.with_path(p)))
            continue
        verdicts.append(Verdict(p, True))
    return verdicts
