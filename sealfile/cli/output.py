"""Where a command's result goes when it was not written to a file: standard output."""
from __future__ import annotations

from .. import api


def emit(data: bytes, in_place: bool, output: str | None) -> None:
    """Print ``data`` unless it went in place or to ``--output`` already."""
    if not in_place and not output:
        api.write_stdout(data)
