"""Running ``git``: the one place sealfile starts it, for the git workflow's operations.

git is I/O like the file system, so it lives with the operations and is
called with the Settings' environment (``env=`` of the API reaches it too:
``GIT_CONFIG_GLOBAL``, ``GIT_DIR``, ``PATH``).  Only blobs (ciphertext) and
git's own metadata pass through here; a failing command raises
:class:`~sealfile.errors.GitError` with git's first line of complaint.
"""
from __future__ import annotations

import os
import subprocess
from typing import Mapping, Sequence

from ..errors import GitError

__all__ = ["Git", "Commit"]


class Commit:
    """One commit that changed a file: who, when, the file's name then (and before it), its first parent."""

    __slots__ = ("sha", "parent", "author", "email", "date", "subject", "path", "old_path", "deleted", "added")

    def __init__(self, sha: str, parent: str | None, author: str, email: str, date: str, subject: str, path: str,
                 old_path: str, deleted: bool) -> None:
        self.sha, self.parent, self.author, self.email, self.date, self.subject = sha, parent, author, email, date, subject
        self.path, self.old_path, self.deleted = path, old_path, deleted
        self.added = False


class Git:
    """``git`` in one working directory (default: the current one) with one environment."""

    def __init__(self, env: Mapping[str, str] | None = None, cwd: str | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd

    def run(self, args: Sequence[str], *, input: bytes | None = None, ok: Sequence[int] = (0,)) -> bytes:
        """git's standard output; GitError unless it exits with a code in ``ok``."""
        try:
            proc = subprocess.run(["git", *args], input=input, capture_output=True, env=self.env, cwd=self.cwd,
                                  timeout=600)
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH)") from None
        if proc.returncode not in ok:
            lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {lines[0] if lines else f'exit status {proc.returncode}'}")
        return proc.stdout

    def status(self, args: Sequence[str]) -> int:
        """git's exit status (its output goes to ours)."""
        try:
            return subprocess.run(["git", *args], env=self.env, cwd=self.cwd, timeout=600,
                                  stdout=subprocess.DEVNULL).returncode
        except FileNotFoundError:
            raise GitError("git is not installed (or not on PATH)") from None

    def text(self, args: Sequence[str]) -> str:
        return self.run(args).decode("utf-8", "surrogateescape").strip()

    # --- the repository ----------------------------------------------------------------------------

    def toplevel(self) -> str:
        """The working tree's top directory (GitError outside a repository)."""
        return self.text(["rev-parse", "--show-toplevel"])

    def in_repository(self) -> bool:
        try:
            self.run(["rev-parse", "--git-dir"])
        except GitError:
            return False
        return True

    def prefix(self) -> str:
        """The current directory relative to the top (``sub/dir/`` or ``""``)."""
        return self.run(["rev-parse", "--show-prefix"]).decode("utf-8", "surrogateescape").strip()

    def blob(self, spec: str) -> bytes | None:
        """The content of ``REV:PATH`` (``:PATH`` is the index, ``:2:PATH`` a conflict stage), None if absent."""
        try:
            kind = self.text(["cat-file", "-t", spec])
        except GitError:
            return None
        return self.run(["cat-file", "blob", spec]) if kind == "blob" else None

    def conflict_stages(self, path: str) -> dict[int, str]:
        """stage (1 base, 2 ours, 3 theirs) -> blob id of a conflicted ``path``; empty when not conflicted."""
        out = self.run(["ls-files", "-u", "-z", "--", path])
        stages: dict[int, str] = {}
        for entry in out.split(b"\0"):
            if entry:
                info, _, _ = entry.partition(b"\t")
                _, sha, stage = info.decode().split()
                stages[int(stage)] = sha
        return stages

    def files(self, untracked: bool = False) -> list[str]:
        """Tracked files (and with ``untracked``, the untracked ones git does not ignore), from the top."""
        args = ["ls-files", "-z", "--full-name"] + (["--others", "--exclude-standard"] if untracked else [])
        return [p.decode("utf-8", "surrogateescape") for p in self.run(args).split(b"\0") if p]

    def attribute(self, name: str, path: str) -> str:
        """The value of attribute ``name`` for ``path`` (``unspecified`` when none)."""
        out = self.run(["check-attr", "-z", name, "--", path]).split(b"\0")
        return out[2].decode() if len(out) > 2 else "unspecified"

    # --- configuration -----------------------------------------------------------------------------

    def config_get(self, key: str, scope: str) -> str | None:
        out = self.run(["config", scope, "--get", key], ok=(0, 1)).decode("utf-8", "surrogateescape")
        return out.rstrip("\n") if out else None

    def config_set(self, key: str, value: str, scope: str) -> None:
        self.run(["config", scope, key, value])

    def config_unset(self, key: str, scope: str) -> None:
        self.run(["config", scope, "--unset-all", key], ok=(0, 5))

    def config_section_empty(self, section: str, scope: str) -> bool:
        pattern = "^" + section.replace(".", r"\.") + r"\."
        return not self.run(["config", scope, "--get-regexp", pattern], ok=(0, 1)).strip()

    def config_remove_section(self, section: str, scope: str) -> None:
        self.run(["config", scope, "--remove-section", section], ok=(0, 128))

    # --- history -----------------------------------------------------------------------------------

    def _log(self, path: str, revision: str | None) -> list[Commit]:
        fmt = "%x01%H%x00%P%x00%an%x00%ae%x00%aI%x00%s"
        # --full-history: an audit trail lists a change made on a branch whose version lost the merge too
        args = ["log", "--full-history", "--name-status", "-z", f"--format={fmt}", *([revision] if revision else []),
                "--", path]
        commits: list[Commit] = []
        for record in self.run(args).decode("utf-8", "surrogateescape").split("\x01")[1:]:
            fields = record.split("\0")
            sha, parents, author, email, date, subject = fields[:6]
            status = next((f for f in (x.strip("\n") for x in fields[6:]) if f), "")
            commits.append(Commit(sha, parents.split()[0] if parents.split() else None, author, email, date,
                                  subject, path, path, status.startswith("D")))
            commits[-1].added = status.startswith("A")
        return commits

    def _renamed_from(self, sha: str, parent: str, path: str) -> str | None:
        """The name ``path`` had in ``parent`` when commit ``sha`` renamed it, else None."""
        out = self.run(["diff-tree", "-r", "-M", "-z", "--name-status", parent, sha]).decode("utf-8", "surrogateescape")
        fields = out.split("\0")
        i = 0
        while i < len(fields) - 1:
            status = fields[i]
            if status[:1] in "RC":
                if fields[i + 2] == path and status[:1] == "R":
                    return fields[i + 1]
                i += 3
            else:
                i += 2
        return None

    def history(self, path: str, revision: str | None = None) -> list[Commit]:
        """The commits that changed ``path``, newest first, on every branch merged (git's default
        simplification would drop a commit whose change the merge did not keep), merges included
        unless they took one parent's version unchanged, renames followed back.

        (``git log --follow`` would leave out merge commits, so renames are followed here.)
        """
        commits: list[Commit] = []
        while True:
            batch = self._log(path, revision)
            commits += batch
            last = batch[-1] if batch else None
            if last is None or not last.added or last.parent is None:
                return commits
            old = self._renamed_from(last.sha, last.parent, path)
            if old is None:
                return commits
            last.old_path = old
            path, revision = old, last.parent
