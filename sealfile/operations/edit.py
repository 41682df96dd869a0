"""edit: an encrypted file as plaintext to change, and the change written back with the same key.

The plaintext only ever lives in a private temp directory (:class:`Workspace`)
that the caller removes on every exit path.  Re-encryption reuses the data key
and the IV memory of the decrypted file, so every value whose path, type and
plaintext did not change keeps its exact ciphertext: a one-value edit is a
one-value diff (plus ``lastmodified`` and ``mac``), as with sops.

Running the editor, prompting and signals are the CLI's (``cli/edit.py``);
this module turns a file into the text to edit and edited text into the file.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import tempfile
import time
from typing import Any, Callable

from ..core import versions
from ..core.metadata import SOPS_VERSION, VERSION_FOR_LAYOUT, Metadata
from ..errors import (AlreadyEncrypted, EditNotSaved, EmitError, EmptyDocument, EncryptError, InvalidEdit,
                      MetadataError, ParseError, SealfileError, WriteError)
from ..fileio import atomic_write, check_writable, create_new
from ..settings import Settings
from .decrypt import open_decrypted
from .encrypt import EncryptOptions, Recipients, encrypt
from .files import load_plain, read_input, resolve_types

__all__ = ["EditSession", "Workspace", "start_edit", "save_rescue"]

#: problems with the edited text that the user can fix in the editor
_FIXABLE = (ParseError, MetadataError, AlreadyEncrypted, EmptyDocument, EncryptError, EmitError)


def _invalid(exc: SealfileError) -> InvalidEdit:
    """Word a problem with the edited text the way sops does, without echoing its content."""
    if isinstance(exc, ParseError):
        return InvalidEdit(f"Could not load tree, probably due to invalid syntax: {exc.message}", exc)
    if isinstance(exc, MetadataError):
        return InvalidEdit(f"SOPS metadata is invalid: {exc.message}", exc)
    if isinstance(exc, AlreadyEncrypted):
        return InvalidEdit("Tree not valid for encryption: it has a top-level 'sops' entry (dotenv: a key "
                           "starting with 'sops_'), which is reserved for the sops metadata", exc)
    if isinstance(exc, EmptyDocument):
        return InvalidEdit("Tree not valid for encryption: there must be at least one document", exc)
    return InvalidEdit(f"Tree not valid for encryption: {exc.message}", exc)


class EditSession:
    """One edit of one file: the text the editor starts with, and turning edited text into the file.

    Build it with :func:`start_edit`.  ``initial`` is the plaintext to put in
    the editor, ``filename`` the basename the temp file must have (so editors
    choose the right syntax), :meth:`apply` the encrypted bytes for edited text.
    """

    def __init__(self, path: str, initial: bytes, finish: Callable[[bytes], bytes], settings: Settings) -> None:
        self.path = path
        self.filename = os.path.basename(os.path.abspath(path))
        self.initial = initial
        self._finish = finish
        self._settings = settings

    def apply(self, edited: bytes) -> bytes:
        """Encrypt the edited plaintext; raise :class:`InvalidEdit` when the user must fix it first."""
        try:
            return self._finish(edited)
        except _FIXABLE as exc:
            raise _invalid(exc).with_path(self.path) from None

    def save(self, data: bytes) -> None:
        """Atomically write the file (a new file gets 0666 minus the umask, like sops's).

        When the write fails after the user has edited (disk full, file made
        immutable, filesystem remounted read-only), the encrypted result is
        kept in a rescue file (see :func:`save_rescue`) and the error says where.
        """
        try:
            atomic_write(self.path, data)
        except WriteError as exc:
            rescued = save_rescue(self.path, data, self._settings.env)
            where = (f"your edit was saved, encrypted, to {rescued}; move it over the file once the file can "
                     "be written" if rescued else "no writable place was found to keep your edit")
            raise EditNotSaved(f"{exc.message}; {where}", rescued_to=rescued, file=self.path) from None


def save_rescue(path: str, data: bytes, env: Any = None) -> str | None:
    """Write the re-encrypted ``data`` of an edit that could not be saved; return where, or None.

    Only ciphertext is ever written here.  The name keeps the file's extension
    (``secrets.rescued-20261201T120000.yaml``) so ``sealfile decrypt`` reads it
    in the right format.  Tried in order: the file's own directory, the state
    directory (``$XDG_STATE_HOME/sealfile``, else ``~/.local/state/sealfile``),
    the system temp directory.  Mode 0600, never overwriting anything.
    """
    env = os.environ if env is None else env
    base = os.path.basename(path)
    stem, dot, ext = base.rpartition(".")
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    name = f"{stem}.rescued-{stamp}.{ext}" if dot and stem else f"{base}.rescued-{stamp}"
    home = env.get("HOME") or os.path.expanduser("~")
    state = env.get("XDG_STATE_HOME") or os.path.join(home, ".local", "state")
    for directory in (os.path.dirname(os.path.abspath(path)), os.path.join(state, "sealfile"),
                      tempfile.gettempdir()):
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError:
            continue
        for attempt in range(20):
            candidate = os.path.join(directory, name if attempt == 0 else f"{attempt}-{name}")
            try:
                create_new(candidate, data, mode=0o600)
                return candidate
            except WriteError:
                if os.path.lexists(candidate):
                    continue
                break
    return None


def start_edit(path: str | os.PathLike[str], settings: Settings, *, show_master_keys: bool = False,
               ignore_mac: bool = False, input_type: str | None = None, output_type: str | None = None,
               filename_override: str | None = None, recipients: Recipients = Recipients(),
               options: EncryptOptions = EncryptOptions()) -> EditSession:
    """Decrypt ``path`` for editing, or prepare a new file from sops's example when it does not exist.

    ``recipients`` and ``options`` only matter for a new file (an existing
    file's metadata decides everything, as in sops).  A file that could not be
    written back is refused now, before anyone spends time in the editor.
    """
    p = os.fspath(path)
    fmt_in, fmt_out = resolve_types(p, input_type, output_type, filename_override)
    try:
        check_writable(p)
    except WriteError as exc:
        raise WriteError(f"{exc.message}; not opening the editor, since the edit could not be saved",
                         file=p) from None
    if os.path.exists(p):
        return _open_existing(p, fmt_in, fmt_out, settings, show_master_keys=show_master_keys,
                              ignore_mac=ignore_mac)
    return _new_file(p, fmt_in, fmt_out, filename_override or p, settings, recipients, options)


def _open_existing(path: str, fmt_in: str, fmt_out: str, settings: Settings, *, show_master_keys: bool,
                   ignore_mac: bool) -> EditSession:
    try:
        sf = open_decrypted(read_input(path), settings, input_type=fmt_in, ignore_mac=ignore_mac, path=path,
                            layout=fmt_out == fmt_in and not show_master_keys)
        in_store = sf.store
        original = sf.docs
        out_store = in_store if fmt_out == fmt_in else settings.store(fmt_out)
        keep_layout = out_store is in_store and not show_master_keys
        if show_master_keys:
            initial = out_store.dump_encrypted(sf.docs, sf.metadata.to_tree(for_json=out_store.json_metadata))
        else:
            # the file in its own layout where the format keeps one (YAML), else as the format writes it
            view = getattr(in_store, "layout_view", None) if keep_layout else None
            initial = (view(sf.docs) if view is not None else None) or out_store.dump_plain(sf.docs)
    except SealfileError as exc:
        raise exc.with_path(path)

    def finish(edited: bytes) -> bytes:
        # as sops: the editor shows the output format, the edited text is read with the input store
        docs = load_plain(in_store, edited, layout=keep_layout)
        if show_master_keys:
            try:
                docs, meta_tree = in_store.load_encrypted(edited)
            except ParseError as exc:
                raise MetadataError(exc.message) from None
            sf.metadata = Metadata.from_tree(meta_tree)
        elif in_store.has_metadata(docs):
            raise AlreadyEncrypted("reserved top-level key")
        if not docs:
            raise EmptyDocument("no document")
        in_store.reconcile_edit(docs, original)
        meta = sf.metadata
        # only formats that show the metadata's layout claim the layout's release
        program = VERSION_FOR_LAYOUT.get(meta.layout, SOPS_VERSION) if out_store.metadata_layout else SOPS_VERSION
        if versions.is_newer(program, meta.version):
            meta.version = program
        sf.docs = docs
        sf.encrypt(out_store)
        return sf.dump(out_store)

    return EditSession(path, initial, finish, settings)


def _new_file(path: str, fmt_in: str, fmt_out: str, name: str, settings: Settings, recipients: Recipients,
              options: EncryptOptions) -> EditSession:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise WriteError(f"cannot create the file: directory {directory} does not exist", file=path)
    in_store = settings.store(fmt_in)
    example = in_store.example
    try:
        out_store = in_store if fmt_out == fmt_in else settings.store(fmt_out)
        initial = out_store.dump_plain(in_store.load_plain(example))
        # fail on a missing rule or unusable key now, before the user spends time in the editor
        encrypt(example, settings, input_type=fmt_in, output_type=fmt_out, filename=name, recipients=recipients,
                options=options)
    except SealfileError as exc:
        raise exc.with_path(path)

    def finish(edited: bytes) -> bytes:
        return encrypt(edited, settings, input_type=fmt_in, output_type=fmt_out, filename=name,
                       recipients=recipients, options=options)

    return EditSession(path, initial, finish, settings)


class Workspace:
    """A fresh 0700 temp directory holding one 0600 file named like the edited file.

    :meth:`remove` deletes both; callers run it on every exit path so no
    plaintext stays on disk.
    """

    def __init__(self, filename: str, content: bytes) -> None:
        try:
            self.dir = tempfile.mkdtemp(prefix="sealfile-")
        except OSError as exc:
            raise WriteError(f"Could not create temporary directory: {exc.strerror}") from None
        self.path = os.path.join(self.dir, filename)
        self._digest = hashlib.sha256(content).digest()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(content)
        except OSError as exc:
            self.remove()
            raise WriteError(f"Could not create temporary file: {exc.strerror}") from None

    def edited(self) -> bytes | None:
        """The file's content, or None when its SHA-256 is unchanged."""
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ParseError(f"Could not read the edited temporary file: {exc.strerror}") from None
        return None if hashlib.sha256(data).digest() == self._digest else data

    def remove(self) -> None:
        def retry(func: Callable[..., Any], target: str, _exc: Any) -> None:
            # an editor may have made the file or the directory read-only: take the permission back
            try:
                os.chmod(os.path.dirname(target) or ".", stat.S_IRWXU)
                if not os.path.isdir(target):
                    os.chmod(target, stat.S_IRUSR | stat.S_IWUSR)
                func(target)
            except OSError:
                pass

        if os.path.isdir(self.dir):
            if sys.version_info >= (3, 12):
                shutil.rmtree(self.dir, onexc=retry)
            else:
                shutil.rmtree(self.dir, onerror=retry)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *_: object) -> None:
        self.remove()
