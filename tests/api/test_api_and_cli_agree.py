"""The Python API and the command line give the same result for the same input and config, command by command
(the file commands, the repository tools and the git workflow).

Each test runs one command both ways in the same directory, under a config
with creation rules and ``stores: {yaml: {indent: 2}, json: {indent: 3}}``
(before the redesign, ``decrypt_file()`` ignored the config's indent that
``sealfile decrypt`` applied).  Outputs are compared byte for byte where they
are deterministic, and with every random part masked (ciphertexts, wrapped
keys, times, MACs) where they are not; both results must decrypt to the same
plaintext.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

import sealfile
from conftest import make_age_key, run_sealfile

PLAIN = {
    "yaml": ("s.yaml", "db:\n    user: app\n    password: hunter2\nports: [80, 443]\ntoken_unencrypted: x\n"),
    "json": ("s.json", '{"db": {"user": "app", "password": "hunter2"}, "n": 2}'),
    "dotenv": ("s.env", "USER=app\nPASSWORD=hunter2\n"),
    "ini": ("s.ini", "[db]\nuser = app\npassword = hunter2\n"),
}


def mask(data: bytes) -> bytes:
    data = re.sub(rb"-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----", b"AGE", data, flags=re.S)
    data = re.sub(rb"ENC\[AES256_GCM,data:[^\]]*\]", b"ENC", data)
    data = re.sub(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", b"TIME", data)
    return re.sub(rb"AGE-SECRET-KEY-1[0-9A-Z]+|age1[0-9a-z]{58}", b"KEY", data)


@pytest.fixture
def world(tmp_path, workdir, env, monkeypatch):
    """(workdir, env, key, other key) with a config and the process environment set for the API side."""
    key, other = make_age_key(tmp_path, "k1.txt"), make_age_key(tmp_path, "k2.txt")
    both = tmp_path / "both.txt"
    both.write_text(key.key_file.read_text() + other.key_file.read_text())
    (workdir / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: .*\n    age: {key.recipient}\n"
        "stores:\n  yaml:\n    indent: 2\n  json:\n    indent: 3\n")
    env["SOPS_AGE_KEY_FILE"] = str(both)
    for name in [k for k in os.environ if k.startswith(("SOPS_", "SEALFILE_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return workdir, env, key, other


def _pair(workdir: Path, fmt: str) -> tuple[Path, Path]:
    """The same encrypted file twice: one for the API, one for the CLI."""
    name, text = PLAIN[fmt]
    api_file, cli_file = workdir / ("api-" + name), workdir / ("cli-" + name)
    api_file.write_text(text)
    sealfile.encrypt_file(api_file, in_place=True)
    shutil.copy(api_file, cli_file)
    return api_file, cli_file


def _cli(args: list[str], env: dict[str, str], workdir: Path, **kw) -> bytes:
    out = run_sealfile(args, env, cwd=workdir, **kw)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout


@pytest.mark.parametrize("fmt", sorted(PLAIN))
def test_decrypt(fmt, world):
    workdir, env, *_ = world
    api_file, _ = _pair(workdir, fmt)
    ours = sealfile.decrypt_file(api_file)
    assert ours.encode() == _cli(["decrypt", api_file.name], env, workdir)
    if fmt in ("yaml", "json"):
        assert ("\n  user:" if fmt == "yaml" else '\n   "db"') in ours  # the config's indent, both ways


@pytest.mark.parametrize("fmt", sorted(PLAIN))
def test_encrypt(fmt, world):
    workdir, env, *_ = world
    name, text = PLAIN[fmt]
    (workdir / name).write_text(text)
    ours = sealfile.encrypt_file(workdir / name)
    theirs = _cli(["encrypt", name], env, workdir)
    assert mask(ours) == mask(theirs)
    assert sealfile.decrypt_data(ours, input_type=fmt) == sealfile.decrypt_data(theirs, input_type=fmt)


def _same_files(fmt: str, a: Path, b: Path) -> None:
    assert mask(a.read_bytes()) == mask(b.read_bytes())
    assert sealfile.decrypt_file(a) == sealfile.decrypt_file(b)


@pytest.mark.parametrize("fmt", sorted(PLAIN))
def test_set_and_unset(fmt, world):
    workdir, env, *_ = world
    api_file, cli_file = _pair(workdir, fmt)
    path = '["db"]["password"]' if fmt in ("yaml", "json", "ini") else '["PASSWORD"]'
    sealfile.set_value(api_file, path, '"changed"')
    _cli(["set", cli_file.name, path, '"changed"'], env, workdir)
    _same_files(fmt, api_file, cli_file)
    gone = '["db"]["user"]' if fmt in ("yaml", "json", "ini") else '["USER"]'
    sealfile.unset_value(api_file, gone)
    _cli(["unset", cli_file.name, gone], env, workdir)
    _same_files(fmt, api_file, cli_file)


@pytest.mark.parametrize("fmt", sorted(PLAIN))
def test_rotate(fmt, world):
    workdir, env, key, other = world
    api_file, cli_file = _pair(workdir, fmt)
    sealfile.rotate_file(api_file, in_place=True, add=[("age", other.recipient)])
    _cli(["rotate", "-i", "--add-age", other.recipient, cli_file.name], env, workdir)
    _same_files(fmt, api_file, cli_file)
    assert other.recipient in api_file.read_text() and other.recipient in cli_file.read_text()


def test_updatekeys(world):
    workdir, env, key, other = world
    api_file, cli_file = _pair(workdir, "yaml")
    config = workdir / ".sops.yaml"
    config.write_text(config.read_text().replace(f"age: {key.recipient}", f"age: {key.recipient},{other.recipient}"))
    plan = sealfile.plan_key_update(api_file)
    assert plan.changed
    sealfile.apply_key_update(plan)
    _cli(["updatekeys", "-y", cli_file.name], env, workdir)
    _same_files("yaml", api_file, cli_file)


def test_groups_add_and_delete(world):
    workdir, env, key, other = world
    api_file, cli_file = _pair(workdir, "yaml")
    sealfile.add_group(api_file, [("age", other.recipient)], in_place=True)
    _cli(["groups", "add", "--file", cli_file.name, "--age", other.recipient, "-i"], env, workdir)
    _same_files("yaml", api_file, cli_file)
    sealfile.remove_group(api_file, 1, 1, in_place=True)
    _cli(["groups", "delete", "--file", cli_file.name, "--shamir-secret-sharing-threshold", "1", "1", "-i"], env,
         workdir)
    _same_files("yaml", api_file, cli_file)


@pytest.mark.parametrize("fmt", ["dotenv", "ini"])
def test_exec_env(fmt, world):
    workdir, env, *_ = world
    api_file, _ = _pair(workdir, fmt)
    if fmt == "ini":  # exec-env exports top-level values: a flat YAML file instead
        api_file = workdir / "flat.yaml"
        api_file.write_text("USER: app\nPASSWORD: hunter2\nPORT: 5432\n")
        sealfile.encrypt_file(api_file, in_place=True)
    ours = sealfile.exported_environment(api_file, pristine=True)
    printed = _cli(["exec-env", "--pristine", api_file.name,
                    f"{sys.executable} -c 'import json, os; print(json.dumps(dict(os.environ)))'"], env, workdir)
    theirs = json.loads(printed)
    assert {k: v for k, v in theirs.items() if k in ours} == ours and ours


@pytest.mark.parametrize("fmt", sorted(PLAIN))
def test_exec_file(fmt, world):
    workdir, env, *_ = world
    api_file, _ = _pair(workdir, fmt)
    assert sealfile.decrypted_content(api_file) == _cli(["exec-file", api_file.name, "cat {}"], env, workdir)


def test_filestatus(world):
    workdir, env, *_ = world
    api_file, _ = _pair(workdir, "yaml")
    plain = workdir / "plain.yaml"
    plain.write_text("a: 1\n")
    for path in (api_file, plain):
        ours = sealfile.file_status(path)
        assert json.loads(_cli(["filestatus", path.name], env, workdir)) == ours


def test_edit(world, tmp_path):
    workdir, env, *_ = world
    api_file, cli_file = _pair(workdir, "yaml")
    session = sealfile.start_edit(api_file)
    edited = session.initial.replace(b"hunter2", b"changed-in-editor")
    session.save(session.apply(edited))
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\np = sys.argv[-1]\nt = open(p).read()\n"
                      "open(p, 'w').write(t.replace('hunter2', 'changed-in-editor'))\n")
    env["EDITOR"] = f"{sys.executable} {editor}"
    _cli(["edit", cli_file.name], env, workdir)
    _same_files("yaml", api_file, cli_file)


def test_keygen(world):
    workdir, env, *_ = world
    recipient = sealfile.write_identity(str(workdir / "api-key.txt"))
    _cli(["keygen", "-o", "cli-key.txt"], env, workdir)
    ours, theirs = (workdir / "api-key.txt").read_bytes(), (workdir / "cli-key.txt").read_bytes()
    assert mask(ours) == mask(theirs) and recipient.encode() in ours


# --- the repository tools and the git workflow -------------------------------------------------------

def _guarded_tree(workdir: Path, key_recipient: str) -> None:
    """A config whose rule covers secrets/, an encrypted file there, a plain one that should not be, and a token."""
    (workdir / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: ^secrets/\n    age: {key_recipient}\n    rotation: {{max_age: 90d}}\n"
        "stores:\n  yaml:\n    indent: 2\n")
    (workdir / "secrets").mkdir()
    (workdir / "secrets" / "ok.yaml").write_text("db:\n    password: hunter2\n")
    sealfile.encrypt_file(workdir / "secrets" / "ok.yaml", in_place=True)
    (workdir / "secrets" / "plain.yaml").write_text("db:\n    password: not-encrypted-1\n")
    (workdir / "app.env").write_text("AWS_ACCESS_KEY_ID=AKIA" + "Q" * 16 + "\n")


def test_check(world):
    workdir, env, key, _ = world
    _guarded_tree(workdir, key.recipient)
    paths = ["secrets/ok.yaml", "secrets/plain.yaml", "app.env"]
    report = sealfile.check(paths)
    out = run_sealfile(["check", "--format", "json", *paths], env, cwd=workdir)
    assert out.returncode == 1  # findings
    printed = json.loads(out.stdout)
    ours = [(f.file, f.line, f.rule, f.severity) for f in report.findings]
    assert ours and ours == [(f["file"], f["line"], f["rule"], f["severity"]) for f in printed["findings"]]
    assert printed["files"] == report.files == 3


def test_verify(world):
    workdir, env, *_ = world
    api_file, cli_file = _pair(workdir, "yaml")
    damaged = workdir / "damaged.yaml"
    damaged.write_text(re.sub(r"mac: ENC\[AES256_GCM,data:.", "mac: ENC[AES256_GCM,data:A", api_file.read_text()))
    verdicts = sealfile.verify([api_file.name, damaged.name])
    out = run_sealfile(["verify", api_file.name, damaged.name], env, cwd=workdir)
    lines = out.stdout.decode().splitlines()
    assert [v.ok for v in verdicts] == [True, False]
    assert lines[0] == f"{api_file.name}: OK" and lines[1] == f"{damaged.name}: FAILED: {verdicts[1].error.message}"
    assert out.returncode != 0


def test_access(world):
    workdir, env, key, other = world
    api_file, _ = _pair(workdir, "yaml")
    sealfile.add_group(api_file, [("age", other.recipient)], in_place=True)
    items = sealfile.access([api_file.name])
    printed = json.loads(_cli(["access", "--format", "json", api_file.name], env, workdir))
    ours = [(item.file, g.key_type, g.recipient, list(g.groups), g.alone) for item in items for g in item.grants]
    assert ours == [(r["file"], r["key_type"], r["recipient"], r["groups"], r["alone"]) for r in printed]
    assert {r["recipient"] for r in printed} == {key.recipient, other.recipient}


def test_config_explain_and_validate(world):
    workdir, env, key, _ = world
    _guarded_tree(workdir, key.recipient)
    info = sealfile.explain("secrets/new.yaml")
    text = _cli(["config", "explain", "secrets/new.yaml"], env, workdir).decode()
    assert f"config: {info.config}" in text and "rule 0: MATCH" in text and key.recipient in text
    (workdir / "bad.yaml").write_text("creation_rules:\n  - path_regx: x\n    age: nope\n")
    problems = sealfile.validate_config(str(workdir / "bad.yaml"))
    out = run_sealfile(["config", "validate", "bad.yaml"], env, cwd=workdir)
    assert out.returncode == 1 and problems
    assert out.stdout.decode().count("\n") == len(problems) + 1  # one line per problem, then the count


def test_diff(world):
    workdir, env, *_ = world
    api_file, cli_file = _pair(workdir, "yaml")
    sealfile.set_value(cli_file, '["db"]["password"]', '"s3cret-new"')
    sealfile.set_value(cli_file, '["added"]', '"also-new"')
    changes = sealfile.git_tools().diff(api_file.name, cli_file.name)
    printed = _cli(["diff", api_file.name, cli_file.name], env, workdir).decode()
    assert changes.changed == ['["db"]["password"]'] and changes.added == ['["added"]']
    assert printed.splitlines()[2:] == changes.lines()
    assert not any(value in printed for value in ("hunter2", "s3cret-new", "also-new"))


def test_encrypt_reuse(world):
    workdir, env, *_ = world
    api_file, _ = _pair(workdir, "yaml")
    plain = workdir / "next.yaml"
    plain.write_text(PLAIN["yaml"][1].replace("hunter2", "hunter3"))
    ours = sealfile.encrypt_reusing(plain, api_file)
    theirs = _cli(["encrypt", "--reuse", api_file.name, plain.name], env, workdir)
    assert mask(ours) == mask(theirs)
    # every value but the changed one keeps OLD's token, both ways
    old_tokens = set(re.findall(rb"ENC\[AES256_GCM,data:[^\]]*\]", api_file.read_bytes()))
    for out in (ours, theirs):
        kept = set(re.findall(rb"ENC\[AES256_GCM,data:[^\]]*\]", out)) & old_tokens
        assert len(kept) == len(old_tokens) - 2  # the password and the MAC are new


def test_log(world):
    import subprocess

    workdir, env, *_ = world
    api_file, _ = _pair(workdir, "yaml")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=workdir, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=A", "-c", "user.email=a@example.invalid", "add", api_file.name)
    git("-c", "user.name=A", "-c", "user.email=a@example.invalid", "commit", "-q", "-m", "first")
    sealfile.set_value(api_file, '["db"]["password"]', '"s3cret-new"')
    git("-c", "user.name=A", "-c", "user.email=a@example.invalid", "commit", "-q", "-am", "second")
    ours = json.loads(sealfile.git_tools().log(api_file.name, "json"))
    theirs = json.loads(_cli(["log", "--format", "json", api_file.name], env, workdir))
    assert ours == theirs and [e["subject"] for e in ours] == ["second", "first"]
    assert ours[0]["changed"] == ['["db"]["password"]']
