"""sealfile access: who can decrypt what (recipients × files), for access reviews and leaked-key triage."""
from __future__ import annotations

import sys

import click

from .. import api
from . import options as opt
from .reports import ACCESS_WRITERS

__all__ = ["access"]


@click.command("access")
@click.option("--recipient", metavar="R", help="Only this recipient: the files it can decrypt (a leaked key).")
@opt.report_format(ACCESS_WRITERS, "table", "How to write the rows.")
@opt.config
@click.argument("paths", nargs=-1)
@click.pass_context
def access(ctx: click.Context, paths: tuple[str, ...], recipient: str | None, output_format: str,
           config_path: str | None) -> None:
    """List each encrypted file's recipients and whether one alone can decrypt it (Shamir thresholds honoured).

    PATHS default to every file git tracks.  Reads metadata only: no key is
    needed.  Exit 2 when an encrypted file's metadata cannot be read (the list
    would be incomplete).
    """
    files = list(paths) or api.repository_files(".")
    rows, unreadable = [], 0
    for item in api.access(files, settings=opt.settings(ctx, config_path=config_path)):
        if item.error:
            unreadable += 1
            click.echo(f"sealfile: {item.file}: cannot read its metadata: {item.error}", err=True)
        for g in item.grants:
            if recipient and recipient not in (g.recipient, g.label):
                continue
            rows.append({"file": item.file, "key_type": g.key_type, "recipient": g.recipient, "label": g.label,
                         "groups": list(g.groups), "needs_groups": item.threshold, "alone": g.alone})
    sys.stdout.write(ACCESS_WRITERS[output_format](rows))
    sys.stdout.flush()
    if unreadable:
        sys.exit(2)
