"""Reading inputs and writing outputs without ever losing a file.

In-place writes go to a temp file in the same directory, are fsynced and
renamed over the original, keeping its mode: a crash leaves the old file or
the new one, never a truncated one.
"""
from __future__ import annotations

import os
import stat
import sys
import tempfile

from .errors import FileMissing, ParseError, WriteError


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


def atomic_write(path: str, data: bytes, *, new_file_mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically, preserving an existing file's mode.

    ``new_file_mode`` applies when ``path`` does not exist yet (default: 0666
    minus the umask, like any new file).
    """
    if path in ("-", "/dev/stdout"):
        write_stdout(data)
        return
    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        if new_file_mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        else:
            mode = new_file_mode
    except OSError as exc:
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(target) + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
        try:
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
    except OSError as exc:
        raise WriteError(f"cannot write file: {exc.strerror}", path=path) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_result(data: bytes, path: str, *, in_place: bool, output: str | None,
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
