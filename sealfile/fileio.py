"""Reading inputs and writing outputs without ever losing a file.

A regular file is replaced atomically: the new content goes to a temporary
file in the same directory (unnamed where Linux allows, ``O_TMPFILE``), is
fsynced, given the old file's mode, owner and group, and renamed over the
original, so a crash leaves the old file or the new one, never a truncated
one.  Anything else is written the way sops writes every output, by opening
the path and writing to it:

* FIFOs, character devices and sockets (``--output /dev/null``, a pipe that
  ``exec-file`` or a reader waits on) are written directly; renaming a regular
  file over them would destroy the node and leave plaintext behind it;
* a writable file in a directory we cannot create files in (sops succeeds
  there) is rewritten in place, as is a file whose owner or group the
  temporary file could not be given (a non-root user editing a group-writable
  file), because keeping who can read a secrets file matters more than
  atomicity.

A file that is not writable fails before anything is written (exit 3), as
sops's ``os.Create`` does.  Named temporary files carry the writer's PID in a
recognisable name (``.NAME.sealfile-PID-XXXXXX.tmp``); the next write of the
same file removes those whose writer is gone, so a SIGKILL at the wrong moment
leaves at most ciphertext that the next write cleans up.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import sys
import time
from typing import Iterable, Sequence, Union

from .errors import FileMissing, ParseError, WriteError

__all__ = ["read_input", "atomic_write", "write_result", "check_writable", "create_new", "Payload", "TEMP_MARKER"]

#: bytes, or a sequence of chunks written one after the other (large outputs are never joined)
Payload = Union[bytes, bytearray, memoryview, Sequence[bytes]]

#: part of every named temporary file's name, so stale ones can be told from the user's files
TEMP_MARKER = ".sealfile-"
#: a temp file older than this is stale even if a process with its writer's PID exists (PID reuse)
STALE_AFTER_SECONDS = 15 * 60
#: errors that mean "this directory does not let us create a file", not "the disk is broken"
_NO_CREATE = (errno.EACCES, errno.EPERM, errno.EROFS)


def read_input(path: str) -> bytes:
    if path in ("-", "/dev/stdin"):
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise FileMissing(f'cannot operate on non-existent file "{os.path.abspath(path)}"') from None
    except IsADirectoryError:
        raise ParseError("is a directory, not a file", path=path) from None
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", path=path) from None


def _chunks(data: Payload) -> Iterable[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return (data,)
    return data


def _write_all(fd: int, data: Payload) -> None:
    for chunk in _chunks(data):
        view = memoryview(chunk)
        while view:
            written = os.write(fd, view)
            view = view[written:]


def check_writable(path: str) -> None:
    """Raise WriteError (exit 3) unless ``path`` can be written as :func:`atomic_write` would.

    An existing file must be openable for writing (this sees permissions,
    read-only filesystems and immutable files exactly as the write will); a new
    file needs a directory that accepts new files.  Nothing is changed.
    """
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        directory = os.path.dirname(target) or "."
        if not os.path.isdir(directory):
            raise WriteError(f"cannot create the file: directory {directory} does not exist", path=path) from None
        import tempfile  # only to probe a directory for a new file

        try:
            fd, probe = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}{TEMP_MARKER}probe-")
        except OSError as exc:
            raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
        os.close(fd)
        os.unlink(probe)
        return
    except OSError as exc:
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    if stat.S_ISDIR(st.st_mode):
        raise WriteError("cannot write file: is a directory", path=path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK if stat.S_ISFIFO(st.st_mode) else os.O_WRONLY)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads yet: writable once a reader comes
            return
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    os.close(fd)


def atomic_write(path: str, data: Payload, *, new_file_mode: int | None = None) -> None:
    """Replace ``path`` with ``data``, atomically when it is (or will be) a regular file.

    An existing file keeps its mode, owner and group; ``new_file_mode`` applies
    when ``path`` does not exist yet (default: 0666 minus the umask, like any
    new file).  See the module docstring for the non-atomic cases.
    """
    if path in ("-", "/dev/stdout"):
        for chunk in _chunks(data):
            write_stdout(chunk)
        return
    target = os.path.realpath(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise WriteError("cannot write file: is a directory", path=path)
        _write_directly(target, data, path)
        return
    if st is not None:
        check_writable(target)
        mode = stat.S_IMODE(st.st_mode)
    elif new_file_mode is not None:
        mode = new_file_mode
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    directory = os.path.dirname(target) or "."
    _remove_stale_temps(directory, os.path.basename(target))
    try:
        replaced = _replace(target, directory, data, mode, st)
    except OSError as exc:
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    if not replaced:
        if st is None:
            raise WriteError("cannot write file: cannot create a file in its directory", path=path)
        _write_in_place(target, data, path)


def _replace(target: str, directory: str, data: Payload, mode: int, st: os.stat_result | None) -> bool:
    """Write a temp file and rename it over ``target``; False when that cannot keep the file as it was.

    False means the directory refuses new files, or the temp file cannot be
    given ``target``'s owner and group: the caller then writes in place.
    """
    base = os.path.basename(target)
    for anonymous in (True, False):
        fd, name = _open_temp(directory, base, mode, anonymous)
        if fd == _UNSUPPORTED:
            continue
        if fd < 0:
            return False
        try:
            if not _prepare(fd, mode, st):
                return False
            _write_all(fd, data)
            os.fsync(fd)
            if name is None:
                try:
                    name = _link_anonymous(fd, directory, base)
                except OSError:
                    continue  # /proc refuses the link here: write a named temp file instead
            os.replace(name, target)
            name = None
        finally:
            os.close(fd)
            if name is not None:
                try:
                    os.unlink(name)
                except OSError:
                    pass
        _fsync_directory(directory)
        return True
    return False


def _prepare(fd: int, mode: int, st: os.stat_result | None) -> bool:
    """Give the temp file the target's mode, owner and group; False when the owner cannot be kept."""
    os.fchmod(fd, mode)
    if st is not None:
        own = os.fstat(fd)
        if (own.st_uid, own.st_gid) != (st.st_uid, st.st_gid):
            try:
                os.fchown(fd, st.st_uid, st.st_gid)
            except PermissionError:
                return False
            os.fchmod(fd, mode)  # chown clears the set-id bits
    return True


