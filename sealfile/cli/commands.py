"""The commands: each parses its flags and calls one API function."""
from __future__ import annotations

import sys
from typing import Any

import click

from .. import api
from ..errors import ConflictingParameters, ExitCode, FileMissing, SealfileError
from ..fileio import atomic_write, create_new, read_input, write_result, write_stdout
from ..core.selectors import KINDS
from .edit import run_edit
from .mutate import run_set
from .options import (FORMAT_CHOICE, KEY_OPTION_NAMES, decrypt_options, global_settings, io_options,
                      key_arguments, key_options, selector_options)
from .rekey import rotate_key_options, run_rotate


def _check_io(file: str | None, in_place: bool, output: str | None) -> str:
    if in_place and output:
        raise ConflictingParameters("Error: cannot operate on both --output and --in-place")
    if file is None or file == "-":
        if in_place:
            raise ConflictingParameters("Error: cannot use --in-place with standard input")
        return "-"
    return file


def _emit(data: bytes, in_place: bool, output: str | None, path: str, mode: int | None) -> None:
    if not write_result(data, path, in_place=in_place, output=output, new_file_mode=mode):
        write_stdout(data)


def run_encrypt(ctx: click.Context, file: str | None, *, in_place: bool, output: str | None,
                input_type: str | None, output_type: str | None, filename_override: str | None,
                config_path: str | None, indent: int | None, mac_only_encrypted: bool | None,
                **options: Any) -> None:
    """``options``: ``key_options`` and ``selector_options`` values."""
    keys = key_arguments(options)
    path = _check_io(file, in_place, output)
    if path == "-" and not filename_override:
        raise ConflictingParameters("Error: encrypting standard input needs --filename-override "
                                    "to choose the format and the creation rule")
    settings = global_settings(ctx, config_path, indent, mac_only_encrypted)
    fmt_in, fmt_out = api.resolve_types(path, input_type, output_type, filename_override)
    name = filename_override or path
    try:
        data = read_input(path)
        out = api.encrypt_data(
            data, input_type=fmt_in, output_type=fmt_out, filename=name, **keys,
            config=settings["config"] or None, mac_only_encrypted=settings["mac_only"],
            indent=settings["indent"], **{k: v for k, v in options.items() if k in KINDS})
    except SealfileError as exc:
        raise exc.with_path(None if path == "-" else path)
    _emit(out, in_place, output, path, None)


def run_decrypt(ctx: click.Context, file: str | None, *, in_place: bool, output: str | None,
                input_type: str | None, output_type: str | None, filename_override: str | None,
                config_path: str | None, indent: int | None, extract: str | None, ignore_mac: bool,
                decryption_order: str | None) -> None:
    path = _check_io(file, in_place, output)
    settings = global_settings(ctx, config_path, indent)
    fmt_in, fmt_out = api.resolve_types(path, input_type, output_type, filename_override)
    try:
        data = read_input(path)
        out = api.decrypt_data(data, input_type=fmt_in, output_type=fmt_out, extract=extract,
                               ignore_mac=ignore_mac, decryption_order=decryption_order,
                               indent=settings["indent"], config=settings["config"])
    except SealfileError as exc:
        raise exc.with_path(None if path == "-" else path)
    _emit(out, in_place, output, path, 0o600)


