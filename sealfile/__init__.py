"""sealfile: secrets in git, in the SOPS v3 file format.

The public API (:mod:`sealfile.api`) is re-exported here, lazily, so that
``import sealfile`` stays cheap: nothing cryptographic is imported until a
function is used.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

#: the public names of sealfile.api, re-exported here
_API = (
    "encrypt_data", "encrypt_file", "decrypt_data", "decrypt_file", "load", "decrypt_tree", "open_file",
    "DecryptedFile", "file_status", "set_value", "unset_value", "rotate_file", "plan_key_update",
    "apply_key_update", "add_group", "remove_group", "exported_environment", "decrypted_content", "start_edit",
    "write_identity", "Settings", "Recipients", "EncryptOptions", "KeyUpdatePlan", "GroupChange", "EditSession",
    "check", "verify", "explain", "validate_config", "access",
    "git_tools", "GitTools", "encrypt_reusing",
)
__all__ = [*_API, "errors", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(".api", __name__), name)
    if name == "errors":
        return import_module(".errors", __name__)
    raise AttributeError(f"module 'sealfile' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
