"""keygen: a new age identity, written where it cannot overwrite another one by accident."""
from __future__ import annotations

from ..fileio import atomic_write, create_new
from ..keys import new_identity as generate_identity
from ..keys import now_rfc3339

__all__ = ["new_identity", "write_identity"]


def new_identity() -> tuple[bytes, str]:
    """An identity file's text (as ``age-keygen`` writes it) and its recipient."""
    secret, recipient = generate_identity()
    return f"# created: {now_rfc3339()}\n# public key: {recipient}\n{secret}\n".encode(), recipient


def write_identity(path: str, *, force: bool = False) -> str:
    """Write a new identity to ``path`` (mode 0600); return its recipient.

    An existing file is refused, as ``age-keygen -o`` refuses it: overwriting
    an identity loses access to every file encrypted to it.  ``force`` replaces it.
    """
    text, recipient = new_identity()
    if force:
        atomic_write(path, text, new_file_mode=0o600)
    else:
        create_new(path, text, mode=0o600)
    return recipient