def _temp_prefix(base: str) -> str:
    return f".{base}{TEMP_MARKER}{os.getpid()}-"


_UNSUPPORTED = -2


def _open_temp(directory: str, base: str, mode: int, anonymous: bool) -> tuple[int, str | None]:
    """An unnamed (``O_TMPFILE``, name None) or named temp file in ``directory``.

    An unnamed file disappears by itself if the process dies before it is
    linked into place, so a crash while writing leaves nothing behind.
    Returns (-1, None) when the directory refuses new files and
    (``_UNSUPPORTED``, None) when unnamed files are not available here.
    """
    try:
        if anonymous:
            if not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"):
                return _UNSUPPORTED, None
            return os.open(directory, os.O_TMPFILE | os.O_WRONLY, mode & 0o777), None
        import tempfile  # only where the filesystem has no unnamed files

        fd, name = tempfile.mkstemp(dir=directory, prefix=_temp_prefix(base), suffix=".tmp")
        return fd, name
    except OSError as exc:
        if exc.errno in _NO_CREATE:
            return -1, None
        if anonymous:  # EOPNOTSUPP, EISDIR, EINVAL: no O_TMPFILE on this filesystem
            return _UNSUPPORTED, None
        raise


def _link_anonymous(fd: int, directory: str, base: str) -> str:
    """Give an ``O_TMPFILE`` file a (recognisable) name so it can be renamed over the target.

    ``linkat(AT_SYMLINK_FOLLOW)`` on ``/proc/self/fd/N`` is the documented way;
    CPython only uses ``linkat`` when a directory descriptor is passed.
    """
    dfd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for _ in range(100):
            name = f"{_temp_prefix(base)}{os.urandom(4).hex()}.tmp"
            try:
                os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dfd, follow_symlinks=True)
                return os.path.join(directory, name)
            except FileExistsError:
                continue
    finally:
        os.close(dfd)
    raise OSError(errno.EEXIST, "cannot name the temporary file")


