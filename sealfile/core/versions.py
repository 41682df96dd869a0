"""sops release numbers in file metadata: validating, comparing, and reading the release.

One parser for the three questions sealfile asks of a ``version`` field: is
it a version at all (metadata validation), is this program's release newer
(``edit`` raises a file's version as sops does), and which release wrote the
file (repairs for files of old sops releases).
"""
from __future__ import annotations

import functools
import re
from typing import Any

from ..errors import VersionCompareError

__all__ = ["is_valid", "is_newer", "release"]


@functools.cache
def _semver() -> re.Pattern[str]:
    """Compiled on first use: the versions sops writes are read by :func:`_plain` (this costs 0.3 ms)."""
    return re.compile(r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\Z")


def _plain(text: str) -> tuple[int, int, int] | None:
    """``major.minor.patch`` in ASCII digits without leading zeros, the form every sops writes, read
    without a pattern (every file read asks); the patterns accept all of these, and more."""
    parts = text.split(".")
    if len(parts) == 3 and all(p.isascii() and p.isdigit() and (p == "0" or p[0] != "0") for p in parts):
        return int(parts[0]), int(parts[1]), int(parts[2])
    return None


def is_valid(text: str) -> bool:
    """What sops accepts in metadata: semantic versions, and anything from the 1.x Python sops."""
    return text.startswith("1.") or _plain(text) is not None or _semver().match(text) is not None


def release(text: str) -> tuple[int, int, int] | None:
    """The leading ``major.minor.patch`` of ``text`` (None when there is none)."""
    plain = _plain(text)
    if plain is not None:
        return plain
    m = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _key(text: str) -> tuple[Any, ...]:
    m = _semver().match(text)
    if m is None:
        raise ValueError(text)
    pre = m.group(4)
    # a release sorts after its pre-releases; numeric identifiers sort before alphanumeric ones
    pre_key: tuple[Any, ...] = (1,) if pre is None else (0, tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key


def is_newer(a: str, b: str) -> bool:
    """Whether release ``a`` is newer than ``b`` (sops's ``AIsNewerThanB``: 1.x files are always older)."""
    if b.startswith("1."):
        return True
    try:
        return _key(a) > _key(b)
    except ValueError:
        raise VersionCompareError(f"Failed to compare document version {b!r} with program version {a!r}") from None
