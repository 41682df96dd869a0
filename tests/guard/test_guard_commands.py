"""`verify`, `access`, `config explain`, `config validate`, the unknown-field warning, and their Python API."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import sealfile
from conftest import make_age_key, run_sealfile
from planted_tokens import rand


@pytest.fixture
def keys(tmp_path):
    d = tmp_path / "keys"
    d.mkdir()
    return [make_age_key(d, f"k{i}.txt") for i in range(3)]


def _encrypt(workdir: Path, env, name: str, text: str, *args: str) -> Path:
    (workdir / name).write_text(text)
    out = run_sealfile(["encrypt", "-i", *args, name], env, cwd=workdir)
    assert out.returncode == 0, out.stderr.decode()
    return workdir / name


# --- verify ------------------------------------------------------------------------------------------------------

def test_verify_prints_only_verdicts_and_exits_with_sops_codes(workdir, env, keys):
    secret = rand(24)
    env = {**env, "SOPS_AGE_KEY_FILE": str(keys[0].key_file)}
    good = _encrypt(workdir, env, "good.yaml", f"a: {secret}\nb: [1, 2]\n", "--age", keys[0].recipient)
    out = run_sealfile(["verify", "good.yaml"], env, cwd=workdir)
    assert (out.returncode, out.stdout, out.stderr) == (0, b"good.yaml: OK\n", b"")
    # a value's tag: sops's ErrorDecryptingTree (25); a MAC mismatch: 51
    text = good.read_text()
    tampered = workdir / "tag.yaml"
    i = text.index("tag:") + 4
    tampered.write_text(text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1:])
    out = run_sealfile(["verify", "tag.yaml"], env, cwd=workdir)
    assert out.returncode == 25, out
    assert out.stdout.decode().startswith("tag.yaml: FAILED: could not decrypt value at a:")
    two = _encrypt(workdir, env, "two.yaml", f"a: {secret}\nc: word\n", "--age", keys[0].recipient)
    dropped = workdir / "dropped.yaml"  # a whole value removed: every tag checks out, the MAC does not
    dropped.write_text("".join(line for line in two.read_text().splitlines(True) if not line.startswith("c:")))
    out = run_sealfile(["verify", "good.yaml", "dropped.yaml"], env, cwd=workdir)
    assert out.returncode == 51, out
    lines = out.stdout.decode().splitlines()
    assert lines[0] == "good.yaml: OK" and lines[1].startswith("dropped.yaml: FAILED: MAC mismatch")
    assert len(lines) == 2
    # no key for the file: sops's 128
    nokey = {**env, "SOPS_AGE_KEY_FILE": str(keys[1].key_file)}
    out = run_sealfile(["verify", "good.yaml"], nokey, cwd=workdir)
    assert out.returncode == 128 and out.stdout.decode().startswith("good.yaml: FAILED: ")
    # a plain file: sops's "metadata not found"
    (workdir / "plain.yaml").write_text(f"a: {secret}\n")
    out = run_sealfile(["verify", "plain.yaml"], env, cwd=workdir)
    assert out.returncode != 0 and b"sops metadata not found" in out.stdout
    for o in (out,):
        assert secret.encode() not in o.stdout + o.stderr


def test_verify_api_returns_verdicts(workdir, env, keys):
    env = {**env, "SOPS_AGE_KEY_FILE": str(keys[0].key_file)}
    _encrypt(workdir, env, "a.json", '{"x": "y"}', "--age", keys[0].recipient)
    (workdir / "b.json").write_text('{"x": "y"}')
    verdicts = sealfile.verify(["a.json", "b.json"], env=env)
    assert [(v.file, v.ok) for v in verdicts] == [("a.json", True), ("b.json", False)]
    assert verdicts[1].error.file == "b.json" and verdicts[1].error.exit_code != 0


# --- access ------------------------------------------------------------------------------------------------------

def test_access_honours_shamir_thresholds_and_lists_a_leaked_keys_files(workdir, env, keys):
    a, b, c = (k.recipient for k in keys)
    (workdir / ".sops.yaml").write_text(f"""\
creation_rules:
  - path_regex: shared/.*
    shamir_threshold: 2
    key_groups:
      - age: [{a}]
      - age: [{b}]
      - age: [{c}, {a}]
  - path_regex: .*
    age: {a},{b}
