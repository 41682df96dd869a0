"""encrypt: a plaintext file in, a SOPS file out.

Keys come from the caller (:class:`Recipients`) or else from the creation
rule matching the file name; the selector and ``mac_only_encrypted`` from
the caller's options merged over the rule's, as sops merges them.
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from ..config import CreationRule, merge_selector, split_list
from ..core.selectors import Selector
from ..core.sopsfile import SopsFile
from ..errors import AlreadyEncrypted, ConfigError, EmptyDocument, SealfileError, UnknownKeyType
from ..keys import MasterKey, key_types, ordered, parse_key, provider
from ..keys import names as key_names
from ..settings import Settings
from .files import load_plain, named, read_input, resolve_types, write_result
from .recipients import EncryptOptions, Recipients

__all__ = ["Recipients", "EncryptOptions", "encrypt", "encrypt_path", "resolve_keys", "rule_keys", "check_key_options"]


def check_key_options(key_options: Mapping[str, Any] | None) -> None:
    """Validate options for keys given as text up front, as sops does (a bad context is exit 6)."""
    if not key_options:
        return
    for kt in key_types():
        if kt.implementation and any(o.param in key_options for o in kt.flag_options):
            provider(kt.name).check_options(key_options)


def resolve_keys(specs: Sequence[tuple[str, Any]], key_options: Mapping[str, Any] | None = None) -> list[MasterKey]:
    """(key type, spec) pairs from flags or a rule as key objects; ``key_options`` as :class:`Recipients`."""
    check_key_options(key_options)
    return [parse_key(type_name, spec, key_options) for type_name, spec in specs]


def rule_keys(rule: CreationRule, key_options: Mapping[str, Any] | None = None) -> list[list[MasterKey]]:
    """The key groups a creation rule gives.

    Options a key type takes from rules (``aws_profile``) come from the rule
    alone, as in sops; the others (``encryption_context``) from the caller.
    """
    from_rules = {name for kt in key_types() for name in kt.rule_options}
    options = {k: v for k, v in (key_options or {}).items() if k not in from_rules}
    options.update({k: v for k, v in rule.options.items() if k in from_rules and isinstance(v, str)})
    return [resolve_keys(g, options) for g in rule.key_groups]


def _flag_specs(keys: Mapping[str, str | Sequence[str]]) -> list[tuple[str, Any]]:
    unknown = set(keys) - set(key_names())
    if unknown:
        raise UnknownKeyType(f"unknown key type(s): {', '.join(sorted(unknown))}")
    specs: list[tuple[str, Any]] = []
    for kt in ordered("flags", keys):  # the order sops puts flag keys into their group
        value = keys.get(kt.name)
        if value:
            items = split_list(value) if isinstance(value, str) else list(value)
            specs.extend((kt.name, item) for item in items)
    return specs


def _groups(recipients: Recipients, rule: CreationRule | None) -> list[list[MasterKey]]:
    if recipients.key_groups is not None:
        groups = [list(g) for g in recipients.key_groups]
    elif recipients.given:
        groups = [resolve_keys(_flag_specs(recipients.keys), recipients.key_options)]
    elif rule is not None and rule.key_groups:
        groups = rule_keys(rule, recipients.key_options)
    else:
        raise ConfigError("config file not found, or has no creation rules, and no keys provided "
                          "through command line options")
    if not any(groups):
        raise ConfigError("no keys to encrypt the data key for")
    return groups


def encrypt(data: bytes, settings: Settings, *, input_type: str, output_type: str | None = None,
            filename: str | None = None, recipients: Recipients = Recipients(),
            options: EncryptOptions = EncryptOptions()) -> bytes:
    """Encrypt plaintext ``data`` (in ``input_type`` format) and return the encrypted file.

    ``filename`` chooses the creation rule.  Nothing is written anywhere.
    """
    cfg = settings.config
    rule = cfg.rule_for(filename or "") if cfg.rules is not None else None
    in_store = settings.store(input_type)
    out_store = in_store if (output_type or input_type) == input_type else settings.store(output_type or input_type)
    opaque = in_store.opaque
    # a binary file is one opaque value: as bytes it can go straight into an envelope
    whole = opaque and len(data) > 0 and out_store.json_envelope
    threshold = recipients.shamir_threshold or (rule.shamir_threshold if rule else 0)
    mac_only = False if opaque else bool(options.mac_only_encrypted or (rule.mac_only_encrypted if rule else False))

    def selector() -> Selector:  # merging can fail: asked for only once the file has been read
        return merge_selector(options.selectors, rule) or Selector()

    regions = in_store.regions(data, False) if out_store is in_store and not opaque else None
    if regions is not None:
        from .regions import encrypt_in_regions

        out = encrypt_in_regions(regions, in_store, selector=selector, mac_only_encrypted=mac_only,
                                 layout=options.layout, groups=lambda: _groups(recipients, rule),
                                 threshold=threshold, keys=settings.keys)
        if out is not None:
            return out
    docs = [] if whole else load_plain(in_store, data, layout=out_store is in_store)
    if not whole and in_store.has_metadata(docs):
        raise AlreadyEncrypted(
            "The file you have provided contains a top-level entry called 'sops', or for dotenv "
            "files a key starting with 'sops_'. This is reserved for sops metadata: the file may "
            "already be encrypted; use 'sealfile edit' to change it")
    if not whole and not docs:
        raise EmptyDocument("cannot encrypt an empty file: at least one document is needed")
    groups = _groups(recipients, rule)
    sf = SopsFile.create(in_store, docs, selector=None if opaque else selector(), mac_only_encrypted=mac_only,
                         layout=options.layout, whole_payload=data if whole else None)
    sf.encrypt(out_store)  # refuses what the output format cannot hold before any key service is asked
    sf.rewrap(groups, threshold, settings.keys)
    return sf.dump(out_store)


def encrypt_path(path: str | os.PathLike[str], settings: Settings, *, in_place: bool = False,
                 output: str | None = None, input_type: str | None = None, output_type: str | None = None,
                 filename_override: str | None = None, recipients: Recipients = Recipients(),
                 options: EncryptOptions = EncryptOptions()) -> bytes:
    """Encrypt a file (``-``: standard input); write it in place or to ``output`` when asked; return it."""
    p = os.fspath(path)
    fmt_in, fmt_out = resolve_types(p, input_type, output_type, filename_override)
    try:
        out = encrypt(read_input(p), settings, input_type=fmt_in, output_type=fmt_out,
                      filename=filename_override or p, recipients=recipients, options=options)
    except SealfileError as exc:
        raise exc.with_path(named(p))
    write_result(out, p, in_place=in_place, output=output)
    return out
