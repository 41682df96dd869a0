"""The ``sops`` metadata block: what it holds, how it is read and written.

Stores hand over the block as a generic :class:`~sealfile.tree.Mapping`; this
module gives it meaning.  Writing keeps the layout a file already has (sops
3.11 struct order or 3.13 alphabetical order) so rewrites diff minimally.
"""
from __future__ import annotations

from ..records import default_factory, record
from typing import Any, Callable, Iterable

from ..errors import MetadataError
from . import versions
from .gofmt import go_yaml_sorted
from .mac import TIMESTAMP
from ..keys import KeyEntry, entry_from_metadata, key_types, ordered
from ..keys import names as key_names
from .selectors import KINDS, Selector
from .tree import Branch, Comment, Mapping, rebuild

#: the sops release whose output layout sealfile writes by default
SOPS_VERSION = "3.11.0"
LAYOUT_311 = "3.11"
LAYOUT_313 = "3.13"
#: the ``version`` field written with each layout
VERSION_FOR_LAYOUT = {LAYOUT_311: SOPS_VERSION, LAYOUT_313: "3.13.2"}

#: sops 3.11's struct order of the top-level fields; key types take their place by ``KeyOrder.top_311``
_TOP_311_FIXED = {"shamir_threshold": 0, "key_groups": 1, "lastmodified": 20, "mac": 21,
                  **{kind: 30 + i for i, kind in enumerate(KINDS)}, "mac_only_encrypted": 40, "version": 41}


def _top_311(fields: Iterable[str]) -> list[str]:
    """``fields`` in sops 3.11's top-level order (only the key types among them are looked up)."""
    present = set(fields)
    types = {t.name: t.order.top_311 for t in key_types(present & set(key_names()))}
    ranks = {**_TOP_311_FIXED, **types}
    return sorted((f for f in present if f in ranks), key=ranks.__getitem__)


@record
class Metadata:
    key_groups: list[list[KeyEntry]] = default_factory(list)
    shamir_threshold: int = 0
    lastmodified: str = ""
    mac: str = ""
    selector: Selector | None = default_factory(Selector)
    mac_only_encrypted: bool = False
    version: str = SOPS_VERSION
    layout: str = LAYOUT_311

    # -- reading ---------------------------------------------------------
    @classmethod
    def from_tree(cls, tree: Mapping) -> "Metadata":
        raw = _plain(tree)
        if not isinstance(raw, dict):
            raise MetadataError("sops metadata is not a mapping")
        meta = cls(layout=_detect_layout(tree))
        meta.version = _version(raw.get("version"))
        meta.lastmodified = _str(raw.get("lastmodified"), "lastmodified")
        meta.mac = _str(raw.get("mac"), "mac")
        meta.shamir_threshold = _int(raw.get("shamir_threshold"), "shamir_threshold")
        meta.mac_only_encrypted = _bool(raw.get("mac_only_encrypted"), "mac_only_encrypted")
        sels = [(k, raw[k]) for k in KINDS if raw.get(k) not in (None, "")]
        if len(sels) > 1:
            raise MetadataError("sops metadata sets more than one of " + ", ".join(k for k, _ in sels))
        meta.selector = Selector(sels[0][0], str(sels[0][1])) if sels else Selector()
        if meta.selector.is_regex:
            try:
                meta.selector.compiled()
            except Exception:
                raise MetadataError(f"invalid {meta.selector.kind} in sops metadata") from None
        flat = _group_from(raw)
        if flat:
            meta.key_groups = [flat]
        else:
            groups = raw.get("key_groups") or []
            if not isinstance(groups, list):
                raise MetadataError("key_groups in sops metadata is not a list")
            meta.key_groups = [_group_from(g if isinstance(g, dict) else {}) for g in groups]
        if not any(meta.key_groups):
            raise MetadataError("No keys found in file")
        for group in meta.key_groups:
            for entry in group:  # e.g. KMS contexts of files written before sops 3.3.0
                entry.key = entry.key.for_file_version(versions.release(meta.version))
        if meta.layout == LAYOUT_311 and _sorted_entries(tree, meta.key_groups):
            meta.layout = LAYOUT_313
        return meta

    # -- writing ---------------------------------------------------------
    def to_tree(self, *, for_json: bool = False) -> Mapping:
        """The block as a Mapping in this file's layout.

        sops 3.11 writes it through each format's Go encoder, and two encoder
        habits show: Go's JSON writes the always-present empty ``hc_vault``/
        ``age`` lists of a key group as ``null``, and orders a map's keys (a KMS
        ``context``) byte-wise, while go-yaml orders them "naturally" (``_u``
        before ``B`` before ``a2`` before ``a10``).  ``for_json`` picks JSON's.
        """
        sorted_layout = self.layout == LAYOUT_313
        fields: dict[str, Any] = {}
        if self.shamir_threshold:
            fields["shamir_threshold"] = self.shamir_threshold
        if len(self.key_groups) > 1:
            fields["key_groups"] = [self._group_tree(g, for_json) for g in self.key_groups]
        elif self.key_groups:
            for type_name, entries in _by_type(self.key_groups[0]).items():
                fields[type_name] = [self._entry_tree(e, for_json) for e in entries]
        fields["lastmodified"] = self.lastmodified
        fields["mac"] = self.mac
        if self.selector is not None:
            fields[self.selector.kind] = self.selector.value
        if self.mac_only_encrypted:
            fields["mac_only_encrypted"] = True
        fields["version"] = self.version
        order = sorted(fields) if sorted_layout else _top_311(fields)
        return _mapping((k, fields[k]) for k in order)

    def _group_tree(self, group: list[KeyEntry], for_json: bool) -> Mapping:
        by_type = _by_type(group)
        items = []
        for kt in ordered("group_311"):
            entries = by_type.get(kt.name, [])
            if entries:
                items.append((kt.name, [self._entry_tree(e, for_json) for e in entries]))
            elif kt.always_in_group_311:  # sops 3.11 writes these even when empty
                items.append((kt.name, None if for_json else []))
        if self.layout == LAYOUT_313:
            items.sort(key=lambda kv: kv[0])
        return _mapping(items)

    def _entry_tree(self, entry: KeyEntry, for_json: bool) -> Mapping:
        items = entry.key.to_metadata(entry.enc, entry.created_at)
        if self.layout == LAYOUT_313:
            return _mapping(sorted(items, key=lambda kv: kv[0]), sorted)
        return _mapping(items, sorted if for_json else go_yaml_sorted)


