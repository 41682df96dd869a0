"""sealfile check: findings for pre-commit and CI (exit 0 clean, 1 with findings, 2 when it cannot check)."""
from __future__ import annotations

import sys

import click

from .. import api
from . import options as opt
from .reports import CHECK_WRITERS

__all__ = ["check"]


@click.command("check")
@click.option("--verify", is_flag=True, help="Also decrypt each encrypted file in memory (needs its key).")
@opt.report_format(CHECK_WRITERS, "text", "How to write the findings (sarif: GitHub code scanning).")
@click.option("--fail-on", type=click.Choice(["warning", "error", "never"]), default="warning",
              help="Exit 1 for any finding (warning, the default), only for errors, or never.")
@opt.config
@opt.decryption_order
@click.argument("paths", nargs=-1)
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], verify: bool, output_format: str, fail_on: str,
          config_path: str | None, decryption_order: str | None) -> None:
    """Find plaintext secrets, unencrypted files and values, recipient drift and due rotations.

    PATHS default to every file git tracks (else the current tree).  Findings
    name file, line, key path and rule, never a value.
    """
    settings = opt.settings(ctx, config_path=config_path, decryption_order=decryption_order)
    report = api.check(list(paths) or None, verify=verify, settings=settings)
    sys.stdout.write(CHECK_WRITERS[output_format](report))
    sys.stdout.flush()
    failing = [f for f in report.findings if fail_on == "warning" or (fail_on == "error" and f.severity == "error")]
    if failing:
        sys.exit(1)
