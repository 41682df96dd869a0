"""exec-env and exec-file: sops's flags over :mod:`sealfile.execute`.

As in sops, flags come before FILE: everything after it is positional, so a
command such as ``'ls --pristine'`` or a stray flag after FILE is never
taken as one of ours.
"""
from __future__ import annotations

from typing import Any

import click

from ..errors import SealfileError
from .options import DECRYPTION_ORDER_ENV, FORMAT_CHOICE, LazyModule

execute = LazyModule("sealfile.execute")

_SETTINGS = {"allow_interspersed_args": False, "help_option_names": ["-h", "--help"]}


def _globals(ctx: click.Context) -> dict[str, Any]:
    root = ctx.find_root().params
    return {"config": root.get("config_path") or None, "indent": root.get("indent")}


def _file_and_command(name: str, args: tuple[str, ...]) -> tuple[str, str]:
    if len(args) != 2:
        raise SealfileError(f"{name} needs exactly two arguments: the file to decrypt and the command to run")
    return args[0], args[1]


def run_exec_env(ctx: click.Context, file: str, command: str, *, background: bool = False,
                 pristine: bool = False, user: str | None = None, same_process: bool = False,
                 input_type: str | None = None, ignore_mac: bool = False,
                 decryption_order: str | None = None) -> None:
    execute.exec_env(file, command, pristine=pristine, background=background, same_process=same_process,
                     user=user, input_type=input_type, ignore_mac=ignore_mac,
                     decryption_order=decryption_order, config=_globals(ctx)["config"])


def run_exec_file(ctx: click.Context, file: str, command: str, *, background: bool = False,
                  no_fifo: bool = False, user: str | None = None, input_type: str | None = None,
                  output_type: str | None = None, filename: str | None = None, ignore_mac: bool = False,
                  decryption_order: str | None = None) -> None:
    settings = _globals(ctx)
    execute.exec_file(file, command, no_fifo=no_fifo, filename=filename, background=background, user=user,
                      input_type=input_type, output_type=output_type, ignore_mac=ignore_mac,
                      decryption_order=decryption_order, indent=settings["indent"], config=settings["config"])


_background = click.option("--background", is_flag=True,
                           help="Start the command and return at once (its output goes to /dev/null).")
_user = click.option("--user", metavar="USER", help="Run the command as USER (needs root).")
_input_type = click.option("--input-type", type=FORMAT_CHOICE,
                           help="Format of FILE (default: from the extension).")
_ignore_mac = click.option("--ignore-mac", is_flag=True, help="Do not verify the MAC (values must still decrypt).")
_order = click.option("--decryption-order", envvar=DECRYPTION_ORDER_ENV,
                      metavar="TYPES", help="Comma-separated key types to try first (default: age,pgp).")
_args = click.argument("args", nargs=-1, metavar="FILE COMMAND")


@click.command("exec-env", context_settings=_SETTINGS)
@_background
@click.option("--pristine", is_flag=True, help="Give the command only the decrypted variables.")
@_user
@click.option("--same-process", is_flag=True, help="Replace sealfile with the command instead of forking.")
@_input_type
@_ignore_mac
@_order
@_args
@click.pass_context
def exec_env(ctx: click.Context, args: tuple[str, ...], **kw: Any) -> None:
    """Run COMMAND (through /bin/sh -c) with FILE's top-level values as environment variables."""
    file, command = _file_and_command("exec-env", args)
    run_exec_env(ctx, file, command, **kw)


@click.command("exec-file", context_settings=_SETTINGS)
@_background
@click.option("--no-fifo", is_flag=True, help="Use a regular 0600 file instead of a FIFO.")
@_user
@_input_type
@click.option("--output-type", type=FORMAT_CHOICE, help="Format of the decrypted file (default: FILE's).")
@click.option("--filename", metavar="NAME", help=f"Name of the decrypted file (default: {execute.DEFAULT_FILENAME}).")
@_ignore_mac
@_order
@_args
@click.pass_context
def exec_file(ctx: click.Context, args: tuple[str, ...], **kw: Any) -> None:
    """Run COMMAND (through /bin/sh -c) with {} replaced by the path of FILE decrypted.

    The plaintext is served through a FIFO in a private directory that is
    removed when the command ends.
    """
    file, command = _file_and_command("exec-file", args)
    run_exec_file(ctx, file, command, **kw)


COMMANDS: list[click.Command] = [exec_env, exec_file]
