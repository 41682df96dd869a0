"""sealfile config explain / validate: which rule applies to a path, and what is wrong with a config."""
from __future__ import annotations

import os
import sys

import click

from .. import api
from ..errors import ConfigError
from . import options as opt

__all__ = ["config"]


@click.group("config")
def config() -> None:
    """Explain which creation rule applies to a path, or validate a config file."""


@config.command("explain")
@opt.config
@click.argument("path")
@click.pass_context
def explain(ctx: click.Context, path: str, config_path: str | None) -> None:
    """Show the config found for PATH, the rule that matches it and why earlier rules did not."""
    info = api.explain(path, settings=opt.settings(ctx, config_path=config_path, file=path))
    click.echo(f"config: {info.config or '(none found: no creation rules apply)'}")
    click.echo(f"rules match against: {info.name}")
    for trial in info.trials:
        click.echo(f"  rule {trial.index}: {'MATCH' if trial.matched else 'no'} - {trial.reason}")
    if info.rule is None:
        click.echo("no rule matches: encrypt needs keys on the command line" if info.config else "")
        return
    for i, group in enumerate(info.key_groups):
        click.echo(f"key group {i}:")
        for key in group:
            click.echo(f"  {key}")
    if len(info.key_groups) > 1:
        click.echo(f"shamir threshold: {info.threshold or len(info.key_groups)}")
    for kind, value in info.selector.items():
        click.echo(f"{kind}: {value}")
    if info.mac_only_encrypted:
        click.echo("mac_only_encrypted: true")
    if info.rotation_max_age:
        click.echo(f"rotation max_age: {info.rotation_max_age // 86400} days")


@config.command("validate")
@click.argument("config_file", required=False)
@click.pass_context
def validate(ctx: click.Context, config_file: str | None) -> None:
    """Report unknown fields, bad regexes, unparseable recipients and shadowed rules (default: the config found)."""
    path = config_file or opt.settings(ctx).config.path
    if not path or not os.path.isfile(path):
        raise ConfigError("no config file to validate (give a path, or run where .sealfile.yaml/.sops.yaml is found)")
    problems = api.validate_config(path)
    for p in problems:
        where = f"{p.file}:{p.line}" if p.line else p.file
        click.echo(f"{where}: {p.where + ': ' if p.where else ''}{p.message}")
    click.echo(f"{path}: {len(problems)} problem{'s' * (len(problems) != 1)}" if problems else f"{path}: OK")
    sys.stdout.flush()
    if problems:
        sys.exit(1)
