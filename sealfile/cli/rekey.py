"""rotate, updatekeys, groups add / delete: flags, prompts and messages as sops has them."""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable

import click

from .. import api
from ..config import find_config, load_config
from ..errors import ExitCode, FileMissing, NoKeyCouldDecrypt, SealfileError
from ..fileio import write_stdout
from .options import DECRYPTION_ORDER_ENV, FORMAT_CHOICE, LazyModule, global_settings, kms_options

rekey = LazyModule("sealfile.rekey")

#: flag suffix -> key type, in the order sops collects them.  One row gives rotate its
#: ``--add-<suffix>``/``--rm-<suffix>`` and ``groups add`` its ``--<suffix>``.
KEY_FLAG_TYPES: dict[str, str] = {"kms": "kms", "pgp": "pgp", "gcp-kms": "gcp_kms", "azure-kv": "azure_kv",
                                  "hc-vault-transit": "hc_vault", "age": "age"}

_KEY_HELP = {"pgp": "PGP fingerprints", "age": "age recipients", "kms": "AWS KMS key ARNs",
             "gcp-kms": "GCP KMS key resource IDs", "azure-kv": "Azure Key Vault key URLs",
             "hc-vault-transit": "Vault transit key URIs"}


def _dest(prefix: str, suffix: str) -> str:
    return f"{prefix}_{suffix.replace('-', '_')}"


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _specs(values: dict[str, Any], prefix: str, encryption_context: str | None = None,
           aws_profile: str | None = None) -> list[Any]:
    """Keys, or (key type, spec) pairs, from the flags named ``<prefix>_<suffix>`` (comma lists, repeatable).

    KMS ARNs carry ``--encryption-context`` and ``--aws-profile``, as in sops (so
    ``--rm-kms`` matches a key only with the same context and profile).
    """
    context = api.parse_encryption_context(encryption_context)
    out: list[Any] = []
    for suffix, type_name in KEY_FLAG_TYPES.items():
        value = values.get(_dest(prefix, suffix))
        for item in ([value] if isinstance(value, str) or value is None else list(value)):
            for spec in _split(item):
                out.append(api.kms_key(spec, context, aws_profile) if type_name == "kms" else (type_name, spec))
    return out


