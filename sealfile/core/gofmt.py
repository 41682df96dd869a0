"""Go's formatting habits that sops's plaintexts and outputs depend on.

Floats: Python's ``repr`` already yields the shortest digits that round-trip
(the same digits Go's ``FormatFloat(v, fmt, -1, 64)`` picks); only the layout
differs.  Map keys: go-yaml writes a Go map's string keys in its own "natural"
order (:func:`go_yaml_sorted`).
"""
from __future__ import annotations

import math
from typing import Any

from .tree import Branch, Comment, Mapping, Timestamp, rebuild


def _digits_exp(x: float) -> tuple[str, int]:
    """Shortest significant digits and decimal exponent: x = 0.d1d2... * 10**exp."""
    r = repr(abs(x))
    if "e" in r or "E" in r:
        mant, exp_s = r.lower().split("e")
        exp = int(exp_s)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    # position of the decimal point relative to the start of ip+fp
    point = len(ip) + exp
    lead = len(ip + fp) - len((ip + fp).lstrip("0"))
    point -= lead
    digits = digits.rstrip("0") or "0"
    return digits, point


def _special(x: float) -> str | None:
    """Go's text for NaN, infinities and (signed) zero, which every format shares."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    return None


def format_f(x: float) -> str:
    """``strconv.FormatFloat(x, 'f', -1, 64)``: positional, never an exponent."""
    r = repr(x)
    if "e" not in r and "n" not in r:
        # repr is positional here, with the same shortest digits as Go; Go writes no ".0"
        return r[:-2] if r.endswith(".0") else r
    special = _special(x)
    if special is not None:
        return special
    sign = "-" if x < 0 else ""
    digits, point = _digits_exp(x)
    if point <= 0:
        return sign + "0." + "0" * (-point) + digits
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return sign + digits[:point] + "." + digits[point:]


def _format_e(digits: str, point: int, sign: str, min_exp_digits: int) -> str:
    exp = point - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    es = "-" if exp < 0 else "+"
    return f"{sign}{mant}e{es}{abs(exp):0{min_exp_digits}d}"


def format_g(x: float) -> str:
    """``strconv.FormatFloat(x, 'g', -1, 64)`` (what go-yaml writes for floats)."""
    special = _special(x)
    if special is not None:
        return special
    sign = "-" if x < 0 else ""
    digits, point = _digits_exp(x)
    exp = point - 1
    eprec = 6  # Go uses precision 6 for the %e decision when formatting shortest
    if exp < -4 or exp >= eprec:
        return _format_e(digits, point, sign, 2)
    return format_f(x)


def format_json(x: float) -> str:
    """``encoding/json``'s float64 encoding (ES6 style); raises on Inf/NaN."""
    if math.isnan(x) or math.isinf(x):
        raise ValueError("unsupported value: " + format_f(x))
    a = abs(x)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        sign = "-" if x < 0 else ""
        digits, point = _digits_exp(x)
        s = _format_e(digits, point, sign, 1)
        return s
    return format_f(x)


def _go_yaml_less(a: str, b: str) -> bool:
    """go-yaml v3's ``keyList.Less`` for two string keys: letters by code point, runs of
    digits by value, other characters before letters (after them right behind a digit)."""
    digits = False
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            digits = a[i].isdecimal()
            continue
        a_letter, b_letter = a[i].isalpha(), b[i].isalpha()
        if a_letter and b_letter:
            return a[i] < b[i]
        if a_letter or b_letter:
            return a_letter if digits else b_letter
        a_num = b_num = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    a_num = b_num = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            a_num = a_num * 10 + ord(a[ai]) - 48  # Go: int64(r - '0'), whatever the script
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            b_num = b_num * 10 + ord(b[bi]) - 48
            bi += 1
        if a_num != b_num:
            return a_num < b_num
        if ai != bi:
            return ai < bi
        return a[i] < b[i]
    return len(a) < len(b)


def go_yaml_sorted(keys: Any) -> list[str]:
    """String keys in the order go-yaml marshals a Go map (sops 3.11's YAML metadata maps)."""
    import functools

    def compare(a: str, b: str) -> int:
        return -1 if _go_yaml_less(a, b) else (1 if _go_yaml_less(b, a) else 0)

    return sorted(keys, key=functools.cmp_to_key(compare))


# --- Go's %v and sops's ValToString, for tree values written as text (dotenv, INI, exec-env) -----

def _go_G(x: float) -> str:
    """``strconv.FormatFloat(x, 'G', -1, 64)``."""
    text = format_g(x)
    return text if text in ("+Inf", "-Inf", "NaN") else text.upper()


def _text_branch(node: Any) -> Branch | None:
    if isinstance(node, Mapping):
        children = [part for pair in node for part in pair]  # key, value, key, value...
        return children, lambda texts: "[" + " ".join("{" + texts[i] + " " + texts[i + 1] + "}"
                                                       for i in range(0, len(texts), 2)) + "]"
    if isinstance(node, list):
        return node, lambda texts: "[" + " ".join(texts) + "]"
    return None


def go_value_text(node: Any) -> str:
    """Go's ``fmt.Sprintf("%v", node)`` for tree nodes, which sops falls back on for nested values."""
    return rebuild(node, _text_branch, _leaf_text)


def _leaf_text(node: Any) -> str:
    if node is None:
        return "<nil>"
    if isinstance(node, str):
        return node
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, int):
        return str(node)
    if isinstance(node, float):
        return format_g(node)
    if isinstance(node, Comment):
        return "{" + node.text + "}"
    if isinstance(node, Timestamp):
        return _go_time_string(node)
    return str(node)


def _go_time_string(ts: Timestamp) -> str:
    """``time.Time.String()`` (``2006-01-02 15:04:05.999999999 -0700 MST``); a parsed offset has no zone name."""
    clock = f"{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
    if ts.nanos:
        clock += "." + f"{ts.nanos:09d}".rstrip("0")
    sign = "-" if ts.offset < 0 else "+"
    off = f"{sign}{abs(ts.offset) // 60:02d}{abs(ts.offset) % 60:02d}"
    return f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d} {clock} {off} {'UTC' if ts.offset == 0 else off}"


def val_to_string(value: Any) -> str:
    """sops's ``ValToString``: how a non-string leaf is written in dotenv and INI files."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = _go_G(value)
        if "." not in text and "E" not in text and text not in ("+Inf", "-Inf", "NaN"):
            text = format_f(value) + ".0"  # sops keeps integral floats recognisable as floats
        return text
    if isinstance(value, Timestamp):
        return value.rfc3339(with_nanos=False)
    return go_value_text(value)
