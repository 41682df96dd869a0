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


class SopsStyleGroup(click.Group):
    """Routes ``sealfile -d f`` / ``sealfile f`` to the legacy command, as sops does."""

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
        if i < len(args) and args[i] not in self.commands and args[i] not in ("--help", "-h", "--version"):
            args = args[:i] + ["legacy"] + args[i:]
        return super().parse_args(ctx, args)


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


for _cmd in (encrypt, decrypt, legacy, keygen, filestatus, *edit.COMMANDS, *mutate.COMMANDS,
             *rekey.COMMANDS, *run.COMMANDS):
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
