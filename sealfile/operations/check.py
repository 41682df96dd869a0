"""check: the mistakes that leak secrets, found before they are pushed (pre-commit, CI).

Each file is read once, without any key (unless ``verify`` is asked), and
judged against the config's creation rules:

* ``not-encrypted``: a file a rule covers has no SOPS metadata, or a value
  the file's own selector says must be encrypted is plain (so a Kubernetes
  Secret with ``encrypted_regex: ^(data|stringData)$`` is not flagged for its
  plain ``metadata``);
* ``secret-in-plaintext``: documented token formats in plain values and in
  files no rule covers, and random-looking values under secret-like names
  (:mod:`.secretscan`);
* ``recipient-drift``: the file's recipients, key groups or threshold differ
  from what its rule gives now;
* ``rotation-due``: the data key is older than the rule's or the config's
  ``rotation: {max_age: ...}`` (see :func:`data_key_time`);
* ``gitops-*``: what Flux or KSOPS trip over in a Kubernetes manifest;
* ``verify-failed`` (with ``verify``): a value or the MAC does not check out.

Findings name the file, line, key path and rule, never a value.  A finding
is dropped when the config's ``check.allow`` matches it or its line (or the
line above) carries a ``sealfile:allow`` comment.
"""
from __future__ import annotations

import calendar
import os
import re
import subprocess
import time
from typing import Any, Iterable, Sequence

from ..config import Config, CreationRule
from ..core.metadata import Metadata
from ..core.selectors import Selector
from ..core.tree import Comment, Mapping
from ..core.walk import walk
from ..errors import MetadataNotFound, SealfileError, format_key_path, key_path_of_aad
from ..records import default_factory, record
from ..settings import Settings
from ..stores import format_for_path
from .secretscan import scan_text, scan_value

__all__ = ["Finding", "CheckReport", "check", "repository_files", "data_key_time", "RULES"]

#: every kind of finding, its severity and what it means (also the SARIF rule catalogue)
RULES: dict[str, tuple[str, str]] = {
    "not-encrypted": ("error", "A file a creation rule covers, or a value its selector says must be encrypted, "
                               "is in plaintext."),
    "secret-in-plaintext": ("error", "A credential in a plaintext value or file."),
    "secret-like-value": ("warning", "A random-looking value under a secret-like key name, in plaintext."),
    "recipient-drift": ("warning", "The file's recipients, key groups or threshold differ from its creation rule."),
    "rotation-due": ("warning", "The data key is older than the rotation policy allows."),
    "gitops-ssh-recipients": ("error", "A Kubernetes manifest only SSH age keys can decrypt: Flux cannot."),
    "gitops-encrypted-fields": ("error", "A Kubernetes manifest with apiVersion, kind or metadata encrypted."),
    "gitops-mac-only": ("warning", "A Kubernetes manifest with mac_only_encrypted, which older readers reject."),
    "verify-failed": ("error", "A value or the MAC of the file does not check out."),
    "unreadable": ("error", "A file a creation rule covers cannot be read."),
}
_ALLOW_MARK = "sealfile:allow"
_MAX_SCAN = 5 << 20
_K8S_FIELDS = ("apiVersion", "kind", "metadata")


