"""``sealfile git setup`` (idempotent, derived patterns, ``--uninstall`` removes exactly what it wrote, ``--global``)
and ``sealfile encrypt --reuse`` (unchanged values keep their ciphertext; unchanged plaintext, the same file)."""
from __future__ import annotations

import pytest

import sealfile
from gitworld import FORMATS, World

NEW = "pw-new-0d5b"


def _config(w: World, scope: str = "--local") -> str:
    return w.git("config", scope, "--list").stdout.decode()


def test_setup_is_idempotent_and_uninstall_removes_exactly_what_it_wrote(tmp_path):
    w = World(tmp_path)
    original = "*.png binary\n# ours\n"
    w.write(".gitattributes", original)
    w.git("config", "diff.other.textconv", "cat")
    before = _config(w)
    w.encrypted("secrets/a.yaml", "a: 1\n")
    (w.repo / "other.yaml").write_text(f"creation_rules:\n  - age: {w.key.recipient}\n")
    w.write("deploy/app.enc.yaml", "b: 2\n")
    w.sf("encrypt", "--config", "other.yaml", "-i", "deploy/app.enc.yaml")
    w.write("deploy/values.yaml", "replicas: 2\n")
    w.write("deploy/notes.yaml", "x: 1\n")
    first = w.setup().stdout.decode()
    attributes = (w.repo / ".gitattributes").read_text()
    assert attributes.startswith(original)
    block = attributes[len(original):].splitlines()
    assert block[1:-1] == ["secrets/** diff=sealfile merge=sealfile", "*.enc.yaml diff=sealfile merge=sealfile"]
    assert "merge.sealfile.driver" in first and "secrets/**" in first
    assert w.git("config", "merge.sealfile.driver").stdout.decode().endswith("git merge-driver %O %A %B %L %P\n")
    assert w.git("check-attr", "merge", "deploy/values.yaml").stdout.endswith(b"unspecified\n")
    assert w.git("check-attr", "diff", "deploy/app.enc.yaml").stdout.endswith(b"sealfile\n")

    again = w.setup().stdout.decode()
    assert (w.repo / ".gitattributes").read_text() == attributes
    assert "(unchanged)" in again and ".gitattributes: unchanged" in again

    w.sf("git", "setup", "--uninstall")
    assert (w.repo / ".gitattributes").read_text() == original
    assert _config(w) == before


def test_setup_global_writes_the_global_config_and_attributes(tmp_path):
    w = World(tmp_path)
    local = _config(w)
    w.setup("--global", "--filter", "*.sops.env")
    home = tmp_path / "home"
    assert "filter.sealfile.required=true" in _config(w, "--global")
    assert (home / ".config" / "git" / "attributes").read_text().splitlines()[1] == \
        "*.sops.env diff=sealfile merge=sealfile filter=sealfile"
    assert _config(w) == local
    w.sf("git", "setup", "--global", "--uninstall")
    assert "sealfile" not in _config(w, "--global")
    assert not (home / ".config" / "git" / "attributes").exists()


def test_setup_outside_a_repository_needs_global(tmp_path):
    w = World(tmp_path)
    out = w.sf("git", "setup", env=dict(w.env, GIT_DIR=str(tmp_path / "nowhere")), check=False)
    assert out.returncode == 1 and "not in a git repository" in out.stderr.decode()


@pytest.mark.parametrize("regex, globs", [
    (r"\.enc\.yaml$", ["*.enc.yaml"]),
    (r"^secrets/", ["secrets/**"]),
    (r"secrets/.*\.yaml$", ["**/secrets/**/*.yaml"]),
    (r"^(dev|prod)/[^/]+\.env$", ["dev/*.env", "prod/*.env"]),
    (r"\.ya?ml$", ["*.yaml", "*.yml"]),
    (r".*", None), (None, None), (r"^a\d+\.yaml$", None),
])
def test_creation_rules_read_as_globs(regex, globs):
    from sealfile.operations.gitsetup import regex_globs

    assert regex_globs(regex) == globs


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_encrypt_reuse_keeps_every_unchanged_ciphertext(fmt, tmp_path, sops_bin):
    w = World(tmp_path)
    name, text, path, *_ = FORMATS[fmt]
    w.encrypted(name, text)
    old = w.read(name)
    plain = name.replace("app.", "plain.")
    w.write(plain, w.sf("decrypt", name).stdout)
    same = w.sf("encrypt", "--reuse", name, plain).stdout
    assert same == old  # the same plaintext: the very same file, lastmodified and MAC included
    edited = w.read(plain).replace(b"pw-base-71c3", NEW.encode())
    w.write(plain, edited)
    w.sf("encrypt", "--reuse", name, "--output", name, plain)
    new = w.read(name)
    assert len(set(w.tokens(new)) - set(w.tokens(old))) == 2  # the changed value and the MAC
    assert w.value(name, path) == NEW and w.sops(sops_bin, name).returncode == 0
    assert w.sf("encrypt", "--reuse", name, "--age", w.key.recipient, plain, check=False).returncode == 8
    assert w.sf("encrypt", "--reuse", name, plain, env=w.no_key_env(), check=False).returncode == 128


def test_encrypt_reusing_from_the_api(tmp_path, env):
    from conftest import make_age_key

    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    old = tmp_path / "s.env"
    old.write_text("A=1\nB=2\n")
    sealfile.encrypt_file(old, in_place=True, age=key.recipient, env=env, config=False)
    plain = tmp_path / "plain.env"
    plain.write_text("A=1\nB=3\nC=4\n")
    out = sealfile.encrypt_reusing(plain, old, env=env, config=False)
    assert out.splitlines()[0] == old.read_bytes().splitlines()[0]  # A keeps its token
    assert sealfile.decrypt_data(out, input_type="dotenv", env=env, config=False) == b"A=1\nB=3\nC=4\n"
