"""sops's original flag style: ``-e``/``-d``/``-r``/``--set``, and a plain ``FILE`` to edit.

helm-secrets and many scripts use it.  sops runs several modes one after the
other with a deprecation warning; sealfile refuses the combination instead.
"""
from __future__ import annotations

from typing import Any

import click

from .. import api
from ..errors import ConflictingParameters
from . import options as opt
from .decrypt import run_decrypt
from .edit import run_edit
from .encrypt import run_encrypt
from .rotate import run_rotate
from .set import run_set

__all__ = ["legacy"]

_COMMON = ("in_place", "output", "input_type", "output_type", "filename_override", "config_path", "indent")


@click.command("legacy", hidden=True)
@click.option("-e", "--encrypt", "do_encrypt", is_flag=True)
@click.option("-d", "--decrypt", "do_decrypt", is_flag=True)
@click.option("-r", "--rotate", "do_rotate", is_flag=True)
@click.option("--set", "set_expr", metavar="'PATH VALUE'")
@opt.show_master_keys
@opt.io_options
@opt.recipient_options
@opt.selector_options
@opt.extract
@opt.ignore_mac
@opt.decryption_order
@opt.rotate_key_options
@click.argument("file", required=False)
@click.pass_context
def legacy(ctx: click.Context, file: str | None, do_encrypt: bool, do_decrypt: bool, do_rotate: bool,
           set_expr: str | None, show_master_keys: bool, **kw: Any) -> None:
    """sops's original flag style (``-e``/``-d``/``-r``/``--set``, plain ``FILE`` = edit)."""
    modes = [name for name, on in (("--encrypt", do_encrypt), ("--decrypt", do_decrypt),
                                   ("--rotate", do_rotate), ("--set", set_expr is not None)) if on]
    if len(modes) > 1:
        raise ConflictingParameters(f"use only one of {', '.join(modes)}")
    common = {k: kw.pop(k) for k in _COMMON}
    extract, ignore_mac, order = kw.pop("extract"), kw.pop("ignore_mac"), kw.pop("decryption_order")
    if do_encrypt:
        run_encrypt(ctx, file, **common, **{k: v for k, v in kw.items() if not k.startswith(("add_", "rm_"))})
    elif do_decrypt:
        run_decrypt(ctx, file, **common, extract=extract, ignore_mac=ignore_mac, decryption_order=order)
    elif do_rotate:
        run_rotate(ctx, file, legacy=True, **common, ignore_mac=ignore_mac, decryption_order=order,
                   **{k: v for k, v in kw.items() if k.startswith(("add_", "rm_")) or k in _key_option_names()})
    elif set_expr is not None:
        path = opt.require_file(file)
        run_set(ctx, path, *api.parse_legacy_set(set_expr), **common, ignore_mac=ignore_mac, decryption_order=order)
    elif file is None:
        click.echo(ctx.find_root().get_help())
    else:
        run_edit(ctx, file, show_master_keys=show_master_keys, ignore_mac=ignore_mac, decryption_order=order,
                 **{k: common[k] for k in ("input_type", "output_type", "filename_override", "config_path",
                                           "indent")},
                 **{k: v for k, v in kw.items() if not k.startswith(("add_", "rm_"))})


def _key_option_names() -> set[str]:
    return {o.param for kt in api.key_types() for o in kt.flag_options}
