"""config validate: typos and traps in ``.sealfile.yaml`` / ``.sops.yaml``, each with its line.

sops reads its config leniently: a misspelt field (``path_regx``,
``encrypted_regexp``, ``creation_rule``) is silently ignored, which can turn
a rule into a catch-all or leave values unencrypted.  This names unknown
fields (with the field probably meant), regexes that do not compile (or are
not RE2), recipients no key type accepts, and rules that can never match
because a catch-all rule comes before them.
"""
from __future__ import annotations

import difflib
from typing import Any

from ..core.selectors import KINDS, compile_re2
from ..errors import ConfigError, SealfileError
from ..keys import key_types, parse_key
from ..records import record
from ..stores import config_sections

__all__ = ["Problem", "validate_text", "unknown_fields", "TOP_FIELDS"]

#: top-level fields sops or sealfile read (sops: creation_rules, destination_rules, stores)
TOP_FIELDS = ("creation_rules", "destination_rules", "stores", "rotation", "check")
_CATCH_ALL = ("", ".*", "^.*$", "^.*", ".*$", ".+", "^")


@record(frozen=True)
class Problem:
    """One mistake in a config file: where (line, field path) and what."""

    file: str
    line: int | None
    where: str
    message: str
    severity: str = "error"


def _rule_fields() -> tuple[str, ...]:
    kinds = key_types()
    return ("path_regex", "key_groups", "shamir_threshold", "mac_only_encrypted", "rotation", *KINDS,
            *(kt.rule_field for kt in kinds if kt.rule_field), *(o for kt in kinds for o in kt.rule_options))


def _group_fields() -> tuple[str, ...]:
    return ("merge", *(kt.group_field for kt in key_types() if kt.group_field))


def unknown_fields(raw: Any) -> list[tuple[tuple, str, str | None]]:
    """(field path, field, likely meant) of every field nobody reads, at the top, in rules and key groups."""
    found: list[tuple[tuple, str, str | None]] = []

    def note(path: tuple, mapping: Any, known: tuple[str, ...]) -> None:
        if not isinstance(mapping, dict):
            return
        for name in mapping:
            if str(name) not in known:
                close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
                found.append(((*path, name), str(name), close[0] if close else None))

    note((), raw, TOP_FIELDS)
    if not isinstance(raw, dict):
        return found
    rules = raw.get("creation_rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        note(("creation_rules", i), rule, _rule_fields())
        groups = rule.get("key_groups") if isinstance(rule, dict) else None
        for j, group in enumerate(groups if isinstance(groups, list) else []):
            note(("creation_rules", i, "key_groups", j), group, _group_fields())
    stores = raw.get("stores")
    note(("stores",), stores, config_sections())
    return found


def validate_text(data: bytes, file: str) -> list[Problem]:
    """Every problem of the config ``data`` (read from ``file``); an empty list when it is sound."""
    from ..core.tree import to_python
    from ..stores import CONFIG_FORMAT, store_for

    store = store_for(CONFIG_FORMAT)
    try:
        docs = store.load_plain(data)
    except SealfileError as exc:
        return [Problem(file, None, "", f"the file does not parse: {exc.message}")]
    raw = to_python(docs[0]) if docs else {}
    lines = store.key_lines(data)
    problems = []

    def at(path: tuple) -> int | None:
        while path and path not in lines:
            path = path[:-1]
        return lines.get(path)

    def where(path: tuple) -> str:
        return ".".join(str(p) for p in path)

    for path, name, meant in unknown_fields(raw):
        hint = f"; did you mean {meant!r}?" if meant else ""
        problems.append(Problem(file, at(path), where(path), f"unknown field {name!r} (sops ignores it){hint}"))
    rules = raw.get("creation_rules") if isinstance(raw, dict) else None
    rules = rules if isinstance(rules, list) else []
    for i, rule in enumerate(rules):
        problems.extend(_rule_problems(file, i, rule, at, where))
    for catch_all, hidden in shadowing(rules)[:1]:  # a later catch-all is one of the rules the first hides
        path = ("creation_rules", catch_all)
        last = len(rules) - 1
        which = f"rule {hidden} can" if hidden == last else f"rules {hidden} to {last} can"
        problems.append(Problem(file, at(path), where(path), f"rule {catch_all} matches every path, so {which} "
                                "never apply (move the catch-all last)"))
    return problems


def _rule_problems(file: str, i: int, rule: Any, at: Any, where: Any) -> list[Problem]:
    base = ("creation_rules", i)
    if not isinstance(rule, dict):
        return [Problem(file, at(base), where(base), "a creation rule must be a mapping")]
    problems = []
    for field in ("path_regex", *(k for k in KINDS if k.endswith("_regex"))):
        pattern = rule.get(field)
        if pattern in (None, ""):
            continue
        try:
            compile_re2(str(pattern), field)
        except ConfigError as exc:
            problems.append(Problem(file, at((*base, field)), where((*base, field)), exc.message))
    specs = [((*base, kt.rule_field), kt.name, item) for kt in key_types() if kt.rule_field
             for item in _items(rule.get(kt.rule_field))]
    groups = rule.get("key_groups")
    for j, group in enumerate(groups if isinstance(groups, list) else []):
        for kt in key_types():
            if kt.group_field and isinstance(group, dict):
                specs.extend(((*base, "key_groups", j, kt.group_field), kt.name, item)
                             for item in _items(group.get(kt.group_field)))
    for path, type_name, spec in specs:
        try:
            parse_key(type_name, spec)
        except SealfileError as exc:
            problems.append(Problem(file, at(path), where(path), f"recipient not accepted: {exc.message}"))
    return problems


def _items(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value) if isinstance(value, list) else [value]


def shadowing(rules: list[Any]) -> list[tuple[int, int]]:
    """(catch-all rule, first rule it hides) pairs: a rule matching every path makes later rules dead."""
    out = []
    for i, rule in enumerate(rules[:-1]):
        pattern = rule.get("path_regex") if isinstance(rule, dict) else None
        if pattern is None or str(pattern) in _CATCH_ALL:
            out.append((i, i + 1))
    return out
