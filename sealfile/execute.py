"""exec-env / exec-file: hand decrypted secrets to a command without writing them to disk.

exec-env puts the first document's top-level values into the child's
environment, formatted as sops does (``ValToString``); exec-file serves the
decrypted file through a FIFO (or, with ``no_fifo``, a 0600 file) in a fresh
0700 directory that is removed however the run ends.  The child's exit status
is reported as sops reports it: :class:`ChildFailed` carries it as the exit code.

This module never prints; it raises :class:`~sealfile.errors.SealfileError`.
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
from typing import Any, Callable, Mapping as TMapping, Sequence

from . import api
from .errors import ExitCode, FileMissing, SealfileError
from .fileio import read_input
from .stores.dotenv import val_to_string
from .core.tree import Comment, Mapping

__all__ = ["ChildFailed", "Interrupted", "format_value", "environment_pairs", "build_environment",
           "check_filename", "decrypt_document", "decrypt_plaintext", "switch_user", "exec_env",
           "exec_file", "run_with_env", "run_with_file", "DEFAULT_FILENAME"]

#: name of the FIFO / file inside the private directory, as in sops
DEFAULT_FILENAME = "tmp-file"
SHELL = "/bin/sh"
_CHUNK = 1 << 16
_FORWARDED = (signal.SIGINT, signal.SIGTERM)

#: Go's ``ValToString``: ``5432.0``, ``1E+20``, ``true``, RFC 3339 times, ``<nil>``
format_value: Callable[[Any], str] = val_to_string


class ChildFailed(SealfileError):
    """The command ran and failed; its status becomes ours (a signal death is 255, as in sops)."""


class Interrupted(SealfileError):
    """A forwarded signal arrived before the command could be started."""


# --- building the environment -------------------------------------------------------------

def environment_pairs(doc: Mapping) -> list[tuple[str, str]]:
    """(name, value) for each top-level item of ``doc``, refusing what an environment cannot hold.

    The checks run in sops's order (complex value, comment, non-string key, ``=``),
    so the first offending key reported is the same one.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in doc:
        if isinstance(value, (Mapping, list)):
            raise SealfileError(f"cannot use complex value in environment; offending key {key}")
        if isinstance(key, Comment):
            continue
        if not isinstance(key, str):
            raise SealfileError(f"cannot use non-string keys in environment, got {type(key).__name__}")
        if "=" in key:
            raise SealfileError(f"cannot use keys with '=' in environment: {key}")
        text = value if isinstance(value, str) else format_value(value)
        if "\0" in key or "\0" in text:
            # Go's exec refuses too; name the key, never the value
            raise SealfileError(f"cannot put a NUL byte in the environment; offending key {key.replace(chr(0), '?')}")
        pairs.append((key, text))
    return pairs