@record(frozen=True)
class Finding:
    """One problem: where (file, line, key path), which rule, what to do; never a value."""

    file: str
    rule: str
    message: str
    line: int | None = None
    key_path: tuple | None = None
    fix: str | None = None

    @property
    def severity(self) -> str:
        return RULES[self.rule][0]

    def location(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {format_key_path(self.key_path)}" if self.key_path else where


@record
class CheckReport:
    """What ``check`` looked at and found."""

    findings: list[Finding] = default_factory(list)
    files: int = 0
    config: str | None = None

    @property
    def clean(self) -> bool:
        return not self.findings


def repository_files(root: str) -> list[str]:
    """Every file git tracks under ``root`` (relative paths), else every file of the tree (skipping .git)."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, check=True, timeout=60).stdout
        return sorted({name for name in out.decode("utf-8", "surrogateescape").split("\0") if name})
    except (OSError, subprocess.SubprocessError):
        found = []
        for base, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d != ".git"]
            found.extend(os.path.relpath(os.path.join(base, n), root) for n in names)
        return sorted(found)


def data_key_time(meta: Metadata) -> tuple[float | None, str]:
    """When the data key was last wrapped, as a Unix time, and which field says so.

    sops and sealfile stamp every key entry's ``created_at`` when they wrap the
    data key (encrypt, rotate, updatekeys, groups), so the newest stamp is the
    data key's age at most.  age entries carry no stamp: files with only age
    keys fall back to ``lastmodified``, which an edit also moves (so such a
    file can look younger than its key, never older).
    """
    stamps = [e.created_at for group in meta.key_groups for e in group if e.created_at]
    parsed = [t for t in (_unix(s) for s in stamps) if t is not None]
    if parsed:
        return max(parsed), "created_at"
    t = _unix(meta.lastmodified)
    return (t, "lastmodified") if t is not None else (None, "")


def _unix(text: str | None) -> float | None:
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})", text or "")
    if not m:
        return None
    return float(calendar.timegm(tuple(int(g) for g in m.groups()) + (0, 0, 0)))  # type: ignore[arg-type]


def check(paths: Sequence[str] | None, settings: Settings, *, root: str = ".", verify: bool = False,
          now: float | None = None) -> CheckReport:
    """Check ``paths`` (default: every file of the repository at ``root``); nothing is written."""
    names = list(paths) if paths else repository_files(root)
    report = CheckReport(config=settings.config.path)
    now = time.time() if now is None else now
    for name in names:
        full = name if os.path.isabs(name) else os.path.join(root, name)
        if not os.path.isfile(full) or os.path.islink(full):
            continue
        report.files += 1
        report.findings.extend(_allowed_out(settings.config, name, full,
                                            _check_file(name, full, settings, verify, now)))
    return report


def _check_file(name: str, full: str, settings: Settings, verify: bool, now: float) -> list[Finding]:
    try:
        with open(full, "rb") as fh:
            data = fh.read(_MAX_SCAN + 1)
    except OSError:
        return []
    if len(data) > _MAX_SCAN or b"\0" in data[:8192]:
        return []  # large or binary: not a place for hand-written secrets
    text = data.decode("utf-8", "replace")
    cfg = settings.config
    rule = cfg.matching_rule(full) if cfg.rules else None
    store = settings.store(format_for_path(name))
    try:
        docs, meta_tree = store.load_encrypted(data)
        meta = Metadata.from_tree(meta_tree)
    except MetadataNotFound:
        return _plain_file(name, data, text, store, rule)
    except SealfileError as exc:
        if rule is not None:
            return [Finding(name, "unreadable", f"cannot read the file: {exc.message}")]
        return _text_hits(name, text)
    lines = store.key_lines(data)
    findings = _plain_values(name, docs, meta, lines)
    if rule is not None:
        findings += _drift(name, meta, rule, settings)
    findings += _rotation(name, meta, rule, cfg, now)
    findings += _gitops(name, docs, meta, lines)
    if verify:
        findings += _verify(name, data, store, settings)
    return findings


def _text_hits(name: str, text: str) -> list[Finding]:
    return [Finding(name, "secret-in-plaintext", f"looks like {hit.kind}", line=text.count("\n", 0, hit.start) + 1)
            for hit in scan_text(text)]


def _plain_file(name: str, data: bytes, text: str, store: Any, rule: CreationRule | None) -> list[Finding]:
    """A file without SOPS metadata: wrong if a rule covers it; either way, no credentials in it."""
    findings = []
    if rule is not None:
        where = f"creation rule {rule.index}" + (f" (path_regex {rule.path_regex})" if rule.path_regex else "")
        findings.append(Finding(name, "not-encrypted", f"{where} covers this file, but it is not encrypted",
                                line=1, fix=f"sealfile encrypt -i {name}"))
    try:
        docs = store.load_plain(data) if not store.opaque else None
    except SealfileError:
        docs = None
    if not docs:
        return findings + _text_hits(name, text)
    lines = store.key_lines(data)
    for path, value in _leaves(docs):
        for hit in scan_value(str(path[-1]) if path else "", value):
            rule_name = "secret-in-plaintext" if hit.confidence == "high" else "secret-like-value"
            findings.append(Finding(name, rule_name, f"looks like {hit.kind}", line=lines.get(path),
                                    key_path=path))
    return findings


def _leaves(docs: list[Mapping]) -> Iterable[tuple[tuple, str]]:
    """(key path, text) of every string leaf and comment of the first document, depth first, no recursion."""
    stack: list[tuple[tuple, Any]] = [((), docs[0])] if docs else []
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in reversed(node):
                if isinstance(key, Comment):
                    yield path, key.text
                else:
                    stack.append(((*path, key), value))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append(((*path, i), node[i]))
        elif isinstance(node, str):
            yield path, node


def _plain_values(name: str, docs: list[Mapping], meta: Metadata, lines: dict) -> list[Finding]:
    """Values the file's selector says must be encrypted but are not; credentials in the plain ones."""
    findings: list[Finding] = []

    def visit(value: Any, aad: str, encrypt: bool, is_comment: bool) -> Any:
        if is_comment or value == "" or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return value
        path = key_path_of_aad(aad)
        is_token = isinstance(value, str) and value.startswith("ENC[AES256_GCM,data:")
        if encrypt and not is_token:
            findings.append(Finding(name, "not-encrypted", "this value should be encrypted (the file's "
                                    f"{(meta.selector or Selector()).kind} says so) but is plain",
                                    line=lines.get(path), key_path=path, fix=f"sealfile edit {name}"))
        elif not encrypt and isinstance(value, str):
            for hit in scan_value(str(path[-1]) if path else "", value):
                rule_name = "secret-in-plaintext" if hit.confidence == "high" else "secret-like-value"
                findings.append(Finding(name, rule_name, f"an unencrypted value looks like {hit.kind}",
                                        line=lines.get(path), key_path=path))
        return value

    walk(docs, meta.selector or Selector(), visit)
    return findings


def _key_strings(groups: Iterable[Iterable[Any]]) -> list[set[str]]:
    return [{f"{k.type_name}:{k.to_string()}" for k in group} for group in groups]


def _same_key(rule_key: str, file_key: str) -> bool:
    """The same recipient; a rule key that leaves out a version (Azure) matches the version the file recorded."""
    return file_key == rule_key or file_key.startswith(rule_key.rstrip("/") + "/")


def _effective(threshold: int, groups: int) -> int:
    """A threshold as it acts: 0 with several groups means all of them; one group needs no threshold."""
    return 0 if groups < 2 else (threshold or groups)


def _drift(name: str, meta: Metadata, rule: CreationRule, settings: Settings) -> list[Finding]:
    from .encrypt import rule_keys

    try:
        expected = _key_strings(rule_keys(rule))
    except SealfileError as exc:
        return [Finding(name, "recipient-drift", f"the creation rule's keys cannot be read: {exc.message}")]
    actual = _key_strings([e.key for e in group] for group in meta.key_groups)
    same = len(expected) == len(actual) and all(
        len(want) == len(have) and all(any(_same_key(w, h) for h in have) for w in want)
        for want, have in zip(expected, actual))
    if same and _effective(meta.shamir_threshold, len(actual)) == _effective(rule.shamir_threshold, len(expected)):
        return []
    added = sorted(set().union(*expected) - set().union(*actual)) if expected else []
    removed = sorted(set().union(*actual) - set().union(*expected)) if actual else []
    detail = "; ".join(filter(None, [f"missing {', '.join(added)}" if added else "",
                                     f"extra {', '.join(removed)}" if removed else ""])) or "key groups or threshold"
    return [Finding(name, "recipient-drift", f"recipients differ from creation rule {rule.index}: {detail}",
                    line=1, fix=f"sealfile updatekeys {name}")]


def _rotation(name: str, meta: Metadata, rule: CreationRule | None, cfg: Config, now: float) -> list[Finding]:
    max_age = (rule.rotation_max_age if rule is not None and rule.rotation_max_age else None) or cfg.rotation_max_age
    if not max_age:
        return []
    when, field = data_key_time(meta)
    if when is None or now - when <= max_age:
        return []
    days, limit = int((now - when) // 86400), max_age // 86400
    return [Finding(name, "rotation-due", f"the data key was last wrapped {days} days ago ({field}); the policy "
                    f"allows {limit} days", line=1, fix=f"sealfile rotate -i {name}")]


def _gitops(name: str, docs: list[Mapping], meta: Metadata, lines: dict) -> list[Finding]:
    """What Flux (kustomize-controller) and KSOPS trip over in a Kubernetes manifest."""
    doc = docs[0] if docs else None
    if not isinstance(doc, Mapping) or doc.find("apiVersion") < 0 or doc.find("kind") < 0:
        return []
    findings = []
    groups = [[e.key for e in group] for group in meta.key_groups]
    if groups and all(group and all(k.to_string().startswith("ssh-") for k in group) for group in groups):
        findings.append(Finding(name, "gitops-ssh-recipients", "every recipient is an SSH key: Flux decrypts with "
                                "age X25519 identities, PGP or a KMS, not SSH keys", line=1))
    for field in _K8S_FIELDS:
        value = doc.get(field)
        tokens = [p for p, v in _leaves([Mapping([[field, value]])]) if v.startswith("ENC[")] if value else []
        if tokens:
            findings.append(Finding(name, "gitops-encrypted-fields", f"{field} is encrypted: kustomize and Flux "
                                    "cannot read the manifest (use encrypted_regex: ^(data|stringData)$)",
                                    line=lines.get((field,)), key_path=(field,)))
    if meta.mac_only_encrypted:
        findings.append(Finding(name, "gitops-mac-only", "mac_only_encrypted needs sops 3.9 or later in the "
                                "reader: check the Flux or KSOPS version that decrypts it", line=1))
    return findings


def _verify(name: str, data: bytes, store: Any, settings: Settings) -> list[Finding]:
    from ..core.sopsfile import SopsFile

    try:
        sf = SopsFile.load(data, store, whole_payload=True)
        sf.unlock(settings.keys, settings.decryption_order)
        sf.decrypt(keep_iv=False)
    except SealfileError as exc:
        return [Finding(name, "verify-failed", exc.message, key_path=exc.key_path)]
    return []


def _allowed_out(cfg: Config, name: str, full: str, findings: list[Finding]) -> list[Finding]:
    """Drop findings the config's ``check.allow`` or a ``sealfile:allow`` comment on their line waives."""
    if not findings:
        return findings
    marked = _allow_lines(full) if any(f.line for f in findings) else set()
    kept = []
    for f in findings:
        if f.line and (f.line in marked or f.line - 1 in marked and _mark_alone(full, f.line - 1)):
            continue
        if any(_allows(entry, name, f) for entry in cfg.allow):
            continue
        kept.append(f)
    return kept


def _allows(entry: dict[str, str], name: str, finding: Finding) -> bool:
    if "path" in entry and not re.search(entry["path"], name):
        return False
    if "rule" in entry and entry["rule"] != finding.rule:
        return False
    if "key" in entry and not (finding.key_path and re.search(entry["key"], format_key_path(finding.key_path))):
        return False
    return True


def _allow_lines(full: str) -> set[int]:
    try:
        with open(full, encoding="utf-8", errors="replace") as fh:
            return {i for i, line in enumerate(fh, 1) if _ALLOW_MARK in line}
    except OSError:
        return set()


def _mark_alone(full: str, line: int) -> bool:
    """Whether line ``line`` holds nothing but the comment (then it waives the line below it)."""
    with open(full, encoding="utf-8", errors="replace") as fh:
        for i, text in enumerate(fh, 1):
            if i == line:
                return text.strip().startswith(("#", ";", "//"))
    return False
