"""`sealfile check` end to end on a generated repository holding one of every mistake (see :mod:`repo_builder`).

Each finding must name file, line, key path and rule (exactly the expected
set: nothing missing, nothing extra), no output may contain a planted value,
and fixing a mistake with the command the finding suggests must clear it.
"""
from __future__ import annotations

import json

import pytest

from repo_builder import build_repo, git


@pytest.fixture
def repo(tmp_path, env, monkeypatch):
    return build_repo(tmp_path, env, monkeypatch)


def _findings(out) -> set[tuple]:
    doc = json.loads(out.stdout)
    return {(f["file"], f["rule"], f["key_path"], f["line"]) for f in doc["findings"]}


def _assert_no_secret(repo, *outputs) -> None:
    for out in outputs:
        text = out.stdout.decode() + out.stderr.decode()
        for kind, value in repo.secrets.items():
            assert value not in text, f"{kind} leaked"
            assert value[-12:] not in text, f"part of {kind} leaked"


def test_every_mistake_is_found_with_file_line_key_path_and_rule(repo):
    out = repo.run("check", "--format", "json")
    assert out.returncode == 1, out.stderr.decode()
    assert out.stderr == b""
    assert _findings(out) == repo.expected
    doc = json.loads(out.stdout)
    assert doc["files"] == len(git(repo.root, "ls-files").split()) - 0  # every tracked file, ignored ones not
    assert doc["config"].endswith(".sops.yaml")
    fixes = {f["file"]: f["fix"] for f in doc["findings"] if f["fix"]}
    assert fixes["k8s/plain.yaml"] == "sealfile encrypt -i k8s/plain.yaml"
    assert fixes["secrets/drift.yaml"] == "sealfile updatekeys secrets/drift.yaml"
    assert fixes["secrets/old/api.yaml"] == "sealfile rotate -i secrets/old/api.yaml"


def test_text_output_names_each_finding_on_one_line_and_no_value(repo):
    out = repo.run("check")
    assert out.returncode == 1
    lines = out.stdout.decode().splitlines()
    assert lines[-1].startswith(f"{len(git(repo.root, 'ls-files').split())} files checked: "
                                f"{len(repo.expected)} findings")
    assert len(lines) == len(repo.expected) + 1
    assert 'k8s/pasted.yaml:' in out.stdout.decode()
    assert any(line.startswith("app/.env:2: [\"AWS_ACCESS_KEY_ID\"]: error: secret-in-plaintext: "
                               "looks like an AWS access key id") for line in lines), lines
    assert any(line.startswith("secrets/old/api.yaml:1: warning: rotation-due: the data key was last wrapped")
               and "(lastmodified); the policy allows 30 days (fix: sealfile rotate -i secrets/old/api.yaml)" in line
               for line in lines), lines
    _assert_no_secret(repo, out)


def test_no_output_format_carries_a_planted_secret(repo):
    outs = [repo.run("check", "--format", fmt) for fmt in ("text", "json", "sarif")]
    outs.append(repo.run("check", "--verify", "--format", "json"))
    assert [o.returncode for o in outs] == [1, 1, 1, 1]
    _assert_no_secret(repo, *outs)


def test_staged_paths_only_and_a_clean_file_passes(repo):
    out = repo.run("check", "k8s/good.yaml", "README.md", "package-lock.json", "docs/rotation.md")
    assert out.returncode == 0, out.stdout.decode()
    assert out.stdout.decode().strip() == "4 files checked: 0 findings (0 errors, 0 warnings)"
    out = repo.run("check", "--format", "json", "app/.env")
    assert out.returncode == 1
    assert _findings(out) == {f for f in repo.expected if f[0] == "app/.env"}


def test_fixing_each_mistake_with_the_suggested_command_clears_it(repo):
    assert repo.run("encrypt", "-i", "k8s/plain.yaml").returncode == 0
    # the drift file opens with the key it was encrypted for: updatekeys needs that one
    env_other = {**repo.env, "SOPS_AGE_KEY_FILE": str(repo.other.key_file)}
    from conftest import run_sealfile
    out = run_sealfile(["updatekeys", "-y", "secrets/drift.yaml"], env_other, cwd=repo.root)
    assert out.returncode == 0, out.stderr.decode()
    out = repo.run("rotate", "-i", "secrets/old/api.yaml")
    assert out.returncode == 0, out.stderr.decode()
    out = repo.run("check", "--format", "json")
    left = _findings(out)
    assert not {f for f in left if f[0] in ("k8s/plain.yaml", "secrets/drift.yaml", "secrets/old/api.yaml")}
    assert left == {f for f in repo.expected
                    if f[0] not in ("k8s/plain.yaml", "secrets/drift.yaml", "secrets/old/api.yaml")}


