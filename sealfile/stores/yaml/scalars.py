"""One plaintext value as YAML scalar text that reads back as the same typed value.

Used where a value is written into existing text (:mod:`.splice`): a value
``set`` changed outside any encryption, and every value of ``edit``'s
format-preserving view.  The style is the one go-yaml's encoder would pick
(:func:`.encoder.scalar_event`: plain when that reads back the same, double
quotes where plain text would read as another type, single quotes where
plain text is not allowed), adjusted for where the text goes: inside a flow
collection with flow rules, and a multi-line string as a literal block only
when the caller has a column for its lines and nothing follows on the line.
"""
from __future__ import annotations

import base64
from typing import Any

from .emitter import double_quoted
from .encoder import LITERAL, PLAIN, SINGLE, Analysis, scalar_event, select_style, string_style

__all__ = ["render_scalar"]


def render_scalar(value: Any, flow: bool, column: int) -> str:
    """``value`` as scalar text; ``column`` is where a literal block's lines would start (-1: none)."""
    if not isinstance(value, str):
        return scalar_event(value, {}).value  # null, bools, numbers, timestamps: always plain
    if value == "<<":
        return '"<<"'
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        return "!!binary " + base64.b64encode(raw).decode("ascii")
    style = select_style(string_style(value), Analysis(value), value, flow, False)
    if style == LITERAL:
        return _literal(value, column) if _literal_fits(value, column) else double_quoted(value)
    if style == PLAIN:
        return value
    if style == SINGLE:
        return "'" + value.replace("'", "''") + "'"
    return double_quoted(value)


def _literal_fits(value: str, column: int) -> bool:
    """A ``|``/``|-`` block with no indentation indicator, and a column to put it at."""
    if column < 0 or value.endswith("\n\n") or value[:1] in (" ", "\n"):
        return False
    return not any(c in value for c in "\r\x85\u2028\u2029")


def _literal(value: str, column: int) -> str:
    clip = value.endswith("\n")
    lines = (value[:-1] if clip else value).split("\n")
    pad = " " * column
    return ("|" if clip else "|-") + "".join("\n" + (pad + line if line else "") for line in lines)
