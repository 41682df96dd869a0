"""Credential-shaped test values, assembled at run time from random parts.

No token appears literally in the repository (so neither sealfile's own
``check`` nor a host's push protection trips over the test suite), and each
run plants different values, so a test that greps output for them cannot
pass by accident.
"""
from __future__ import annotations

import secrets
import string

__all__ = ["planted", "rand"]

_UPPER_DIGITS = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _jwt_part(n: int) -> str:
    return rand(n, _ALNUM + "-_")


def planted() -> dict[str, str]:
    """kind (as ``check`` names it) -> a fresh value of that shape."""
    return {
        "an AWS access key id": "AK" + "IA" + rand(16, _UPPER_DIGITS),
        "a GitHub token": "gh" + "p_" + rand(36),
        "a GitHub fine-grained token": "github" + "_pat_" + rand(22) + "_" + rand(59),
        "an OpenAI API key": "sk-" + "proj-" + rand(20) + "T3Blbk" + "FJ" + rand(20),
        "a Slack token": "xo" + "xb-" + rand(11, string.digits) + "-" + rand(24),
        "a Stripe live key": "sk" + "_live_" + rand(28),
        "a Google API key": "AI" + "za" + rand(35, _ALNUM + "-_"),
        "a JSON Web Token": "ey" + "J" + _jwt_part(30) + ".ey" + "J" + _jwt_part(40) + "." + _jwt_part(43),
        "a URL with a password": "postgres://app:" + rand(18) + "@db.internal:5432/app",
        "an age identity": "AGE-SECRET" + "-KEY-1" + rand(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
    }
