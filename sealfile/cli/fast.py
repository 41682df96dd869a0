"""``decrypt`` and ``encrypt`` without click: the command lines scripts and deploy tools run most, parsed
from the option table.

``sealfile decrypt [options] FILE``, ``sealfile encrypt [options] FILE`` and
sops's legacy ``-d``/``-e`` (what helm-secrets and CI jobs run, once per
file) are parsed here from :mod:`.optspec` and run at once; importing click
and the other commands would cost more than the work on a small file.
Anything this parser is not sure about (an unknown or repeated option,
``--help``, a bad value, an option before the command) goes to the click
application instead, which gives the usual errors, so both paths accept
exactly the same command lines with the same values.  Options that click
reads from the environment (``SOPS_AGE_RECIPIENTS``) are read here the same
way: ``SEALFILE_`` first, then ``SOPS_``, an empty value counting as unset.
"""
from __future__ import annotations

import os
from typing import Any

from . import optspec

__all__ = ["parse_fast", "parse_decrypt", "parse_encrypt"]

_LEGACY_DECRYPT = ("-d", "--decrypt")
_LEGACY_ENCRYPT = ("-e", "--encrypt")


def parse_fast(args: list[str]) -> tuple[str, str, str | None, dict[str, Any]] | None:
    """(verb, command name for exit codes, FILE, option values) for a plain decrypt or encrypt line, else None."""
    parsed = parse_decrypt(args)
    if parsed is not None:
        return ("decrypt", *parsed)
    parsed = parse_encrypt(args)
    if parsed is not None:
        return ("encrypt", *parsed)
    return None


def parse_decrypt(args: list[str]) -> tuple[str, str | None, dict[str, Any]] | None:
    """(command name for exit codes, FILE, option values) for a plain decrypt line, else None."""
    command_rest = _command(args, "decrypt", _LEGACY_DECRYPT)
    if command_rest is None:
        return None
    command, rest = command_rest
    return _parse(command, rest, optspec.DECRYPT)


def parse_encrypt(args: list[str]) -> tuple[str, str | None, dict[str, Any]] | None:
    """(command name for exit codes, FILE, option values) for a plain encrypt line, else None.

    The legacy ``-e`` takes the same options but ``--reuse`` (which sops does not have).
    """
    command_rest = _command(args, "encrypt", _LEGACY_ENCRYPT)
    if command_rest is None:
        return None
    command, rest = command_rest
    from .requests import api_module

    specs = optspec.encrypt_specs(api_module().key_types())
    if command == "legacy":
        specs = tuple(spec for spec in specs if spec is not optspec.REUSE)
    return _parse(command, rest, specs)


def _command(args: list[str], verb: str, legacy: tuple[str, str]) -> tuple[str, list[str]] | None:
    """(command, its arguments): ``VERB ...``, or the legacy mode flag once among options (a line that
    starts with a word, a command or a file to edit, is click's to route)."""
    if not args:
        return None
    if args[0] == verb:
        return verb, args[1:]
    if args[0].startswith("-") and sum(a in legacy for a in args) == 1:
        return "legacy", [a for a in args if a not in legacy]
    return None


def _parse(command: str, rest: list[str], specs: tuple[optspec.Spec, ...]
           ) -> tuple[str, str | None, dict[str, Any]] | None:
    by_flag = {flag: spec for spec in specs for flag in spec.flags}
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
        if spec.kind in ("flag", "maybe"):
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
    for spec in specs:
        if spec.env and spec.dest not in values:
            found = os.environ.get("SEALFILE_" + spec.env) or os.environ.get("SOPS_" + spec.env)
            if found:
                converted = _convert(spec, found)
                if converted is None:
                    return None
                values[spec.dest] = converted
    return command, file, values


def _convert(spec: optspec.Spec, value: str) -> Any:
    if spec.kind in ("int", "count"):
        try:
            number = int(value)
        except ValueError:
            return None
        return None if spec.kind == "count" and number < 0 else number
    if spec.kind == "format":
        from .. import api

        return value if value in api.FORMATS else None
    return value
