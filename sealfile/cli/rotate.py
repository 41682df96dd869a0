"""sealfile rotate (and the legacy ``-r``): new data key, optionally keys added or removed."""
from __future__ import annotations

import os
from typing import Any

import click

from .. import api
from ..errors import KeysOfMissingFile, SealfileError
from . import options as opt
from .output import emit

__all__ = ["rotate", "run_rotate"]


def run_rotate(ctx: click.Context, file: str | None, *, in_place: bool = False, output: str | None = None,
               input_type: str | None = None, output_type: str | None = None,
               filename_override: str | None = None, config_path: str | None = None,
               indent: int | None = None, ignore_mac: bool = False, decryption_order: str | None = None,
               legacy: bool = False, **kw: Any) -> None:
    """``rotate FILE`` and the legacy ``-r FILE``; ``kw`` holds ``--add-*``/``--rm-*`` and the key flag options.

    The legacy form differs as in sops: it needs a matching creation rule when a
    config is in scope, and a missing file is exit 100 (2 for the subcommand).
    """
    path = opt.require_file(file)
    key_options = opt.key_option_values(kw)
    try:
        add = opt.parse_specs(opt.key_specs(kw, "add_"), key_options)
        remove = opt.parse_specs(opt.key_specs(kw, "rm_"), key_options)
    except SealfileError as exc:
        raise exc.with_path(path)
    settings = opt.settings(ctx, config_path=config_path, indent=indent, decryption_order=decryption_order,
                            file=path)
    if legacy:
        if (add or remove) and not os.path.exists(path):
            raise KeysOfMissingFile(f'cannot add or remove keys on non-existent file "{os.path.abspath(path)}", '
                                    "use --age and --pgp to encrypt a new file instead", file=path)
        try:
            if settings.config.rules is not None:
                settings.config.rule_for(filename_override or path)
        except SealfileError as exc:
            raise exc.with_path(path)
    data = api.rotate_file(path, add=add, remove=remove, in_place=in_place, output=output, input_type=input_type,
                           output_type=output_type, filename_override=filename_override, ignore_mac=ignore_mac,
                           settings=settings)
    emit(data, in_place, output)


@click.command("rotate")
@opt.in_place
@opt.output
@opt.input_type
@opt.output_type
@opt.rotate_key_options
@opt.key_flag_options
@opt.filename_override
@opt.decryption_order
@opt.ignore_mac
@opt.config
@click.argument("file", required=False)
@click.pass_context
def rotate(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """New data key for FILE: every value is re-encrypted; optionally add or remove keys."""
    run_rotate(ctx, file, **kw)