def _by_type(group: list[KeyEntry]) -> dict[str, list[KeyEntry]]:
    out: dict[str, list[KeyEntry]] = {}
    for entry in group:
        out.setdefault(entry.key.type_name, []).append(entry)
    return out


def _group_from(raw: dict) -> list[KeyEntry]:
    group: list[KeyEntry] = []
    for type_name in (t.name for t in ordered("collect", [n for n in key_names() if raw.get(n)])):
        entries = raw.get(type_name) or []
        if not isinstance(entries, list):
            raise MetadataError(f"{type_name} in sops metadata is not a list")
        for entry in entries:
            if not isinstance(entry, dict):
                raise MetadataError(f"malformed {type_name} entry in sops metadata")
            created = entry.get("created_at")
            if created is not None and not TIMESTAMP.match(str(created)):
                raise MetadataError(f"invalid created_at in {type_name} entry of sops metadata")
            try:
                group.append(entry_from_metadata(type_name, entry))
            except (KeyError, TypeError, ValueError):
                raise MetadataError(f"malformed {type_name} entry in sops metadata") from None
    return group


def _plain_branch(node: Any) -> Branch | None:
    if isinstance(node, Mapping):
        items = [(str(k), v) for k, v in node if not isinstance(k, Comment)]
        return [v for _, v in items], lambda values: dict(zip([k for k, _ in items], values))
    if isinstance(node, list):
        return [v for v in node if not isinstance(v, Comment)], list
    return None


def _plain_leaf(node: Any) -> Any:
    if hasattr(node, "rfc3339"):  # an unquoted YAML timestamp: sops 3.11 accepts it
        return node.rfc3339(with_nanos=True)
    return node


def _plain(node: Any) -> Any:
    """The metadata as dicts and lists; iterative, as a hostile file may nest it deeply."""
    return rebuild(node, _plain_branch, _plain_leaf)


def _mapping(items: Any, order_nested: Callable[[Any], list[Any]] | None = None) -> Mapping:
    """``items`` as a Mapping; a nested dict (a KMS context) with its keys in ``order_nested``'s order."""
    out = Mapping()
    for k, v in items:
        if isinstance(v, dict):
            keys = order_nested(v) if order_nested else list(v)
            v = _mapping((key, v[key]) for key in keys)
        out.append([k, v])
    return out


def _str(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MetadataError(f"{name} in sops metadata is not a string")
    return value


def _int(value: Any, name: str) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise MetadataError(f"{name} in sops metadata is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():  # dotenv/INI store it as text
        return int(value)
    raise MetadataError(f"{name} in sops metadata is not an integer")


def _bool(value: Any, name: str) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MetadataError(f"{name} in sops metadata is not a boolean")


def _version(value: Any) -> str:
    if value is None or value == "":
        raise MetadataError("invalid sops version in metadata: Version string empty")
    text = str(value)
    if versions.is_valid(text):
        return text
    raise MetadataError("invalid sops version in metadata: No Major.Minor.Patch elements found")


def _detect_layout(tree: Mapping) -> str:
    """3.13 writes every metadata mapping sorted; 3.11 uses Go struct order."""
    keys = [k for k, _ in tree if isinstance(k, str)]
    if keys != sorted(keys):
        return LAYOUT_311
    order_311 = _top_311(keys)
    return LAYOUT_311 if keys == order_311 else LAYOUT_313


def _sorted_entries(tree: Mapping, groups: list[list[KeyEntry]]) -> bool:
    """Whether the flat key entries have their fields sorted where sops 3.11 would not (a 3.13 file).

    Needed when the top level alone cannot tell: a file with only age keys
    has its top-level fields in an order that is both sorted and 3.11's.
    """
    if len(groups) != 1:
        return False
    by_type = _by_type(groups[0])
    for kt in key_types(by_type):
        raw_entries = tree.get(kt.name)
        if not isinstance(raw_entries, list):
            continue
        for raw, entry in zip(raw_entries, by_type.get(kt.name, [])):
            if not isinstance(raw, Mapping):
                continue
            names = [k for k, _ in raw if isinstance(k, str)]
            own = [k for k, _ in entry.key.to_metadata(entry.enc, entry.created_at)]
            if names != own and names == sorted(names) and sorted(own) == names:
                return True
    return False
