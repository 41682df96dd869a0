"""Invalid UTF-8 in JSON input is read as Go reads it, without process-wide side effects.

Go's decoder replaces every byte of an invalid sequence by its own U+FFFD
(``utf8.DecodeRune`` returns width 1), and goes on after it; sealfile must
give the same text, in time linear in the input, and without registering a
codec error handler for the whole process when the store is imported.
"""
from __future__ import annotations

import codecs
import random
import subprocess
import sys
import time

from sealfile.stores.json import decode_go_utf8


def go_reference(data: bytes) -> str:
    """``utf8.DecodeRune`` in a loop: one valid rune, or one U+FFFD for one byte."""
    out: list[str] = []
    i = 0
    while i < len(data):
        lead = data[i]
        width = (1 if lead < 0x80 else 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF
                 else 4 if 0xF0 <= lead <= 0xF4 else 0)
        if width:
            try:
                out.append(data[i:i + width].decode("utf-8"))
                i += width
                continue
            except UnicodeDecodeError:
                pass
        out.append("\ufffd")
        i += 1
    return "".join(out)


PIECES = [b"a", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xc3\xa9", b"\x80", b"\xbf", b"\xc0\xaf", b"\xe0\x80\x80",
          b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xff", b"\xe2\x82", b"\xf0\x9f\x98",
          b"\xc3", b"\xf4\x8f\xbf\xbf", b"\xed\x9f\xbf", b'"', b"\\"]


def test_invalid_bytes_become_one_replacement_each_as_in_go() -> None:
    rng = random.Random(7)
    for _ in range(20000):
        data = b"".join(rng.choice(PIECES) for _ in range(rng.randrange(8)))
        assert decode_go_utf8(data) == go_reference(data), data
    for _ in range(5000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
        assert decode_go_utf8(data) == go_reference(data), data


def test_truncated_sequences_and_surrogates() -> None:
    assert decode_go_utf8(b"\xe2\x82A") == "\ufffd\ufffdA"
    assert decode_go_utf8(b"\xed\xa0\x80") == "\ufffd" * 3
    assert decode_go_utf8(b"ok\xf0\x9f\x98") == "ok" + "\ufffd" * 3
    assert decode_go_utf8("caf\u00e9 \U0001F600".encode()) == "caf\u00e9 \U0001F600"


def test_importing_the_store_registers_no_codec_error_handler() -> None:
    code = ("import codecs, sealfile.stores.json\n"
            "before = set()\n"
            "for name in ('sealfile-go-utf8-replace',):\n"
            "    try:\n"
            "        codecs.lookup_error(name)\n"
            "        raise SystemExit('registered: ' + name)\n"
            "    except LookupError:\n"
            "        pass\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert codecs.lookup_error("strict")  # the standard handlers are untouched


def test_many_invalid_bytes_decode_in_linear_time() -> None:
    """10 MB, every other byte invalid: a quadratic decoder would take hours."""
    small, large = b"a\xff" * (1 << 19), b"a\xff" * (5 << 20)
    start = time.perf_counter()
    assert decode_go_utf8(small) == "a\ufffd" * (1 << 19)
    mid = time.perf_counter()
    text = decode_go_utf8(large)
    end = time.perf_counter()
    assert len(text) == len(large) and text.count("\ufffd") == 5 << 20
    assert end - mid < max(10 * 12 * (mid - start), 5.0)  # 10x the input: about 10x the time
