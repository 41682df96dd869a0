"""The API of the repository-wide tools: ``check``, ``verify``, ``access``, ``config explain``/``validate``
(README "Guarding a repository") and the git integration (README "Working with git").

Re-exported by :mod:`sealfile.api`; like the rest of it, each function builds
its Settings once from the same loose arguments, and imports its operation
only when called.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping as TMapping, Sequence

from ..settings import ConfigArg, Settings
from .arguments import settings_from as _settings

if TYPE_CHECKING:
    from ..operations.gittools import GitTools

__all__ = ["check", "repository_files", "check_rules", "verify", "explain", "validate_config", "access",
           "git_tools", "encrypt_reusing"]


def check(paths: Sequence[str] | None = None, *, root: str = ".", verify: bool = False, now: float | None = None,
          decryption_order: str | Sequence[str] | None = None, env: TMapping[str, str] | None = None,
          config: ConfigArg = None, settings: Settings | None = None) -> Any:
    """Findings (:class:`~sealfile.operations.check.CheckReport`) for ``paths`` (default: the repository's files).

    ``now`` (Unix time) judges rotation as of another moment: which data keys will be due in a month.
    """
    from ..operations import check as _check

    s = _settings(settings, env, config, decryption_order, None)
    return _check.check(paths, s, root=root, verify=verify, now=now)


def repository_files(root: str = ".") -> list[str]:
    """Every file git tracks under ``root`` (else every file of the tree): what ``check`` looks at by default."""
    from ..operations.check import repository_files as _files

    return _files(root)


def check_rules() -> dict[str, tuple[str, str]]:
    """Every kind of ``check`` finding: its severity and what it means."""
    from ..operations.check import RULES

    return dict(RULES)


def verify(paths: Sequence[str | os.PathLike[str]], *, input_type: str | None = None,
           decryption_order: str | Sequence[str] | None = None, env: TMapping[str, str] | None = None,
           config: ConfigArg = None, settings: Settings | None = None) -> list[Any]:
    """A verdict per file: every value and the MAC checked in memory; nothing is printed or kept."""
    from ..operations import verify as _verify

    s = _settings(settings, env, config, decryption_order, None)
    return _verify.verify(paths, s, input_type=input_type)


def explain(path: str, *, env: TMapping[str, str] | None = None, config: ConfigArg = None,
            settings: Settings | None = None) -> Any:
    """Which config and creation rule apply to ``path``, and why the earlier rules did not."""
    from ..config.explain import explain as _explain

    s = _settings(settings, env, config, None, None)
    return _explain(path, s.config)


def validate_config(path: str) -> list[Any]:
    """Problems of a config file (unknown fields, bad regexes, unparseable recipients, shadowed rules)."""
    from ..config.validate import validate_text

    with open(path, "rb") as fh:
        return validate_text(fh.read(), path)


def access(paths: Sequence[str], *, env: TMapping[str, str] | None = None, config: ConfigArg = None,
           settings: Settings | None = None) -> list[Any]:
    """Who can decrypt each file (recipients, groups, whether one alone suffices): no key is needed."""
    from ..operations import access as _access

    s = _settings(settings, env, config, None, None)
    return _access.access(paths, s)


def git_tools(*, decryption_order: str | Sequence[str] | None = None, env: TMapping[str, str] | None = None,
              config: ConfigArg = None, settings: Settings | None = None) -> GitTools:
    """The git integration bound to one Settings: merge and merge driver, diff views, ``diff``, ``log``,
    clean/smudge filter, ``resolve``, ``setup`` (see :class:`~sealfile.operations.gittools.GitTools`)."""
    from ..operations.gittools import GitTools as _GitTools
    return _GitTools(_settings(settings, env, config, decryption_order, None))


def encrypt_reusing(path: str | os.PathLike[str], old: str | os.PathLike[str], *, in_place: bool = False,
                    output: str | None = None, input_type: str | None = None, output_type: str | None = None,
                    filename_override: str | None = None, decryption_order: str | Sequence[str] | None = None,
                    indent: int | None = None, env: TMapping[str, str] | None = None, config: ConfigArg = None,
                    settings: Settings | None = None) -> bytes:
    """Encrypt the plaintext ``path`` as the next version of the encrypted file ``old``: its data key,
    recipients and the exact ciphertext of every value whose path and plaintext did not change."""
    from ..operations import reuse as _reuse
    s = _settings(settings, env, config, decryption_order, indent)
    return _reuse.encrypt_reusing_path(path, old, s, in_place=in_place, output=output, input_type=input_type,
                                       output_type=output_type, filename_override=filename_override)
