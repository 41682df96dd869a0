"""sealfile git: ``setup`` and ``resolve``, and the entry points git itself runs.

``merge-driver``, ``textconv``, ``clean`` and ``smudge`` are hidden: git
starts them as ``sealfile git setup`` configured it.  Their contracts with
git: the merge driver exits 0 for a clean merge and 1 for a conflict (the
file keeps our encrypted version); textconv and smudge always exit 0 (a diff
or a checkout never fails because a key is missing: they fall back to the
redacted view, or to the blob as it is); clean fails when it cannot encrypt,
and git, told the filter is required, stores nothing.  None of them prints a
value on stderr.
"""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from .. import api
from ..errors import ExitCode
from . import options as opt
from .edit import _edit_loop, _raise_on_termination
from .editor import editor_command

__all__ = ["git_group"]


def _tools(ctx: click.Context, config_path: str | None = None, decryption_order: str | None = None,
           file: str | None = None) -> Any:
    return api.git_tools(settings=opt.settings(ctx, config_path=config_path, decryption_order=decryption_order,
                                               file=file))


def _say(lines: list[str]) -> None:
    for line in lines:
        sys.stderr.write(f"sealfile: {line}\n")
    sys.stderr.flush()


@click.group("git")
def git_group() -> None:
    """Work with git: merge, diff and (opt-in) clean/smudge encrypted files; see README "Working with git"."""


@git_group.command("setup")
@click.option("--global", "scope_global", is_flag=True, help="Write the global git config (and, with PATTERNS, the "
              "global attributes file) instead of this repository's.")
@click.option("--filter", "filter_mode", is_flag=True, help="Also the clean/smudge filter: plaintext in the working "
              "tree, encrypted blobs in the repository (git-crypt style; opt-in).")
@click.option("--uninstall", is_flag=True, help="Remove exactly what setup wrote.")
@click.option("--command", "command", metavar="CMD", help="How git should start sealfile (default: 'sealfile' when "
              "it is on PATH, else this Python with -m sealfile).")
@opt.config
@click.argument("patterns", nargs=-1)
@click.pass_context
def setup(ctx: click.Context, patterns: tuple[str, ...], scope_global: bool, filter_mode: bool, uninstall: bool,
          command: str | None, config_path: str | None) -> None:
    """Register sealfile's diff and merge drivers with git and mark the encrypted files in .gitattributes.

    PATTERNS are gitattributes patterns; without them they are derived from
    the creation rules and the encrypted files in the repository.
    """
    lines = _tools(ctx, config_path).setup(scope_global=scope_global, filter_mode=filter_mode, uninstall=uninstall,
                                           patterns=patterns, command=command)
    click.echo("\n".join(lines))


@git_group.command("resolve")
@opt.config
@opt.decryption_order
@click.argument("file")
@click.pass_context
def resolve(ctx: click.Context, file: str, config_path: str | None, decryption_order: str | None) -> None:
    """Finish the conflicted merge of the encrypted FILE in your editor.

    Each conflicting value shows our, the base and their version between
    git's markers; keep one, save, and FILE is encrypted again.  Without
    conflicting values (the merge only lacked a key) no editor is needed.
    Nothing is staged: run 'git add FILE' afterwards.
    """
    session = _tools(ctx, config_path, decryption_order, file).start_resolve(file)
    _say([f"{file}: kept our {what}: change it afterwards if needed" for what in session.kept_ours])
    if session.needs_editor:
        _say([f"{file}: {len(session.conflicts)} conflicting place(s): " + "; ".join(session.conflicts)])
        with _raise_on_termination():
            result = _edit_loop(session, editor_command(os.environ))
        if result is None:
            _say([f"{file}: the file was not changed, so nothing is resolved"])
            sys.exit(ExitCode.FILE_NOT_MODIFIED)
    else:
        result = session.merged()  # no value conflicts (the merge lacked a key, or only metadata differed)
    session.save(result)
    _say([f"{file}: resolved; stage it with: git add {file}"])


@git_group.command("merge-driver", hidden=True)
@click.argument("base")
@click.argument("ours")
@click.argument("theirs")
@click.argument("marker_size", type=int)
@click.argument("path")
@click.argument("labels", nargs=-1)
@click.pass_context
def merge_driver(ctx: click.Context, base: str, ours: str, theirs: str, marker_size: int, path: str,
                 labels: tuple[str, ...]) -> None:
    """git's merge driver: merge.sealfile.driver = sealfile git merge-driver %O %A %B %L %P."""
    code, messages = _tools(ctx).merge_driver(base, ours, theirs, marker_size, path, labels)
    _say(messages)
    sys.exit(code)


@git_group.command("textconv", hidden=True)
@click.option("--redacted", is_flag=True, help="Never decrypt: show every version redacted.")
@click.argument("file")
@click.pass_context
def textconv(ctx: click.Context, file: str, redacted: bool) -> None:
    """git's diff view: diff.sealfile.textconv = sealfile git textconv."""
    try:
        data = _tools(ctx).textconv(file, decrypt=not redacted)
    except Exception:  # noqa: BLE001 - a diff must never fail: the file as it is (ciphertext or plain)
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except OSError:
            data = b""
    api.write_stdout(data)


@git_group.command("clean", hidden=True)
@click.argument("path")
@click.pass_context
def clean(ctx: click.Context, path: str) -> None:
    """git's clean filter (plaintext on stdin, the blob to store on stdout; fails rather than pass plaintext)."""
    data = sys.stdin.buffer.read()
    api.write_stdout(_tools(ctx, file=path).clean(data, path))


@git_group.command("smudge", hidden=True)
@click.argument("path")
@click.pass_context
def smudge(ctx: click.Context, path: str) -> None:
    """git's smudge filter (the blob on stdin, the working-tree content on stdout; never fails)."""
    data = sys.stdin.buffer.read()
    try:
        data = _tools(ctx, file=path).smudge(data, path)
    except Exception:  # noqa: BLE001 - a checkout must never fail: the blob as it is
        pass
    api.write_stdout(data)
