"""set and unset: sops's ``set FILE PATH VALUE`` / ``unset FILE PATH`` and the legacy ``--set``.

Positional arguments are counted here rather than by click so that a wrong
count is sops's "no file specified" (exit 100), and so that a value such as
``-5`` is a JSON number, not an unknown flag.
"""
from __future__ import annotations

import sys
from typing import Any

import click

from .. import api
from ..errors import InvalidArgument, NoFileSpecified, SealfileError
from . import options as opt

__all__ = ["set_command", "unset_command", "run_set", "run_unset"]

_CONTEXT = {"ignore_unknown_options": True}


def _positional(args: tuple[str, ...], count: int, message: str) -> tuple[str, ...]:
    for arg in args:
        if arg.startswith("--") and len(arg) > 2:
            raise click.UsageError(f"flag provided but not defined: {arg.split('=', 1)[0]}")
    if len(args) != count:
        raise NoFileSpecified(message)
    return args


def _read_value(value: str | None, value_file: bool, value_stdin: bool) -> str | bytes:
    if value_stdin:
        return sys.stdin.buffer.read()
    if value is None:
        raise NoFileSpecified("no value given (pass VALUE, --value-file FILE or --value-stdin)")
    if not value_file:
        return value
    try:
        with open(value, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InvalidArgument(f"cannot read the value file: {exc.strerror}", file=value) from None


def run_set(ctx: click.Context | None, file: str, path: str, value: str | None, *,
            value_file: bool = False, value_stdin: bool = False, idempotent: bool = False,
            input_type: str | None = None, output_type: str | None = None,
            filename_override: str | None = None, ignore_mac: bool = False,
            decryption_order: str | None = None, config_path: str | None = None,
            indent: int | None = None, **_ignored: Any) -> None:
    """Set PATH to the JSON VALUE in FILE, in place (also the legacy ``--set`` after parse_legacy_set).

    Options the command does not use (the legacy command's key and selector
    flags) are accepted and ignored, as sops ignores them with ``--set``.
    """
    if value_file and value_stdin:
        raise InvalidArgument("cannot use both --value-file and --value-stdin", file=file)
    try:
        tree_path = api.parse_tree_path(path)  # sops checks the path before reading the value
        data = _read_value(value, value_file, value_stdin)
    except SealfileError as exc:
        raise exc.with_path(file)
    settings = opt.settings(ctx, config_path=config_path, indent=indent, decryption_order=decryption_order,
                            file=file)
    api.set_value(file, tree_path, data, idempotent=idempotent, input_type=input_type, output_type=output_type,
                  filename_override=filename_override, ignore_mac=ignore_mac, settings=settings)


def run_unset(ctx: click.Context | None, file: str, path: str, *, idempotent: bool = False,
              input_type: str | None = None, output_type: str | None = None,
              filename_override: str | None = None, ignore_mac: bool = False,
              decryption_order: str | None = None, config_path: str | None = None,
              indent: int | None = None, **_ignored: Any) -> None:
    """Remove PATH from FILE, in place."""
    try:
        tree_path = api.parse_tree_path(path, what="unset")
    except SealfileError as exc:
        raise exc.with_path(file)
    settings = opt.settings(ctx, config_path=config_path, indent=indent, decryption_order=decryption_order,
                            file=file)
    api.unset_value(file, tree_path, idempotent=idempotent, input_type=input_type, output_type=output_type,
                    filename_override=filename_override, ignore_mac=ignore_mac, settings=settings)


_common = opt.compose(opt.input_type, opt.output_type, opt.shamir_threshold, opt.ignore_mac, opt.decryption_order)


@click.command("set", context_settings=_CONTEXT)
@_common
@click.option("--value-file", is_flag=True, help="VALUE is a file holding the JSON value (keeps it out of ps).")
@click.option("--value-stdin", is_flag=True, help="Read the JSON value from standard input; omit VALUE.")
@opt.idempotent
@click.argument("args", nargs=-1, metavar="FILE PATH [VALUE]")
@click.pass_context
def set_command(ctx: click.Context, args: tuple[str, ...], value_stdin: bool, **kw: Any) -> None:
    """Set PATH (e.g. '["db"]["password"]') in FILE to the JSON VALUE, in place."""
    if value_stdin and kw["value_file"]:
        raise InvalidArgument("cannot use both --value-file and --value-stdin")
    if value_stdin:
        file, path = _positional(args, 2, "file specified, or index and value are missing. Need "
                                          "precisely 2 positional arguments since --value-stdin is used.")
        value = None
    else:
        file, path, value = _positional(args, 3, "no file specified, or index and value are "
                                                 "missing. Need precisely 3 positional arguments.")
    run_set(ctx, file, path, value, value_stdin=value_stdin, **kw)


@click.command("unset", context_settings=_CONTEXT)
@_common
@opt.idempotent
@click.argument("args", nargs=-1, metavar="FILE PATH")
@click.pass_context
def unset_command(ctx: click.Context, args: tuple[str, ...], **kw: Any) -> None:
    """Remove the key or list element at PATH from FILE, in place."""
    file, path = _positional(args, 2, "no file specified, or index is missing")
    run_unset(ctx, file, path, **kw)