""")
    (workdir / "shared").mkdir()
    _encrypt(workdir, env, "shared/db.yaml", "pw: x\n")
    _encrypt(workdir, env, "app.env", "PW=x\n")
    (workdir / "plain.txt").write_text("nothing\n")
    out = run_sealfile(["access", "--format", "json", "shared/db.yaml", "app.env", "plain.txt"], env, cwd=workdir)
    assert out.returncode == 0, out.stderr.decode()
    rows = {(r["file"], r["recipient"]): r for r in json.loads(out.stdout)}
    assert set(rows) == {("shared/db.yaml", a), ("shared/db.yaml", b), ("shared/db.yaml", c), ("app.env", a),
                         ("app.env", b)}
    assert rows[("shared/db.yaml", a)]["alone"] is True and rows[("shared/db.yaml", a)]["groups"] == [0, 2]
    assert rows[("shared/db.yaml", b)]["alone"] is False and rows[("shared/db.yaml", b)]["needs_groups"] == 2
    assert rows[("shared/db.yaml", c)]["alone"] is False
    assert rows[("app.env", b)]["alone"] is True
    # the leaked key b: which files does it expose?
    out = run_sealfile(["access", "--recipient", b, "--format", "csv", "shared/db.yaml", "app.env"], env,
                       cwd=workdir)
    got = list(csv.DictReader(io.StringIO(out.stdout.decode())))
    assert [(r["file"], r["alone"]) for r in got] == [("shared/db.yaml", "False"), ("app.env", "True")]
    table = run_sealfile(["access", "shared/db.yaml"], env, cwd=workdir).stdout.decode().splitlines()
    assert table[0].split() == ["FILE", "TYPE", "RECIPIENT", "DECRYPTS"]
    assert any(b in line and line.endswith("with others: 2 groups needed, it is in 1") for line in table), table
    # the API returns the same as data
    items = sealfile.access(["shared/db.yaml"], env=env)
    assert items[0].threshold == 2 and items[0].groups == 3
    assert {g.recipient: g.alone for g in items[0].grants} == {a: True, b: False, c: False}


def test_access_names_pgp_keys_by_their_user_id(workdir, env, gpg_home):
    env = {**env, "GNUPGHOME": gpg_home.home}
    _encrypt(workdir, env, "p.yaml", "pw: x\n", "--pgp", gpg_home.fingerprint)
    out = run_sealfile(["access", "--format", "json", "p.yaml"], env, cwd=workdir)
    [row] = json.loads(out.stdout)
    assert row["key_type"] == "pgp" and row["recipient"] == gpg_home.fingerprint
    assert row["label"] == "sealfile test <test@sealfile.invalid>"
    # a reviewer without the keyring still sees the fingerprint
    out = run_sealfile(["access", "--recipient", "sealfile test <test@sealfile.invalid>", "p.yaml"], env,
                       cwd=workdir)
    assert gpg_home.fingerprint in out.stdout.decode()


def test_access_reports_damaged_metadata_on_stderr_with_exit_2(workdir, env, keys):
    f = _encrypt(workdir, env, "d.yaml", "pw: x\n", "--age", keys[0].recipient)
    f.write_text(f.read_text().replace("    age:", "    age: 7\n    agx:", 1))
    out = run_sealfile(["access", "d.yaml"], env, cwd=workdir)
    assert out.returncode == 2
    assert out.stderr.decode().startswith("sealfile: d.yaml: cannot read its metadata: ")
    assert b"Traceback" not in out.stderr


def test_access_defaults_to_the_repository_and_needs_no_key(workdir, env, keys):
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=workdir, check=True)
    _encrypt(workdir, env, "s.json", '{"a": 1}', "--age", keys[2].recipient)
    out = run_sealfile(["access", "--format", "json"], env, cwd=workdir)
    assert [r["file"] for r in json.loads(out.stdout)] == ["s.json"]


# --- config explain / validate -----------------------------------------------------------------------------------

def test_config_explain_names_the_config_the_rule_and_why_earlier_rules_missed(workdir, env, keys):
    a, b = keys[0].recipient, keys[1].recipient
    (workdir / ".sops.yaml").write_text(f"""\
rotation:
  max_age: 12w
creation_rules:
  - path_regex: ^prod/.*\\.yaml$
    age: {a}
  - path_regex: \\.env$
    encrypted_regex: ^(password|token)$
    key_groups:
      - age: [{a}]
      - age: [{b}]
    shamir_threshold: 2