def test_allowlist_in_the_config_waives_by_path_rule_and_key(repo):
    cfg = repo.root / ".sops.yaml"
    cfg.write_text(cfg.read_text().replace("    - path: ^docs/\n", "    - path: ^app/\n      key: client_secret\n"
                                           "    - path: ^docs/\n"))
    left = _findings(repo.run("check", "--format", "json"))
    assert ("app/settings.yaml", "secret-like-value", '["service"]["client_secret"]', 6) not in left
    assert ("app/settings.yaml", "secret-in-plaintext", '["service"]["database"]', 4) in left
    # without the docs/ entry the example token in the docs is reported
    cfg.write_text(cfg.read_text().replace("    - path: ^docs/\n      rule: secret-in-plaintext\n", ""))
    left = _findings(repo.run("check", "--format", "json"))
    assert ("docs/rotation.md", "secret-in-plaintext", None, 1) in left


def test_inline_allow_comments_waive_their_line_or_the_next(repo):
    path = repo.root / "app/settings.yaml"
    path.write_text(path.read_text().replace("  # sealfile:allow (a revoked test key kept for the fixture)\n", ""))
    left = _findings(repo.run("check", "--format", "json"))
    assert ("app/settings.yaml", "secret-in-plaintext", '["service"]["legacy_key"]', 7) in left
    assert not any(f[2] == '["service"]["openai"]' for f in left)  # still waived by its own line


def test_ignored_and_untracked_files(repo):
    (repo.root / "new.env").write_text("GITHUB_TOKEN=" + repo.secrets["a GitHub token"] + "\n")
    left = _findings(repo.run("check", "--format", "json"))
    assert ("new.env", "secret-in-plaintext", '["GITHUB_TOKEN"]', 1) in left  # untracked, not ignored
    assert not any(f[0] == "local.env" for f in left)  # .gitignore'd


def test_verify_reports_a_tampered_value_by_key_path_and_a_missing_key(repo):
    path = repo.root / "k8s/good.yaml"
    text = path.read_text()
    start = text.index("  password: ENC[AES256_GCM,data:") + len("  password: ENC[AES256_GCM,data:")
    path.write_text(text[:start] + ("A" if text[start] != "A" else "B") + text[start + 1:])
    out = repo.run("check", "--verify", "--format", "json", "k8s/good.yaml", "secrets/drift.yaml", "k8s/maconly.yaml")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    verified = {(f["file"], f["key_path"]) for f in doc["findings"] if f["rule"] == "verify-failed"}
    assert verified == {("k8s/good.yaml", '["stringData"]["password"]'), ("secrets/drift.yaml", None)}
    drift = next(f for f in doc["findings"] if f["rule"] == "verify-failed" and f["file"] == "secrets/drift.yaml")
    assert "data key" in drift["message"]
    _assert_no_secret(repo, out)


def test_fail_on_levels(repo):
    assert repo.run("check", "--fail-on", "never").returncode == 0
    assert repo.run("check", "--fail-on", "error").returncode == 1
    only_warnings = repo.run("check", "--fail-on", "error", "secrets/old/api.yaml", "k8s/maconly.yaml")
    assert only_warnings.returncode == 0, only_warnings.stdout.decode()
    assert b"2 findings (0 errors, 2 warnings)" in only_warnings.stdout
    assert repo.run("check", "secrets/old/api.yaml").returncode == 1


def test_a_broken_config_stops_the_check_with_exit_2_and_one_line(repo):
    (repo.root / ".sops.yaml").write_text("creation_rules:\n  - path_regex: ok\n    rotation:\n      max_age: soon\n")
    out = repo.run("check")
    assert out.returncode == 2
    err = out.stderr.decode().strip().splitlines()
    assert len(err) == 1 and ".sops.yaml" in err[0] and "max_age" in err[0], err
    assert b"Traceback" not in out.stderr and out.stdout == b""


def test_outside_git_every_file_of_the_tree_is_checked(repo):
    import shutil

    shutil.rmtree(repo.root / ".git")
    doc = json.loads(repo.run("check", "--format", "json").stdout)
    files = {f["file"] for f in doc["findings"]}
    assert "local.env" in files  # no .gitignore without git: every file counts
    assert doc["files"] == sum(1 for p in repo.root.rglob("*") if p.is_file())
