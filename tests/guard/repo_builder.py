"""A generated repository with one of every mistake ``check`` looks for, and the findings it must give.

Built with real tools: ``git``, age keys from pyrage, an SSH key from
``ssh-keygen``, sealfile's own encrypt (in-process where a file must look
old).  The planted credentials are fresh per run (:mod:`planted_tokens`).
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from conftest import AgeKey, make_age_key, require, run_sealfile
from planted_tokens import planted, rand

__all__ = ["GuardRepo", "build_repo", "git"]

OLD_STAMP = "2025-01-02T03:04:05Z"


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                         env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                              "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})
    return out.stdout


@dataclass
class GuardRepo:
    root: Path
    env: dict[str, str]
    key: AgeKey
    other: AgeKey
    secrets: dict[str, str] = field(default_factory=dict)
    #: (file, rule, key path as check prints it or None, line or None)
    expected: set[tuple[str, str, str | None, int | None]] = field(default_factory=set)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return run_sealfile(list(args), self.env, cwd=self.root)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def encrypt(self, name: str, *extra: str) -> None:
        out = self.run("encrypt", "-i", *extra, name)
        assert out.returncode == 0, out.stderr.decode()


def _ssh_recipient(directory: Path) -> str:
    key = directory / "id_ed25519"
    subprocess.run([require("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", "flux", "-f", str(key)],
                   check=True, capture_output=True)
    return (directory / "id_ed25519.pub").read_text().strip()


def _old_file(repo: GuardRepo, name: str, text: str, monkeypatch) -> None:
    """Encrypt ``name`` as if it had happened long ago (the clock sealfile stamps ``lastmodified`` with)."""
    import sealfile
    from sealfile.core import sopsfile

    with monkeypatch.context() as m:
        m.chdir(repo.root)
        m.setattr(sopsfile, "now_rfc3339", lambda: OLD_STAMP)
        data = sealfile.encrypt_data(text.encode(), input_type="yaml", filename=name, age=repo.key.recipient)
    (repo.root / name).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / name).write_bytes(data)


def build_repo(base: Path, env: dict[str, str], monkeypatch) -> GuardRepo:
    root = base / "repo"
    keys = base / "keys"
    root.mkdir()
    keys.mkdir()
    key, other = make_age_key(keys, "a.txt"), make_age_key(keys, "b.txt")
    ssh = _ssh_recipient(keys)
    repo = GuardRepo(root, {**env, "SOPS_AGE_KEY_FILE": str(key.key_file)}, key, other, planted())
    t = repo.secrets
    git(root, "init", "-q", "-b", "main")
    repo.write(".sops.yaml", f"""\
rotation:
  max_age: 365d
check:
  allow:
    - path: ^docs/
      rule: secret-in-plaintext
creation_rules:
  - path_regex: ^k8s/.*\\.yaml$
    encrypted_regex: ^(data|stringData)$
    age: {key.recipient}
  - path_regex: ^flux/.*\\.yaml$
    encrypted_regex: ^(data|stringData)$
    age: {ssh}
  - path_regex: ^secrets/old/.*
    age: {key.recipient}
    rotation:
      max_age: 30d
  - path_regex: ^secrets/.*
    age: {key.recipient}
