"""Scalar typing exactly as go-yaml v3 (and therefore sops) does it.

sops decodes every YAML scalar into a Go ``interface{}``; the resulting Go
type decides the ``type:`` tag of the encrypted value and the bytes hashed
into the MAC.  Python's YAML libraries follow YAML 1.1 or 1.2 rules that
differ from go-yaml's (``yes`` is a string, ``017`` is octal 15, ``08`` is the
float 8, ``1e400`` is a string, ...), so the rules of go-yaml's
``resolve.go`` and ``decode.go`` are reimplemented here.

The emitter also needs the *tag* a plain string would resolve to, to decide
whether a string has to be quoted (go-yaml's ``encode.go`` ``stringv``).
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ...core.tree import Timestamp

__all__ = [
    "ResolveError", "STR", "INT", "FLOAT", "BOOL", "NULL", "TIMESTAMP", "BINARY", "MERGE",
    "short_tag", "resolve", "decode_scalar", "needs_double_quotes", "parse_timestamp",
]

STR, INT, FLOAT, BOOL, NULL = "!!str", "!!int", "!!float", "!!bool", "!!null"
TIMESTAMP, BINARY, MERGE = "!!timestamp", "!!binary", "!!merge"
_LONG_PREFIX = "tag:yaml.org,2002:"
_RESOLVABLE = frozenset(("", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP))

_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


class ResolveError(ValueError):
    """A tagged scalar that cannot be decoded as its tag says (go-yaml ``failf``)."""


def short_tag(tag: str | None) -> str:
    """go-yaml's ``shortTag``: ``tag:yaml.org,2002:int`` -> ``!!int``."""
    if not tag:
        return ""
    if tag.startswith(_LONG_PREFIX):
        return "!!" + tag[len(_LONG_PREFIX):]
    return tag


