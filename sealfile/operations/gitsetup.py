"""sealfile git setup: register the diff and merge drivers (and, opt-in, the filter) with git.

Writes, in the repository's config (or the global one):

* ``diff.sealfile.textconv``: the diff view (:mod:`.gitdiff`); no
  ``cachetextconv``, which would store decrypted views in the repository;
* ``merge.sealfile.name`` and ``.driver``: the 3-way merge (:mod:`.gitmerge`);
* with ``--filter``, ``filter.sealfile.clean``/``.smudge`` and
  ``.required`` (:mod:`.gitfilter`): a clean that cannot encrypt must stop
  git, never let plaintext through;

and a marked block of ``.gitattributes`` lines giving the files that hold
encrypted content those drivers.  The patterns are the ones given, else
derived: the creation rules' ``path_regex`` where it reads as a glob
(``\\.enc\\.yaml$`` is ``*.enc.yaml``), plus the encrypted files found in the
repository (a directory's ``*.yaml`` when every YAML file there is
encrypted, else the file itself).  The filter encrypts every file it is
given, so with ``--filter`` only the files already encrypted are derived.
Running it again rewrites the same lines; ``--uninstall`` removes exactly
what it wrote.
"""
from __future__ import annotations

import os
import posixpath
import re
import shlex
import shutil
import sys

from ..core.sopsfile import SopsFile
from ..errors import GitError, SealfileError
from ..fileio import atomic_write
from ..settings import Settings
from ..stores import format_for_path, store_for
from .gitrepo import Git

__all__ = ["setup", "default_command", "regex_globs", "DRIVER"]

DRIVER = "sealfile"
BEGIN = "# BEGIN sealfile (written by 'sealfile git setup'; 'sealfile git setup --uninstall' removes it)"
END = "# END sealfile"
#: files larger than this are not opened when looking for encrypted files
_SNIFF_LIMIT = 4 << 20


def default_command() -> str:
    """How git should start sealfile: the console script when it is on PATH, else this Python."""
    return "sealfile" if shutil.which("sealfile") else f"{shlex.quote(sys.executable)} -m sealfile"


def _config(command: str, filter_mode: bool) -> list[tuple[str, str]]:
    entries = [(f"diff.{DRIVER}.textconv", f"{command} git textconv"),
               (f"merge.{DRIVER}.name", "sealfile: 3-way merge of SOPS-encrypted files"),
               (f"merge.{DRIVER}.driver", f"{command} git merge-driver %O %A %B %L %P")]
    if filter_mode:
        entries += [(f"filter.{DRIVER}.clean", f"{command} git clean %f"),
                    (f"filter.{DRIVER}.smudge", f"{command} git smudge %f"),
                    (f"filter.{DRIVER}.required", "true")]
    return entries


# --- patterns -------------------------------------------------------------------------------------

_LITERAL = re.compile(r"[A-Za-z0-9_/-]")


def _atom(r: str, i: int) -> tuple[list[str], int] | None:
    """The alternatives one regex atom at ``r[i]`` stands for as glob text, and where the next starts."""
    if r.startswith((".*", ".+"), i):
        return (["**/*"] if i == 0 or r[i - 1] == "/" else ["*"]), i + 2
    if r.startswith(("[^/]*", "[^/]+"), i):
        return ["*"], i + 5
    if r[i] == "\\" and i + 1 < len(r) and r[i + 1] in "./-_":
        return [r[i + 1]], i + 2
    if r[i] == "(":
        j = r.find(")", i)
        inner = r[i + 1:j].removeprefix("?:") if j > 0 else "("
        options = [o.replace("\\.", ".") for o in inner.split("|")]
        if not all(_LITERAL.fullmatch(ch) or ch == "." for o in options for ch in o):
            return None
        return options, j + 1
    if _LITERAL.fullmatch(r[i]):
        return [r[i]], i + 1
    return None


