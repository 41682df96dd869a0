"""Command line: sops's command line over the public API.

Only this package imports click, prints, prompts, handles signals and starts
processes.  The application lives in :mod:`.app` and each command in the
module named after it, loaded when that command runs; ``sealfile --version``
answers before any of that is imported.
"""
from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run one command line.

    A plain ``decrypt`` or ``encrypt`` (the click-free fast path) runs with the
    cyclic garbage collector off: it handles one file and exits, the trees it
    builds hold no reference cycles, and on a large file the collector's
    passes over millions of values cost a fifth of the run (50 MB YAML
    decrypt: 23 s with it, 18 s without).  Commands that walk many files
    (``check``, ``access``) keep it, as do library callers: only this process
    entry point changes it.  When it is the process's entry point (no
    ``argv``), what is alive at the end is frozen: the interpreter's shutdown
    still runs full collections, and over every module's objects they cost
    3 to 4 ms of a run that may take 50 ms in all.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:  # the one answer that needs nothing else (scripts check it at every start)
        from .. import __version__

        sys.stdout.write(f"sealfile {__version__} (sops 3.11.0 file format)\n")
        return
    from .fast import parse_fast

    fast = parse_fast(args)
    if fast is None:
        from .app import main as run

        run(args)
        return
    verb, command, file, values = fast
    import gc

    gc.disable()
    from .failures import guarded
    from .process_env import quiet_grpc

    if verb == "decrypt":
        from .decrypt import run_decrypt as run_fast
    else:
        from .encrypt import run_encrypt as run_fast
    quiet_grpc()
    guarded(lambda: run_fast(None, file, **values), command)
    if argv is None:
        gc.freeze()
