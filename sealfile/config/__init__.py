"""``.sealfile.yaml`` / ``.sops.yaml``: finding it, and choosing a creation rule.

Found the way sops finds its config: an explicit path, else the first config
file in the current directory or one of its parents (not the target file's
directory).  At each level ``.sealfile.yaml`` wins over ``.sops.yaml`` so a
repository can move over without deleting the file other tools read.
"""
from __future__ import annotations

import os
import re
from typing import Any, Mapping as TMapping, Sequence

from ..core.selectors import KINDS, Selector, compile_re2, pick
from ..errors import ConfigError, ConflictingParameters, SealfileError
from ..keys import ordered
from ..records import default_factory, record

CONFIG_NAMES = (".sealfile.yaml", ".sops.yaml")
MAX_LEVELS = 100

KeySpec = tuple[str, Any]  # (metadata key type, spec as written in the config or on the CLI)


@record(frozen=True)
class CreationRule:
    """One ``creation_rules`` entry: which files (``path_regex``), which keys, which values.

    ``rotation_max_age`` (seconds) is sealfile's own ``rotation: {max_age: 90d}``
    (sops ignores the field); ``index`` is the rule's position in the file.
    """

    path_regex: str | None = None
    key_groups: tuple[tuple[KeySpec, ...], ...] = ()
    shamir_threshold: int = 0
    selector_options: TMapping[str, str] = default_factory(dict)
    mac_only_encrypted: bool = False
    options: TMapping[str, Any] = default_factory(dict)  # e.g. aws_profile, for key sources
    rotation_max_age: int | None = None
    index: int = 0

    def matches(self, name: str) -> bool:
        if not self.path_regex:
            return True
        return compile_re2(self.path_regex, "path_regex").search(name) is not None


@record
class Config:
    """A loaded config: its rules (None when it has no ``creation_rules``), store settings, and
    sealfile's own fields: the global rotation policy and ``check``'s allowlist."""

    path: str | None = None
    rules: list[CreationRule] | None = None  # None: the file has no creation_rules key
    stores: dict[str, dict[str, Any]] = default_factory(dict)
    rotation_max_age: int | None = None
    allow: list[dict[str, str]] = default_factory(list)
    #: (field path, field, probably meant) of fields nobody reads: encrypt and edit warn about them
    unknown: list[tuple] = default_factory(list)

    def store_options(self, fmt: str) -> dict[str, Any]:
        """The ``stores:`` settings of format ``fmt`` that its store takes (an int ``indent``)."""
        from ..stores import store_class

        cls = store_class(fmt)
        opts = self.stores.get(cls.config_section) or {}
        return {k: v for k, v in opts.items() if k in cls.options and isinstance(v, int)}

    def rule_name(self, file_path: str) -> str:
        """The name rules are matched against: the path relative to the config's directory (as sops)."""
        name = os.path.abspath(file_path)
        if self.path:
            base = os.path.dirname(os.path.abspath(self.path))
            prefix = base.rstrip(os.sep) + os.sep
            if name.startswith(prefix):
                name = name[len(prefix):]
        return name

    def matching_rule(self, file_path: str) -> CreationRule | None:
        """The first rule matching ``file_path``, or None (no rules, or none matching): never an error."""
        name = self.rule_name(file_path)
        return next((rule for rule in self.rules or () if rule.matches(name)), None)

    def rule_for(self, file_path: str) -> CreationRule | None:
        """First matching rule; None when the config has no rules at all.

        A config that has rules but none matching is an error even when keys
        come from the command line, as with sops.
        """
        if self.rules is None:
            return None
        name = self.rule_name(file_path)
        for rule in self.rules:
            if rule.matches(name):
                return rule
        raise ConfigError("error loading config: no matching creation rules found", path=self.path)


