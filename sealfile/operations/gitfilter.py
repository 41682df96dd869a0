"""git's clean and smudge filters: plaintext in the working tree, SOPS files in the repository (opt-in).

This is the git-crypt style of working: ``smudge`` decrypts a blob as git
checks it out, ``clean`` encrypts the working file as git reads it (``add``,
``status``, ``diff``), so the working tree holds plaintext and every
committed blob is an ordinary sops file.

``clean`` must be deterministic, or ``git status`` would never be clean: it
encrypts the plaintext as the next version of the file git has now (the
index, else ``HEAD``), with that version's data key, recipients and IVs
(:mod:`.reuse`), so an unchanged file gives back the very same blob
(``lastmodified`` and MAC included) and a one-value edit changes one value.
A file git has no encrypted version of yet is encrypted by the creation rule
that matches its path, as ``sealfile encrypt`` would.  A clean that cannot
encrypt fails, and git, told that the filter is required, refuses to store
the file rather than store plaintext.

``smudge`` never fails: a blob it cannot decrypt (no key, not a sops file)
is checked out as it is, ciphertext, and ``clean`` hands such a file back
unchanged, so someone without a key can still check out, commit and merge.
"""
from __future__ import annotations

from ..core.sopsfile import SopsFile
from ..errors import SealfileError
from ..settings import Settings
from ..stores import format_for_path
from .encrypt import encrypt
from .gitrepo import Git
from .reuse import encrypt_reusing

__all__ = ["clean", "smudge", "decrypted_text"]


def _encrypted(data: bytes, store: object) -> bool:
    try:
        SopsFile.load(data, store)
    except SealfileError:
        return False
    return True


def decrypted_text(data: bytes, path: str, settings: Settings) -> bytes:
    """The plaintext of an encrypted file as ``edit`` shows it (YAML in the file's own layout)."""
    sf = SopsFile.load(data, settings.store(format_for_path(path)), path=path, layout=True)
    sf.unlock(settings.keys, settings.decryption_order)
    sf.decrypt(keep_iv=False)
    shown = getattr(sf.store, "layout_view", None)
    return (shown(sf.docs) if shown is not None else None) or sf.store.dump_plain(sf.docs)


def smudge(data: bytes, path: str, settings: Settings) -> bytes:
    """The working-tree content of blob ``data`` of ``path``: decrypted if possible, else ``data`` itself."""
    try:
        return decrypted_text(data, path, settings)
    except Exception:  # noqa: BLE001 - a checkout must not fail: the blob (ciphertext) is kept as it is
        return data


def clean(data: bytes, path: str, settings: Settings, git: Git | None = None) -> bytes:
    """The blob to store for the working-tree content ``data`` of ``path`` (relative to the top)."""
    fmt = format_for_path(path)
    if not data or _encrypted(data, settings.store(fmt)):
        return data  # nothing to protect, or ciphertext already (checked out without a key)
    git = git or Git(settings.env)
    for spec in (f":0:{path}", f"HEAD:{path}"):
        old = git.blob(spec)
        if old is not None and _encrypted(old, settings.store(fmt)):
            return encrypt_reusing(data, old, settings, input_type=fmt, old_name=path)
    return encrypt(data, settings, input_type=fmt, filename=path)
