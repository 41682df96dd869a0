"""Which exit code an error gets, per command: sops's codes, including where its commands differ.

An error's class carries sops's usual code (``exit_code``).  Some sops
commands report the same failure differently, and only the command line knows
which command ran, so those differences live here rather than in the library.
"""
from __future__ import annotations

from ..errors import ExitCode, FileMissing, NoFileSpecified, SealfileError

__all__ = ["exit_code"]

#: (command, error class) -> code, where the command differs from the class's own code
_OVERRIDES: dict[tuple[str, type[SealfileError]], int] = {
    # sops: "Error reading file" is exit 2 in these commands, 100 in decrypt/encrypt/edit
    ("set", FileMissing): ExitCode.COULD_NOT_READ_INPUT,
    ("unset", FileMissing): ExitCode.COULD_NOT_READ_INPUT,
    ("exec-env", FileMissing): ExitCode.COULD_NOT_READ_INPUT,
    ("exec-file", FileMissing): ExitCode.COULD_NOT_READ_INPUT,
    ("rotate", FileMissing): ExitCode.COULD_NOT_READ_INPUT,
    ("groups", FileMissing): ExitCode.COULD_NOT_READ_INPUT,
    ("groups", NoFileSpecified): ExitCode.COULD_NOT_READ_INPUT,
    ("updatekeys", FileMissing): ExitCode.GENERIC,
    # check: 1 means findings, so a failure to check at all is 2
    ("check", SealfileError): 2,
    # sops: "cannot check file status", whatever the cause
    ("filestatus", SealfileError): ExitCode.GENERIC,
}


def exit_code(exc: SealfileError, command: str | None) -> int:
    """The code ``command`` exits with for ``exc``."""
    if command is not None:
        for cls in type(exc).__mro__:
            code = _OVERRIDES.get((command, cls))  # type: ignore[arg-type]
            if code is not None:
                return code
    return exc.exit_code
