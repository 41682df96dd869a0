"""The public Python API: a thin facade over the operations, and what the CLI calls.

Every function takes the same four settings (``env``, ``config``,
``decryption_order``, ``indent``) or a ready :class:`Settings` (``settings=``)
and builds the settings once; the operations below never look anything up
themselves.  ``config=None`` searches for ``.sealfile.yaml``/``.sops.yaml``
from the current directory up, as ``sealfile`` and ``sops`` do, so a
function here and the matching command give the same output for the same
input.  Errors are :class:`sealfile.errors.SealfileError` subclasses.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping as TMapping, Sequence

from ..core.metadata import LAYOUT_311
from ..core.tree import Mapping, to_python
from ..core.treepath import PathComponent
from ..errors import InvalidArgument, SealfileError
from ..fileio import atomic_write
from ..fileio import write_stdout as _write_stdout
from ..keys import KeyType, MasterKey, key_types
from ..operations.files import check_io, read_input, resolve_types
from ..operations.recipients import EncryptOptions, Recipients
from ..settings import ConfigArg, Settings
from .arguments import settings_from as _settings
from ..stores import FORMATS, format_for_path

if TYPE_CHECKING:
    from ..core.sopsfile import SopsFile
    from ..operations.edit import EditSession
    from ..operations.gittools import GitTools
    from ..operations.keygroups import KeyLike
    from ..operations.updatekeys import KeyUpdatePlan

__all__ = [  # noqa: F822 - the names in _LAZY come from __getattr__
    "encrypt_data", "encrypt_file", "decrypt_data", "decrypt_file", "load", "decrypt_tree", "open_file",
    "DecryptedFile", "file_status", "set_value", "unset_value", "rotate_file", "plan_key_update",
    "apply_key_update", "add_group", "remove_group", "exported_environment", "decrypted_content",
    "start_edit", "write_identity", "write_stdout", "new_identity", "Settings", "Recipients", "EncryptOptions",
    "KeyUpdatePlan", "GroupChange", "EditSession", "Workspace", "resolve_types", "check_io", "format_for_path",
    "FORMATS", "key_types", "KeyType", "resolve_keys", "rule_keys", "parse_legacy_set", "parse_tree_path",
    "check_filename", "DEFAULT_FILENAME", "check", "verify", "explain", "validate_config", "access", "repository_files", "check_rules",
    "git_tools", "GitTools", "encrypt_reusing",
]

#: names defined by the operations, imported when first used: ``import sealfile.api`` loads no cryptography
_LAZY = {
    "KeyUpdatePlan": "updatekeys", "GroupChange": "keygroups", "EditSession": "edit", "Workspace": "edit",
    "resolve_keys": "encrypt", "rule_keys": "encrypt", "parse_legacy_set": "set", "parse_tree_path": "set",
    "check_filename": "exec", "DEFAULT_FILENAME": "exec", "new_identity": "keygen",
    "GitTools": "gittools",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(__import__(f"sealfile.operations.{module}", fromlist=[name]), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _recipients(recipients: TMapping[str, Any] | Recipients | None, age: str | Sequence[str] | None,
                pgp: str | Sequence[str] | None, key_groups: Sequence[Sequence[MasterKey]] | None,
                shamir_threshold: int | None, encryption_context: Any, aws_profile: str | None) -> Recipients:
    if isinstance(recipients, Recipients):
        return recipients
    keys: dict[str, Any] = {k: v for k, v in (recipients or {}).items() if v}
    # the two shortcuts sops users reach for first; anything else goes through ``recipients``
    keys.update({name: value for name, value in dict(age=age, pgp=pgp).items() if value})
    options = {k: v for k, v in (("encryption_context", encryption_context), ("aws_profile", aws_profile))
               if v not in (None, "", {})}
    return Recipients(keys=keys, key_groups=key_groups, shamir_threshold=shamir_threshold, key_options=options)


def _options(options: EncryptOptions | None, mac_only_encrypted: bool | None, layout: str,
             **selectors: str | None) -> EncryptOptions:
    if options is not None:
        return options
    return EncryptOptions(selectors={k: v for k, v in selectors.items() if v is not None},
                          mac_only_encrypted=mac_only_encrypted, layout=layout)


# --- encrypt / decrypt ---------------------------------------------------------------------------

def encrypt_data(data: bytes, *, input_type: str, output_type: str | None = None, filename: str | None = None,
                 recipients: TMapping[str, Any] | Recipients | None = None, age: str | Sequence[str] | None = None,
                 pgp: str | Sequence[str] | None = None, encryption_context: str | TMapping[str, str] | None = None,
                 aws_profile: str | None = None, key_groups: Sequence[Sequence[MasterKey]] | None = None,
                 shamir_threshold: int | None = None, mac_only_encrypted: bool | None = None,
                 layout: str = LAYOUT_311, unencrypted_suffix: str | None = None,
                 encrypted_suffix: str | None = None, unencrypted_regex: str | None = None,
                 encrypted_regex: str | None = None, unencrypted_comment_regex: str | None = None,
                 encrypted_comment_regex: str | None = None, options: EncryptOptions | None = None,
                 indent: int | None = None, env: TMapping[str, str] | None = None, config: ConfigArg = None,
                 settings: Settings | None = None) -> bytes:
    """Encrypt plaintext ``data`` (in ``input_type`` format) and return the encrypted file.

    Keys come from ``age``/``pgp``/``recipients``/``key_groups`` when given,
    else from the creation rule that matches ``filename`` in the config.
    ``recipients`` maps key types (``age pgp kms gcp_kms azure_kv hc_vault``) to
    comma-separated strings or lists; ``encryption_context`` (``"k:v,k2:v2"`` or
    a mapping) and ``aws_profile`` apply to KMS ARNs given here or in a rule's
    flat ``kms`` list.  The selectors are sops's six options.  ``recipients`` and
    ``options`` may also be given as ready :class:`Recipients` / :class:`EncryptOptions`.
    """
    from ..operations import encrypt as _encrypt
    s = _settings(settings, env, config, None, indent)
    opts = _options(options, mac_only_encrypted, layout, unencrypted_suffix=unencrypted_suffix,
                    encrypted_suffix=encrypted_suffix, unencrypted_regex=unencrypted_regex,
                    encrypted_regex=encrypted_regex, unencrypted_comment_regex=unencrypted_comment_regex,
                    encrypted_comment_regex=encrypted_comment_regex)
    return _encrypt.encrypt(data, s, input_type=input_type, output_type=output_type, filename=filename,
                            recipients=_recipients(recipients, age, pgp, key_groups, shamir_threshold,
                                                   encryption_context, aws_profile), options=opts)


def encrypt_file(path: str | os.PathLike[str], *, output: str | None = None, in_place: bool = False,
                 input_type: str | None = None, output_type: str | None = None,
                 filename_override: str | None = None, recipients: TMapping[str, Any] | Recipients | None = None,
                 age: str | Sequence[str] | None = None, pgp: str | Sequence[str] | None = None,
                 encryption_context: str | TMapping[str, str] | None = None, aws_profile: str | None = None,
                 key_groups: Sequence[Sequence[MasterKey]] | None = None, shamir_threshold: int | None = None,
                 mac_only_encrypted: bool | None = None, unencrypted_suffix: str | None = None,
                 encrypted_suffix: str | None = None, unencrypted_regex: str | None = None,
                 encrypted_regex: str | None = None, unencrypted_comment_regex: str | None = None,
                 encrypted_comment_regex: str | None = None, options: EncryptOptions | None = None,
                 indent: int | None = None, env: TMapping[str, str] | None = None, config: ConfigArg = None,
                 settings: Settings | None = None) -> bytes:
    """Encrypt a file (``-``: standard input); write it in place or to ``output`` when asked; return it."""
    from ..operations import encrypt as _encrypt
    s = _settings(settings, env, config, None, indent)
    opts = _options(options, mac_only_encrypted, LAYOUT_311, unencrypted_suffix=unencrypted_suffix,
                    encrypted_suffix=encrypted_suffix, unencrypted_regex=unencrypted_regex,
                    encrypted_regex=encrypted_regex, unencrypted_comment_regex=unencrypted_comment_regex,
                    encrypted_comment_regex=encrypted_comment_regex)
    return _encrypt.encrypt_path(path, s, in_place=in_place, output=output, input_type=input_type,
                                 output_type=output_type, filename_override=filename_override,
                                 recipients=_recipients(recipients, age, pgp, key_groups, shamir_threshold,
                                                        encryption_context, aws_profile), options=opts)


def decrypt_data(data: bytes, *, input_type: str, output_type: str | None = None,
                 extract: str | Sequence[PathComponent] | None = None, ignore_mac: bool = False,
                 decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
                 env: TMapping[str, str] | None = None, config: ConfigArg = None,
                 settings: Settings | None = None) -> bytes:
    """Decrypt an encrypted file's bytes; return the plaintext file (or the extracted part)."""
    from ..operations import decrypt as _decrypt
    s = _settings(settings, env, config, decryption_order, indent)
    return _decrypt.decrypt(data, s, input_type=input_type, output_type=output_type, extract=extract,
                            ignore_mac=ignore_mac)


