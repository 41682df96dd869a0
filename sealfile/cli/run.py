"""exec-env and exec-file."""
from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
