"""sealfile encrypt (and the legacy ``-e``)."""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..errors import ConflictingParameters
from . import options as opt
from .output import emit
from .requests import warn_unknown_config_fields


def run_encrypt(ctx: click.Context, file: str | None, *, in_place: bool, output: str | None,
                input_type: str | None, output_type: str | None, filename_override: str | None,
                config_path: str | None, indent: int | None, **kw: Any) -> None:
    """``kw``: the recipient and selector options (popped as they are read)."""
    recipients = opt.recipients(kw)
    options = opt.encrypt_options(kw)
    if not options.mac_only_encrypted and opt.global_value(ctx, "mac_only_encrypted", None):
        options = api.EncryptOptions(selectors=options.selectors, mac_only_encrypted=True)
    path = api.check_io(file, in_place, output)
    if path == "-" and not filename_override:
        raise ConflictingParameters("Error: encrypting standard input needs --filename-override "
                                    "to choose the format and the creation rule")
    settings = opt.settings(ctx, config_path=config_path, indent=indent, file=path)
    warn_unknown_config_fields(settings)
    data = api.encrypt_file(path, in_place=in_place, output=output, input_type=input_type,
                            output_type=output_type, filename_override=filename_override,
                            recipients=recipients, options=options, settings=settings)
    emit(data, in_place, output)


@click.command("encrypt")
@opt.io_options
@opt.recipient_options
@opt.selector_options
@click.argument("file", required=False)
@click.pass_context
def encrypt(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """Encrypt FILE (values only; keys and structure stay readable)."""
    run_encrypt(ctx, file, **kw)