def regex_globs(regex: str | None) -> list[str] | None:
    """gitattributes patterns for a creation rule's ``path_regex`` (None: it does not read as a glob,
    or it matches every file)."""
    if not regex:
        return None
    r, start, end = regex, regex.startswith("^"), regex.endswith("$") and not regex.endswith("\\$")
    r = r[1 if start else 0:len(r) - 1 if end else len(r)]
    if r.startswith(".*"):
        r, start = r[2:], False
    if r.endswith(".*") and not end:
        r = r[:-2]
    out = [""]
    i = 0
    while i < len(r):
        atom = _atom(r, i)
        if atom is None:
            return None
        options, i = atom
        if i < len(r) and r[i] == "?":
            options, i = options + [""], i + 1
        out = [a + o for a in out for o in options]
        if len(out) > 16:
            return None
    globs = []
    for g in out:
        if not end:
            g += "**" if g.endswith("/") else "*"
        if not start:
            g = ("**/" + g) if "/" in g.rstrip("*") else g if g.startswith("*") else "*" + g
        elif "/" not in g:
            g = "/" + g
        if g.strip("*/"):
            globs.append(g)
    return globs or None


def _is_encrypted_file(path: str) -> bool:
    try:
        if os.path.getsize(path) > _SNIFF_LIMIT:
            return False
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    if b"sops" not in data:
        return False
    try:
        SopsFile.load(data, store_for(format_for_path(path)))
    except SealfileError:
        return False
    return True


def _suffix(name: str) -> str | None:
    dot = name.find(".", 1)
    return name[dot:] if dot > 0 else None


def glob_matcher(pattern: str) -> "re.Pattern[str]":
    """What a gitattributes pattern matches (``*``, ``?``, ``**/``, ``/**``; no slash: any directory)."""
    anchored = "/" in pattern.rstrip("/")
    p = pattern.lstrip("/")
    out, i = "", 0
    while i < len(p):
        if p.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif p.startswith("/**", i) and i + 3 == len(p):
            out, i = out + "/.*", i + 3
        elif p[i] in "*?":
            out, i = out + ("[^/]*" if p[i] == "*" else "[^/]"), i + 1
        else:
            out, i = out + re.escape(p[i]), i + 1
    return re.compile(("" if anchored else "(?:.*/)?") + out + r"\Z")


def file_patterns(top: str, files: list[str], covered: list[str] = ()) -> list[str]:
    """Patterns for the encrypted files among ``files`` (paths from ``top``) that the patterns ``covered``
    do not match yet, each as general as it stays true."""
    matchers = [glob_matcher(p) for p in covered]
    encrypted = [f for f in files if not any(m.match(f) for m in matchers)
                 and _is_encrypted_file(os.path.join(top, f))]
    done: set[str] = set()
    patterns: list[str] = []
    for f in encrypted:
        if f in done:
            continue
        directory, name = posixpath.split(f)
        suffix = _suffix(name)
        if suffix is not None and suffix.count(".") >= 2:  # a naming convention: *.enc.yaml, *.sops.json
            same = [g for g in files if g.endswith(suffix)]
            if all(g in encrypted for g in same):
                patterns.append("*" + suffix)
                done.update(same)
                continue
        if suffix is not None:
            same = [g for g in files if posixpath.dirname(g) == directory and posixpath.basename(g).endswith(suffix)
                    and _suffix(posixpath.basename(g)) is not None]
            if all(g in encrypted for g in same):
                patterns.append(f"{directory}/*{suffix}" if directory else f"/*{suffix}")
                done.update(same)
                continue
        patterns.append(f if "/" in f else "/" + f)
        done.add(f)
    return patterns


def derive_patterns(settings: Settings, git: Git, top: str, *, rules: bool = True) -> list[str]:
    """The creation rules' globs (unless not ``rules``), then patterns for the encrypted files in the repository."""
    patterns: list[str] = []
    cfg = settings.config
    if rules and cfg.rules and cfg.path:
        where = os.path.relpath(os.path.dirname(os.path.abspath(cfg.path)), top).replace(os.sep, "/")
        for rule in cfg.rules:
            for glob in regex_globs(rule.path_regex) or []:
                if where not in (".", "") and not where.startswith(".."):  # rules of a config below the top
                    glob = f"{where}/{glob.lstrip('/')}" if "/" in glob else f"{where}/**/{glob}"
                patterns.append(glob)
    patterns = list(dict.fromkeys(patterns))
    return patterns + file_patterns(top, git.files() + git.files(untracked=True), patterns)


