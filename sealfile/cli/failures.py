"""How a failed run ends: one line on stderr (the per-key report for exit 128) and sops's exit code.

Used by the click application and by the click-free fast path alike, so an
error looks and exits the same whichever parsed the command line.
"""
from __future__ import annotations

import os
import sys
from typing import Callable, NoReturn

from ..errors import NoKeyCouldDecrypt, SealfileError
from .exitcodes import exit_code

__all__ = ["fail", "report", "guarded"]


def fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"sealfile: error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


def report(exc: SealfileError, command: str | None) -> NoReturn:
    """Print ``exc`` (never a secret: messages name files, key paths and recipients) and exit."""
    code = exit_code(exc, command)
    if isinstance(exc, NoKeyCouldDecrypt):
        sys.stderr.write(f"sealfile: error: {exc}\n")
        for line in exc.report.splitlines():
            sys.stderr.write(f"  {line}\n" if line else "\n")
        sys.stderr.flush()
        sys.exit(code)
    fail(str(exc), code)


def guarded(run: Callable[[], None], command: str | None) -> None:
    """Run ``run``; turn every way it can fail into a line and an exit code, never a traceback."""
    try:
        run()
    except SealfileError as exc:
        report(exc, command)
    except KeyboardInterrupt:
        fail("interrupted", 85)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        if os.environ.get("SEALFILE_DEBUG"):
            raise
        fail(f"internal error ({type(exc).__name__}); set SEALFILE_DEBUG=1 for a traceback", 1)
