"""The click application: the command group, sops-style routing, and where errors become output.

``main`` turns every SealfileError into one line on stderr and the exit code
sops uses for it in that command (:mod:`.exitcodes`); anything unexpected is
reported by type only (its text could contain a secret) unless
SEALFILE_DEBUG is set.
"""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from .. import __version__
from . import options as opt
from .failures import fail, guarded
from .process_env import quiet_grpc

__all__ = ["cli", "main", "COMMANDS"]

#: command name -> "module:attribute" under sealfile.cli; a command's module is imported only when it
#: runs (or for --help), so ``sealfile decrypt`` loads no editor, exec or key-flag code
COMMANDS = {
    "encrypt": "encrypt:command",
    "decrypt": "decrypt:command",
    "edit": "edit:edit",
    "set": "set:set_command",
    "unset": "set:unset_command",
    "rotate": "rotate:rotate",
    "updatekeys": "updatekeys:updatekeys",
    "groups": "groups:groups",
    "exec-env": "exec:exec_env",
    "exec-file": "exec:exec_file",
    "filestatus": "filestatus:filestatus",
    "keygen": "keygen:keygen",
    "help": "help:help_command",
    "completion": "help:completion",
    "check": "check:check",
    "verify": "verify:verify",
    "config": "configcmd:config",
    "access": "access:access",
    "legacy": "legacy:legacy",
    # the git workflow (README "Working with git")
    "git": "git:git_group",
    "diff": "diff:diff_command",
    "log": "log:log_command",
}

_GLOBAL_WITH_VALUE = {"--config", "--indent"}
_GLOBAL_FLAGS = {"--mac-only-encrypted", "--verbose"}
#: sops 3.11's commands (``h`` is its alias of ``help``): a first word among these, or close to one,
#: is never taken for the name of a file to edit
SOPS_COMMANDS = ("completion", "decrypt", "edit", "encrypt", "exec-env", "exec-file", "filestatus", "groups",
                 "h", "help", "keyservice", "publish", "rotate", "set", "unset", "updatekeys")


class SopsStyleGroup(click.Group):
    """Routes ``sealfile -d f`` / ``sealfile f`` to the legacy command, as sops does, loading commands lazily.

    A first word that is not a command goes to the legacy command (``sealfile
    FILE`` edits FILE) only when it names an existing file or cannot be a
    mistyped command: ``sealfile publish`` or ``sealfile decrpyt f.yaml`` must
    say "no such command", not open an editor on a new file called ``publish``.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if name != "legacy")

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        found = getattr(__import__(f"{__package__}.{module}", fromlist=[attr]), attr)
        command: click.Command = found if isinstance(found, click.Command) else found()  # or a factory
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        i = command_index(args)
        if i < len(args) and args[i] == "h":  # sops's alias of help
            args = args[:i] + ["help"] + args[i + 1:]
        if i < len(args) and args[i] not in COMMANDS and args[i] not in ("--help", "-h", "--version"):
            self._refuse_command_like(args[i])
            args = args[:i] + ["legacy"] + args[i:]
        return super().parse_args(ctx, args)

    def _refuse_command_like(self, word: str) -> None:
        if word.startswith("-") or "." in word or os.sep in word or os.path.lexists(word):
            return
        import difflib

        known = sorted({*COMMANDS, *SOPS_COMMANDS} - {"legacy", "h"})
        if word in SOPS_COMMANDS:
            raise click.UsageError(f"no such command: {word!r} (a sops command that sealfile does not have "
                                   "yet); see 'sealfile --help'")
        close = difflib.get_close_matches(word.lower(), known, n=1, cutoff=0.75)
        if close:
            raise click.UsageError(f"no such command: {word!r}; did you mean {close[0]!r}? (to edit a new file "
                                   f"called {word}, use 'sealfile edit {word}')")


def command_index(args: list[str]) -> int:
    """Where the command word is: after the options sops also takes before it."""
    i = 0
    while i < len(args):
        head = args[i].split("=", 1)[0]
        if head in _GLOBAL_WITH_VALUE:
            i += 1 if "=" in args[i] else 2
        elif head in _GLOBAL_FLAGS:
            i += 1
        else:
            break
    return i


def command_name(args: list[str]) -> str | None:
    """The command ``args`` run (``legacy`` for sops's flag style), for the exit-code table."""
    i = command_index(args)
    if i >= len(args):
        return None
    word = args[i]
    return word if word in COMMANDS else "legacy"


@click.group(cls=SopsStyleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@opt.config
@opt.indent
@opt.mac_only_encrypted
@click.option("--verbose", is_flag=True, help="Accepted for sops compatibility.")
@click.version_option(__version__, "--version", prog_name="sealfile",
                      message="%(prog)s %(version)s (sops 3.11.0 file format)")
def cli(**_: Any) -> None:
    """Keep secrets in git: encrypt the values of YAML, JSON, dotenv and INI files (SOPS v3 format)."""


def main(args: list[str]) -> None:
    """Run the click application on ``args``; every failure ends as :mod:`.failures` says."""
    quiet_grpc()

    def run() -> None:
        try:
            cli.main(args=args, prog_name="sealfile", standalone_mode=False)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            fail(exc.format_message(), 1)
        except click.Abort:
            fail("interrupted", 85)

    guarded(run, command_name(args))
