"""Which editor to run and running it (``$SOPS_EDITOR``/``$EDITOR``/``$VISUAL``, else vim, nano, vi)."""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
from typing import Mapping as TMapping, Sequence

from ..errors import EditorError

__all__ = ["editor_command", "run_editor", "EDITOR_VARIABLES", "FALLBACK_EDITORS"]

#: checked in this order; SEALFILE_ wins over SOPS_ as everywhere else, VISUAL is a last resort
EDITOR_VARIABLES = ("SEALFILE_EDITOR", "SOPS_EDITOR", "EDITOR", "VISUAL")
FALLBACK_EDITORS = ("vim", "nano", "vi")


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
