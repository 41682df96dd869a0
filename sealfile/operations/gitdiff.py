"""What an encrypted file holds and what changed in it, shown safely: git's diff views and ``sealfile diff``.

Two views of one version, for git's ``textconv`` (``git diff``, ``git log -p``,
``git show``):

* decrypted, for whoever holds a key: the file as ``sealfile edit`` shows it;
* redacted, for anyone else (and whenever decryption fails): the file with
  every ciphertext replaced by ``(encrypted 1a2b3c4d)``, the first 8 hex
  digits of the SHA-256 of the ``ENC[...]`` token.  That is a hash of
  ciphertext, which is in the repository anyway, not of the value: it tells
  only that the token changed.  Since sealfile and sops keep the token of an
  unchanged value (the IV is remembered), a new fingerprint means a new value
  or a new data key.

Both end with the recipients of each key group and a fingerprint of each
recipient's ``enc`` (the wrapped data key), so a re-wrap or a rotation shows
as every ``enc`` changing.  ``lastmodified`` and ``mac`` are left out: they
change with every edit and say nothing a reviewer can use.

:func:`compare` is the structural diff of two versions (``sealfile diff``,
``sealfile log``): key paths added, removed and changed, recipients added
and removed, and whether the data key was rotated.  With a key that last
answer is exact (the two data keys are compared).  Without one it is
inferred: a value whose token is the same in both versions proves the same
data key; when every value present in both versions has a new token and
every recipient a new ``enc``, the data key was rotated (what ``sops rotate``
does), and which values changed cannot be told apart without a key.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from ..core.cipher import is_token
from ..core.selectors import Selector
from ..core.sopsfile import SopsFile
from ..core.tree import Comment, Mapping, Timestamp
from ..core.treeedit import same_tree
from ..core.walk import walk
from ..errors import SealfileError, format_key_path
from ..settings import Settings
from ..stores import format_for_path
from .gitmerge import uses_key
from .metamerge import recipient

__all__ = ["fingerprint", "textconv", "view", "compare", "FileChanges", "load_version"]

#: no ``<``, ``>`` or ``&``: Go's JSON (and so the JSON store) writes those as ``\u`` escapes
REDACTED = "(encrypted {})"
#: why a version is shown redacted, by error class (never the error's text: it may name a key service)
_WHY = {"NoKeyCouldDecrypt": "no key at hand decrypts it", "MacMismatch": "its MAC does not verify",
        "MissingExtra": "the SDK of its key type is not installed"}


def fingerprint(token: str) -> str:
    """8 hex digits of the SHA-256 of a ciphertext token (or of a wrapped data key)."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def load_version(data: bytes, name: str, settings: Settings, *, layout: bool = False) -> SopsFile | None:
    """One version of an encrypted file; None when it is not one (no metadata, or it does not parse)."""
    try:
        return SopsFile.load(data, settings.store(format_for_path(name)), path=name, layout=layout)
    except SealfileError:
        return None


# --- views --------------------------------------------------------------------------------------

def _footer(sf: SopsFile, note: str | None) -> list[str]:
    meta = sf.metadata
    lines = [f"# sealfile: {note}"] if note else []
    groups = meta.key_groups
    for i, group in enumerate(groups):
        head = "# sops: recipients" if len(groups) == 1 else f"# sops: key group {i + 1} of {len(groups)}"
        lines.append(head + (f" (shamir threshold {meta.shamir_threshold})" if i == 0 and len(groups) > 1 else ""))
        lines.extend(f"#   {kind} {name} (enc {fingerprint(entry.enc)})"
                     for entry, (kind, name) in ((e, recipient(e)) for e in group))
    selector = meta.selector
    if selector is not None and selector != Selector():
        lines.append(f"# sops: {selector.kind}: {selector.value}")
    if meta.mac_only_encrypted:
        lines.append("# sops: mac_only_encrypted")
    return lines


