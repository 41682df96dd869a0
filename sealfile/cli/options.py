"""Every command-line option, defined once (as sops names them), and how they become Settings.

Commands compose these decorators; key flags are generated from the key
types' own declarations (``--age``, ``--add-age``, ``groups add --age``,
their environment variables and extra options such as ``--aws-profile``), so
no table here lists key types.  The options that sops also accepts before
the command (``sealfile --config c decrypt f``) are the same objects, used on
the group and on the commands; :func:`settings` merges the two.
"""
from __future__ import annotations

from typing import Any, Callable

import click

from . import optspec
from .requests import (SELECTOR_NAMES, api_module, flagged_key_types, param_name, encrypt_options, env_names, global_value,
                       key_option_values, key_specs, parse_specs, recipients, require_file, settings)

__all__ = ["compose", "encrypt_options", "env_names", "global_value", "key_option_values", "key_specs",
           "parse_specs", "recipients", "require_file", "settings", "SELECTOR_NAMES"]

Decorator = Callable[[Any], Any]


def compose(*decorators: Decorator) -> Decorator:
    """Apply ``decorators`` in the order written (the first becomes the first option in --help)."""
    def apply(f: Any) -> Any:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


def _formats() -> click.Choice:
    return click.Choice(list(api_module().FORMATS))


def report_format(writers: Any, default: str, help: str) -> Decorator:
    """``--format`` of the reporting commands (check, access, log): one of ``writers``, names of report outputs
    (see :mod:`.reports`), which are not file formats."""
    return click.option("--format", "output_format", type=click.Choice(list(writers)), default=default,
                        show_default=True, help=help)


def from_spec(spec: optspec.Spec) -> Decorator:
    """The click option for a shared option spec (see :mod:`.optspec`)."""
    extra: dict[str, Any] = {"help": spec.help}
    if spec.metavar:
        extra["metavar"] = spec.metavar
    if spec.env:
        extra["envvar"] = env_names(spec.env)
    if spec.kind in ("flag", "maybe"):
        return click.option(*spec.flags, spec.dest, is_flag=True, default=None if spec.kind == "maybe" else False,
                            **extra)
    if spec.kind == "int":
        return click.option(*spec.flags, spec.dest, type=int, **extra)
    if spec.kind == "count":
        return click.option(*spec.flags, spec.dest, type=click.IntRange(min=0), **extra)
    if spec.kind == "format":
        return lambda f: click.option(*spec.flags, spec.dest, type=_formats(), **extra)(f)
    return click.option(*spec.flags, spec.dest, **extra)


# --- files and formats ---------------------------------------------------------------------------
in_place, output, input_type, output_type, filename_override, config, indent = (from_spec(s) for s in optspec.IO)
io_options = compose(in_place, output, input_type, output_type, filename_override, config, indent)

# --- decrypting ------------------------------------------------------------------------------------
extract = from_spec(optspec.EXTRACT)
ignore_mac = from_spec(optspec.IGNORE_MAC)
decryption_order = from_spec(optspec.DECRYPTION_ORDER)

idempotent = click.option("--idempotent", is_flag=True,
                          help="Leave FILE untouched when nothing changes (set: PATH has VALUE; unset: PATH is absent).")
show_master_keys = click.option("-s", "--show-master-keys", is_flag=True, help="Show the sops metadata in the editor too.")

# --- what a new file gets --------------------------------------------------------------------------
mac_only_encrypted = from_spec(optspec.MAC_ONLY_ENCRYPTED)
selector_options = compose(*(from_spec(spec) for spec in optspec.SELECTORS), mac_only_encrypted)
shamir_threshold = from_spec(optspec.SHAMIR_THRESHOLD)


def key_flag_options(f: Any) -> Any:
    """Options for keys given as flags, declared by their key types (AWS: --aws-profile, --encryption-context).

    This and the other key-flag decorators read the key types when a command
    is defined, so only commands that take key flags load the declarations.
    """
    return compose(*(from_spec(spec) for spec in optspec.key_flag_options(api_module().key_types())))(f)


def recipient_options(f: Any) -> Any:
    """--age, --pgp, --kms ...: the one key group of a new file, from the key types' declarations."""
    return compose(*(from_spec(spec) for spec in optspec.key_flags(api_module().key_types())), key_flag_options,
                   shamir_threshold)(f)


def rotate_key_options(f: Any) -> Any:
    """--add-age / --rm-age ... for rotate (and sops's legacy -r)."""
    return compose(
        *[click.option(f"--{verb}-{kt.flag}", param_name(f"{verb}_", kt), metavar="KEYS",
                       help=f"{'Add' if verb == 'add' else 'Remove'} these comma-separated {kt.describe} "
                            f"{'to' if verb == 'add' else 'from'} the file.")
          for kt in flagged_key_types() for verb in ("add", "rm")],
    )(f)


def group_key_options(f: Any) -> Any:
    """--age KEY (repeatable) ... for groups add."""
    return compose(
        *[click.option(f"--{kt.flag}", param_name("key_", kt), multiple=True, metavar="KEY",
                       help=f"{kt.describe[:1].upper()}{kt.describe[1:]} for the new group (repeatable).")
          for kt in flagged_key_types()],
        key_flag_options,
    )(f)