""")
    secret_manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\n" \
                      "stringData:\n  password: {pw}\n  token: {tok}\n"
    # a correct Kubernetes Secret: plain metadata is what the rule wants, no finding
    repo.write("k8s/good.yaml", secret_manifest.format(pw=rand(20), tok=t["a GitHub token"]))
    repo.encrypt("k8s/good.yaml")
    # committed in plaintext although a rule covers it; its values are credentials too
    repo.write("k8s/plain.yaml", secret_manifest.format(pw=rand(20), tok=t["a Slack token"]))
    repo.expected |= {("k8s/plain.yaml", "not-encrypted", None, 1),
                      ("k8s/plain.yaml", "secret-like-value", '["stringData"]["password"]', 8),
                      ("k8s/plain.yaml", "secret-in-plaintext", '["stringData"]["token"]', 9)}
    # encrypted, then a plain value pasted in by hand where the selector wants ciphertext
    repo.write("k8s/pasted.yaml", secret_manifest.format(pw=rand(20), tok=rand(30)))
    repo.encrypt("k8s/pasted.yaml")
    text = (root / "k8s/pasted.yaml").read_text()
    pasted = text.replace("stringData:\n", f"stringData:\n  extra: {t['a Stripe live key']}\n", 1)
    (root / "k8s/pasted.yaml").write_text(pasted)
    line = pasted.splitlines().index(f"  extra: {t['a Stripe live key']}") + 1
    repo.expected.add(("k8s/pasted.yaml", "not-encrypted", '["stringData"]["extra"]', line))
    # every field encrypted (no encrypted_regex): kustomize and Flux cannot read it
    repo.write("k8s/whole.yaml", secret_manifest.format(pw=rand(20), tok=rand(30)))
    repo.encrypt("k8s/whole.yaml", "--encrypted-regex", ".*")
    lines = (root / "k8s/whole.yaml").read_text().splitlines()
    for f in ("apiVersion", "kind", "metadata"):
        line = next(i for i, text in enumerate(lines, 1) if text.startswith(f + ":"))
        repo.expected.add(("k8s/whole.yaml", "gitops-encrypted-fields", f'["{f}"]', line))
    # MAC over encrypted values only: needs a recent sops in the GitOps controller
    repo.write("k8s/maconly.yaml", secret_manifest.format(pw=rand(20), tok=rand(30)))
    repo.encrypt("k8s/maconly.yaml", "--mac-only-encrypted")
    repo.expected.add(("k8s/maconly.yaml", "gitops-mac-only", None, 1))
    # Flux decrypts with age X25519 identities only: an SSH-only file is unreadable to it
    repo.write("flux/db.yaml", secret_manifest.format(pw=rand(20), tok=rand(30)))
    repo.encrypt("flux/db.yaml")
    repo.expected.add(("flux/db.yaml", "gitops-ssh-recipients", None, 1))
    # encrypted for a recipient the rule no longer lists (and missing the one it lists)
    repo.write("secrets/drift.yaml", f"db_password: {rand(20)}\n")
    repo.encrypt("secrets/drift.yaml", "--age", other.recipient)
    repo.expected.add(("secrets/drift.yaml", "recipient-drift", None, 1))
    # a data key older than the 30-day rule policy
    _old_file(repo, "secrets/old/api.yaml", f"api_key: {rand(32)}\n", monkeypatch)
    repo.expected.add(("secrets/old/api.yaml", "rotation-due", None, 1))
    # under no rule: credentials in an app config, a dotenv and a PEM file
    repo.write("app/settings.yaml", f"""\
service:
  name: billing
  id: 6f1c2a5e-8d3b-4c7a-9e2f-1b0a3c4d5e6f
  database: {t['a URL with a password']}
  callback: https://hooks.example.com/billing
  client_secret: {rand(32)}
  # sealfile:allow (a revoked test key kept for the fixture)
  legacy_key: {t['a Google API key']}
  openai: {t['an OpenAI API key']}  # sealfile:allow
""")
    repo.expected |= {("app/settings.yaml", "secret-in-plaintext", '["service"]["database"]', 4),
                      ("app/settings.yaml", "secret-like-value", '["service"]["client_secret"]', 6)}
    repo.write("app/.env", f"PORT=8080\nAWS_ACCESS_KEY_ID={t['an AWS access key id']}\nREGION=eu-west-1\n")
    repo.expected.add(("app/.env", "secret-in-plaintext", '["AWS_ACCESS_KEY_ID"]', 2))
    repo.write("deploy/id_rsa", "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + rand(70) + "\n-----END OPENSSH "
               "PRIVATE KEY-----\n")
    repo.expected.add(("deploy/id_rsa", "secret-in-plaintext", None, 1))
    repo.write("ci/token.json", f'{{\n  "jobs": 3,\n  "session": "{t["a JSON Web Token"]}"\n}}\n')
    repo.expected.add(("ci/token.json", "secret-in-plaintext", '["session"]', 3))
    repo.write("ops/identity.txt", f"# created: 2025-01-01\n{t['an age identity']}\n")
    repo.expected.add(("ops/identity.txt", "secret-in-plaintext", None, 2))
    # allowed by the config's check.allow (docs/), and what docs and lockfiles are full of
    repo.write("docs/rotation.md", f"Revoked example: `{t['a GitHub fine-grained token']}`\n")
    repo.write("README.md", "Set AKIAIOSFODNN7EXAMPLE and https://user:${PASSWORD}@host/db in your shell.\n")
    repo.write("package-lock.json", '{"packages": {"node_modules/x": {"integrity": "sha512-'
               + rand(86, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") + '=="}}}\n')
    # ignored by git: not checked
    repo.write(".gitignore", "local.env\n")
    repo.write("local.env", f"GITHUB_TOKEN={t['a GitHub token']}\n")
    git(root, "add", "-A")
    return repo
