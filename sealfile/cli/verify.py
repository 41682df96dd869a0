"""sealfile verify: every value and the MAC of each file checked in memory; a verdict per file, no values."""
from __future__ import annotations

import sys

import click

from .. import api
from . import options as opt
from .exitcodes import exit_code

__all__ = ["verify"]


@click.command("verify")
@opt.input_type
@opt.config
@opt.decryption_order
@click.argument("files", nargs=-1, required=True)
@click.pass_context
def verify(ctx: click.Context, files: tuple[str, ...], input_type: str | None, config_path: str | None,
           decryption_order: str | None) -> None:
    """Decrypt FILES in memory and check every value and the MAC; exit with sops's code of the first failure."""
    settings = opt.settings(ctx, config_path=config_path, decryption_order=decryption_order)
    code = 0
    for verdict in api.verify(list(files), input_type=input_type, settings=settings):
        if verdict.ok:
            click.echo(f"{verdict.file}: OK")
            continue
        click.echo(f"{verdict.file}: FAILED: {verdict.error.message}")
        code = code or exit_code(verdict.error, "verify")
    sys.stdout.flush()
    if code:
        sys.exit(code)
