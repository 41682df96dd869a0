"""Recognising secrets left in plaintext: high-confidence token patterns, and entropy under secret-like names.

Patterns are the token formats issuers document (AWS key ids, GitHub, OpenAI,
Slack, Stripe, Google, private key blocks, age identities, JWTs, URLs with a
password): a match is almost always a real credential, so it is an error.
Entropy is weaker evidence and only counts for values whose key looks like a
secret (``password``, ``api_key``, ``client_secret``...): a warning.  Both skip
what documentation and lockfiles are full of: the published example keys
(``AKIAIOSFODNN7EXAMPLE``), placeholders (``changeme``, ``${VAR}``,
``<token>``, ``xxxx``), UUIDs and hex digests under non-secret names.

Nothing here returns or stores the value it looked at: a hit is the pattern's
name, so findings can be printed, logged and uploaded safely.
"""
from __future__ import annotations

import math
import re
from typing import NamedTuple

__all__ = ["Hit", "scan_text", "scan_value", "looks_secret_name", "entropy", "PATTERNS"]


class Hit(NamedTuple):
    """A secret-looking piece of text: which kind, how sure, where in the text (never the text)."""

    kind: str  # with its article, to read "looks like {kind}"
    confidence: str  # "high" (a documented token format) or "medium" (entropy under a secret-like name)
    start: int


#: (kind, pattern) of documented token formats; each match is a high-confidence finding
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("an AWS access key id", r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|A3T[A-Z0-9])"
                          r"[0-9A-Z]{16}(?![A-Z0-9])"),
    ("a GitHub token", r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    ("a GitHub token", r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![A-Za-z0-9])"),
    ("an OpenAI API key", r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}"),
    ("an OpenAI API key", r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9]{48}(?![A-Za-z0-9])"),
    ("a Slack token", r"(?<![A-Za-z0-9])xox[abpr]-[0-9]{8,}-[0-9A-Za-z-]{8,}"),
    ("a Slack webhook", r"https://hooks\.slack\.com/services/T[0-9A-Z]{8,}/B[0-9A-Z]{8,}/[0-9A-Za-z]{20,}"),
    ("a Stripe live key", r"(?<![A-Za-z0-9])(?:sk|rk)_live_[0-9A-Za-z]{24,}"),
    ("a Google API key", r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
    ("a private key block", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("an age identity", r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    ("a JSON Web Token", r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}"),
    ("a URL with a password", r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@'\"]{1,64}:(?P<password>[^\s@/'\"]{3,128})@[^\s/'\"]+"),
))

#: documentation and test values that look like credentials on purpose
_PUBLISHED_EXAMPLES = ("EXAMPLE", "example", "AKIAIOSFODNN7", "wJalrXUtnFEMI", "0123456789abcdef0123", "xxxxxxxx",
                       "XXXXXXXX", "00000000000000000000")
#: placeholders and template syntax: not a secret yet
_PLACEHOLDER = re.compile(r"^\s*(?:\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|<[^>]*>|%\([^)]*\)s|\$[A-Z_][A-Z0-9_]*|"
                          r"(?:change[-_ ]?me|changeit|password|passwd|secret|todo|tbd|dummy|example|sample|"
                          r"placeholder|redacted|none|null|empty|test|fake|x+|\*+|\.+)\s*)$", re.I)
_SECRET_NAME = re.compile(r"(?:^|[_.\-\s])?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|"
                          r"access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth|session[_-]?key|"
                          r"signing[_-]?key|encryption[_-]?key|dsn|connection[_-]?string)", re.I)
_NOT_SECRET_NAME = re.compile(r"(?:_|\b)(?:file|path|url_path|name|id|type|length|min|max|rotation|expir\w*|"
                              r"enabled|required|hint|prompt|policy|header|field)$", re.I)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_secret_name(key: str) -> bool:
    """Whether a key name says its value is a credential (``db_password``, ``apiKey``, ``CLIENT_SECRET``)."""
    return bool(_SECRET_NAME.search(key)) and not _NOT_SECRET_NAME.search(key)


def _published(text: str) -> bool:
    return any(marker in text for marker in _PUBLISHED_EXAMPLES)


def scan_text(text: str) -> list[Hit]:
    """High-confidence token formats anywhere in ``text`` (a whole file, a value, a comment)."""
    hits = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            found = m.group("password") if "password" in pattern.groupindex else m.group(0)
            # a URL's host may well be example.com: only its password decides
            if _published(found) or (kind == "a URL with a password" and _PLACEHOLDER.match(found)):
                continue
            hits.append(Hit(kind, "high", m.start()))
    return hits


def scan_value(key: str, value: str) -> list[Hit]:
    """Token formats in a value, and, under a secret-like key name, a value random enough to be a credential.

    The entropy rule wants at least 12 characters and 3 bits per character
    (a lowercase word has about 2.5, a random base64 string about 5), skips
    placeholders, published examples and UUIDs (identifiers, not secrets, in
    most files), and is a medium-confidence hit.
    """
    hits = scan_text(value)
    if hits or not looks_secret_name(key):
        return hits
    text = value.strip()
    if (len(text) >= 12 and " " not in text and entropy(text) >= 3.0 and not _PLACEHOLDER.match(text)
            and not _published(text) and not _UUID.fullmatch(text)):
        hits.append(Hit("a high-entropy value under a secret-like name", "medium", 0))
    return hits
