"""sealfile decrypt (and the legacy ``-d``).

The run itself needs no click (the fast path in :mod:`.fast` calls it
directly); the click command is built only when click parses the line.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import api
from .output import emit
from .requests import settings

if TYPE_CHECKING:
    import click

__all__ = ["run_decrypt", "command"]


def run_decrypt(ctx: Any, file: str | None, *, in_place: bool = False, output: str | None = None,
                input_type: str | None = None, output_type: str | None = None, filename_override: str | None = None,
                config_path: str | None = None, indent: int | None = None, extract: str | None = None,
                ignore_mac: bool = False, decryption_order: str | None = None) -> None:
    path = api.check_io(file, in_place, output)
    run_settings = settings(ctx, config_path=config_path, indent=indent, decryption_order=decryption_order, file=path)
    data = api.decrypt_file(path, in_place=in_place, output=output, input_type=input_type, output_type=output_type,
                            filename_override=filename_override, extract=extract, ignore_mac=ignore_mac,
                            settings=run_settings, as_bytes=True)
    emit(data, in_place, output)


def command() -> "click.Command":
    """The click command (its options come from the shared table in :mod:`.optspec`)."""
    import click

    from . import optspec
    from .options import compose, from_spec

    @click.command("decrypt")
    @compose(*(from_spec(spec) for spec in optspec.DECRYPT))
    @click.argument("file", required=False)
    @click.pass_context
    def decrypt(ctx: click.Context, file: str | None, **kw: Any) -> None:
        """Decrypt FILE (or standard input) to standard output."""
        run_decrypt(ctx, file, **kw)

    return decrypt
