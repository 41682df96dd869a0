"""sealfile encrypt (and the legacy ``-e``).

Like :mod:`.decrypt`, the run needs no click: the fast path in :mod:`.fast`
calls :func:`run_encrypt` directly for a plain encrypt line (what CI jobs
and ``encrypt -i`` loops run once per file); the click command is built
only when click parses the line.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import api
from ..errors import ConflictingParameters
from .output import emit
from .requests import encrypt_options, global_value, recipients, settings, warn_unknown_config_fields

if TYPE_CHECKING:
    import click

__all__ = ["run_encrypt", "command"]


def run_encrypt(ctx: Any, file: str | None, *, in_place: bool = False, output: str | None = None,
                input_type: str | None = None, output_type: str | None = None, filename_override: str | None = None,
                config_path: str | None = None, indent: int | None = None, reuse: str | None = None,
                **kw: Any) -> None:
    """``kw``: the recipient and selector options (popped as they are read)."""
    given = recipients(kw)
    options = encrypt_options(kw)
    if reuse is not None:
        _encrypt_reusing(ctx, file, reuse, given, options, in_place=in_place, output=output,
                         input_type=input_type, output_type=output_type, filename_override=filename_override,
                         config_path=config_path, indent=indent)
        return
    if not options.mac_only_encrypted and global_value(ctx, "mac_only_encrypted", None):
        options = api.EncryptOptions(selectors=options.selectors, mac_only_encrypted=True)
    path = api.check_io(file, in_place, output)
    if path == "-" and not filename_override:
        raise ConflictingParameters("Error: encrypting standard input needs --filename-override "
                                    "to choose the format and the creation rule")
    run_settings = settings(ctx, config_path=config_path, indent=indent, file=path)
    warn_unknown_config_fields(run_settings)
    data = api.encrypt_file(path, in_place=in_place, output=output, input_type=input_type,
                            output_type=output_type, filename_override=filename_override,
                            recipients=given, options=options, settings=run_settings)
    emit(data, in_place, output)


def _encrypt_reusing(ctx: Any, file: str | None, old: str, given: api.Recipients, options: api.EncryptOptions,
                     *, config_path: str | None, indent: int | None, **io: Any) -> None:
    """``encrypt --reuse OLD FILE``: keys, selector and MAC mode come from OLD, so none may be given."""
    if given.given or options.selectors or options.mac_only_encrypted:
        raise ConflictingParameters("Error: --reuse takes the keys, the selector and the MAC mode from the old "
                                    "file; do not give key or selector options with it")
    path = api.check_io(file, io["in_place"], io["output"])
    run_settings = settings(ctx, config_path=config_path, indent=indent, file=path)
    emit(api.encrypt_reusing(path, old, settings=run_settings, **io), io["in_place"], io["output"])


def command() -> "click.Command":
    """The click command (its options come from the shared table in :mod:`.optspec`)."""
    import click

    from . import optspec
    from .options import compose, from_spec
    from .requests import api_module

    @click.command("encrypt")
    @compose(*(from_spec(spec) for spec in optspec.encrypt_specs(api_module().key_types())))
    @click.argument("file", required=False)
    @click.pass_context
    def encrypt(ctx: click.Context, file: str | None, **kw: Any) -> None:
        """Encrypt FILE (values only; keys and structure stay readable)."""
        run_encrypt(ctx, file, **kw)

    return encrypt
