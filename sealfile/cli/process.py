"""Running the command of exec-env / exec-file: process control stays on the command line.

The library decides what the command gets (``api.exported_environment``,
``api.decrypted_content``); this module starts it through ``/bin/sh -c``,
forwards SIGINT/SIGTERM to it, serves the plaintext through a FIFO (or, with
``no_fifo``, a 0600 file) in a fresh 0700 directory removed however the run
ends, switches ``--user``, and reports the child's status as sops does
(:class:`ChildFailed` carries it).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from types import FrameType
from typing import Any, Callable

from .. import api
from ..errors import ChildFailed, CommandError, Interrupted, SealfileError, WriteError

__all__ = ["switch_user", "run_with_env", "run_with_file", "SHELL"]

SHELL = "/bin/sh"
_CHUNK = 1 << 16
_FORWARDED = (signal.SIGINT, signal.SIGTERM)


def switch_user(name: str) -> None:
    """Become ``name`` (its uid, primary gid and groups) for the rest of the run, as sops's --user."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise CommandError(f"--user: unknown user {name}") from None
    try:
        os.initgroups(entry.pw_name, entry.pw_gid)
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    except OSError as exc:
        raise CommandError(f"--user: cannot switch to user {name}: {exc.strerror}") from None


# --- running the child --------------------------------------------------------------------

def _signal_name(signum: int) -> str:
    """Go's lower-case signal text (``terminated``, ``killed``...) from the C library's."""
    text = signal.strsignal(signum) or f"signal {signum}"
    return text[:1].lower() + text[1:]


def _check_status(returncode: int) -> None:
    if returncode == 0:
        return
    if returncode < 0:
        raise ChildFailed(f"signal: {_signal_name(-returncode)}", 255)
    raise ChildFailed(f"exit status {returncode}", returncode)


def _keyboard_reached_child() -> bool:
    """True when our process group is the terminal's foreground group: a Ctrl-C reached the child too.

    Forwarding it again would make tools such as terraform see a second
    interrupt and abort without cleaning up.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return False  # no controlling terminal: the signal was sent to us alone
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


class _SignalForwarder:
    """While the child runs, SIGINT/SIGTERM go to it; before it starts they cancel the run."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.pending: list[int] = []
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> "_SignalForwarder":
        if threading.current_thread() is threading.main_thread():
            for signum in _FORWARDED:
                self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.proc is None:
            self.pending.append(signum)
        else:
            self._forward(signum)

    def _forward(self, signum: int) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        if signum == signal.SIGINT and _keyboard_reached_child():
            return
        try:
            self.proc.send_signal(signum)
        except (ProcessLookupError, OSError):
            pass

    def _cancel_if_pending(self) -> None:
        if self.pending:
            signum = self.pending[0]
            raise Interrupted(f"interrupted by signal: {_signal_name(signum)}", signum)

    def run(self, argv: list[str], env: dict[str, str]) -> int:
        """Start the command, wait for it (forwarding signals) and return its status."""
        self._cancel_if_pending()
        _flush_stdio()
        self.proc = subprocess.Popen(argv, env=env)
        for signum in self.pending:
            self._forward(signum)
        return self.proc.wait()


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def _shell(command: str) -> list[str]:
    return [SHELL, "-c", command]


def _start_background(argv: list[str], env: dict[str, str]) -> None:
    """Start and forget, like Go's ``cmd.Start()`` with no stdio (the child gets /dev/null)."""
    try:
        subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    except OSError as exc:
        raise CommandError(f"cannot start {SHELL}: {exc.strerror}") from None


def run_with_env(command: str, env: dict[str, str], *, background: bool = False,
                 same_process: bool = False) -> None:
    """Run ``command`` through ``/bin/sh -c`` with ``env``; raise :class:`ChildFailed` on failure."""
    argv = _shell(command)
    if same_process:
        _flush_stdio()
        for name in ("SIGPIPE", "SIGXFSZ"):  # Python ignores these; an exec'd program must not
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        try:
            os.execve(SHELL, argv, env)
        except OSError as exc:
            raise CommandError(f"cannot run {SHELL}: {exc.strerror}") from None
    if background:
        _start_background(argv, env)
        return
    with _SignalForwarder() as forwarder:
        try:
            status = forwarder.run(argv, env)
        except OSError as exc:
            raise CommandError(f"cannot run {SHELL}: {exc.strerror}") from None
    _check_status(status)


