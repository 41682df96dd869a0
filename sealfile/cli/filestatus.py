"""sealfile filestatus: {"encrypted":true} or {"encrypted":false}, as sops prints it."""
from __future__ import annotations

import click

from .. import api
from . import options as opt

__all__ = ["filestatus"]


@click.command("filestatus")
@opt.input_type
@click.argument("file")
@click.pass_context
def filestatus(ctx: click.Context, file: str, input_type: str | None) -> None:
    """Print {"encrypted":true} or {"encrypted":false} for FILE, as sops does."""
    status = api.file_status(file, input_type=input_type, settings=opt.settings(ctx, file=file))
    click.echo("{\"encrypted\":%s}" % ("true" if status["encrypted"] else "false"))
