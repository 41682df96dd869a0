"""sealfile diff A B: which key paths, recipients and data key changed between two versions of a file."""
from __future__ import annotations

import click

from . import options as opt
from .git import _tools

__all__ = ["diff_command"]


@click.command("diff")
@click.option("--show-values", is_flag=True, help="Also show the old and new values (both versions are decrypted: "
              "a key is needed). Without it the report holds no secret and is safe to paste anywhere.")
@opt.config
@opt.decryption_order
@click.argument("old")
@click.argument("new")
@click.pass_context
def diff_command(ctx: click.Context, old: str, new: str, show_values: bool, config_path: str | None,
                 decryption_order: str | None) -> None:
    """Compare two versions of an encrypted file: files, or git revisions such as HEAD~1:secrets.yaml.

    Prints the key paths added, removed and changed, the recipients added
    and removed, and whether the data key was rotated.
    """
    changes = _tools(ctx, config_path, decryption_order, new).diff(old, new, show_values=show_values)
    click.echo("\n".join([f"--- {old}", f"+++ {new}", *(changes.lines() or ["no changes"])]))
