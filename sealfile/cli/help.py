"""sealfile help [COMMAND] and sealfile completion SHELL, as sops has them."""
from __future__ import annotations

import click

__all__ = ["help_command", "completion"]


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
    click.echo(cls(click.get_current_context().find_root().command, {}, "sealfile", "_SEALFILE_COMPLETE").source())