@click.command("encrypt")
@io_options
@key_options
@selector_options
@click.argument("file", required=False)
@click.pass_context
def encrypt(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """Encrypt FILE (values only; keys and structure stay readable)."""
    run_encrypt(ctx, file, **kw)


@click.command("decrypt")
@io_options
@decrypt_options
@click.argument("file", required=False)
@click.pass_context
def decrypt(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """Decrypt FILE (or standard input) to standard output."""
    run_decrypt(ctx, file, **kw)


@click.command("legacy", hidden=True)
@click.option("-e", "--encrypt", "do_encrypt", is_flag=True)
@click.option("-d", "--decrypt", "do_decrypt", is_flag=True)
@click.option("-r", "--rotate", "do_rotate", is_flag=True)
@click.option("--set", "set_expr", metavar="'PATH VALUE'")
@click.option("-s", "--show-master-keys", is_flag=True)
@io_options
@key_options
@selector_options
@decrypt_options
@rotate_key_options
@click.argument("file", required=False)
@click.pass_context
def legacy(ctx: click.Context, file: str | None, do_encrypt: bool, do_decrypt: bool, do_rotate: bool,
           set_expr: str | None, show_master_keys: bool, **kw: Any) -> None:
    """sops's original flag style (``-e``/``-d``/``-r``/``--set``, plain ``FILE`` = edit).

    helm-secrets and many scripts use it.  sops runs several modes one after the
    other with a deprecation warning; sealfile refuses the combination instead.
    """
    modes = [name for name, on in (("--encrypt", do_encrypt), ("--decrypt", do_decrypt),
                                   ("--rotate", do_rotate), ("--set", set_expr is not None)) if on]
    if len(modes) > 1:
        raise ConflictingParameters(f"use only one of {', '.join(modes)}")
    common = {k: kw[k] for k in _COMMON}
    if do_encrypt:
        run_encrypt(ctx, file, **common, mac_only_encrypted=kw["mac_only_encrypted"],
                    **{k: kw[k] for k in (*KINDS, *KEY_OPTION_NAMES)})
    elif do_decrypt:
        run_decrypt(ctx, file, **common, extract=kw["extract"], ignore_mac=kw["ignore_mac"],
                    decryption_order=kw["decryption_order"])
    elif do_rotate:
        run_rotate(ctx, file, legacy=True, **common, ignore_mac=kw["ignore_mac"],
                   decryption_order=kw["decryption_order"],
                   encryption_context=kw["encryption_context"], aws_profile=kw["aws_profile"],
                   **{k: v for k, v in kw.items() if k.startswith(("add_", "rm_"))})
    elif set_expr is not None:
        if file is None:
            raise FileMissing("Error: no file specified", exit_code=ExitCode.NO_FILE_SPECIFIED)
        from ..mutate import parse_legacy_set

        run_set(ctx, file, *parse_legacy_set(set_expr), **common, ignore_mac=kw["ignore_mac"],
                decryption_order=kw["decryption_order"])
    elif file is None:
        click.echo(ctx.find_root().get_help())
    else:
        run_edit(ctx, file, show_master_keys=show_master_keys, **kw)


_COMMON = ("in_place", "output", "input_type", "output_type", "filename_override", "config_path", "indent")


@click.command("filestatus")
@click.option("--input-type", type=FORMAT_CHOICE, help="Format of the file (default: from the extension).")
@click.argument("file")
def filestatus(file: str, input_type: str | None) -> None:
    """Print {"encrypted":true} or {"encrypted":false} for FILE, as sops does."""
    try:
        status = api.file_status(file, input_type=input_type)
    except SealfileError as exc:
        exc.exit_code = 1  # sops: "cannot check file status", always exit 1
        raise
    click.echo("{\"encrypted\":%s}" % ("true" if status["encrypted"] else "false"))


@click.command("keygen")
@click.option("-o", "--output", metavar="FILE", help="Write the identity to FILE (mode 0600); FILE must not exist.")
@click.option("--force", is_flag=True, help="Overwrite FILE when it exists (the old identity is lost).")
def keygen(output: str | None, force: bool) -> None:
    """Generate an age identity (like age-keygen); the recipient goes to stderr.

    An existing FILE is refused, as ``age-keygen -o`` refuses it: overwriting
    an identity loses access to every file encrypted to it.
    """
    from ..keys.age import generate_identity
    from ..keys.base import now_rfc3339

    secret, recipient = generate_identity()
    text = f"# created: {now_rfc3339()}\n# public key: {recipient}\n{secret}\n".encode()
    if output and output not in ("-", "/dev/stdout"):
        if force:
            atomic_write(output, text, new_file_mode=0o600)
        else:
            create_new(output, text, mode=0o600)
        click.echo(f"Public key: {recipient}", err=True)
    else:
        if not sys.stdout.isatty():
            click.echo(f"Public key: {recipient}", err=True)
        sys.stdout.buffer.write(text)
