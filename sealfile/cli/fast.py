"""``decrypt`` without click: the command line scripts and deploy tools run most, parsed from the option table.

``sealfile decrypt [options] FILE`` and sops's legacy ``sealfile -d [options]
FILE`` (what helm-secrets runs, once per values file) are parsed here from
:mod:`.optspec` and run at once; importing click and the other commands
would cost more than the decryption of a small file.  Anything this parser
is not sure about (an unknown or repeated option, ``--help``, a bad value)
goes to the click application instead, which gives the usual errors, so
both paths accept exactly the same command lines.
"""
from __future__ import annotations

from typing import Any

from . import optspec

__all__ = ["parse_decrypt"]

_LEGACY_MODE = ("-d", "--decrypt")


def parse_decrypt(args: list[str]) -> tuple[str, str | None, dict[str, Any]] | None:
    """(command name for exit codes, FILE, option values) for a plain decrypt line, else None."""
    if not args:
        return None
    if args[0] == "decrypt":
        command, rest = "decrypt", args[1:]
    elif sum(a in _LEGACY_MODE for a in args) == 1:
        command, rest = "legacy", [a for a in args if a not in _LEGACY_MODE]
    else:
        return None
    by_flag = {flag: spec for spec in optspec.DECRYPT for flag in spec.flags}
    values: dict[str, Any] = {}
    file: str | None = None
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token == "-" or not token.startswith("-"):
            if file is not None:
                return None
            file = token
            continue
        name, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        spec = by_flag.get(name)
        if spec is None or spec.dest in values:
            return None
        if spec.kind == "flag":
            if eq:
                return None
            values[spec.dest] = True
            continue
        if not eq:
            if i >= len(rest):
                return None
            value = rest[i]
            i += 1
        converted = _convert(spec, value)
        if converted is None:
            return None
        values[spec.dest] = converted
    return command, file, values


def _convert(spec: optspec.Spec, value: str) -> Any:
    if spec.kind == "int":
        try:
            return int(value)
        except ValueError:
            return None
    if spec.kind == "format":
        from .. import api

        return value if value in api.FORMATS else None
    return value
