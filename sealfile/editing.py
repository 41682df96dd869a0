"""Editing an encrypted file in a text editor (``sealfile edit``), without the terminal part.

The plaintext only ever lives in a private temp directory (:class:`Workspace`)
that the caller removes on every exit path.  Re-encryption reuses the data key
and the IV stash of the decrypted file, so every value whose path, type and
plaintext did not change keeps its exact ciphertext: a one-value edit is a
one-value diff (plus ``lastmodified`` and ``mac``), as with sops.

Nothing here prints or prompts; running the editor is a plain subprocess call.
"""
from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from typing import Any, Callable, Mapping as TMapping, Sequence

from . import api
from .core.cipher import plaintext_of
from .errors import (AlreadyEncrypted, EmitError, EmptyDocument, EncryptError, ExitCode, MetadataError,
                     ParseError, SealfileError, WriteError)
from .fileio import atomic_write, check_writable, create_new
from .core.metadata import SOPS_VERSION, VERSION_FOR_LAYOUT, Metadata
from .core.selectors import KINDS
from .settings import environ, resolve_config, store_options
from .stores import store_for
from .core.tree import Comment, Mapping

__all__ = ["EditSession", "InvalidEdit", "EditorError", "EditNotSaved", "save_rescue", "Workspace", "start_edit", "example_text",
           "editor_command", "run_editor", "version_is_newer", "EDITOR_VARIABLES", "FALLBACK_EDITORS"]

#: checked in this order; SEALFILE_ wins over SOPS_ as everywhere else, VISUAL is a last resort
EDITOR_VARIABLES = ("SEALFILE_EDITOR", "SOPS_EDITOR", "EDITOR", "VISUAL")
FALLBACK_EDITORS = ("vim", "nano", "vi")

#: the release sealfile claims for each output layout (what ``edit`` raises an older file to)
_LAYOUT_FORMATS = ("yaml", "json", "binary")

_WELCOME = "Welcome to SOPS! Edit this file as you please!"
#: sops's ``EmitExample`` output per input format, byte for byte (stores/*/store.go)
_EXAMPLES: dict[str, bytes] = {
    "yaml": (f"hello: {_WELCOME}\nexample_key: example_value\n# Example comment\nexample_array:\n"
             "    - example_value1\n    - example_value2\nexample_number: 1234.56789\nexample_booleans:\n"
             "    - true\n    - false\n").encode(),
    "json": (f'{{\n\t"hello": "{_WELCOME}",\n\t"example_key": "example_value",\n\t"example_array": [\n'
             '\t\t"example_value1",\n\t\t"example_value2"\n\t],\n\t"example_number": 1234.56789,\n'
             '\t"example_booleans": [\n\t\ttrue,\n\t\tfalse\n\t]\n}').encode(),
    "dotenv": (f"# This is an example file.\nhello={_WELCOME}\nexample_key=example_value\n"
               "example_multiline=foo\\nbar\\nbaz\n").encode(),
    "ini": (f"; This is an example file.\n[Welcome!]\nhello       = {_WELCOME}\n"
            "example_key = example_value\n").encode(),
    "binary": _WELCOME.encode(),
}


class InvalidEdit(SealfileError):
    """The edited text cannot be saved, but the user can fix it in the editor.

    Carries the exit code of the underlying problem for when the user gives up.
    """

    def __init__(self, message: str, cause: SealfileError) -> None:
        super().__init__(message, exit_code=cause.exit_code)