def decrypt_file(path: str | os.PathLike[str], *, output: str | None = None, in_place: bool = False,
                 input_type: str | None = None, output_type: str | None = None,
                 filename_override: str | None = None, extract: str | Sequence[PathComponent] | None = None,
                 ignore_mac: bool = False, decryption_order: str | Sequence[str] | None = None,
                 indent: int | None = None, env: TMapping[str, str] | None = None, config: ConfigArg = None,
                 settings: Settings | None = None, as_bytes: bool = False) -> str | bytes:
    """Decrypt a file; return ``str`` for text formats and ``bytes`` for binary output (or undecodable text).

    ``as_bytes`` returns the bytes whatever the format (what the CLI prints).
    """
    from ..operations import decrypt as _decrypt
    s = _settings(settings, env, config, decryption_order, indent)
    p = os.fspath(path)
    out = _decrypt.decrypt_path(p, s, in_place=in_place, output=output, input_type=input_type,
                                output_type=output_type, filename_override=filename_override, extract=extract,
                                ignore_mac=ignore_mac)
    _, fmt_out = resolve_types(p, input_type, output_type, filename_override)
    if as_bytes or s.store(fmt_out).opaque:
        return out
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return out


def load(path: str | os.PathLike[str], *, input_type: str | None = None, ignore_mac: bool = False,
         decryption_order: str | Sequence[str] | None = None, env: TMapping[str, str] | None = None,
         config: ConfigArg = None, settings: Settings | None = None) -> Any:
    """Decrypted data of a file as plain Python objects (dicts, lists, scalars).

    Multi-document YAML returns the first document, like ``--extract``.
    """
    f = open_file(path, input_type=input_type, ignore_mac=ignore_mac, decryption_order=decryption_order, env=env,
                  config=config, settings=settings)
    return to_python(f.docs[0]) if f.docs else {}


