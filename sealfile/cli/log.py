"""sealfile log FILE: the audit trail of an encrypted file from git history (redacted)."""
from __future__ import annotations

import click

from .. import api
from . import options as opt
from .git import _tools
from .reports import LOG_OUTPUTS

__all__ = ["log_command"]


@click.command("log")
@opt.report_format(LOG_OUTPUTS, "text", "Text for people and CI logs, or JSON for tools.")
@opt.config
@click.argument("file")
@click.argument("revision", required=False)
@click.pass_context
def log_command(ctx: click.Context, file: str, revision: str | None, output_format: str, config_path: str | None) -> None:
    """For each commit that changed FILE (newest first, following renames): author, date, and the key paths
    added, removed and changed, recipients added and removed, data key rotations. No value is shown.

    REVISION limits the history as in 'git log REVISION -- FILE' (e.g. main..feature).
    """
    tools = _tools(ctx, config_path, None, file)
    api.write_stdout(tools.log(file, output_format, revision).encode("utf-8", "surrogateescape"))