def _apply(decorators: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def wrap(f: Any) -> Any:
        for d in reversed(decorators):
            f = d(f)
        return f
    return wrap


#: ``--add-age X --rm-pgp FP`` ...; exported so the legacy ``sealfile -r`` form can take them too
rotate_key_options = _apply([
    click.option(f"--{verb}-{suffix}", _dest(verb, suffix), metavar="KEYS",
                 help=f"{'Add' if verb == 'add' else 'Remove'} these comma-separated "
                      f"{_KEY_HELP[suffix]} {'to' if verb == 'add' else 'from'} the file.")
    for suffix in KEY_FLAG_TYPES for verb in ("add", "rm")])

_group_key_options = _apply([
    *[click.option(f"--{suffix}", _dest("key", suffix), multiple=True, metavar="KEY",
                   help=f"{_KEY_HELP[suffix]} for the new group (repeatable).")
      for suffix in KEY_FLAG_TYPES],
    kms_options,
])

_KEY_FLAG_NAMES = {_dest(verb, s) for s in KEY_FLAG_TYPES for verb in ("add", "rm")}


def _log(message: str) -> None:
    """sops's informational lines: Go's ``log`` format on stderr."""
    sys.stderr.write(time.strftime("%Y/%m/%d %H:%M:%S ") + message + "\n")
    sys.stderr.flush()


def _read_error_exit(exc: SealfileError, code: int) -> SealfileError:
    """sops reports an unreadable input of these commands as exit 2, not 100."""
    if isinstance(exc, FileMissing):
        exc.exit_code = code
    return exc


# --------------------------------------------------------------------------- rotate

def run_rotate(ctx: click.Context, file: str | None, *, in_place: bool = False, output: str | None = None,
               input_type: str | None = None, output_type: str | None = None,
               filename_override: str | None = None, config_path: str | None = None,
               indent: int | None = None, ignore_mac: bool = False, decryption_order: str | None = None,
               encryption_context: str | None = None, aws_profile: str | None = None,
               legacy: bool = False, **key_flags: str | None) -> None:
    """``rotate FILE`` and the legacy ``-r FILE``; ``key_flags`` are ``add_age=``, ``rm_pgp=`` ...

    The legacy form differs as in sops: it needs a matching creation rule when a
    config is in scope, and a missing file is exit 100 (2 for the subcommand).
    """
    unknown = set(key_flags) - _KEY_FLAG_NAMES
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if file is None:
        raise SealfileError("no file specified", exit_code=ExitCode.NO_FILE_SPECIFIED)
    try:
        add = _specs(key_flags, "add", encryption_context, aws_profile)
        remove = _specs(key_flags, "rm", encryption_context, aws_profile)
    except SealfileError as exc:
        raise exc.with_path(file)
    settings = global_settings(ctx, config_path, indent)
    cfg_path, indent = settings["config"], settings["indent"]
    config: Any = cfg_path
    if legacy:
        if (add or remove) and not os.path.exists(file):
            raise SealfileError(f'cannot add or remove keys on non-existent file "{os.path.abspath(file)}", '
                                "use --age and --pgp to encrypt a new file instead",
                                path=file, exit_code=ExitCode.CANNOT_CHANGE_KEYS_FROM_NONEXISTENT)
        try:
            config = load_config(cfg_path or find_config())
            if config.rules is not None:
                config.rule_for(filename_override or file)
        except SealfileError as exc:
            raise exc.with_path(file)
    try:
        data = rekey.rotate_file(file, add=add, remove=remove, in_place=in_place, output=output,
                                 input_type=input_type, output_type=output_type,
                                 filename_override=filename_override, ignore_mac=ignore_mac,
                                 decryption_order=decryption_order, indent=indent, config=config)
    except SealfileError as exc:
        raise _read_error_exit(exc, ExitCode.NO_FILE_SPECIFIED if legacy else ExitCode.COULD_NOT_READ_INPUT)
    if not in_place and not output:
        write_stdout(data)


@click.command("rotate")
@click.option("-i", "--in-place", is_flag=True, help="Write the result back to the file.")
@click.option("--output", metavar="FILE", help="Write the result to FILE instead of stdout.")
@click.option("--input-type", type=FORMAT_CHOICE, help="Format of the input (default: from the extension).")
@click.option("--output-type", type=FORMAT_CHOICE, help="Format of the output (default: from the extension).")
@rotate_key_options
@kms_options
@click.option("--filename-override", metavar="NAME", help="Use NAME to choose the format.")
@click.option("--decryption-order", envvar=DECRYPTION_ORDER_ENV,
              metavar="TYPES", help="Comma-separated key types to try first (default: age,pgp).")
@click.option("--ignore-mac", is_flag=True, help="Do not verify the MAC before rotating.")
@click.option("--config", "config_path", metavar="FILE", help="Config file (store settings only).")
@click.argument("file", required=False)
@click.pass_context
def rotate(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """New data key for FILE: every value is re-encrypted; optionally add or remove keys."""
    run_rotate(ctx, file, **kw)


# --------------------------------------------------------------------------- updatekeys

def _print_plan(plan: rekey.KeyUpdatePlan) -> None:
    click.echo("The following changes will be made to the file's groups:")
    old, new = plan.old_threshold, plan.new_threshold
    if old > 0 and old == new:
        click.echo(f"shamir_threshold: {new}")
    else:
        if new > 0:
            click.echo(click.style(f"+++ shamir_threshold: {new}", fg="green"))
        if old > 0:
            click.echo(click.style(f"--- shamir_threshold: {old}", fg="red"))
    for i, change in enumerate(plan.changes):
        click.echo(click.style(f"Group {i + 1}", underline=True))
        for key in change.common:
            click.echo(f"    {key.to_string()}")
        for key in change.added:
            click.echo(click.style(f"+++ {key.to_string()}", fg="green"))
        for key in change.removed:
            click.echo(click.style(f"--- {key.to_string()}", fg="red"))


def _confirm(path: str) -> bool:
    """sops's ``Is this okay? (y/n):`` loop: y or n; an empty line or end of input is an error."""
    while True:
        click.echo("Is this okay? (y/n):", nl=False)
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise SealfileError("no answer to 'Is this okay? (y/n)' (end of input); use -y to "
                                "approve without asking", path=path)
        words = line.split()
        if not words:
            raise SealfileError("no answer to 'Is this okay? (y/n)' (empty line)", path=path)
        if len(words) > 1:
            raise SealfileError("answer 'Is this okay? (y/n)' with one word, y or n", path=path)
        if words[0] in ("y", "n"):
            return words[0] == "y"


def _update_one(path: str, yes: bool, threshold: int | None, input_type: str | None, config: Any) -> None:
    abs_path = os.path.abspath(path)
    _log(f"Syncing keys for file {abs_path}")
    plan = rekey.plan_key_update(path, shamir_threshold=threshold, input_type=input_type, config=config)
    if not plan.changed:
        _log(f"File {abs_path} already up to date")
        return
    _print_plan(plan)
    if not yes and not _confirm(path):
        _log(f"File {abs_path} left unchanged")
        return
    rekey.apply_key_update(plan)
    _log(f"File {abs_path} synced with new keys")


def _report(exc: SealfileError) -> None:
    sys.stderr.write(f"sealfile: error: {exc}\n")
    if isinstance(exc, NoKeyCouldDecrypt):
        for line in exc.report.splitlines():
            sys.stderr.write(f"  {line}\n" if line else "\n")
    sys.stderr.flush()


@click.command("updatekeys")
@click.option("-y", "--yes", is_flag=True, help="Approve the changes without asking.")
@click.option("--input-type", type=FORMAT_CHOICE, help="Format of the files (default: from the extension).")
@click.option("--shamir-secret-sharing-threshold", "threshold", type=click.IntRange(min=0), default=None,
              help="Key groups needed to decrypt (default: the file's, capped at the number of groups).")
@click.option("--config", "config_path", metavar="FILE", help="Config file whose creation rules give the keys.")
@click.argument("files", nargs=-1)
@click.pass_context
def updatekeys(ctx: click.Context, files: tuple[str, ...], yes: bool, input_type: str | None,
               threshold: int | None, config_path: str | None) -> None:
    """Make the keys of FILES match their creation rules (the data key and values stay)."""
    cfg_path = global_settings(ctx, config_path)["config"] or find_config()
    if not cfg_path:
        raise SealfileError("config file not found")
    if not files:
        raise SealfileError("no file specified", exit_code=ExitCode.NO_FILE_SPECIFIED)
    config = load_config(cfg_path)
    failed = 0
    for path in files:
        try:
            _update_one(path, yes, threshold, input_type, config)
        except SealfileError as exc:
            if len(files) == 1:
                raise
            _report(exc.with_path(path))
            failed += 1
    if failed:
        raise SealfileError(f"failed updating {failed} of {len(files)} files")


# --------------------------------------------------------------------------- groups

@click.group("groups")
def groups() -> None:
    """Add or delete key groups (Shamir secret sharing) of an encrypted file."""


def _need_file(file: str | None) -> str:
    if not file:
        raise SealfileError("no file given: use --file FILE", exit_code=ExitCode.COULD_NOT_READ_INPUT)
    return file


@groups.command("add")
@click.option("-f", "--file", metavar="FILE", help="The encrypted file.")
@_group_key_options
@click.option("-i", "--in-place", is_flag=True, help="Write the result back to the file.")
@click.option("--shamir-secret-sharing-threshold", "threshold", type=click.IntRange(min=0), default=0,
              help="Key groups needed to decrypt (default: keep the file's).")
@click.option("--config", "config_path", metavar="FILE", help="Config file (store settings only).")
@click.pass_context
def groups_add(ctx: click.Context, file: str | None, in_place: bool, threshold: int,
               config_path: str | None, encryption_context: str | None, aws_profile: str | None,
               **keys: tuple[str, ...]) -> None:
    """Add a key group made of the given keys; every group gets a new Shamir share."""
    path = _need_file(file)
    try:
        specs = _specs(keys, "key", encryption_context, aws_profile)
        data = rekey.add_group(path, specs, threshold or None, in_place=in_place,
                               config=global_settings(ctx, config_path)["config"])
    except SealfileError as exc:
        raise _read_error_exit(exc, ExitCode.COULD_NOT_READ_INPUT)
    if not in_place:
        write_stdout(data)


@groups.command("delete")
@click.option("-f", "--file", metavar="FILE", help="The encrypted file.")
@click.option("-i", "--in-place", is_flag=True, help="Write the result back to the file.")
@click.option("--shamir-secret-sharing-threshold", "threshold", type=click.IntRange(min=0), default=0,
              help="Key groups needed to decrypt afterwards (default: keep the file's).")
@click.option("--config", "config_path", metavar="FILE", help="Config file (store settings only).")
@click.argument("index", type=click.IntRange(min=0))
@click.pass_context
def groups_delete(ctx: click.Context, file: str | None, in_place: bool, threshold: int,
                  config_path: str | None, index: int) -> None:
    """Delete key group INDEX (0 is the first); the others get new Shamir shares."""
    path = _need_file(file)
    try:
        data = rekey.remove_group(path, index, threshold or None, in_place=in_place,
                                  config=global_settings(ctx, config_path)["config"])
    except SealfileError as exc:
        raise _read_error_exit(exc, ExitCode.COULD_NOT_READ_INPUT)
    if not in_place:
        write_stdout(data)


groups.add_command(groups_delete, "remove")  # the name this project's issue tracker uses; sops says delete


COMMANDS: list[click.Command] = [rotate, updatekeys, groups]