class EditNotSaved(WriteError):
    """The edited file could not be written; ``rescued_to`` holds the encrypted result, if it could be kept."""

    def __init__(self, message: str, *, rescued_to: str | None, path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.rescued_to = rescued_to


class EditorError(SealfileError):
    """No editor, or the editor failed (sops: ``Could not run editor``, exit 201)."""

    exit_code = ExitCode.NO_EDITOR_FOUND


def example_text(fmt: str) -> bytes:
    """The document a new file starts from, as sops's ``EmitExample`` writes it."""
    return _EXAMPLES[fmt]


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


_FIXABLE = (ParseError, MetadataError, AlreadyEncrypted, EmptyDocument, EncryptError, EmitError)
_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\Z")


def _semver_key(text: str) -> tuple[Any, ...]:
    m = _SEMVER.match(text)
    if m is None:
        raise ValueError(text)
    pre = m.group(4)
    # a release sorts after its pre-releases; numeric identifiers sort before alphanumeric ones
    pre_key: tuple[Any, ...] = (1,) if pre is None else (0, tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key


def version_is_newer(a: str, b: str) -> bool:
    """Whether release ``a`` is newer than ``b`` (sops's ``AIsNewerThanB``: 1.x files are always older)."""
    if b.startswith("1."):
        return True
    try:
        return _semver_key(a) > _semver_key(b)
    except ValueError:
        raise SealfileError(f"Failed to compare document version {b!r} with program version {a!r}",
                            exit_code=ExitCode.FAILED_TO_COMPARE_VERSIONS) from None


def _store(fmt: str, config: Any, indent: int | None, env: TMapping[str, str]) -> Any:
    """A store with the config's ``stores:`` settings (for an output format other than the input's)."""
    return store_for(fmt, **store_options(resolve_config(config or None, env), fmt, indent))


class EditSession:
    """One edit of one file: the text the editor starts with, and turning edited text into the file.

    Build it with :func:`start_edit`.  ``initial`` is the plaintext to put in
    the editor, ``filename`` the basename the temp file must have (so editors
    choose the right syntax), :meth:`apply` the encrypted bytes for edited text.
    """

    def __init__(self, path: str, initial: bytes, finish: Callable[[bytes], bytes], *, is_new: bool) -> None:
        self.path = path
        self.filename = os.path.basename(os.path.abspath(path))
        self.initial = initial
        self.is_new = is_new
        self._finish = finish

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
            rescued = save_rescue(self.path, data)
            where = (f"your edit was saved, encrypted, to {rescued}; move it over the file once the file can "
                     "be written" if rescued else "no writable place was found to keep your edit")
            raise EditNotSaved(f"{exc.message}; {where}", rescued_to=rescued, path=self.path) from None


def save_rescue(path: str, data: bytes) -> str | None:
    """Write the re-encrypted ``data`` of an edit that could not be saved; return where, or None.

    Only ciphertext is ever written here.  The name keeps the file's extension
    (``secrets.rescued-20261201T120000.yaml``) so ``sealfile decrypt`` reads it
    in the right format.  Tried in order: the file's own directory, the state
    directory (``$XDG_STATE_HOME/sealfile``, else ``~/.local/state/sealfile``),
    the system temp directory.  Mode 0600, never overwriting anything.
    """
    import time

    base = os.path.basename(path)
    stem, dot, ext = base.rpartition(".")
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    name = f"{stem}.rescued-{stamp}.{ext}" if dot and stem else f"{base}.rescued-{stamp}"
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
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


def start_edit(path: str | os.PathLike[str], *, show_master_keys: bool = False, ignore_mac: bool = False,
               decryption_order: str | Sequence[str] | None = None, input_type: str | None = None,
               output_type: str | None = None, filename_override: str | None = None, config: Any = None,
               indent: int | None = None, age: str | Sequence[str] | None = None,
               pgp: str | Sequence[str] | None = None, recipients: TMapping[str, Any] | None = None,
               encryption_context: str | TMapping[str, str] | None = None, aws_profile: str | None = None,
               shamir_threshold: int | None = None, mac_only_encrypted: bool | None = None,
               env: TMapping[str, str] | None = None, **selectors: str | None) -> EditSession:
    """Decrypt ``path`` for editing, or prepare a new file from sops's example when it does not exist.

    Key and selector options only matter for a new file (an existing file's
    metadata decides everything, as in sops).
    """
    p = os.fspath(path)
    env_map = environ(env)
    bad = set(selectors) - set(KINDS)
    if bad:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(bad))}")
    fmt_in, fmt_out = api.resolve_types(p, input_type, output_type, filename_override)
    try:
        check_writable(p)  # before the user spends time in the editor
    except WriteError as exc:
        raise WriteError(f"{exc.message}; not opening the editor, since the edit could not be saved",
                         path=p) from None
    if os.path.exists(p):
        return _open_existing(p, fmt_in, fmt_out, show_master_keys=show_master_keys, ignore_mac=ignore_mac,
                              decryption_order=decryption_order, config=config, indent=indent, env=env_map)
    options = dict(age=age, pgp=pgp, recipients=recipients, encryption_context=encryption_context,
                   aws_profile=aws_profile, shamir_threshold=shamir_threshold, mac_only_encrypted=mac_only_encrypted,
                   config=config or None, indent=indent, env=env_map,
                   **{k: v for k, v in selectors.items() if v is not None})
    return _new_file(p, fmt_in, fmt_out, filename_override or p, options)


