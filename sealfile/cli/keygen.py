"""sealfile keygen: a new age identity (like age-keygen); the recipient goes to stderr."""
from __future__ import annotations

import sys

import click

from .. import api
from . import options as opt

__all__ = ["keygen"]


@click.command("keygen")
@opt.output
@click.option("--force", is_flag=True, help="Overwrite FILE when it exists (the old identity is lost).")
def keygen(output: str | None, force: bool) -> None:
    """Generate an age identity (like age-keygen); the recipient goes to stderr.

    An existing FILE is refused, as ``age-keygen -o`` refuses it: overwriting
    an identity loses access to every file encrypted to it.
    """
    if output and output not in ("-", "/dev/stdout"):
        recipient = api.write_identity(output, force=force)
        click.echo(f"Public key: {recipient}", err=True)
        return
    text, recipient = api.new_identity()
    if not sys.stdout.isatty():
        click.echo(f"Public key: {recipient}", err=True)
    api.write_stdout(text)
