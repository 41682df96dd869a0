"""sealfile edit / sealfile FILE: the editor loop around the library's edit session.

This is the terminal side: running the editor, prompting after an invalid
edit, and signals.  The plaintext temp directory is removed on every way out
(success, no change, editor failure, giving up, Ctrl+C at the prompt,
SIGTERM/SIGHUP); removal runs with those signals held back so it cannot be
cut short.  While the editor runs, Ctrl+C belongs to the editor, as it would
in a terminal.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import click

from .. import api
from ..errors import EditAbandoned, ExitCode, InvalidEdit, Interrupted, SealfileError
from . import options as opt
from .editor import editor_command, run_editor
from .requests import warn_unknown_config_fields

__all__ = ["edit", "run_edit", "PRESS_KEY"]

PRESS_KEY = "Press enter to return to the editor, or Ctrl+C to exit."
_FATAL_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))
_HELD_SIGNALS = {signal.SIGINT, *_FATAL_SIGNALS}


class _Terminated(BaseException):
    """Raised by the SIGTERM/SIGHUP handler so that ``finally`` blocks run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _raise_on_termination() -> Iterator[None]:
    if not _main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        raise _Terminated(signum)

    previous = {s: signal.signal(s, handler) for s in _FATAL_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def _held_signals() -> Iterator[None]:
    """Delay SIGINT/SIGTERM/SIGHUP until the block is done (creating or removing the plaintext)."""
    if not _main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def _ctrl_c_for_editor() -> Iterator[None]:
    """Let Ctrl+C reach only the editor: a no-op handler here (a handler, unlike SIG_IGN, resets on exec)."""
    if not _main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda _s, _f: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ask_to_retry(exc: SealfileError) -> bool:
    """Show why the edit was refused and wait for Enter; False when stdin is at EOF.

    Reads byte by byte from the descriptor so nothing meant for the editor is buffered away.
    """
    sys.stderr.write(f"sealfile: error: {exc}\n{PRESS_KEY}\n")
    sys.stderr.flush()
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    while True:
        try:
            byte = os.read(fd, 1)
        except OSError:
            return False
        if not byte:
            return False
        if byte == b"\n":
            return True


def _edit_loop(session: api.EditSession, command: list[str]) -> bytes | None:
    """Run the editor until the text is valid; the encrypted file, or None when nothing changed."""
    workspace: api.Workspace | None = None
    try:
        with _held_signals():
            workspace = api.Workspace(session.filename, session.initial)
        while True:
            with _ctrl_c_for_editor():
                run_editor(command, workspace.path)
            edited = workspace.edited()
            if edited is None:
                return None
            try:
                return session.apply(edited)
            except InvalidEdit as exc:
                if not _ask_to_retry(exc):
                    raise EditAbandoned(f"{exc.message} (standard input is closed, so the editor cannot be "
                                        "re-opened; the file was not changed)", exc.cause,
                                        file=session.path) from None
    finally:
        if workspace is not None:
            with _held_signals():
                workspace.remove()


def run_edit(ctx: click.Context | None, file: str | None, *, show_master_keys: bool = False,
             ignore_mac: bool = False, decryption_order: str | None = None, input_type: str | None = None,
             output_type: str | None = None, filename_override: str | None = None,
             config_path: str | None = None, indent: int | None = None, **kw: Any) -> None:
    """Edit FILE (also ``sealfile FILE``); ``kw`` holds the recipient and selector options for a new file.

    Other legacy options that may be in ``kw`` are ignored, as by sops.
    """
    path = opt.require_file(file)
    settings = opt.settings(ctx, config_path=config_path, indent=indent, decryption_order=decryption_order,
                            file=path)
    warn_unknown_config_fields(settings)
    recipients = opt.recipients(kw)
    options = opt.encrypt_options(kw)
    if not options.mac_only_encrypted and opt.global_value(ctx, "mac_only_encrypted", None):
        options = api.EncryptOptions(selectors=options.selectors, mac_only_encrypted=True)
    result: bytes | None = None
    try:
        with _raise_on_termination():
            session = api.start_edit(path, show_master_keys=show_master_keys, ignore_mac=ignore_mac,
                                     input_type=input_type, output_type=output_type,
                                     filename_override=filename_override, recipients=recipients, options=options,
                                     settings=settings)
            command = editor_command(os.environ)
            result = _edit_loop(session, command)
            if result is not None:
                session.save(result)
    except _Terminated as exc:
        outcome = "" if result is not None else "; the file was not changed"
        raise Interrupted(f"interrupted by {signal.Signals(exc.signum).name}{outcome}", exc.signum,
                          file=path) from None
    except SealfileError as exc:
        raise exc.with_path(path)
    if result is None:
        sys.stderr.write("File has not changed, exiting.\n")
        sys.stderr.flush()
        sys.exit(ExitCode.FILE_NOT_MODIFIED)


@click.command("edit")
@opt.input_type
@opt.output_type
@opt.config
@opt.indent
@opt.recipient_options
@opt.selector_options
@opt.show_master_keys
@opt.ignore_mac
@opt.decryption_order
@click.argument("file", required=False)
@click.pass_context
def edit(ctx: click.Context, file: str | None, **kw: Any) -> None:
    """Edit FILE in $SOPS_EDITOR / $EDITOR; a missing FILE is created from an example.

    Values you do not change keep their exact ciphertext, so the diff shows
    only what you edited.  Key and selector flags apply to new files only.
    """
    run_edit(ctx, file, **kw)
