"""sealfile decrypt (and the legacy ``-d``)."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from . import options as opt
from .output import emit


def run_decrypt(ctx: click.Context, file: str | None, *, in_place: bool, output: str | None,
                input_type: str | None, output_type: str | None, filename_override: str | None,
                config_path: str | None, indent: int | None, extract: str | None, ignore_mac: bool,
                decryption_order: str | None) -> None:
    path = api.check_io(file, in_place, output)
    settings = opt.settings(ctx, config_path=config_path, indent=indent, decryption_order=decryption_order,
                            file=path)
    data = api.decrypt_file(path, in_place=in_place, output=output, input_type=input_type, output_type=output_type,
                            filename_override=filename_override, extract=extract, ignore_mac=ignore_mac,
                            settings=settings, as_bytes=True)
    emit(data, in_place, output)


@click.command("decrypt")
@opt.io_options
@opt.extract
@opt.ignore_mac
@opt.decryption_order
@click.argument("file", required=False)
@click.pass_context
def decrypt(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """Decrypt FILE (or standard input) to standard output."""
    run_decrypt(ctx, file, **kw)
