"""sealfile updatekeys: show each file's key changes as sops does, ask, apply."""
from __future__ import annotations

import os
import sys
import time

import click

from .. import api
from ..errors import ConfigError, NoAnswer, NoKeyCouldDecrypt, PartialFailure, SealfileError
from . import options as opt

__all__ = ["updatekeys"]


def _log(message: str) -> None:
    """sops's informational lines: Go's ``log`` format on stderr."""
    sys.stderr.write(time.strftime("%Y/%m/%d %H:%M:%S ") + message + "\n")
    sys.stderr.flush()


def _print_plan(plan: api.KeyUpdatePlan) -> None:
    click.echo("The following changes will be made to the file's groups:")
    old, new = plan.old_threshold, plan.new_threshold
    if old > 0 and old == new:
        click.echo(f"shamir_threshold: {new}")
    else:
        if new > 0:
            click.echo(click.style(f"+++ shamir_threshold: {new}", fg="green"))
        if old > 0:
            click.echo(click.style(f"--- shamir_threshold: {old}", fg="red"))
    for i, change in enumerate(plan.changes):
        click.echo(click.style(f"Group {i + 1}", underline=True))
        for key in change.common:
            click.echo(f"    {key.to_string()}")
        for key in change.added:
            click.echo(click.style(f"+++ {key.to_string()}", fg="green"))
        for key in change.removed:
            click.echo(click.style(f"--- {key.to_string()}", fg="red"))


def _confirm(path: str) -> bool:
    """sops's ``Is this okay? (y/n):`` loop: y or n; an empty line or end of input is an error."""
    while True:
        click.echo("Is this okay? (y/n):", nl=False)
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise NoAnswer("no answer to 'Is this okay? (y/n)' (end of input); use -y to approve without asking",
                           file=path)
        words = line.split()
        if not words:
            raise NoAnswer("no answer to 'Is this okay? (y/n)' (empty line)", file=path)
        if len(words) > 1:
            raise NoAnswer("answer 'Is this okay? (y/n)' with one word, y or n", file=path)
        if words[0] in ("y", "n"):
            return words[0] == "y"


def _update_one(path: str, yes: bool, threshold: int | None, input_type: str | None,
                settings: api.Settings) -> None:
    abs_path = os.path.abspath(path)
    _log(f"Syncing keys for file {abs_path}")
    plan = api.plan_key_update(path, shamir_threshold=threshold, input_type=input_type, settings=settings)
    if not plan.changed:
        _log(f"File {abs_path} already up to date")
        return
    _print_plan(plan)
    if not yes and not _confirm(path):
        _log(f"File {abs_path} left unchanged")
        return
    api.apply_key_update(plan)
    _log(f"File {abs_path} synced with new keys")


def _report(exc: SealfileError) -> None:
    sys.stderr.write(f"sealfile: error: {exc}\n")
    if isinstance(exc, NoKeyCouldDecrypt):
        for line in exc.report.splitlines():
            sys.stderr.write(f"  {line}\n" if line else "\n")
    sys.stderr.flush()


@click.command("updatekeys")
@click.option("-y", "--yes", is_flag=True, help="Approve the changes without asking.")
@opt.input_type
@opt.shamir_threshold
@opt.config
@opt.decryption_order
@click.argument("files", nargs=-1)
@click.pass_context
def updatekeys(ctx: click.Context, files: tuple[str, ...], yes: bool, input_type: str | None,
               shamir_threshold: int | None, config_path: str | None, decryption_order: str | None) -> None:
    """Make the keys of FILES match their creation rules (the data key and values stay)."""
    settings = opt.settings(ctx, config_path=config_path, decryption_order=decryption_order)
    if settings.config.path is None:
        raise ConfigError("config file not found")
    opt.require_file(files[0] if files else None)
    failed = 0
    for path in files:
        try:
            _update_one(path, yes, shamir_threshold, input_type, settings)
        except SealfileError as exc:
            if len(files) == 1:
                raise
            _report(exc.with_path(path))
            failed += 1
    if failed:
        raise PartialFailure(f"failed updating {failed} of {len(files)} files")
