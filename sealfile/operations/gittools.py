"""The git workflow as one object bound to one Settings: what ``sealfile.git_tools()`` returns.

Each method is one operation of the git integration; the modules behind
them say how it works: :mod:`.gitmerge` (merge and the merge driver),
:mod:`.gitdiff` (diff views, ``sealfile diff``), :mod:`.gitfilter` (clean
and smudge), :mod:`.gitresolve` (``git resolve``), :mod:`.history`
(``sealfile log``), :mod:`.gitsetup` (``git setup``).
"""
from __future__ import annotations

import os
from typing import Sequence

from ..errors import FileMissing
from ..fileio import read_input
from ..settings import Settings
from . import gitdiff, gitfilter, gitmerge, gitresolve, gitsetup, history
from .gitrepo import Git

__all__ = ["GitTools"]


class GitTools:
    """sealfile's git integration with one set of settings (keys, config, environment)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.git = Git(settings.env)

    # --- merging ---------------------------------------------------------------------------------

    def merge(self, base: bytes | None, ours: bytes, theirs: bytes, path: str) -> gitmerge.MergeResult:
        """3-way merge of three versions of the encrypted file ``path`` (bytes in, bytes out)."""
        return gitmerge.merge(base, ours, theirs, self.settings, path)

    def merge_driver(self, base: str, ours: str, theirs: str, marker_size: int, path: str,
                     labels: Sequence[str] = ()) -> tuple[int, list[str]]:
        """git's merge driver (``%O %A %B %L %P``): (exit status, messages for stderr)."""
        return gitmerge.run_driver(base, ours, theirs, marker_size, path, self.settings, labels)

    def start_resolve(self, path: str) -> gitresolve.ResolveSession:
        """The editor session that finishes the conflicted merge of ``path``."""
        return gitresolve.start_resolve(path, self.settings)

    # --- looking at files ------------------------------------------------------------------------

    def textconv(self, path: str, *, decrypt: bool = True) -> bytes:
        """git's diff view of the file ``path``: decrypted when possible, else redacted; never fails."""
        try:
            data = read_input(path)
        except Exception:  # noqa: BLE001 - a diff view must never break git
            return b""
        return gitdiff.textconv(data, path, self.settings, decrypt=decrypt)

    def read_version(self, spec: str) -> tuple[bytes, str]:
        """A file, or ``REV:PATH`` from git (``HEAD~1:secrets.yaml``); its content and its file name."""
        if os.path.exists(spec) or ":" not in spec:
            return read_input(spec), spec
        data = self.git.blob(spec)
        if data is None:
            raise FileMissing(f"not in git: {spec}", file=spec)
        return data, spec.split(":", 1)[1]

    def diff(self, a: str, b: str, *, show_values: bool = False) -> gitdiff.FileChanges:
        """What changed from version ``a`` to ``b`` (files or ``REV:PATH``); values only with ``show_values``."""
        data_a, _ = self.read_version(a)
        data_b, name = self.read_version(b)
        return gitdiff.compare(data_a, data_b, name, self.settings, show_values=show_values)

    def history(self, path: str, revision: str | None = None) -> list[history.HistoryEntry]:
        """The audit trail of ``path``: each commit that changed it, newest first."""
        return history.file_history(path, self.settings, revision=revision, git=self.git)

    def log(self, path: str, fmt: str = "text", revision: str | None = None) -> str:
        """:meth:`history` as text, or as JSON with ``fmt`` ``json``."""
        return history.render_history(self.history(path, revision), fmt)

    # --- filters and setup -----------------------------------------------------------------------

    def clean(self, data: bytes, path: str) -> bytes:
        """git's clean filter: the blob to store for the working-tree plaintext ``data`` of ``path``."""
        return gitfilter.clean(data, path, self.settings, self.git)

    def smudge(self, data: bytes, path: str) -> bytes:
        """git's smudge filter: the working-tree content for blob ``data``; never fails."""
        return gitfilter.smudge(data, path, self.settings)

    def setup(self, *, scope_global: bool = False, filter_mode: bool = False, uninstall: bool = False,
              patterns: Sequence[str] = (), command: str | None = None) -> list[str]:
        """Register (or remove) the drivers and ``.gitattributes`` lines; what was done, line by line."""
        return gitsetup.setup(self.settings, scope_global=scope_global, filter_mode=filter_mode,
                              uninstall=uninstall, patterns=list(patterns), command=command)
