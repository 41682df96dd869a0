"""Shamir's secret sharing over GF(2^8) exactly as sops (from Vault) does it.

Field: the AES polynomial x^8+x^4+x^3+x+1.  A share is the 32 y-values of the
key bytes followed by the x-coordinate as its last byte; sops >= 3.10 uses
x = group index + 1, older releases random x, so readers take x from the share.
"""
from __future__ import annotations

import os

from ..errors import ShamirError

_EXP = [0] * 512
_LOG = [0] * 256


def _init_tables() -> None:
    x = 1
    for i in range(255):
        _EXP[i] = x
        _LOG[x] = i
        # multiply by the generator 3 = x + 1
        x2 = (x << 1) ^ (0x11B if x & 0x80 else 0)
        x = x2 ^ x
    for i in range(255, 512):
        _EXP[i] = _EXP[i - 255]


_init_tables()


def mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(2^8)")
    if a == 0:
        return 0
    return _EXP[(_LOG[a] - _LOG[b]) % 255]


def split(secret: bytes, parts: int, threshold: int) -> list[bytes]:
    """One share per group: x = 1..parts."""
    if parts < threshold:
        raise ShamirError("parts cannot be less than threshold")
    if parts > 255:
        raise ShamirError("parts cannot exceed 255")
    if threshold < 2:
        raise ShamirError("threshold must be at least 2")
    if not secret:
        raise ShamirError("cannot split an empty secret")
    shares = [bytearray() for _ in range(parts)]
    for byte in secret:
        coeffs = [byte] + list(os.urandom(threshold - 1))
        for i in range(parts):
            x = i + 1
            y = 0
            for c in reversed(coeffs):  # Horner
                y = mul(y, x) ^ c
            shares[i].append(y)
    return [bytes(s) + bytes([i + 1]) for i, s in enumerate(shares)]


def combine(shares: list[bytes]) -> bytes:
    """Interpolate all given shares at x = 0."""
    if len(shares) < 2:
        raise ShamirError("less than two parts cannot be used to reconstruct the secret")
    length = len(shares[0])
    if length < 2 or any(len(s) != length for s in shares):
        raise ShamirError("all parts must be the same length and at least two bytes")
    xs = [s[-1] for s in shares]
    if len(set(xs)) != len(xs):
        raise ShamirError("duplicate part detected")
    # Lagrange basis at 0: l_j = prod_{m != j} x_m / (x_j ^ x_m)
    basis = []
    for j, xj in enumerate(xs):
        num, den = 1, 1
        for m, xm in enumerate(xs):
            if m != j:
                num = mul(num, xm)
                den = mul(den, xj ^ xm)
        basis.append(div(num, den))
    out = bytearray()
    for pos in range(length - 1):
        acc = 0
        for j, share in enumerate(shares):
            acc ^= mul(share[pos], basis[j])
        out.append(acc)
    return bytes(out)