def _redact(sf: SopsFile) -> None:
    def visit(value: Any, _aad: str, _encrypt: bool, is_comment: bool) -> Any:
        if is_comment:
            return Comment(REDACTED.format(fingerprint(value.text))) if is_token(value.text) else value
        return REDACTED.format(fingerprint(value)) if is_token(value) else value

    walk(sf.docs, sf.metadata.selector or Selector(), visit)


def _render(sf: SopsFile, footer: list[str]) -> bytes:
    store = sf.store
    shown = getattr(store, "layout_view", None)
    body = (shown(sf.docs) if shown is not None else None) or store.dump_plain(sf.docs)
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return body + ("\n".join(footer) + "\n").encode("utf-8", "surrogateescape")


def view(data: bytes, name: str, settings: Settings, *, decrypt: bool = True) -> bytes:
    """The decrypted view of one version (else the redacted one); anything not sops comes back as it is."""
    sf = load_version(data, name, settings, layout=True)
    if sf is None:
        return data
    note = None
    if decrypt:
        try:
            sf.unlock(settings.keys, settings.decryption_order)
            sf.decrypt(keep_iv=False)
            return _render(sf, _footer(sf, None))
        except SealfileError as exc:
            note = f"shown redacted: {_WHY.get(type(exc).__name__, 'it could not be decrypted')}"
            sf = load_version(data, name, settings, layout=True)
            assert sf is not None
    else:
        note = "shown redacted"
    _redact(sf)
    return _render(sf, _footer(sf, note))


def textconv(data: bytes, name: str, settings: Settings, *, decrypt: bool = True) -> bytes:
    """:func:`view` that never fails: git's diff must work whatever the file holds."""
    try:
        return view(data, name, settings, decrypt=decrypt)
    except Exception:  # noqa: BLE001 - a diff view must never break git; the raw bytes are ciphertext or plain
        return data


# --- comparing two versions -------------------------------------------------------------------------

def _leaves(docs: list[Mapping]) -> dict[str, Any]:
    """Every leaf (and comment) of ``docs`` by its displayed path, in document order."""
    out: dict[str, Any] = {}
    stack: list[tuple[Any, str, tuple]] = []
    for i in reversed(range(len(docs))):
        stack.append((docs[i], f"document {i + 1}: " if len(docs) > 1 else "", ()))
    while stack:
        node, prefix, path = stack.pop()
        if isinstance(node, list) and node:
            children: list[tuple[Any, str, tuple]] = []
            seen: dict[str, int] = {}
            comments = 0
            items = list(node) if isinstance(node, Mapping) else list(enumerate(node))
            for key, value in items:
                if isinstance(key, Comment) or isinstance(value, Comment):
                    comments += 1
                    text = key.text if isinstance(key, Comment) else value.text
                    out[f"{prefix}{format_key_path(path) or 'top level'} (comment {comments})"] = text
                    continue
                if isinstance(node, Mapping):
                    n = seen.get(key, 0)
                    seen[key] = n + 1
                    key = key if n == 0 else f"{key} (duplicate {n + 1})"
                children.append((value, prefix, path + (key,)))
            stack.extend(reversed(children))
        else:
            out[prefix + (format_key_path(path) or "(document)")] = node
    return out


def _shown(value: Any) -> str:
    if isinstance(value, (Timestamp, Comment)):
        value = str(value) if isinstance(value, Timestamp) else value.text
    if isinstance(value, (Mapping, list)):
        return "{}" if isinstance(value, Mapping) else "[]"
    return json.dumps(value, ensure_ascii=False)


