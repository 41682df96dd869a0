"""encrypt --reuse: encrypt a plaintext file as a new version of an encrypted one, without ciphertext churn.

sops encrypts every value with a fresh IV, so re-encrypting a decrypted file
changes every line (sops issues #1587, #1480).  Here the old encrypted
version is decrypted, remembering each value's IV, and the plaintext is
encrypted with its data key: every value whose path, type and plaintext are
the same keeps the old version's exact ciphertext.  Recipients, key groups,
the selector and the MAC mode are the old version's (no key is wrapped
again).  When the plaintext holds exactly the old version's documents, the
old file comes back byte for byte, ``lastmodified`` and MAC included: the
same plaintext always gives the same encrypted file (what git's clean
filter needs).  The plaintext's own layout is kept (YAML: comments, blank
lines, order), as ``encrypt`` keeps it.
"""
from __future__ import annotations

import os

from ..core.sopsfile import SopsFile
from ..core.treeedit import same_tree
from ..errors import AlreadyEncrypted, ConflictingParameters, EmptyDocument, SealfileError
from ..settings import Settings
from .files import STDIN, load_plain, named, read_input, resolve_types, write_result

__all__ = ["encrypt_reusing", "encrypt_reusing_path", "open_old", "encrypt_as_new_version"]


def open_old(old: bytes, settings: Settings, fmt: str, name: str | None = None) -> SopsFile:
    """The old encrypted version, decrypted with its IVs remembered (a key that decrypts it is needed)."""
    sf = SopsFile.load(old, settings.store(fmt), path=name)
    sf.unlock(settings.keys, settings.decryption_order)
    sf.decrypt()
    return sf


def encrypt_as_new_version(sf: SopsFile, old: bytes, plaintext: bytes, settings: Settings, *, input_type: str,
                           output_type: str | None = None) -> bytes:
    """Encrypt ``plaintext`` (``input_type``) as the next version of ``sf`` (from :func:`open_old` of ``old``).

    The result is in ``output_type`` (default: the old file's format).
    """
    old_fmt = sf.store.name
    out_store = sf.store if (output_type or old_fmt) == old_fmt else settings.store(output_type or old_fmt)
    in_store = sf.store if input_type == old_fmt else settings.store(input_type)
    docs = load_plain(in_store, plaintext, layout=in_store is out_store)
    if in_store.has_metadata(docs):
        raise AlreadyEncrypted("the plaintext already carries sops metadata (a top-level 'sops' entry, or for "
                               "dotenv a key starting with 'sops_'): give the decrypted file")
    if not docs:
        raise EmptyDocument("cannot encrypt an empty file: at least one document is needed")
    if out_store is sf.store and len(docs) == len(sf.docs) and all(map(same_tree, docs, sf.docs)):
        return old
    sf.docs = docs
    sf.encrypt(out_store)
    return sf.dump(out_store)


def encrypt_reusing(plaintext: bytes, old: bytes, settings: Settings, *, input_type: str, old_type: str | None = None,
                    output_type: str | None = None, old_name: str | None = None) -> bytes:
    """Encrypt ``plaintext`` (``input_type``) as a new version of the encrypted file ``old`` (``old_type``,
    default ``input_type``); the result is in ``output_type`` (default: the old file's format)."""
    sf = open_old(old, settings, old_type or input_type, old_name)
    return encrypt_as_new_version(sf, old, plaintext, settings, input_type=input_type, output_type=output_type)


def encrypt_reusing_path(path: str | os.PathLike[str], old: str | os.PathLike[str], settings: Settings, *,
                         in_place: bool = False, output: str | None = None, input_type: str | None = None,
                         output_type: str | None = None, filename_override: str | None = None) -> bytes:
    """:func:`encrypt_reusing` for files (``path`` ``-``: standard input); written as ``encrypt`` writes."""
    p, o = os.fspath(path), os.fspath(old)
    if o == STDIN:
        raise ConflictingParameters("Error: --reuse needs the old encrypted file by name, not standard input")
    old_fmt, _ = resolve_types(o, None, None, None)
    if p == STDIN and not (input_type or filename_override):
        input_type = old_fmt  # plaintext on standard input is in the old file's format
    fmt_in, fmt_out = resolve_types(p, input_type, output_type, filename_override)
    try:
        old_data = read_input(o)
        sf = open_old(old_data, settings, old_fmt, o)
    except SealfileError as exc:
        raise exc.with_path(o)
    try:
        out = encrypt_as_new_version(sf, old_data, read_input(p), settings, input_type=fmt_in,
                                     output_type=fmt_out if output_type else None)
    except SealfileError as exc:
        raise exc.with_path(named(p))
    write_result(out, p, in_place=in_place, output=output)
    return out
