"""Every command-line option, defined once (as sops names them), and how they become Settings.

Commands compose these decorators; key flags are generated from the key
types' own declarations (``--age``, ``--add-age``, ``groups add --age``,
their environment variables and extra options such as ``--aws-profile``), so
no table here lists key types.  The options that sops also accepts before
the command (``sealfile --config c decrypt f``) are the same objects, used on
the group and on the commands; :func:`settings` merges the two.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import click

from ..errors import NoFileSpecified, SealfileError

if TYPE_CHECKING:
    from .. import api

Decorator = Callable[[Any], Any]


def compose(*decorators: Decorator) -> Decorator:
    """Apply ``decorators`` in the order written (the first becomes the first option in --help)."""
    def apply(f: Any) -> Any:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


def env_names(name: str) -> list[str]:
    """``SEALFILE_NAME`` then ``SOPS_NAME``: the SEALFILE_ one wins when both are set."""
    return ["SEALFILE_" + name, "SOPS_" + name]


def _api() -> Any:
    """The API, imported when a command needs it (``sealfile --help`` loads no cryptography)."""
    from .. import api

    return api


def _formats() -> click.Choice:
    return click.Choice(list(_api().FORMATS))

# --- files and formats ---------------------------------------------------------------------------
in_place = click.option("-i", "--in-place", is_flag=True, help="Write the result back to the file.")
output = click.option("-o", "--output", metavar="FILE",
                      help="Write the result to FILE instead of stdout (keygen: an existing FILE is refused).")
def input_type(f: Any) -> Any:
    return click.option("--input-type", type=_formats(), help="Format of the input (default: from the extension).")(f)


def output_type(f: Any) -> Any:
    return click.option("--output-type", type=_formats(),
                        help="Format of the output (default: from the extension, or the input's).")(f)

filename_override = click.option("--filename-override", metavar="NAME",
                                 help="Use NAME for format detection and rule matching (e.g. for stdin).")
config = click.option("--config", "config_path", metavar="FILE", envvar=env_names("CONFIG"),
                      help="Config file (default: .sealfile.yaml or .sops.yaml in this or a parent directory).")
indent = click.option("--indent", type=int, help="Indentation of YAML and JSON output.")
io_options = compose(in_place, output, input_type, output_type, filename_override, config, indent)

# --- decrypting ------------------------------------------------------------------------------------
extract = click.option("--extract", metavar="PATH", help='Print only this part of the tree, e.g. \'["a"]["b"][0]\'.')
ignore_mac = click.option("--ignore-mac", is_flag=True, help="Do not verify the MAC (values must still decrypt).")
decryption_order = click.option("--decryption-order", envvar=env_names("DECRYPTION_ORDER"), metavar="TYPES",
                                help="Comma-separated key types to try first (default: age,pgp).")

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
SELECTOR_NAMES = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex",
                  "unencrypted_comment_regex", "encrypted_comment_regex")
shamir_threshold = click.option("--shamir-secret-sharing-threshold", "shamir_threshold", type=click.IntRange(min=0),
                                default=None, help="Number of key groups needed to decrypt.")


def _flag_option_decorators() -> list[Decorator]:
    """Options that key types take for keys given as flags (AWS: --aws-profile, --encryption-context)."""
    return [click.option(f"--{o.name}", o.param, metavar=o.metavar, help=o.help)
            for kt in _api().key_types() for o in kt.flag_options]


def _flagged() -> list[Any]:
    return [kt for kt in _api().key_types() if kt.flag]


def _param(prefix: str, kt: Any) -> str:
    return f"{prefix}{kt.flag.replace('-', '_')}" if kt.flag else ""


def key_flag_options(f: Any) -> Any:
    """Options for keys given as flags, declared by their key types (AWS: --aws-profile, --encryption-context).

    This and the other key-flag decorators read the key types when a command
    is defined, so only commands that take key flags load the declarations.
    """
    return compose(*_flag_option_decorators())(f)


def recipient_options(f: Any) -> Any:
    """--age, --pgp, --kms ...: the one key group a new file gets from the command line."""
    return compose(
        *[click.option(f"--{kt.flag}", *([kt.flag_short] if kt.flag_short else []), _param("key_", kt),
                       metavar="KEYS", envvar=env_names(kt.recipients_env) if kt.recipients_env else None,
                       help=kt.flag_help) for kt in _flagged()],
        key_flag_options,
        shamir_threshold,
    )(f)


def rotate_key_options(f: Any) -> Any:
    """--add-age / --rm-age ... for rotate (and sops's legacy -r)."""
    return compose(
        *[click.option(f"--{verb}-{kt.flag}", _param(f"{verb}_", kt), metavar="KEYS",
                       help=f"{'Add' if verb == 'add' else 'Remove'} these comma-separated {kt.describe} "
                            f"{'to' if verb == 'add' else 'from'} the file.")
          for kt in _flagged() for verb in ("add", "rm")],
    )(f)


def group_key_options(f: Any) -> Any:
    """--age KEY (repeatable) ... for groups add."""
    return compose(
        *[click.option(f"--{kt.flag}", _param("key_", kt), multiple=True, metavar="KEY",
                       help=f"{kt.describe[:1].upper()}{kt.describe[1:]} for the new group (repeatable).")
          for kt in _flagged()],
        key_flag_options,
    )(f)


def _split(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) or value is None else list(value)
    return [part.strip() for item in items for part in (item or "").split(",") if part.strip()]


def key_option_values(kw: dict[str, Any]) -> dict[str, Any]:
    """Pop the key types' flag options (``--aws-profile`` ...) from ``kw``: the options for keys given as text."""
    names = {o.param for kt in _api().key_types() for o in kt.flag_options}
    return {name: value for name in names if (value := kw.pop(name, None)) not in (None, "", ())}


def recipients(kw: dict[str, Any]) -> "api.Recipients":
    """Pop ``recipient_options``' values from ``kw`` as the Recipients of a new file."""
    keys = {kt.name: value for kt in _flagged() if (value := kw.pop(_param("key_", kt), None))}
    return _api().Recipients(keys=keys, shamir_threshold=kw.pop("shamir_threshold", None),
                          key_options=key_option_values(kw))


def key_specs(kw: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
    """Pop the ``<prefix><flag>`` options (comma lists, repeatable) from ``kw`` as (key type, spec) pairs."""
    return [(kt.name, spec) for kt in _flagged() for spec in _split(kw.pop(_param(prefix, kt), None))]


def parse_specs(specs: list[tuple[str, str]], key_options: dict[str, Any]) -> list[Any]:
    """Key objects for (type, spec) pairs, with the flag options applied (``--encryption-context``)."""
    return _api().resolve_keys(specs, key_options)


def encrypt_options(kw: dict[str, Any]) -> "api.EncryptOptions":
    """Pop ``selector_options``' values from ``kw`` as EncryptOptions (the global --mac-only-encrypted too)."""
    selectors = {name: value for name in SELECTOR_NAMES if (value := kw.pop(name, None))}
    return _api().EncryptOptions(selectors=selectors, mac_only_encrypted=kw.pop("mac_only_encrypted", None))


def global_value(ctx: click.Context | None, name: str, local: Any) -> Any:
    """A per-command value, else the same option given before the command."""
    if local not in (None, False):
        return local
    return ctx.find_root().params.get(name) if ctx is not None else local


def settings(ctx: click.Context | None, *, config_path: str | None = None, indent: int | None = None,
             decryption_order: str | None = None, file: str | None = None) -> "api.Settings":
    """The run's Settings from this command's options merged over the global ones.

    A bad setting (an unreadable config, a bad decryption order) names ``file``.
    """
    try:
        return _api().Settings.create(config=global_value(ctx, "config_path", config_path) or None,
                                   indent=global_value(ctx, "indent", indent), decryption_order=decryption_order)
    except SealfileError as exc:
        raise exc.with_path(None if file == "-" else file)


def require_file(file: str | None) -> str:
    """sops's "no file specified" (exit 100) when a command got no FILE."""
    if not file:
        raise NoFileSpecified("Error: no file specified")
    return file
