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


def report_format(writers: dict[str, Any], default: str, help: str) -> Decorator:
    """``--format`` of the reporting commands (check, access): one of ``writers``, names of report outputs
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
    if spec.kind == "flag":
        return click.option(*spec.flags, spec.dest, is_flag=True, **extra)
    if spec.kind == "int":
        return click.option(*spec.flags, spec.dest, type=int, **extra)
    if spec.kind == "format":
        return lambda f: click.option(*spec.flags, spec.dest, type=_formats(), **extra)(f)
    return click.option(*spec.flags, spec.dest, **extra)


# --- files and formats ---------------------------------------------------------------------------
in_place = from_spec(optspec.IN_PLACE)
output = from_spec(optspec.OUTPUT)
input_type = from_spec(optspec.INPUT_TYPE)
output_type = from_spec(optspec.OUTPUT_TYPE)
filename_override = from_spec(optspec.FILENAME_OVERRIDE)
config = from_spec(optspec.CONFIG)
indent = from_spec(optspec.INDENT)
io_options = compose(in_place, output, input_type, output_type, filename_override, config, indent)

# --- decrypting ------------------------------------------------------------------------------------
extract = from_spec(optspec.EXTRACT)
ignore_mac = from_spec(optspec.IGNORE_MAC)
decryption_order = from_spec(optspec.DECRYPTION_ORDER)

idempotent = click.option("--idempotent", is_flag=True,
                          help="Leave FILE untouched when nothing changes (set: PATH has VALUE; unset: PATH is absent).")
show_master_keys = click.option("-s", "--show-master-keys", is_flag=True, help="Show the sops metadata in the editor too.")

# --- what a new file gets --------------------------------------------------------------------------
mac_only_encrypted = click.option("--mac-only-encrypted", is_flag=True, default=None,
                                  help="MAC only the encrypted values.")
selector_options = compose(
    *[click.option("--" + kind.replace("_", "-"), kind, metavar="S", default=None, help=f"Set {kind} for this file.")
      for kind in ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex",
                   "unencrypted_comment_regex", "encrypted_comment_regex")],
    mac_only_encrypted,
)
shamir_threshold = click.option("--shamir-secret-sharing-threshold", "shamir_threshold", type=click.IntRange(min=0),
                                default=None, help="Number of key groups needed to decrypt.")


def _flag_option_decorators() -> list[Decorator]:
    """Options that key types take for keys given as flags (AWS: --aws-profile, --encryption-context)."""
    return [click.option(f"--{o.name}", o.param, metavar=o.metavar, help=o.help)
            for kt in api_module().key_types() for o in kt.flag_options]


def key_flag_options(f: Any) -> Any:
    """Options for keys given as flags, declared by their key types (AWS: --aws-profile, --encryption-context).

    This and the other key-flag decorators read the key types when a command
    is defined, so only commands that take key flags load the declarations.
    """
    return compose(*_flag_option_decorators())(f)


def recipient_options(f: Any) -> Any:
    """--age, --pgp, --kms ...: the one key group a new file gets from the command line."""
    return compose(
        *[click.option(f"--{kt.flag}", *([kt.flag_short] if kt.flag_short else []), param_name("key_", kt),
                       metavar="KEYS", envvar=env_names(kt.recipients_env) if kt.recipients_env else None,
                       help=kt.flag_help) for kt in flagged_key_types()],
        key_flag_options,
        shamir_threshold,
    )(f)


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