_INF, _NAN = float("inf"), float("nan")
_MAP: dict[str, tuple[str, Any]] = {}
for _v, _t, _names in (
    (True, BOOL, ("true", "True", "TRUE")),
    (False, BOOL, ("false", "False", "FALSE")),
    (None, NULL, ("", "~", "null", "Null", "NULL")),
    (_NAN, FLOAT, (".nan", ".NaN", ".NAN")),
    (_INF, FLOAT, (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
    (-_INF, FLOAT, ("-.inf", "-.Inf", "-.INF")),
    ("<<", MERGE, ("<<",)),
):
    for _n in _names:
        _MAP[_n] = (_t, _v)

# resolve.go's resolveTable: which first characters may start a non-string.
_HINT: dict[str, str] = {"+": "S", "-": "S", ".": "."}
_HINT.update({c: "D" for c in "0123456789"})
_HINT.update({c: "M" for c in "yYnNtTfFoO~"})

# strconv.ParseInt(s, 0, 64) syntax (underscores already removed by the caller).
_GO_INT = re.compile(r"([+-]?)(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z")
_GO_UINT_BASE = re.compile(r"([+-]?)([0-9a-zA-Z]+)\Z")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_OLD_BOOL = frozenset("y Y yes Yes YES on On ON n N no No NO off Off OFF".split())


def _go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` then ``ParseUint``; None when neither parses."""
    m = _GO_INT.match(text)
    if not m:
        return None
    sign, body = m.groups()
    if len(body) > 2 and body[1] in "bBoOxX":
        value = int(body[2:], {"b": 2, "o": 8, "x": 16}[body[1].lower()])
    elif body[0] == "0":
        value = int(body, 8) if len(body) > 1 else 0
    else:
        value = int(body)
    if sign == "-":
        value = -value
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    if not sign and value <= _UINT64_MAX:
        return value  # a Go uint64: sops cannot encrypt it (exit 23), the cipher refuses it
    return None


def _go_int_base(text: str, base: int) -> int | None:
    """``strconv.ParseInt(text, base, 64)`` (an explicit sign is accepted) or ParseUint."""
    m = _GO_UINT_BASE.match(text)
    if not m:
        return None
    sign, digits = m.groups()
    try:
        value = int(digits, base)
    except ValueError:
        return None
    if sign == "-":
        value = -value
    if _INT64_MIN <= value <= _INT64_MAX:
        return value
    if not sign and value <= _UINT64_MAX:
        return value
    return None


def _go_float(text: str) -> float | None:
    """``strconv.ParseFloat`` on text already known to be decimal float syntax."""
    value = float(text)
    if value in (_INF, -_INF):
        return None  # Go reports ErrRange on overflow
    return value


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml's ``resolve(tag, in)``: the resolved tag and Python value.

    Raises :class:`ResolveError` where go-yaml fails (``!!int abc``...).
    """
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, out = STR, text
    hint = _HINT.get(text[0]) if text else "N"
    if hint is not None and tag != STR:
        found = _MAP.get(text)
        if found is not None:
            rtag, out = found
        elif hint == ".":
            if _DOT_FLOAT.match(text):
                value = _go_float(text)
                if value is not None:
                    rtag, out = FLOAT, value
        elif hint != "M" and hint != "N":
            rtag, out = _resolve_number(tag, text)
    if tag in ("", rtag, STR, BINARY):
        return rtag, out
    if tag == FLOAT and rtag == INT and _INT64_MIN <= out <= _INT64_MAX:
        return FLOAT, float(out)
    raise ResolveError(f"cannot decode {rtag} as a {tag}")


def _resolve_number(tag: str, text: str) -> tuple[str, Any]:
    if tag in ("", TIMESTAMP):
        ts = parse_timestamp(text)
        if ts is not None:
            return TIMESTAMP, ts
    plain = text.replace("_", "")
    value = _go_int(plain)
    if value is not None:
        return INT, value
    if _YAML_FLOAT.match(plain):
        fvalue = _go_float(plain)
        if fvalue is not None:
            return FLOAT, fvalue
    if plain.startswith("0b"):
        value = _go_int_base(plain[2:], 2)
        if value is not None:
            return INT, value
    elif plain.startswith("-0b"):
        value = _go_int_base("-" + plain[3:], 2)
        if value is not None and value >= _INT64_MIN:
            return INT, value
    if plain.startswith("0o"):
        value = _go_int_base(plain[2:], 8)
        if value is not None:
            return INT, value
    elif plain.startswith("-0o"):
        value = _go_int_base("-" + plain[3:], 8)
        if value is not None and value >= _INT64_MIN:
            return INT, value
    return STR, text


def decode_scalar(text: str, tag: str, quoted: bool) -> Any:
    """The Python value sops gets for a scalar node (go-yaml ``d.scalar`` into ``interface{}``).

    ``tag`` is the short tag written in the file ("" when none or ``!``),
    ``quoted`` is true for quoted and block scalars.
    """
    if tag == STR or (quoted and tag == ""):
        return text
    if not tag and text == "<<":
        return text  # go-yaml tags it !!merge; decoding yields the plain string
    rtag, out = resolve(tag, text)
    if rtag == BINARY:
        try:
            data = base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            raise ResolveError("!!binary value contains invalid base64 data") from None
        return data.decode("utf-8", "surrogateescape")
    return out


def needs_double_quotes(text: str) -> bool:
    """``stringv``'s test: would this string, written plain, read back as something else?"""
    if text in _OLD_BOOL:
        return True
    hint = _HINT.get(text[0]) if text else "N"
    if hint is None:
        return False
    if text in _MAP:
        return _MAP[text][0] != STR and _MAP[text][0] != MERGE
    if hint == "." or hint == "D" or hint == "S":
        if resolve("", text)[0] != STR:
            return True
        c = text[0]
        return (c in "+-" or c.isdigit()) and ":" in text and _BASE60.match(text) is not None
    return False


# --- time.Parse with go-yaml's four layouts -----------------------------------------

_TS_DATE = r"(\d{4})-(\d\d?)-(\d\d?)"
_TS_TIME = r"(\d\d?):(\d\d?):(\d\d?)(?:[.,](\d+))?"
_TS_ZONE = r"(?:(Z)|([+-])(\d\d):(\d\d))"
_TS_LAYOUTS = (
    re.compile(_TS_DATE + "T" + _TS_TIME + _TS_ZONE + r"\Z"),
    re.compile(_TS_DATE + "t" + _TS_TIME + _TS_ZONE + r"\Z"),
    re.compile(_TS_DATE + " " + _TS_TIME + r"\Z"),
)
_TS_DATE_ONLY = re.compile(_TS_DATE + r"\Z")
_TS_QUICK = re.compile(r"\d{4}-")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(month: int, year: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def _valid_date(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _days_in(month, year)


def parse_timestamp(text: str) -> Timestamp | None:
    """go-yaml's ``parseTimestamp``: a :class:`Timestamp` or None."""
    if not _TS_QUICK.match(text):
        return None
    for layout in _TS_LAYOUTS:
        m = layout.match(text)
        if not m:
            continue
        g = m.groups()
        year, month, day, hour, minute, second = (int(x) for x in g[:6])
        frac = g[6]
        if not _valid_date(year, month, day) or hour > 23 or minute > 59 or second > 59:
            continue
        nanos = int(frac[:9].ljust(9, "0")) if frac else 0
        offset = 0
        if len(g) > 7 and g[7] is None:
            oh, om = int(g[9]), int(g[10])
            if oh > 24 or om > 60:
                continue
            offset = (oh * 60 + om) * (1 if g[8] == "+" else -1)
        return Timestamp(year, month, day, hour, minute, second, nanos, offset)
    m = _TS_DATE_ONLY.match(text)
    if m:
        year, month, day = (int(x) for x in m.groups())
        if _valid_date(year, month, day):
            return Timestamp(year, month, day)
    return None
