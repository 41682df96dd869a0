"""A throwaway git world for the git workflow tests: a private HOME, git config, TMPDIR, age keys, one repository.

Nothing touches the developer's git config or keys: ``HOME``,
``GIT_CONFIG_GLOBAL`` and ``XDG_CONFIG_HOME`` point into the test's
directory, git's system config is off, and the drivers run this
interpreter's ``-m sealfile`` (the environment, PYTHONPATH included, reaches
them through git).
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from conftest import AgeKey, clean_env, make_age_key, require

SEALFILE = f"{shlex.quote(sys.executable)} -m sealfile"
TOKEN = re.compile(rb"ENC\[AES256_GCM,data:[^\]]*\]")

#: one plaintext per format: (file name, text, a path to change on one side, another, an unchanged one)
FORMATS = {
    "yaml": ("secrets/app.yaml", "# database\ndb:\n  user: dbuser-e2a1\n  password: pw-base-71c3\napi:\n  token: tok-base-5a2e\n"
             "  url: https://example.invalid\n", '["db"]["password"]', '["api"]["token"]', '["db"]["user"]'),
    "json": ("secrets/app.json", '{"db": {"user": "dbuser-e2a1", "password": "pw-base-71c3"}, '
             '"api": {"token": "tok-base-5a2e", "url": "https://example.invalid"}}',
             '["db"]["password"]', '["api"]["token"]', '["db"]["user"]'),
    "dotenv": ("secrets/app.env", "DB_USER=dbuser-e2a1\nDB_PASSWORD=pw-base-71c3\nAPI_TOKEN=tok-base-5a2e\n"
               "API_URL=https://example.invalid\n", '["DB_PASSWORD"]', '["API_TOKEN"]', '["DB_USER"]'),
    "ini": ("secrets/app.ini", "[db]\nuser = dbuser-e2a1\npassword = pw-base-71c3\n\n[api]\ntoken = tok-base-5a2e\n"
            "url = https://example.invalid\n", '["db"]["password"]', '["api"]["token"]', '["db"]["user"]'),
}


class World:
    """A repository at ``repo`` with one age key (``key``) in ``.sops.yaml`` and its own everything."""

    def __init__(self, root: Path) -> None:
        require("git")
        self.root = root
        home = root / "home"
        home.mkdir(parents=True, exist_ok=True)
        self.tmp = root / "tmp"
        self.tmp.mkdir(exist_ok=True)
        self.key: AgeKey = make_age_key(home, "key.txt")
        self.env = clean_env(home, GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), GIT_CONFIG_NOSYSTEM="1",
                             TMPDIR=str(self.tmp), SOPS_AGE_KEY_FILE=str(self.key.key_file),
                             GIT_AUTHOR_DATE="2025-01-02T03:04:05Z", GIT_COMMITTER_DATE="2025-01-02T03:04:05Z")
        for name in ("EDITOR", "VISUAL", "SOPS_EDITOR", "SEALFILE_EDITOR", "GIT_DIR", "GIT_WORK_TREE"):
            self.env.pop(name, None)
        self.repo = root / "repo"
        self.repo.mkdir()
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Alice Example")
        self.git("config", "user.email", "alice@example.invalid")
        self.rules(self.key.recipient)

    # --- running things ------------------------------------------------------------------------

    def git(self, *args: str, check: bool = True, input: bytes | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(["git", *args], cwd=self.repo, env=env or self.env, capture_output=True, input=input,
                              timeout=180)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout.decode()}\n"
                                 f"{proc.stderr.decode()}")
        return proc

    def sf(self, *args: str, check: bool = True, env: dict[str, str] | None = None,
           input: bytes | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "sealfile", *args], cwd=self.repo, env=env or self.env,
                              capture_output=True, input=input, timeout=180)
        if check and proc.returncode != 0:
            raise AssertionError(f"sealfile {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
        return proc

    def sops(self, sops_bin: str, path: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sops_bin, "decrypt", path], cwd=self.repo, env=env or self.env, capture_output=True,
                              timeout=120)

    # --- the repository ------------------------------------------------------------------------

    def rules(self, *recipients: str) -> None:
        (self.repo / ".sops.yaml").write_text(
            "creation_rules:\n  - path_regex: ^secrets/\n    age: " + ",".join(recipients) + "\n")

    def write(self, path: str, text: str | bytes) -> Path:
        target = self.repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode() if isinstance(text, str) else text)
        return target

    def read(self, path: str) -> bytes:
        return (self.repo / path).read_bytes()

    def encrypted(self, path: str, text: str) -> None:
        self.write(path, text)
        self.sf("encrypt", "-i", path)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def setup(self, *extra: str) -> subprocess.CompletedProcess:
        return self.sf("git", "setup", "--command", SEALFILE, *extra)

    def value(self, path: str, key_path: str, env: dict[str, str] | None = None) -> str:
        return self.sf("decrypt", "--extract", key_path, path, env=env).stdout.decode()

    def tokens(self, data: bytes) -> list[bytes]:
        return TOKEN.findall(data)

    def no_key_env(self) -> dict[str, str]:
        env = dict(self.env)
        env["SOPS_AGE_KEY_FILE"] = str(self.root / "no-such-key.txt")
        return env

    def files_containing(self, needle: str) -> list[str]:
        """Every file under the repository (``.git`` included) and the private TMPDIR holding ``needle``."""
        found = []
        for base in (self.repo, self.tmp):
            for dirpath, _, names in os.walk(base):
                for name in names:
                    path = os.path.join(dirpath, name)
                    try:
                        data = Path(path).read_bytes()
                    except OSError:
                        continue
                    if needle.encode() in data:
                        found.append(os.path.relpath(path, self.root))
        return found


def objects_containing(world: World, needle: str) -> bool:
    """Whether any object in the repository's database (blobs are compressed on disk) holds ``needle``."""
    out = world.git("cat-file", "--batch-all-objects", "--batch").stdout
    return needle.encode() in out


def editor(directory: Path, body: str) -> str:
    """An $EDITOR command running ``body`` with ``path`` (the file to edit) and ``text`` (its content) set."""
    script = directory / f"editor_{abs(hash(body)) % 10**8}.py"
    script.write_text("import sys, re\npath = sys.argv[-1]\ntext = open(path).read()\n"
                      f"open({str(directory / 'seen.txt')!r}, 'w').write(text)\n" + body)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