# --- an open file ---------------------------------------------------------------------------------

class DecryptedFile:
    """A decrypted file that can be changed and written back with the same data key.

    A thin handle on :class:`~sealfile.core.sopsfile.SopsFile` with the
    settings it was opened with: ``docs`` (the decrypted documents, changed in
    place), ``metadata``, :meth:`reencrypt`, :meth:`save`, and the key group
    changes :meth:`rewrap` and :meth:`new_data_key`.
    """

    def __init__(self, sops_file: SopsFile, settings: Settings, path: str | None = None) -> None:
        self.file = sops_file
        self.settings = settings
        self.path = path

    @property
    def docs(self) -> list[Mapping]:
        return self.file.docs

    @docs.setter
    def docs(self, value: list[Mapping]) -> None:
        self.file.docs = value

    @property
    def metadata(self) -> Any:
        return self.file.metadata

    @property
    def store(self) -> Any:
        return self.file.store

    @property
    def format(self) -> str:
        return str(self.file.store.name)

    @property
    def data_key(self) -> Any:
        return self.file.data_key

    @property
    def payload_bytes(self) -> bytes | None:
        """A binary file's decrypted content while :attr:`docs` has not been used, else None."""
        return self.file.payload_bytes

    def reencrypt(self, store: Any = None) -> bytes:
        """Encrypt the (possibly changed) documents again with the same data key; return the file's bytes.

        ``store`` (default: the file's own) chooses the output format.
        """
        self.file.encrypt(store)
        return self.file.dump(store)

    def save(self, data: bytes) -> None:
        """Atomically replace the file this was opened from."""
        if self.path is None:
            raise InvalidArgument("this tree was not opened from a file: there is nothing to save it to")
        atomic_write(self.path, data)

    def master_keys(self) -> list[list[MasterKey]]:
        return self.file.master_keys()

    def rewrap(self, groups: Sequence[Sequence[MasterKey]], threshold: int | None = None) -> None:
        """Wrap the current data key (re-split for Shamir) for ``groups``; replaces every ``enc``."""
        t = self.file.metadata.shamir_threshold if threshold is None else threshold
        self.file.rewrap(groups, t, self.settings.keys)

    def new_data_key(self) -> None:
        """Switch to a fresh data key, keeping the IVs as sops's rotate does."""
        self.file.new_data_key()


