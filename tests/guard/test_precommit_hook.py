"""The ``sealfile-check`` hook of ``.pre-commit-hooks.yaml``, run by the real pre-commit on a real commit.

pre-commit clones the hook repository at a revision and pip-installs it in
its own virtualenv, as it does for users.  The repository is a snapshot of
this checkout (committed into a temporary git repo), so the test covers the
working tree, whatever the state of the checkout's own git history.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, make_age_key, run_sealfile
from planted_tokens import planted

_SNAPSHOT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "sealfile")


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    base = {**(env or os.environ), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=check, env=base)


def _pre_commit() -> list[str]:
    exe = shutil.which("pre-commit")
    if exe is None:
        pytest.fail("pre-commit is not installed; run .ci/run (it installs the test extra)")
    return [exe]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str, Path]:
    """(snapshot repo, its HEAD, a PRE_COMMIT_HOME shared by the module's tests: the hook installs once)."""
    snap = tmp_path_factory.mktemp("hookrepo")
    for name in _SNAPSHOT:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, snap / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, snap / name)
    _git(snap, "init", "-q", "-b", "main")
    _git(snap, "add", "-A")
    _git(snap, "commit", "-q", "-m", "snapshot")
    return snap, _git(snap, "rev-parse", "HEAD").stdout.strip(), tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path, env, hook_repo):
    snap, rev, home = hook_repo
    work = tmp_path / "project"
    work.mkdir()
    key = make_age_key(tmp_path)
    run_env = {**env, "PRE_COMMIT_HOME": str(home), "SOPS_AGE_KEY_FILE": str(key.key_file),
               "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")}
    _git(work, "init", "-q", "-b", "main")
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snap}\n    rev: {rev}\n    hooks:\n      - id: sealfile-check\n")
    (work / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: ^secrets/\n    age: {key.recipient}\n")
    out = subprocess.run([*_pre_commit(), "install"], cwd=work, env=run_env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    _git(work, "add", "-A", env=run_env)
    out = _git(work, "commit", "-q", "-m", "config", env=run_env, check=False)
    assert out.returncode == 0, out.stdout + out.stderr  # the config itself passes (and the hook env installs)
    return work, run_env


def test_committing_a_plaintext_secret_fails_and_names_the_finding(project):
    work, env = project
    token = planted()["a GitHub token"]
    (work / "app.env").write_text(f"PORT=80\nGITHUB_TOKEN={token}\n")
    (work / "secrets").mkdir()
    (work / "secrets" / "db.yaml").write_text("password: not-yet-encrypted\n")
    _git(work, "add", "-A", env=env)
    out = _git(work, "commit", "-m", "oops", env=env, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "sealfile check" in text and "Failed" in text
    assert 'app.env:2: ["GITHUB_TOKEN"]: error: secret-in-plaintext: looks like a GitHub token' in text
    assert "secrets/db.yaml:1: error: not-encrypted: creation rule 0 (path_regex ^secrets/)" in text
    assert token not in text and "not-yet-encrypted" not in text
    assert _git(work, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "1"  # nothing was committed


def test_an_encrypted_file_passes_and_only_staged_files_are_checked(project):
    work, env = project
    (work / "secrets").mkdir()
    (work / "secrets" / "db.yaml").write_text("password: hunter2-but-longer-and-random-Xy7q\n")
    enc = run_sealfile(["encrypt", "-i", "secrets/db.yaml"], env, cwd=work)
    assert enc.returncode == 0, enc.stderr.decode()
    (work / "unstaged.env").write_text(f"GITHUB_TOKEN={planted()['a GitHub token']}\n")  # not staged: not checked
    _git(work, "add", "secrets/db.yaml", env=env)
    out = _git(work, "commit", "-m", "encrypted", env=env, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "sealfile check" in out.stdout + out.stderr and "Passed" in out.stdout + out.stderr
    assert _git(work, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "2"
