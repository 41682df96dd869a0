"""JSON decoding at any nesting depth, within Go's limit of 10,000 levels.

The stdlib's C decoder recurses once per nesting level and gives up with
``RecursionError`` near Python's recursion limit (about 1,000 levels), while
Go's ``encoding/json`` (and so sops) reads up to 10,000.  :func:`raw_decode`
runs the fast C decoder first and, only when it runs out of recursion,
decodes again with an explicit stack, using the same decoder's hooks so the
result is the same.  Deeper than :data:`MAX_DEPTH` is an error, worded like
Go's (``exceeded max depth``), raised as :class:`json.JSONDecodeError` so the
callers' usual error handling applies.
"""
from __future__ import annotations

import json
import re
import sys
from typing import Any, Callable

__all__ = ["MAX_DEPTH", "raw_decode", "loads"]

#: Go's ``encoding/json`` ``maxNestingDepth``: objects and arrays, the outermost included
MAX_DEPTH = 10000

_WS = re.compile(r"[ \t\n\r]*").match
_NUMBER = json.scanner.NUMBER_RE.match  # type: ignore[attr-defined]
_scanstring: Callable[..., tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_LITERALS = (("null", None), ("true", True), ("false", False))
_CONSTANTS = ("NaN", "Infinity", "-Infinity")


def raw_decode(decoder: json.JSONDecoder, text: str, start: int) -> tuple[Any, int]:
    """``decoder.raw_decode(text, start)`` that also works past the recursion limit."""
    if sys.getrecursionlimit() <= MAX_DEPTH:
        try:
            return decoder.raw_decode(text, start)
        except RecursionError:
            pass  # nested deeper than the C decoder can go: decode iteratively below
    # (with a recursion limit above Go's depth limit the C decoder would accept too much)
    return _Decoder(decoder, text).value(start)


def loads(decoder: json.JSONDecoder, text: str) -> Any:
    """``decoder.decode(text)`` (one value, surrounded by whitespace only) at any depth."""
    obj, end = raw_decode(decoder, text, _WS(text, 0).end())
    end = _WS(text, end).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return obj


class _Decoder:
    """The stdlib's pure-Python scanner rules, with open containers on an explicit stack."""

    def __init__(self, decoder: json.JSONDecoder, text: str) -> None:
        self.text = text
        self.strict = decoder.strict
        self.pairs_hook: Callable[[list[tuple[str, Any]]], Any] = (
            decoder.object_pairs_hook or (lambda pairs: decoder.object_hook(dict(pairs)) if decoder.object_hook
                                          else dict(pairs)))
        self.parse_int = decoder.parse_int
        self.parse_float = decoder.parse_float
        self.parse_constant = decoder.parse_constant

    def value(self, idx: int) -> tuple[Any, int]:
        """The value starting at ``idx`` and the index after it."""
        text = self.text
        # each open container: [pairs or items, is an object, key of the value being read]
        stack: list[list[Any]] = []
        while True:
            idx = _WS(text, idx).end()
            c = text[idx:idx + 1]
            if c == "{" or c == "[":
                if len(stack) >= MAX_DEPTH:
                    raise json.JSONDecodeError(f"exceeded max depth of {MAX_DEPTH}", text, idx)
                idx = _WS(text, idx + 1).end()
                if c == "{":
                    if text[idx:idx + 1] == "}":
                        value, idx = self.pairs_hook([]), idx + 1
                    else:
                        key, idx = self._key(idx)
                        stack.append([[], True, key])
                        continue
                elif text[idx:idx + 1] == "]":
                    value, idx = [], idx + 1
                else:
                    stack.append([[], False, None])
                    continue
            else:
                value, idx = self._scalar(idx)
            # hand the finished value to its container; close the containers it completes
            while True:
                if not stack:
                    return value, idx
                frame = stack[-1]
                is_object = frame[1]
                frame[0].append((frame[2], value) if is_object else value)
                idx = _WS(text, idx).end()
                c = text[idx:idx + 1]
                if c == ("}" if is_object else "]"):
                    stack.pop()
                    value = self.pairs_hook(frame[0]) if is_object else frame[0]
                    idx += 1
                    continue
                if c != ",":
                    raise json.JSONDecodeError("Expecting ',' delimiter", text, idx)
                if is_object:
                    frame[2], idx = self._key(_WS(text, idx + 1).end())
                else:
                    idx += 1
                break

    def _key(self, idx: int) -> tuple[str, int]:
        """An object key at ``idx`` and the index after its ``:``."""
        text = self.text
        if text[idx:idx + 1] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, idx)
        key, idx = _scanstring(text, idx + 1, self.strict)
        idx = _WS(text, idx).end()
        if text[idx:idx + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, idx)
        return key, idx + 1

    def _scalar(self, idx: int) -> tuple[Any, int]:
        text = self.text
        c = text[idx:idx + 1]
        if c == '"':
            return _scanstring(text, idx + 1, self.strict)
        for word, value in _LITERALS:
            if text.startswith(word, idx):
                return value, idx + len(word)
        m = _NUMBER(text, idx)
        if m is not None:
            integer, frac, exp = m.groups()
            if frac or exp:
                return self.parse_float(integer + (frac or "") + (exp or "")), m.end()
            return self.parse_int(integer), m.end()
        for word in _CONSTANTS:
            if text.startswith(word, idx):
                return self.parse_constant(word), idx + len(word)
        raise json.JSONDecodeError("Expecting value", text, idx)