class _FifoWriter(threading.Thread):
    """Writes the plaintext once, to the first reader that opens the FIFO (as sops does).

    ``stop`` releases a writer still waiting for a reader (the command never
    opened the FIFO) so nothing hangs after the command exits.
    """

    def __init__(self, path: str, data: bytes) -> None:
        super().__init__(name="sealfile-fifo-writer", daemon=True)
        self.path = path
        self.data = data
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CLOEXEC)
        except OSError:
            return
        try:
            view = memoryview(self.data)
            while view and not self._stopping.is_set():
                view = view[os.write(fd, view[:_CHUNK]):]
        except OSError:
            pass  # the reader closed early
        finally:
            os.close(fd)

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        if not self.is_alive():
            return
        try:
            reader: int | None = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            reader = None
        deadline = time.monotonic() + timeout
        try:
            while self.is_alive() and time.monotonic() < deadline:
                if reader is not None:
                    try:
                        while os.read(reader, _CHUNK):
                            pass
                    except BlockingIOError:
                        pass
                self.join(0.01)
        finally:
            if reader is not None:
                os.close(reader)


def _write_private_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


class _PrivateDir:
    """A fresh 0700 directory holding the FIFO or file; removed on every way out."""

    def __init__(self) -> None:
        self.path = ""
        self.writer: _FifoWriter | None = None

    def __enter__(self) -> "_PrivateDir":
        try:
            self.path = tempfile.mkdtemp(prefix=".sealfile-")
        except OSError as exc:
            raise WriteError(f"cannot create a private temporary directory: {exc.strerror}") from None
        return self

    def place(self, name: str, data: bytes, *, fifo: bool) -> str:
        target = os.path.join(self.path, name)
        try:
            if fifo:
                os.mkfifo(target, 0o600)
                os.chmod(target, 0o600)
                self.writer = _FifoWriter(target, data)
                self.writer.start()
            else:
                _write_private_file(target, data)
        except OSError as exc:
            raise WriteError(f"cannot create {name} in a private temporary directory: {exc.strerror}") from None
        return target

    def __exit__(self, *_: object) -> None:
        if self.writer is not None:
            self.writer.stop()
        if self.path:
            shutil.rmtree(self.path, ignore_errors=True)


def _run_with_file_here(command: str, data: bytes, *, fifo: bool, name: str,
                        env: dict[str, str]) -> None:
    with _SignalForwarder() as forwarder, _PrivateDir() as private:
        target = private.place(name, data, fifo=fifo)
        try:
            status = forwarder.run(_shell(command.replace("{}", target)), env)
        except OSError as exc:
            raise CommandError(f"cannot run {SHELL}: {exc.strerror}") from None
    _check_status(status)


def _run_in_watcher(work: Callable[[], None]) -> None:
    """--background for exec-file: a forked watcher serves the file and cleans up; we return now.

    (sops starts the command and removes the file at once, so the command finds
    nothing; the watcher keeps the promise that the directory goes away
    afterwards.)  The watcher's stdio is /dev/null, like the background command's.
    """
    _flush_stdio()
    pid = os.fork()
    if pid:
        return
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        work()
        code = 0
    except SealfileError as exc:
        code = exc.exit_code
    except BaseException:  # noqa: BLE001 - the watcher must never return into the caller
        code = 1
    finally:
        os._exit(code)


def run_with_file(command: str, data: bytes, *, fifo: bool = True, filename: str | None = None,
                  background: bool = False, env: dict[str, str] | None = None) -> None:
    """Serve ``data`` as ``{}`` to ``command`` (``/bin/sh -c``), then remove it.

    Raises :class:`ChildFailed` with the command's status when it fails.
    """
    name = api.check_filename(filename)
    child_env = dict(os.environ) if env is None else env

    def work() -> None:
        _run_with_file_here(command, data, fifo=fifo, name=name, env=child_env)

    if background:
        _run_in_watcher(work)
    else:
        work()
