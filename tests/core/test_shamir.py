"""Shamir over GF(2^8) with the AES polynomial, share layout as sops writes it."""
from __future__ import annotations

import itertools
import os

import pytest

from sealfile.core import shamir


def test_field_checks_from_the_spec():
    assert shamir.mul(0x57, 0x83) == 0xC1
    assert shamir.mul(0x57, 0x13) == 0xFE
    assert shamir.mul(0x53, 0xCA) == 0x01


def test_spec_worked_example():
    # secret 0x42, t = 2, random coefficient 0x07: y(1)=0x45, y(2)=0x4C, y(3)=0x4B
    ys = {x: shamir.mul(0x07, x) ^ 0x42 for x in (1, 2, 3)}
    assert ys == {1: 0x45, 2: 0x4C, 3: 0x4B}
    assert shamir.combine([bytes([0x45, 1]), bytes([0x4B, 3])]) == b"\x42"


@pytest.mark.parametrize("parts,threshold", [(2, 2), (3, 2), (3, 3), (5, 3)])
def test_split_combine_any_threshold_subset(parts, threshold):
    secret = os.urandom(32)
    shares = shamir.split(secret, parts, threshold)
    assert [s[-1] for s in shares] == list(range(1, parts + 1))
    assert all(len(s) == 33 for s in shares)
    for subset in itertools.combinations(shares, threshold):
        assert shamir.combine(list(subset)) == secret


def test_fewer_than_threshold_gives_wrong_secret():
    secret = os.urandom(32)
    shares = shamir.split(secret, 3, 3)
    assert shamir.combine(shares[:2]) != secret


def test_random_x_coordinates_are_read_from_the_share():
    # sops < 3.10 drew x at random: relabel shares with other x values by re-evaluating
    secret = os.urandom(4)
    coeff = os.urandom(4)
    def share(x):
        return bytes(shamir.mul(c, x) ^ s for s, c in zip(secret, coeff)) + bytes([x])
    assert shamir.combine([share(77), share(200)]) == secret


def test_errors():
    with pytest.raises(shamir.ShamirError, match="less than two parts"):
        shamir.combine([b"ab"])
    with pytest.raises(shamir.ShamirError, match="duplicate part"):
        shamir.combine([b"a\x01", b"b\x01"])
    with pytest.raises(shamir.ShamirError, match="parts cannot be less than threshold"):
        shamir.split(b"x", 2, 3)