def decrypt_tree(data: bytes, *, input_type: str, ignore_mac: bool = False,
                 decryption_order: str | Sequence[str] | None = None, env: TMapping[str, str] | None = None,
                 config: ConfigArg = None, settings: Settings | None = None) -> DecryptedFile:
    """Parse and decrypt bytes; the result can be re-encrypted with the same key."""
    from ..operations import decrypt as _decrypt
    s = _settings(settings, env, config, decryption_order, None)
    return DecryptedFile(_decrypt.open_decrypted(data, s, input_type=input_type, ignore_mac=ignore_mac), s)


def open_file(path: str | os.PathLike[str], *, input_type: str | None = None,
              filename_override: str | None = None, ignore_mac: bool = False,
              decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
              env: TMapping[str, str] | None = None, config: ConfigArg = None,
              settings: Settings | None = None) -> DecryptedFile:
    """Decrypt a file for a change in place (as edit, set, rotate do); :meth:`DecryptedFile.save` writes it."""
    from ..operations import decrypt as _decrypt
    s = _settings(settings, env, config, decryption_order, indent)
    p = os.fspath(path)
    fmt, _ = resolve_types(p, input_type, None, filename_override)
    try:
        sf = _decrypt.open_decrypted(read_input(p), s, input_type=fmt, ignore_mac=ignore_mac, path=p)
    except SealfileError as exc:
        raise exc.with_path(p)
    return DecryptedFile(sf, s, p)


def file_status(path: str | os.PathLike[str], *, input_type: str | None = None,
                filename_override: str | None = None, env: TMapping[str, str] | None = None,
                config: ConfigArg = None, settings: Settings | None = None) -> dict[str, bool]:
    """``{"encrypted": bool}`` as sops's filestatus: metadata with a version and a MAC."""
    from ..operations import filestatus as _filestatus
    s = _settings(settings, env, config, None, None)
    return _filestatus.file_status(path, s, input_type=input_type, filename_override=filename_override)


# --- changing files -------------------------------------------------------------------------------

def set_value(path: str | os.PathLike[str], tree_path: str | Sequence[PathComponent], value_json: str | bytes, *,
              idempotent: bool = False, input_type: str | None = None, output_type: str | None = None,
              filename_override: str | None = None, ignore_mac: bool = False,
              decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
              env: TMapping[str, str] | None = None, config: ConfigArg = None,
              settings: Settings | None = None) -> bool:
    """Set the JSON value at ``tree_path`` in place; False when ``idempotent`` found it unchanged."""
    from ..operations import set as _set
    s = _settings(settings, env, config, decryption_order, indent)
    return _set.set_value(path, tree_path, value_json, s, idempotent=idempotent, input_type=input_type,
                          output_type=output_type, filename_override=filename_override, ignore_mac=ignore_mac)


def unset_value(path: str | os.PathLike[str], tree_path: str | Sequence[PathComponent], *,
                idempotent: bool = False, input_type: str | None = None, output_type: str | None = None,
                filename_override: str | None = None, ignore_mac: bool = False,
                decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
                env: TMapping[str, str] | None = None, config: ConfigArg = None,
                settings: Settings | None = None) -> bool:
    """Remove the key or list element at ``tree_path`` in place; False when ``idempotent`` found nothing."""
    from ..operations import set as _set
    s = _settings(settings, env, config, decryption_order, indent)
    return _set.unset_value(path, tree_path, s, idempotent=idempotent, input_type=input_type,
                            output_type=output_type, filename_override=filename_override, ignore_mac=ignore_mac)


def rotate_file(path: str | os.PathLike[str], *, add: Sequence[KeyLike] = (), remove: Sequence[KeyLike] = (),
                in_place: bool = False, output: str | None = None, input_type: str | None = None,
                output_type: str | None = None, filename_override: str | None = None, ignore_mac: bool = False,
                decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
                env: TMapping[str, str] | None = None, config: ConfigArg = None,
                settings: Settings | None = None) -> bytes:
    """New data key, every value re-encrypted; ``add`` keys join the first group, ``remove`` keys leave all."""
    from ..operations import rotate as _rotate
    s = _settings(settings, env, config, decryption_order, indent)
    return _rotate.rotate_file(path, s, add=add, remove=remove, in_place=in_place, output=output,
                               input_type=input_type, output_type=output_type,
                               filename_override=filename_override, ignore_mac=ignore_mac)