""")
    (workdir / "svc").mkdir()
    out = run_sealfile(["config", "explain", ".env"], env, cwd=workdir / "svc")
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode()
    assert f"config: {workdir / '.sops.yaml'}" in text
    assert "rules match against: svc/.env" in text
    assert "rule 0: no - path_regex ^prod/.*\\.yaml$ does not match svc/.env" in text
    assert "rule 1: MATCH - path_regex matches svc/.env" in text
    assert f"key group 0:\n  age: {a}\nkey group 1:\n  age: {b}\nshamir threshold: 2" in text
    assert "encrypted_regex: ^(password|token)$" in text and "rotation max_age: 84 days" in text
    info = sealfile.explain(str(workdir / "svc" / ".env"), config=str(workdir / ".sops.yaml"))
    assert info.rule.index == 1 and [t.matched for t in info.trials] == [False, True]
    out = run_sealfile(["config", "explain", "README.md"], env, cwd=workdir)
    assert "no rule matches" in out.stdout.decode()


def test_config_validate_finds_each_trap_with_its_line(workdir, env, keys):
    cfg = workdir / "bad.yaml"
    cfg.write_text(f"""\
creation_rules:
  - path_regex: ^secrets/
    encrypted_regexp: ^password$
    age: {keys[0].recipient}
  - path_regx: ^prod/
    age: {keys[0].recipient}
  - path_regex: "(?<=x)y"
    age: not-a-recipient
  - path_regex: "[unclosed"
    pgp: ZZZZ
stores:
  yml:
    indent: 2
creation_rule: []
""")
    out = run_sealfile(["config", "validate", "bad.yaml"], env, cwd=workdir)
    assert out.returncode == 1
    lines = out.stdout.decode().splitlines()
    expect = [
        ("bad.yaml:3:", "encrypted_regexp", "did you mean 'encrypted_regex'?"),
        ("bad.yaml:5:", "path_regx", "did you mean 'path_regex'?"),
        ("bad.yaml:7:", "path_regex", "not RE2"),
        ("bad.yaml:8:", "age", "recipient"),
        ("bad.yaml:9:", "path_regex", "compile"),
        ("bad.yaml:10:", "pgp", "recipient"),
        ("bad.yaml:12:", "yml", "did you mean 'yaml'?"),
        ("bad.yaml:14:", "creation_rule", "did you mean 'creation_rules'?"),
        ("bad.yaml:5:", "creation_rules.1", "rule 1 matches every path, so rules 2 to 3 can never apply"),
    ]
    for prefix, field, words in expect:
        assert any(line.startswith(prefix) and field in line and words in line for line in lines), (prefix, lines)
    assert lines[-1] == f"bad.yaml: {len(expect)} problems"
    assert len(lines) == len(expect) + 1
    problems = sealfile.validate_config(str(cfg))
    assert len(problems) == len(expect) and all(p.file == str(cfg) or p.file == "bad.yaml" for p in problems)
    good = workdir / ".sops.yaml"
    good.write_text(f"creation_rules:\n  - path_regex: x\n    age: {keys[0].recipient}\n")
    out = run_sealfile(["config", "validate"], env, cwd=workdir)
    assert (out.returncode, out.stdout.decode()) == (0, f"{good}: OK\n")


def test_unknown_config_fields_warn_once_on_encrypt_and_edit_never_on_decrypt(workdir, env, keys):
    env = {**env, "SOPS_AGE_KEY_FILE": str(keys[0].key_file)}
    (workdir / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: x\n    encrypted_regexp: ^a$\n"
                                        f"    age: {keys[0].recipient}\n")
    (workdir / "x.yaml").write_text("a: 1\nb: 2\n")
    out = run_sealfile(["encrypt", "-i", "x.yaml"], env, cwd=workdir)
    assert out.returncode == 0
    warnings = out.stderr.decode().splitlines()
    assert len(warnings) == 1 and "encrypted_regexp" in warnings[0] and "'encrypted_regex'" in warnings[0]
    out = run_sealfile(["decrypt", "x.yaml"], env, cwd=workdir)
    assert (out.returncode, out.stderr) == (0, b"")
    out = run_sealfile(["edit", "x.yaml"], {**env, "EDITOR": "true"}, cwd=workdir)
    assert out.stderr.decode().count("encrypted_regexp") == 1
