"""sealfile groups add / delete: Shamir key groups of an encrypted file."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..errors import NoFileSpecified, SealfileError
from . import options as opt
from .output import emit

__all__ = ["groups"]


@click.group("groups")
def groups() -> None:
    """Add or delete key groups (Shamir secret sharing) of an encrypted file."""


def _need_file(file: str | None) -> str:
    if not file:
        raise NoFileSpecified("no file given: use --file FILE")
    return file


_file = click.option("-f", "--file", metavar="FILE", help="The encrypted file.")


@groups.command("add")
@_file
@opt.group_key_options
@opt.in_place
@opt.shamir_threshold
@opt.config
@opt.decryption_order
@click.pass_context
def groups_add(ctx: click.Context, file: str | None, in_place: bool, shamir_threshold: int | None,
               config_path: str | None, decryption_order: str | None, **kw: Any) -> None:
    """Add a key group made of the given keys; every group gets a new Shamir share."""
    path = _need_file(file)
    key_options = opt.key_option_values(kw)
    settings = opt.settings(ctx, config_path=config_path, decryption_order=decryption_order, file=path)
    try:
        keys = opt.parse_specs(opt.key_specs(kw, "key_"), key_options)
    except SealfileError as exc:
        raise exc.with_path(path)
    data = api.add_group(path, keys, shamir_threshold or None, in_place=in_place, settings=settings)
    emit(data, in_place, None)


@groups.command("delete")
@_file
@opt.in_place
@opt.shamir_threshold
@opt.config
@opt.decryption_order
@click.argument("index", type=click.IntRange(min=0))
@click.pass_context
def groups_delete(ctx: click.Context, file: str | None, in_place: bool, shamir_threshold: int | None,
                  config_path: str | None, decryption_order: str | None, index: int) -> None:
    """Delete key group INDEX (0 is the first); the others get new Shamir shares."""
    path = _need_file(file)
    settings = opt.settings(ctx, config_path=config_path, decryption_order=decryption_order, file=path)
    data = api.remove_group(path, index, shamir_threshold or None, in_place=in_place, settings=settings)
    emit(data, in_place, None)


groups.add_command(groups_delete, "remove")  # the name this project's issue tracker uses; sops says delete