def build_environment(pairs: Sequence[tuple[str, str]], *, pristine: bool = False,
                      base: TMapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``base`` (default ``os.environ``) unless pristine, then ``pairs``.

    A later entry replaces an earlier one and moves to its place, as Go's
    ``exec.Cmd`` de-duplicates ``Env``.
    """
    env: dict[str, str] = {} if pristine else dict(os.environ if base is None else base)
    for key, value in pairs:
        env.pop(key, None)
        env[key] = value
    return env


# --- decrypting ---------------------------------------------------------------------------

def _read(path: str) -> bytes:
    try:
        return read_input(path)
    except FileMissing as exc:
        exc.exit_code = ExitCode.COULD_NOT_READ_INPUT  # sops: "Error reading file", exit 2
        raise


def decrypt_document(path: str, *, input_type: str | None = None, ignore_mac: bool = False,
                     decryption_order: str | None = None, config: Any = None,
                     env: TMapping[str, str] | None = None) -> Mapping:
    """The first decrypted document of ``path`` (what exec-env exports)."""
    fmt, _ = api.resolve_types(path, input_type, None, None)
    try:
        result = api.decrypt_tree(_read(path), input_type=fmt, ignore_mac=ignore_mac,
                                  decryption_order=decryption_order, env=env, config=config)
    except SealfileError as exc:
        raise exc.with_path(path)
    return result.docs[0] if result.docs else Mapping()


def decrypt_plaintext(path: str, *, input_type: str | None = None, output_type: str | None = None,
                      ignore_mac: bool = False, decryption_order: str | None = None,
                      indent: int | None = None, config: Any = None,
                      env: TMapping[str, str] | None = None) -> bytes:
    """The decrypted file in ``output_type`` (default: the format of the file's name)."""
    fmt_in, fmt_out = api.resolve_types(path, input_type, output_type, None)
    try:
        return api.decrypt_data(_read(path), input_type=fmt_in, output_type=fmt_out, ignore_mac=ignore_mac,
                                decryption_order=decryption_order, indent=indent, env=env, config=config)
    except SealfileError as exc:
        raise exc.with_path(path)


def check_filename(name: str | None) -> str:
    """The FIFO's name: one plain path component, so the plaintext stays in the private directory.

    sops accepts ``../x`` and ``/x`` (and then leaves the file behind); sealfile refuses them.
    """
    if name is None or name == "":
        return DEFAULT_FILENAME
    if "/" in name or name in (".", "..") or "\0" in name:
        raise SealfileError(f"--filename must be a plain file name without '/', got {name!r}")
    return name


def switch_user(name: str) -> None:
    """Become ``name`` (its uid, primary gid and groups) for the rest of the run, as sops's --user."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SealfileError(f"--user: unknown user {name}") from None
    try:
        os.initgroups(entry.pw_name, entry.pw_gid)
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    except OSError as exc:
        raise SealfileError(f"--user: cannot switch to user {name}: {exc.strerror}") from None


# --- running the child --------------------------------------------------------------------

def _signal_name(signum: int) -> str:
    """Go's lower-case signal text (``terminated``, ``killed``...) from the C library's."""
    text = signal.strsignal(signum) or f"signal {signum}"
    return text[:1].lower() + text[1:]


def _check_status(returncode: int) -> None:
    if returncode == 0:
        return
    if returncode < 0:
        raise ChildFailed(f"signal: {_signal_name(-returncode)}", exit_code=255)
    raise ChildFailed(f"exit status {returncode}", exit_code=returncode)


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
            raise Interrupted(f"interrupted by signal: {_signal_name(signum)}", exit_code=128 + signum)

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
        raise SealfileError(f"cannot start {SHELL}: {exc.strerror}") from None


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
            raise SealfileError(f"cannot run {SHELL}: {exc.strerror}") from None
    if background:
        _start_background(argv, env)
        return
    with _SignalForwarder() as forwarder:
        try:
            status = forwarder.run(argv, env)
        except OSError as exc:
            raise SealfileError(f"cannot run {SHELL}: {exc.strerror}") from None
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
            raise SealfileError(f"cannot create a private temporary directory: {exc.strerror}",
                                exit_code=ExitCode.COULD_NOT_WRITE_OUTPUT) from None
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
            raise SealfileError(f"cannot create {name} in a private temporary directory: {exc.strerror}",
                                exit_code=ExitCode.COULD_NOT_WRITE_OUTPUT) from None
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
            raise SealfileError(f"cannot run {SHELL}: {exc.strerror}") from None
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
    name = check_filename(filename)
    child_env = dict(os.environ) if env is None else env

    def work() -> None:
        _run_with_file_here(command, data, fifo=fifo, name=name, env=child_env)

    if background:
        _run_in_watcher(work)
    else:
        work()


def exec_env(path: str, command: str, *, pristine: bool = False, background: bool = False,
             same_process: bool = False, user: str | None = None, input_type: str | None = None,
             ignore_mac: bool = False, decryption_order: str | None = None, config: Any = None,
             env: TMapping[str, str] | None = None) -> None:
    """sops exec-env: run ``command`` with the file's top-level values in its environment.

    ``env`` is where keys are looked up and what the command inherits
    (default ``os.environ``).
    """
    if background and same_process:
        raise SealfileError("The --same-process flag cannot be used with --background",
                            exit_code=ExitCode.CONFLICTING_PARAMETERS)
    doc = decrypt_document(path, input_type=input_type, ignore_mac=ignore_mac,
                           decryption_order=decryption_order, config=config, env=env)
    try:
        pairs = environment_pairs(doc)
    except SealfileError as exc:
        raise exc.with_path(path)
    child_env = build_environment(pairs, pristine=pristine, base=env)
    if user:
        switch_user(user)
    run_with_env(command, child_env, background=background, same_process=same_process)


def exec_file(path: str, command: str, *, no_fifo: bool = False, filename: str | None = None,
              background: bool = False, user: str | None = None, input_type: str | None = None,
              output_type: str | None = None, ignore_mac: bool = False, decryption_order: str | None = None,
              indent: int | None = None, config: Any = None, env: TMapping[str, str] | None = None) -> None:
    """sops exec-file: run ``command`` with ``{}`` replaced by the path of the decrypted file."""
    check_filename(filename)
    data = decrypt_plaintext(path, input_type=input_type, output_type=output_type, ignore_mac=ignore_mac,
                             decryption_order=decryption_order, indent=indent, config=config, env=env)
    if user:
        switch_user(user)
    run_with_file(command, data, fifo=not no_fifo, filename=filename, background=background,
                  env=dict(os.environ if env is None else env))