def plan_key_update(path: str | os.PathLike[str], *, shamir_threshold: int | None = None,
                    input_type: str | None = None, decryption_order: str | Sequence[str] | None = None,
                    env: TMapping[str, str] | None = None, config: ConfigArg = None,
                    settings: Settings | None = None) -> KeyUpdatePlan:
    """What updatekeys would change in one file (nothing is decrypted or written)."""
    from ..operations import updatekeys as _updatekeys
    s = _settings(settings, env, config, decryption_order, None)
    return _updatekeys.plan_key_update(path, s, shamir_threshold=shamir_threshold, input_type=input_type)


def apply_key_update(plan: KeyUpdatePlan) -> bytes:
    """Carry out a plan from :func:`plan_key_update`: re-wrap the data key, write the file."""
    from ..operations import updatekeys as _updatekeys
    return _updatekeys.apply_key_update(plan)


def add_group(path: str | os.PathLike[str], keys: Sequence[KeyLike], threshold: int | None = None, *,
              in_place: bool = False, input_type: str | None = None,
              decryption_order: str | Sequence[str] | None = None, env: TMapping[str, str] | None = None,
              config: ConfigArg = None, settings: Settings | None = None) -> bytes:
    """Append a key group (Shamir shares re-split for every group); return the file."""
    from ..operations import groups as _groups
    s = _settings(settings, env, config, decryption_order, None)
    return _groups.add_group(path, keys, s, threshold, in_place=in_place, input_type=input_type)


def remove_group(path: str | os.PathLike[str], index: int, threshold: int | None = None, *,
                 in_place: bool = False, input_type: str | None = None,
                 decryption_order: str | Sequence[str] | None = None, env: TMapping[str, str] | None = None,
                 config: ConfigArg = None, settings: Settings | None = None) -> bytes:
    """Delete key group ``index`` (0-based); return the file."""
    from ..operations import groups as _groups
    s = _settings(settings, env, config, decryption_order, None)
    return _groups.remove_group(path, index, s, threshold, in_place=in_place, input_type=input_type)


def start_edit(path: str | os.PathLike[str], *, show_master_keys: bool = False, ignore_mac: bool = False,
               input_type: str | None = None, output_type: str | None = None,
               filename_override: str | None = None, recipients: Recipients = Recipients(),
               options: EncryptOptions = EncryptOptions(), decryption_order: str | Sequence[str] | None = None,
               indent: int | None = None, env: TMapping[str, str] | None = None, config: ConfigArg = None,
               settings: Settings | None = None) -> EditSession:
    """Decrypt a file for editing (or prepare a new one); see :class:`EditSession`."""
    from ..operations import edit as _edit
    s = _settings(settings, env, config, decryption_order, indent)
    return _edit.start_edit(path, s, show_master_keys=show_master_keys, ignore_mac=ignore_mac,
                            input_type=input_type, output_type=output_type, filename_override=filename_override,
                            recipients=recipients, options=options)


# --- exec, keygen ---------------------------------------------------------------------------------

def exported_environment(path: str | os.PathLike[str], *, pristine: bool = False, input_type: str | None = None,
                         ignore_mac: bool = False, decryption_order: str | Sequence[str] | None = None,
                         env: TMapping[str, str] | None = None, config: ConfigArg = None,
                         settings: Settings | None = None) -> dict[str, str]:
    """The environment ``exec-env`` gives its command: ``env`` (unless pristine) plus the file's values."""
    from ..operations import exec as _exec
    s = _settings(settings, env, config, decryption_order, None)
    return _exec.exported_environment(path, s, pristine=pristine, input_type=input_type, ignore_mac=ignore_mac)


def decrypted_content(path: str | os.PathLike[str], *, input_type: str | None = None,
                      output_type: str | None = None, ignore_mac: bool = False,
                      decryption_order: str | Sequence[str] | None = None, indent: int | None = None,
                      env: TMapping[str, str] | None = None, config: ConfigArg = None,
                      settings: Settings | None = None) -> bytes:
    """The decrypted file ``exec-file`` serves its command."""
    from ..operations import exec as _exec
    s = _settings(settings, env, config, decryption_order, indent)
    return _exec.decrypted_content(path, s, input_type=input_type, output_type=output_type, ignore_mac=ignore_mac)


def write_stdout(data: bytes) -> None:
    """Write all of ``data`` to standard output (checking short writes) and flush it."""
    _write_stdout(data)


def write_identity(path: str, *, force: bool = False) -> str:
    """Write a new age identity to ``path`` (0600; an existing file only with ``force``); return its recipient."""
    from ..operations import keygen as _keygen
    return _keygen.write_identity(path, force=force)


from .repository import (access, check, check_rules, encrypt_reusing, explain, git_tools,  # noqa: E402
                         repository_files, validate_config, verify)
