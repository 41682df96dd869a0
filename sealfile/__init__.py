"""sealfile: secrets in git, in the SOPS v3 file format.

The public API is re-exported lazily so ``import sealfile`` stays cheap.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["encrypt_file", "decrypt_file", "encrypt_data", "decrypt_data", "load", "errors", "__version__"]

_API = {"encrypt_file", "decrypt_file", "encrypt_data", "decrypt_data", "load", "decrypt_tree"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "errors":
        from . import errors

        return errors
    raise AttributeError(f"module 'sealfile' has no attribute {name!r}")