def find_config(start: str | None = None, env: TMapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    explicit = env.get("SEALFILE_CONFIG") or env.get("SOPS_CONFIG")
    if explicit:
        return explicit
    directory = os.path.abspath(start or os.getcwd())
    for _ in range(MAX_LEVELS):
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return None


def load_config(path: str | None) -> Config:
    if path is None:
        return Config()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", path=path) from None
    return parse_config(data, path)


def parse_config(data: bytes, path: str | None = None) -> Config:
    from ..stores import CONFIG_FORMAT, store_for
    from ..core.tree import to_python

    try:
        docs = store_for(CONFIG_FORMAT).load_plain(data)
    except SealfileError as exc:
        raise ConfigError(f"error loading config: {exc.message}", path=path) from None
    raw = to_python(docs[0]) if docs else {}
    if not isinstance(raw, dict):
        raise ConfigError("error loading config: the file is not a mapping", path=path)
    cfg = Config(path=path)
    from .validate import unknown_fields

    cfg.unknown = unknown_fields(raw)
    cfg.rotation_max_age = _rotation(raw.get("rotation"), "the top level", path)
    cfg.allow = _allowlist((raw.get("check") or {}).get("allow") if isinstance(raw.get("check"), dict) else None,
                           path)
    stores = raw.get("stores") or {}
    if isinstance(stores, dict):
        cfg.stores = {k: v for k, v in stores.items() if isinstance(v, dict)}
    if "creation_rules" in raw:
        rules = raw.get("creation_rules") or []
        if not isinstance(rules, list):
            raise ConfigError("error loading config: creation_rules is not a list", path=path)
        cfg.rules = [_parse_rule(r, i, path) for i, r in enumerate(rules)]
    return cfg


def _parse_rule(raw: Any, index: int, path: str | None) -> CreationRule:
    where = f"creation rule {index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"error loading config: {where} is not a mapping", path=path)
    try:
        selector = pick({k: raw.get(k) for k in KINDS}, where=where)
    except ConfigError as exc:
        raise ConfigError(f"error loading config: {exc.message}", path=path) from None
    regex = raw.get("path_regex")
    if regex not in (None, ""):
        try:
            compile_re2(str(regex), "path_regex")
        except ConfigError as exc:
            raise ConfigError(exc.message, path=path) from None
    threshold = raw.get("shamir_threshold") or 0
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise ConfigError(f"error loading config: shamir_threshold of {where} is not a number", path=path)
    groups_raw = raw.get("key_groups")
    if groups_raw:
        if not isinstance(groups_raw, list):
            raise ConfigError(f"error loading config: key_groups of {where} is not a list", path=path)
        groups = tuple(_dedupe(_group_specs(g, where, path)) for g in groups_raw)
    else:
        flat: list[KeySpec] = []
        for kt in ordered("flags"):
            if kt.rule_field:
                flat.extend((kt.name, item) for item in split_list(raw.get(kt.rule_field)))
        groups = (tuple(_dedupe(flat)),) if flat else ()
    return CreationRule(
        path_regex=str(regex) if regex not in (None, "") else None,
        key_groups=groups,
        shamir_threshold=threshold,
        selector_options={selector.kind: selector.value} if selector else {},
        mac_only_encrypted=bool(raw.get("mac_only_encrypted")),
        options={k: raw[k] for kt in ordered("flags") for k in kt.rule_options if k in raw},
        rotation_max_age=_rotation(raw.get("rotation"), where, path),
        index=index,
    )


def _group_specs(raw: Any, where: str, path: str | None) -> list[KeySpec]:
    """The keys of a key group and of the groups it merges, depth first (an explicit stack:
    a config file from a hostile repository may nest ``merge`` arbitrarily deep)."""
    specs: list[KeySpec] = []
    pending = [raw]
    while pending:
        group = pending.pop()
        if not isinstance(group, dict):
            raise ConfigError(f"error loading config: a key group of {where} is not a mapping", path=path)
        for kt in ordered("flags"):
            if not kt.group_field:
                continue
            fld, type_name = kt.group_field, kt.name
            items = group.get(fld) or []
            if isinstance(items, str):
                items = split_list(items)
            if not isinstance(items, list):
                raise ConfigError(f"error loading config: {fld} in a key group of {where} is not a list",
                                  path=path)
            specs.extend((type_name, item.strip() if isinstance(item, str) else item) for item in items)
        pending.extend(reversed(group.get("merge") or []))
    return specs


def _dedupe(specs: Sequence[KeySpec]) -> tuple[KeySpec, ...]:
    seen: set[str] = set()
    out = []
    for type_name, spec in specs:
        marker = f"{type_name}\0{spec!r}"
        if marker not in seen:
            seen.add(marker)
            out.append((type_name, spec))
    return tuple(out)


def split_list(value: Any) -> list[str]:
    """A comma-separated string or a YAML list of strings, trimmed, empty items dropped."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def merge_selector(cli: TMapping[str, str | None], rule: CreationRule | None) -> Selector | None:
    """CLI values override the rule's field by field; two selectors in force is exit 8."""
    merged = dict(rule.selector_options) if rule else {}
    for kind in KINDS:
        if cli.get(kind):
            merged[kind] = cli[kind]  # type: ignore[assignment]
    try:
        return pick(merged, where="selectors")
    except ConfigError as exc:
        raise ConflictingParameters(f"Error: {exc.message.split(': ', 1)[-1]}") from None


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: Any) -> int | None:
    """``90d``, ``12w``, ``48h``, ``1y`` (or a number of days) as seconds; None when it is not one."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text * 86400 if text > 0 else None
    m = re.fullmatch(r"\s*(\d+)\s*([smhdwy])\s*", str(text))
    return int(m.group(1)) * _UNITS[m.group(2)] if m and int(m.group(1)) > 0 else None


def _rotation(raw: Any, where: str, path: str | None) -> int | None:
    """sealfile's ``rotation: {max_age: 90d}`` (sops ignores it); a malformed one is a config error."""
    if raw is None:
        return None
    max_age = raw.get("max_age") if isinstance(raw, dict) else None
    seconds = parse_duration(max_age)
    if seconds is None:
        raise ConfigError(f"error loading config: rotation of {where} needs max_age like 90d, 12w or 1y", path=path)
    return seconds


def _allowlist(raw: Any, path: str | None) -> list[dict[str, str]]:
    """``check: {allow: [{path: REGEX, rule: NAME, key: REGEX}, ...]}``: findings ``check`` does not report."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError("error loading config: check.allow must be a list of mappings (path, rule, key)",
                          path=path)
    out = []
    for item in raw:
        entry = {k: str(item[k]) for k in ("path", "rule", "key") if item.get(k) not in (None, "")}
        for field_name in ("path", "key"):
            if field_name in entry:
                compile_re2(entry[field_name], f"check.allow {field_name}")
        out.append(entry)
    return out