def _open_existing(path: str, fmt_in: str, fmt_out: str, *, show_master_keys: bool, ignore_mac: bool,
                   decryption_order: str | Sequence[str] | None, config: Any, indent: int | None,
                   env: dict[str, str]) -> EditSession:
    df = api.open_file(path, input_type=fmt_in, ignore_mac=ignore_mac, decryption_order=decryption_order,
                       indent=indent, env=env, config=config or None)
    in_store = df.store
    original = df.docs
    try:
        out_store = in_store if fmt_out == fmt_in else _store(fmt_out, config, indent, env)
        nulls = fmt_out in ("json", "binary")
        if show_master_keys:
            initial = out_store.dump_encrypted(df.docs, df.metadata.to_tree(for_json=nulls))
        else:
            initial = out_store.dump_plain(df.docs)
    except SealfileError as exc:
        raise exc.with_path(path)

    def finish(edited: bytes) -> bytes:
        # as sops: the editor shows the output format, the edited text is read with the input store
        docs = in_store.load_plain(edited)
        if show_master_keys:
            try:
                docs, meta_tree = in_store.load_encrypted(edited)
            except ParseError as exc:
                raise MetadataError(exc.message) from None
            df.metadata = Metadata.from_tree(meta_tree)
        elif in_store.has_metadata(docs):
            raise AlreadyEncrypted("reserved top-level key")
        if not docs:
            raise EmptyDocument("no document")
        if fmt_in == "json":
            for new_doc, old_doc in zip(docs, original):
                _keep_float_types(new_doc, old_doc)
        meta = df.metadata
        # dotenv/INI metadata is flattened and sorted by every sops, so only YAML/JSON show a layout
        program = VERSION_FOR_LAYOUT.get(meta.layout, SOPS_VERSION) if fmt_out in _LAYOUT_FORMATS else SOPS_VERSION
        if version_is_newer(program, meta.version):
            meta.version = program
        df.docs = docs
        return df.reencrypt(out_store, json_nulls=nulls)

    return EditSession(path, initial, finish, is_new=False)


def _keep_float_types(new: Any, old: Any) -> Any:
    """Give an unchanged JSON number back its original float type (in place; returns ``new``).

    JSON text cannot tell ``2`` from ``2.0``: sops 3.11 wrote every number as
    ``type:float`` and shows it as ``2``, which parses back as an int.  Keeping
    the float when the plaintext bytes are the same keeps the IV stash hit, so
    an untouched number keeps its ciphertext.  Pairs of containers wait on an
    explicit stack (an edited file may nest 10,000 levels).
    """
    new = _kept_number(new, old)
    pending = [(new, old)]
    while pending:
        new_node, old_node = pending.pop()
        for slot, index, old_value in _matching_children(new_node, old_node):
            value = slot[index]
            if isinstance(value, list):
                pending.append((value, old_value))
            else:
                slot[index] = _kept_number(value, old_value)
    return new


