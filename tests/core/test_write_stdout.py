"""Standard output gets every byte, even from a raw stdout that writes less than asked.

With PYTHONUNBUFFERED (or ``python -u``) ``sys.stdout.buffer`` is a raw file:
one system call per ``write``, and Linux writes at most 2 GiB - 4 KiB per call,
so a large binary file's output was silently cut there.
"""
from __future__ import annotations

import io
import os
import sys
import types

from sealfile import fileio


class ShortWriter(io.RawIOBase):
    """A raw stream that takes at most ``limit`` bytes per call and sometimes none (non-blocking)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.calls = 0
        self.received = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int | None:
        self.calls += 1
        if self.calls % 3 == 0:
            return None
        chunk = bytes(memoryview(data)[:self.limit])
        self.received += chunk
        return len(chunk)

    def fileno(self) -> int:
        return sys.__stderr__.fileno()  # always writable, for the wait on a full pipe


def test_short_writes_are_continued(monkeypatch):
    data = os.urandom(10_000)
    raw = ShortWriter(777)
    monkeypatch.setattr(sys, "stdout", types.SimpleNamespace(buffer=raw))
    fileio.write_stdout(data)
    assert bytes(raw.received) == data and raw.calls > 13


def test_atomic_write_to_stdout_uses_the_same_loop(monkeypatch):
    raw = ShortWriter(5)
    monkeypatch.setattr(sys, "stdout", types.SimpleNamespace(buffer=raw))
    fileio.atomic_write("-", b"0123456789abcdef")
    assert bytes(raw.received) == b"0123456789abcdef"

