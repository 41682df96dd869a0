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
                config_path: str | None, indent: int | None, reuse: str | None = None, **kw: Any) -> None:
    """``kw``: the recipient and selector options (popped as they are read)."""
    recipients = opt.recipients(kw)
    options = opt.encrypt_options(kw)
    if reuse is not None:
        _encrypt_reusing(ctx, file, reuse, recipients, options, in_place=in_place, output=output,
                         input_type=input_type, output_type=output_type, filename_override=filename_override,
                         config_path=config_path, indent=indent)
        return
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


def _encrypt_reusing(ctx: click.Context, file: str | None, old: str, recipients: api.Recipients,
                     options: api.EncryptOptions, *, config_path: str | None, indent: int | None, **io: Any) -> None:
    """``encrypt --reuse OLD FILE``: keys, selector and MAC mode come from OLD, so none may be given."""
    if recipients.given or options.selectors or options.mac_only_encrypted:
        raise ConflictingParameters("Error: --reuse takes the keys, the selector and the MAC mode from the old "
                                    "file; do not give key or selector options with it")
    path = api.check_io(file, io["in_place"], io["output"])
    settings = opt.settings(ctx, config_path=config_path, indent=indent, file=path)
    emit(api.encrypt_reusing(path, old, settings=settings, **io), io["in_place"], io["output"])


@click.command("encrypt")
@opt.io_options
@opt.recipient_options
@opt.selector_options
@click.option("--reuse", metavar="OLD", help="Encrypt FILE as the next version of the encrypted file OLD: OLD's data "
              "key and recipients, and OLD's exact ciphertext for every value whose path and plaintext match.")
@click.argument("file", required=False)
@click.pass_context
def encrypt(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """Encrypt FILE (values only; keys and structure stay readable)."""
    run_encrypt(ctx, file, **kw)