# --- writing ----------------------------------------------------------------------------------------

def _attributes_file(git: Git, scope_global: bool) -> str:
    if not scope_global:
        return os.path.join(git.toplevel(), ".gitattributes")
    configured = git.config_get("core.attributesFile", "--global")
    if configured:
        return os.path.expanduser(configured)
    env = git.env
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return os.path.join(base, "git", "attributes")


def _without_block(text: str) -> str:
    lines = text.splitlines(keepends=True)
    out, inside = [], False
    for line in lines:
        if line.rstrip("\n") == BEGIN:
            inside = True
        elif inside and line.rstrip("\n") == END:
            inside = False
        elif not inside:
            out.append(line)
    return "".join(out)


def _write_attributes(path: str, lines: list[str] | None) -> str:
    """Put ``lines`` in the marked block of ``path`` (None: remove the block); what happened, in words."""
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    try:
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
    except FileNotFoundError:
        old = None
    rest = _without_block(old or "")
    if lines is None:
        if old is None or rest == old:
            return f"{shown}: no sealfile lines to remove"
        if rest.strip():
            atomic_write(path, rest.encode())
        else:
            os.unlink(path)
        return f"{shown}: removed the sealfile lines"
    if rest and not rest.endswith("\n"):
        rest += "\n"
    new = rest + "\n".join([BEGIN, *lines, END]) + "\n"
    if new == old:
        return f"{shown}: unchanged"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    atomic_write(path, new.encode(), new_file_mode=0o644)
    return f"{shown}: wrote\n" + "\n".join(f"  {line}" for line in lines)


def setup(settings: Settings, *, scope_global: bool = False, filter_mode: bool = False, uninstall: bool = False,
          patterns: list[str] | None = None, command: str | None = None) -> list[str]:
    """Register (or with ``uninstall`` remove) the drivers and attributes; what was done, line by line."""
    git = Git(settings.env)
    scope = "--global" if scope_global else "--local"
    where = "global" if scope_global else "repository"
    in_repo = git.in_repository()
    if not scope_global and not in_repo:
        raise GitError("not in a git repository (run it inside one, or use --global)")
    report: list[str] = []
    if uninstall:
        for key, _ in _config("", True):
            if git.config_get(key, scope) is not None:
                git.config_unset(key, scope)
                report.append(f"git config ({where}): removed {key}")
        for section in (f"diff.{DRIVER}", f"merge.{DRIVER}", f"filter.{DRIVER}"):
            if git.config_section_empty(section, scope):
                git.config_remove_section(section, scope)
        report.append(_write_attributes(_attributes_file(git, scope_global), None))
        return report
    for key, value in _config(command or default_command(), filter_mode):
        if git.config_get(key, scope) == value:
            report.append(f"git config ({where}): {key} = {value} (unchanged)")
        else:
            git.config_set(key, value, scope)
            report.append(f"git config ({where}): {key} = {value}")
    if not patterns and in_repo and not scope_global:
        # the filter encrypts what it is given: only files that are encrypted already, unless named
        patterns = derive_patterns(settings, git, git.toplevel(), rules=not filter_mode)
    if not patterns:
        report.append("no patterns given or found (no creation rule reads as a glob, no encrypted file in the "
                      "repository): name the files, e.g. sealfile git setup 'secrets/*.yaml'")
        return report
    attrs = f"diff={DRIVER} merge={DRIVER}" + (f" filter={DRIVER}" if filter_mode else "")
    report.append(_write_attributes(_attributes_file(git, scope_global), [f"{p} {attrs}" for p in patterns]))
    if filter_mode:
        report.append("filter mode: the working tree holds plaintext from now on; files checked out before "
                      "stay as they are until checked out again (rm FILE && git checkout -- FILE)")
    return report