def _remove_stale_temps(directory: str, base: str) -> None:
    """Delete named temp files of ``base`` left by writers that died (never another file).

    A temp file is stale when the process in its name no longer exists, or
    when it is older than :data:`STALE_AFTER_SECONDS` (the PID may have been
    reused).  Best effort: a directory we cannot list or clean is left alone.
    """
    pattern = re.compile(re.escape(f".{base}{TEMP_MARKER}") + r"(\d+)-[A-Za-z0-9_]+\.tmp\Z")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    now = time.time()
    for name in names:
        m = pattern.match(name)
        if m is None:
            continue
        pid = int(m.group(1))
        full = os.path.join(directory, name)
        try:
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode):
                continue
            if pid != os.getpid() and (not _process_exists(pid) or now - st.st_mtime > STALE_AFTER_SECONDS):
                os.unlink(full)
        except OSError:
            continue


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _fsync_directory(directory: str) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _open_and_write(target: str, flags: int, data: Payload, path: str, *, mode: int = 0o666,
                    sync: bool = True, unlink_on_failure: bool = False) -> None:
    """Open ``target`` with ``flags``, write all of ``data`` (fsynced when ``sync``), close it."""
    try:
        fd = os.open(target, flags, mode)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    try:
        _write_all(fd, data)
        if sync:
            os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        if unlink_on_failure:
            try:
                os.unlink(target)  # never leave a half-written file under the name
            except OSError:
                pass
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    os.close(fd)


def _write_in_place(target: str, data: Payload, path: str) -> None:
    """Truncate and rewrite a regular file (sops's way), keeping its inode, owner and mode."""
    _open_and_write(target, os.O_WRONLY | os.O_TRUNC, data, path)


def _write_directly(target: str, data: Payload, path: str) -> None:
    """Write to a FIFO, device or socket node without replacing it (no fsync: it is not storage)."""
    _open_and_write(target, os.O_WRONLY, data, path, sync=False)


def create_new(path: str, data: bytes, *, mode: int) -> None:
    """Write a file that must not exist yet (``O_EXCL``: no check-then-write race), fsynced.

    Used for identities: an existing file is refused, never replaced, because
    it may hold the only key that can decrypt other files.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        _open_and_write(path, flags, data, path, mode=mode, unlink_on_failure=True)
    except FileExistsError:
        raise WriteError("the file exists and may hold an identity that files are encrypted to; refusing to "
                         "overwrite it (choose another name, or pass --force)", path=path) from None


def write_result(data: Payload, path: str, *, in_place: bool, output: str | None,
                 new_file_mode: int | None = None) -> bool:
    """Write ``data`` over ``path`` (in place) or to ``output``; False when neither was asked."""
    if in_place:
        atomic_write(path, data)
    elif output:
        atomic_write(output, data, new_file_mode=new_file_mode)
    else:
        return False
    return True


#: bytes per write to standard output: Linux writes at most 2 GiB - 4 KiB per call
_STDOUT_CHUNK = 1 << 30


def write_stdout(data: bytes) -> None:
    """Write all of ``data`` to standard output and flush it.

    An unbuffered stdout (``PYTHONUNBUFFERED``, ``python -u``) is a raw file
    whose ``write`` makes one system call and may write less than asked (always
    so beyond 2 GiB); the count must be checked, or output is silently cut.
    """
    out = sys.stdout.buffer
    with memoryview(data) as view:
        while view:
            written = out.write(view[:_STDOUT_CHUNK])
            if written is None:  # a non-blocking stdout that is full: wait until it drains
                import select

                select.select([], [out], [])
                continue
            view = view[written:]
    out.flush()
