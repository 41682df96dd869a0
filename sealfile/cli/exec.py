"""exec-env and exec-file: sops's flags, the library's decrypted values, this package's process control.

As in sops, flags come before FILE: everything after it is positional, so a
command such as ``'ls --pristine'`` or a stray flag after FILE is never
taken as one of ours.
"""
from __future__ import annotations


import click

from .. import api
from ..errors import ConflictingParameters, InvalidArgument
from . import options as opt
from .process import run_with_env, run_with_file, switch_user

__all__ = ["exec_env", "exec_file"]

_SETTINGS = {"allow_interspersed_args": False, "help_option_names": ["-h", "--help"]}


def _file_and_command(name: str, args: tuple[str, ...]) -> tuple[str, str]:
    if len(args) != 2:
        raise InvalidArgument(f"{name} needs exactly two arguments: the file to decrypt and the command to run")
    return args[0], args[1]


_background = click.option("--background", is_flag=True,
                           help="Start the command and return at once (its output goes to /dev/null).")
_user = click.option("--user", metavar="USER", help="Run the command as USER (needs root).")
_args = click.argument("args", nargs=-1, metavar="FILE COMMAND")


@click.command("exec-env", context_settings=_SETTINGS)
@_background
@click.option("--pristine", is_flag=True, help="Give the command only the decrypted variables.")
@_user
@click.option("--same-process", is_flag=True, help="Replace sealfile with the command instead of forking.")
@opt.input_type
@opt.ignore_mac
@opt.decryption_order
@_args
@click.pass_context
def exec_env(ctx: click.Context, args: tuple[str, ...], background: bool, pristine: bool, user: str | None,
             same_process: bool, input_type: str | None, ignore_mac: bool, decryption_order: str | None) -> None:
    """Run COMMAND (through /bin/sh -c) with FILE's top-level values as environment variables."""
    file, command = _file_and_command("exec-env", args)
    if background and same_process:
        raise ConflictingParameters("The --same-process flag cannot be used with --background")
    settings = opt.settings(ctx, decryption_order=decryption_order, file=file)
    env = api.exported_environment(file, pristine=pristine, input_type=input_type, ignore_mac=ignore_mac,
                                   settings=settings)
    if user:
        switch_user(user)
    run_with_env(command, env, background=background, same_process=same_process)


@click.command("exec-file", context_settings=_SETTINGS)
@_background
@click.option("--no-fifo", is_flag=True, help="Use a regular 0600 file instead of a FIFO.")
@_user
@opt.input_type
@opt.output_type
@click.option("--filename", metavar="NAME", help=f"Name of the decrypted file (default: {api.DEFAULT_FILENAME}).")
@opt.ignore_mac
@opt.decryption_order
@_args
@click.pass_context
def exec_file(ctx: click.Context, args: tuple[str, ...], background: bool, no_fifo: bool, user: str | None,
              input_type: str | None, output_type: str | None, filename: str | None, ignore_mac: bool,
              decryption_order: str | None) -> None:
    """Run COMMAND (through /bin/sh -c) with {} replaced by the path of FILE decrypted.

    The plaintext is served through a FIFO in a private directory that is
    removed when the command ends.
    """
    file, command = _file_and_command("exec-file", args)
    api.check_filename(filename)
    settings = opt.settings(ctx, decryption_order=decryption_order, file=file)
    data = api.decrypted_content(file, input_type=input_type, output_type=output_type, ignore_mac=ignore_mac,
                                 settings=settings)
    if user:
        switch_user(user)
    run_with_file(command, data, fifo=not no_fifo, filename=filename, background=background,
                  env=dict(settings.env))
