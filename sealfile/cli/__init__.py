"""Command line: sops's command line, and the one place errors become output.

Only this package imports click.  ``main`` turns every SealfileError into one
line on stderr and sops's exit code; anything unexpected is reported by type
only (its text could contain a secret) unless SEALFILE_DEBUG is set.
"""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from .. import __version__
from ..errors import NoKeyCouldDecrypt, SealfileError
from . import edit, mutate, rekey, run
from .commands import decrypt, encrypt, filestatus, keygen, legacy

_GLOBAL_WITH_VALUE = {"--config", "--indent"}
_GLOBAL_FLAGS = {"--mac-only-encrypted", "--verbose"}


#: sops 3.11's commands (``h`` is its alias of ``help``): a first word among these, or close to one,
#: is never taken for the name of a file to edit
SOPS_COMMANDS = ("completion", "decrypt", "edit", "encrypt", "exec-env", "exec-file", "filestatus", "groups",
                 "h", "help", "keyservice", "publish", "rotate", "set", "unset", "updatekeys")


class SopsStyleGroup(click.Group):
    """Routes ``sealfile -d f`` / ``sealfile f`` to the legacy command, as sops does.

    A first word that is not a command goes to the legacy command (``sealfile
    FILE`` edits FILE) only when it names an existing file or cannot be a
    mistyped command: ``sealfile publish`` or ``sealfile decrpyt f.yaml`` must
    say "no such command", not open an editor on a new file called ``publish``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        i = 0
        while i < len(args):
            head = args[i].split("=", 1)[0]
            if head in _GLOBAL_WITH_VALUE:
                i += 1 if "=" in args[i] else 2
            elif head in _GLOBAL_FLAGS:
                i += 1
            else:
                break
        if i < len(args) and args[i] == "h":  # sops's alias of help
            args = args[:i] + ["help"] + args[i + 1:]
        if i < len(args) and args[i] not in self.commands and args[i] not in ("--help", "-h", "--version"):
            self._refuse_command_like(args[i])
            args = args[:i] + ["legacy"] + args[i:]
        return super().parse_args(ctx, args)

    def _refuse_command_like(self, word: str) -> None:
        if word.startswith("-") or "." in word or os.sep in word or os.path.lexists(word):
            return
        import difflib

        known = sorted({*self.list_commands(click.Context(self)), *SOPS_COMMANDS} - {"legacy", "h"})
        if word in SOPS_COMMANDS:
            raise click.UsageError(f"no such command: {word!r} (a sops command that sealfile does not have "
                                   "yet); see 'sealfile --help'")
        close = difflib.get_close_matches(word.lower(), known, n=1, cutoff=0.75)
        if close:
            raise click.UsageError(f"no such command: {word!r}; did you mean {close[0]!r}? (to edit a new file "
                                   f"called {word}, use 'sealfile edit {word}')")


@click.group(cls=SopsStyleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="FILE", envvar=["SEALFILE_CONFIG", "SOPS_CONFIG"],
              help="Config file (default: .sealfile.yaml or .sops.yaml in this or a parent directory).")
@click.option("--indent", type=int, help="Indentation of YAML and JSON output.")
@click.option("--mac-only-encrypted", is_flag=True, help="MAC only the encrypted values.")
@click.option("--verbose", is_flag=True, help="Accepted for sops compatibility.")
@click.version_option(__version__, "--version", prog_name="sealfile",
                      message="%(prog)s %(version)s (sops 3.11.0 file format)")
def cli(**_: Any) -> None:
    """Keep secrets in git: encrypt the values of YAML, JSON, dotenv and INI files (SOPS v3 format)."""


@click.command("help")
@click.argument("command", required=False)
@click.pass_context
def help_command(ctx: click.Context, command: str | None) -> None:
    """Show the help of sealfile or of one COMMAND (as ``sealfile COMMAND --help``)."""
    root = ctx.find_root()
    group = root.command
    if command is None:
        click.echo(root.get_help())
        return
    assert isinstance(group, click.Group)
    sub = group.get_command(root, command)
    if sub is None or command == "legacy":
        raise click.UsageError(f"no such command: {command!r}")
    with click.Context(sub, info_name=command, parent=root) as sub_ctx:
        click.echo(sub.get_help(sub_ctx))


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script, e.g. ``source <(sealfile completion bash)``."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "sealfile", "_SEALFILE_COMPLETE").source())


for _cmd in (encrypt, decrypt, legacy, keygen, filestatus, help_command, completion, *edit.COMMANDS,
             *mutate.COMMANDS, *rekey.COMMANDS, *run.COMMANDS):
    cli.add_command(_cmd)


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"sealfile: error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="sealfile", standalone_mode=False)
    except NoKeyCouldDecrypt as exc:
        sys.stderr.write(f"sealfile: error: {exc}\n")
        for line in exc.report.splitlines():
            sys.stderr.write(f"  {line}\n" if line else "\n")
        sys.exit(exc.exit_code)
    except SealfileError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), 1)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted", 85)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        if os.environ.get("SEALFILE_DEBUG"):
            raise
        _fail(f"internal error ({type(exc).__name__}); set SEALFILE_DEBUG=1 for a traceback", 1)