def _matching_children(new: Any, old: Any) -> list[tuple[list, int, Any]]:
    """(container, index, old counterpart) of ``new``'s children: same key and occurrence, or position."""
    if isinstance(new, Mapping) and isinstance(old, Mapping):
        before: dict[tuple[Any, int], Any] = {}
        counts: dict[Any, int] = {}
        for key, value in old:
            if not isinstance(key, Comment):
                counts[key] = counts.get(key, 0) + 1
                before[(key, counts[key])] = value
        counts.clear()
        out = []
        for item in new:
            if not isinstance(item[0], Comment):
                counts[item[0]] = counts.get(item[0], 0) + 1
                out.append((item, 1, before.get((item[0], counts[item[0]]))))
        return out
    if type(new) is list and type(old) is list:
        return [(new, i, old[i]) for i in range(min(len(new), len(old)))]
    return []


def _kept_number(new: Any, old: Any) -> Any:
    if type(new) is int and type(old) is float and float(new) == old and _same_plaintext(new, old):
        return old
    return new


def _same_plaintext(a: Any, b: Any) -> bool:
    try:
        return plaintext_of(a)[0] == plaintext_of(b)[0]
    except EncryptError:
        return False


def _new_file(path: str, fmt_in: str, fmt_out: str, name: str, options: dict[str, Any]) -> EditSession:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise WriteError(f"cannot create the file: directory {directory} does not exist", path=path)
    try:
        in_store = _store(fmt_in, options["config"], options["indent"], options["env"])
        out_store = in_store if fmt_out == fmt_in else _store(fmt_out, options["config"], options["indent"],
                                                              options["env"])
        docs = in_store.load_plain(example_text(fmt_in))
        initial = out_store.dump_plain(docs)
        # fail on a missing rule or unusable key now, before the user spends time in the editor
        api.encrypt_data(example_text(fmt_in), input_type=fmt_in, output_type=fmt_out, filename=name, **options)
    except SealfileError as exc:
        raise exc.with_path(path)

    def finish(edited: bytes) -> bytes:
        return api.encrypt_data(edited, input_type=fmt_in, output_type=fmt_out, filename=name, **options)

    return EditSession(path, initial, finish, is_new=True)


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


def editor_command(env: TMapping[str, str] | None = None) -> list[str]:
    """The editor as an argv prefix: ``$SOPS_EDITOR``/``$EDITOR``/``$VISUAL`` split shell-like, else vim, nano, vi."""
    env = os.environ if env is None else env
    for name in EDITOR_VARIABLES:
        value = env.get(name)
        if not value:
            continue
        try:
            parts = shlex.split(value)
        except ValueError:
            parts = []
        if not parts:
            raise EditorError(f"Could not run editor: invalid ${name}: {value}")
        return parts
    for name in FALLBACK_EDITORS:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return [found]
    raise EditorError("Could not run editor: no editor available: sealfile uses the editor in $SOPS_EDITOR, "
                      "$EDITOR or $VISUAL, and otherwise the first of vim, nano, vi found on PATH, but none "
                      "of them could be found")


def run_editor(command: Sequence[str], path: str, env: TMapping[str, str] | None = None) -> None:
    """Run the editor on ``path`` with the terminal inherited; raise :class:`EditorError` unless it exits 0.

    If this is interrupted (a signal handler raising, KeyboardInterrupt), the
    editor is stopped before the exception goes on, so the caller can safely
    delete the file it was editing.
    """
    argv = [*command, path]
    try:
        proc = subprocess.Popen(argv, env=None if env is None else dict(env))
    except FileNotFoundError:
        raise EditorError(f'Could not run editor: exec: "{argv[0]}": executable file not found in $PATH') from None
    except OSError as exc:
        raise EditorError(f'Could not run editor: exec: "{argv[0]}": {exc.strerror}') from None
    try:
        code = proc.wait()
    except BaseException:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except BaseException:
            proc.kill()
            proc.wait()
        raise
    if code < 0:
        name = signal.strsignal(-code) or f"signal {-code}"
        raise EditorError(f"Could not run editor: signal: {name.lower()}")
    if code > 0:
        raise EditorError(f"Could not run editor: exit status {code}")
