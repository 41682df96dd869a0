"""sealfile edit / sealfile FILE: the editor loop (owned by the edit work)."""
from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
