"""sealfile: secrets in git, in the SOPS v3 file format.

The public API is re-exported lazily so ``import sealfile`` stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    **dict.fromkeys(("encrypt_file", "decrypt_file", "encrypt_data", "decrypt_data", "load", "decrypt_tree",
                     "open_file", "file_status"), "api"),
    **dict.fromkeys(("set_value", "unset_value"), "mutate"),
    **dict.fromkeys(("rotate_file", "plan_key_update", "apply_key_update", "add_group", "remove_group"), "rekey"),
    **dict.fromkeys(("exec_env", "exec_file"), "execute"),
}
__all__ = [*_EXPORTS, "errors", "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        return getattr(import_module(f".{module}", __name__), name)
    if name == "errors":
        return import_module(".errors", __name__)
    raise AttributeError(f"module 'sealfile' has no attribute {name!r}")
