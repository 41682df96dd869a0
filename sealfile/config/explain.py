"""config explain: which config file applies to a path, which rule matched, and why the others did not.

sops picks the first rule whose ``path_regex`` matches the path relative to
the config file's directory; a wrong guess about that relative path is the
usual reason a file gets the wrong keys.  This answers it as data: the
config found, the name rules were matched against, every rule tried in
order with the reason it did or did not apply, and for the match its key
groups, threshold, selector and rotation policy.
"""
from __future__ import annotations

from typing import Any

from ..records import default_factory, record
from . import Config, CreationRule

__all__ = ["RuleTrial", "Explanation", "explain"]


@record(frozen=True)
class RuleTrial:
    """One rule as tried: its index, its ``path_regex`` and why it matched or not."""

    index: int
    path_regex: str | None
    matched: bool
    reason: str


@record
class Explanation:
    """Everything that decides how a new file at ``path`` is encrypted."""

    path: str
    config: str | None
    name: str
    trials: list[RuleTrial] = default_factory(list)
    rule: CreationRule | None = None
    key_groups: list[list[str]] = default_factory(list)
    threshold: int = 0
    selector: dict[str, str] = default_factory(dict)
    mac_only_encrypted: bool = False
    rotation_max_age: int | None = None


def explain(path: str, config: Config) -> Explanation:
    """Try ``config``'s rules on ``path`` in order, as encrypt does; nothing is read but the config."""
    name = config.rule_name(path)
    out = Explanation(path=path, config=config.path, name=name)
    for rule in config.rules or ():
        if rule.matches(name):
            why = "no path_regex: matches every path" if not rule.path_regex else f"path_regex matches {name}"
            out.trials.append(RuleTrial(rule.index, rule.path_regex, True, why))
            out.rule = rule
            break
        out.trials.append(RuleTrial(rule.index, rule.path_regex, False,
                                    f"path_regex {rule.path_regex} does not match {name}"))
    rule = out.rule
    if rule is None:
        return out
    out.key_groups = [[f"{type_name}: {_spec_text(spec)}" for type_name, spec in group] for group in rule.key_groups]
    out.threshold = rule.shamir_threshold
    out.selector = dict(rule.selector_options)
    out.mac_only_encrypted = rule.mac_only_encrypted
    out.rotation_max_age = rule.rotation_max_age or config.rotation_max_age
    return out


def _spec_text(spec: Any) -> str:
    if isinstance(spec, dict):
        return ", ".join(f"{k}={v}" for k, v in spec.items())
    return str(spec)