class FileChanges:
    """What differs between two versions of a file; values only when asked for and decrypted."""

    def __init__(self) -> None:
        self.added: list[str] = []
        self.removed: list[str] = []
        self.changed: list[str] = []
        self.recipients_added: list[str] = []
        self.recipients_removed: list[str] = []
        self.rotated: bool | None = False
        self.values: dict[str, tuple[str | None, str | None]] = {}
        self.notes: list[str] = []

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.recipients_added or self.recipients_removed
                    or self.rotated or self.notes)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"added": self.added, "removed": self.removed, "changed": self.changed,
                               "recipients_added": self.recipients_added,
                               "recipients_removed": self.recipients_removed, "data_key_rotated": self.rotated}
        if self.values:
            out["values"] = {path: {"old": old, "new": new} for path, (old, new) in self.values.items()}
        if self.notes:
            out["notes"] = self.notes
        return out

    def lines(self) -> list[str]:
        """The report, one fact per line (key paths, recipients; values only if they were asked for)."""
        out = [f"# {note}" for note in self.notes]
        for label, paths in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            for path in paths:
                old, new = self.values.get(path, (None, None))
                shown = "" if path not in self.values else f": {old or '(none)'} -> {new or '(none)'}"
                out.append(f"{label:<9}{path}{shown}")
        out.extend(f"recipient added    {r}" for r in self.recipients_added)
        out.extend(f"recipient removed  {r}" for r in self.recipients_removed)
        if self.rotated:
            out.append("data key rotated")
        return out


def _recipients(sf: SopsFile | None) -> list[str]:
    if sf is None:
        return []
    return [" ".join(recipient(e)) for group in sf.metadata.key_groups for e in group]


def _encs(sf: SopsFile) -> dict[tuple[str, str], str]:
    return {recipient(e): e.enc for group in sf.metadata.key_groups for e in group}


def _unlocked(sf: SopsFile, other: SopsFile | None, settings: Settings) -> None:
    if other is not None and uses_key(sf, other.data_key):
        sf.share_key(other)
    else:
        sf.unlock(settings.keys, settings.decryption_order)
    sf.decrypt(keep_iv=False)


def compare(a: bytes | None, b: bytes | None, name: str, settings: Settings, *,
            show_values: bool = False) -> FileChanges:
    """What changed from version ``a`` to ``b`` of file ``name`` (None: the file did not exist).

    Without ``show_values`` nothing is decrypted.  With it, both versions are
    (a key is needed) and the values of the changed paths are reported.
    """
    changes = FileChanges()
    sa = load_version(a, name, settings) if a is not None else None
    sb = load_version(b, name, settings) if b is not None else None
    for data, sf, which in ((a, sa, "old"), (b, sb, "new")):
        if data is not None and sf is None:
            changes.notes.append(f"the {which} version is not an encrypted file (no sops metadata); "
                                 "its content is not compared")
    before = set(_recipients(sa))
    after = set(_recipients(sb))
    changes.recipients_added = [r for r in _recipients(sb) if r not in before]
    changes.recipients_removed = [r for r in _recipients(sa) if r not in after]
    if show_values:
        for sf, other in ((sa, None), (sb, sa)):
            if sf is not None:
                _unlocked(sf, other, settings)
    la = _leaves(sa.docs) if sa is not None else {}
    lb = _leaves(sb.docs) if sb is not None else {}
    changes.added = [p for p in lb if p not in la]
    changes.removed = [p for p in la if p not in lb]
    common = [p for p in la if p in lb]
    if sa is not None and sb is not None:
        if show_values:
            changes.rotated = sa.data_key != sb.data_key
        else:
            tokens = [p for p in common if is_token(la[p]) or is_token(lb[p])]
            same_token = any(la[p] == lb[p] for p in tokens)
            encs_a, encs_b = _encs(sa), _encs(sb)
            same_enc = any(encs_b.get(r) == enc for r, enc in encs_a.items())
            if tokens and not same_token and not same_enc:
                changes.rotated = True
                changes.notes.append("data key rotated: every value was re-encrypted, so which values changed "
                                     "can only be told with a key (--show-values)")
                common = [p for p in common if p not in tokens]
    changes.changed = [p for p in common if not same_tree(la[p], lb[p])]
    if show_values:
        for path in changes.added:
            changes.values[path] = (None, _shown(lb[path]))
        for path in changes.removed:
            changes.values[path] = (_shown(la[path]), None)
        for path in changes.changed:
            changes.values[path] = (_shown(la[path]), _shown(lb[path]))
    return changes
