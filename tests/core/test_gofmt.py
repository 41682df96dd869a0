"""Go's float formatting, which sops's plaintexts (so the MAC) and JSON/dotenv outputs depend on.

:func:`format_f` takes a shortcut through Python's ``repr`` for floats that
``repr`` writes positionally; it must give exactly what the digit-by-digit
construction gives (and Go's ``strconv.FormatFloat(x, 'f', -1, 64)``) for
every float, including the ones at the edges of ``repr``'s positional range.
"""
from __future__ import annotations

import math
import random
import struct

import pytest

from sealfile.core import gofmt


def _by_digits(x: float) -> str:
    """FormatFloat 'f' -1 built from the shortest digits and the decimal point's position."""
    special = gofmt._special(x)
    if special is not None:
        return special
    sign = "-" if x < 0 else ""
    digits, point = gofmt._digits_exp(x)
    if point <= 0:
        return sign + "0." + "0" * (-point) + digits
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return sign + digits[:point] + "." + digits[point:]


@pytest.mark.parametrize("x,go", [
    (0.0, "0"), (-0.0, "-0"), (1.0, "1"), (-2.5, "-2.5"), (3.14, "3.14"), (1e-4, "0.0001"), (1e-5, "0.00001"),
    (1e15, "1000000000000000"), (1e16, "10000000000000000"), (1.5e300, "15" + "0" * 299),
    (123456789012345.67, "123456789012345.67"), (math.inf, "+Inf"), (-math.inf, "-Inf"), (math.nan, "NaN"),
])
def test_go_text_of_chosen_floats(x, go):
    assert gofmt.format_f(x) == go


def test_the_repr_shortcut_agrees_with_the_digits_everywhere():
    rnd = random.Random(20261202)
    values = [struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0] for _ in range(50_000)]
    values += [rnd.uniform(-1e6, 1e6) for _ in range(20_000)]
    values += [round(rnd.uniform(-1000, 1000), rnd.randint(0, 6)) for _ in range(20_000)]
    values += [10.0 ** e for e in range(-10, 25)] + [-(10.0 ** e) for e in range(-10, 25)]
    wrong = [x for x in values if not math.isnan(x) and gofmt.format_f(x) != _by_digits(x)]
    assert wrong == []
