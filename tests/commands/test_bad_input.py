"""Bad input: one clear line naming the file, sops's exit code, no traceback,
no secret in the message, and the input file untouched.

Where sops has an exit code for the case, the test runs the real sops on the
same input and requires the same code.
"""
from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

SECRET = "hunter2-very-secret"


def _assert_one_line_error(proc, path: Path | None = None):
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert SECRET not in err and SECRET not in proc.stdout.decode()
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("sealfile: error: ")
    if path is not None:
        assert str(path) in lines[0]


@pytest.fixture
def keyed(env, tmp_path):
    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    return key, env


PARSE_CASES = [
    ("bad.yaml", f"a: [1, 2\nb: {SECRET}\n"),
    ("dup.yaml", f"a: {SECRET}\na: 2\n"),
    ("list.yaml", f"- {SECRET}\n"),
    ("bad.json", f'{{"a": "{SECRET}",\n'),
    ("array.json", f'["{SECRET}"]\n'),
    ("bad.env", f"GOOD=1\n{SECRET}\n"),
    ("bad.ini", f"[section\nkey = {SECRET}\n"),
]


@pytest.mark.parametrize("name,content", PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_malformed_input_on_encrypt(name, content, keyed, sops_bin, tmp_path):
    key, env = keyed
    f = tmp_path / name
    f.write_text(content)
    ours = run_sealfile(["encrypt", "-i", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    _assert_one_line_error(ours, f)
    theirs = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode, theirs.stderr.decode()
    assert f.read_text() == content


def _sealed(tmp_path: Path, env: dict, key, name="s.yaml", content=f"user: admin\npassword: {SECRET}\nlist:\n  - a\n  - b\n"):
    plain = tmp_path / name
    plain.write_text(content)
    proc = run_sealfile(["encrypt", "-i", "--age", key.recipient, str(plain)], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    return plain


def _both(sops_bin, args, env, cwd):
    return run_sealfile(args, env, cwd=cwd), run_sops(sops_bin, args, env, cwd=cwd)


def test_plaintext_given_to_decrypt(keyed, sops_bin, tmp_path):
    _, env = keyed
    f = tmp_path / "p.yaml"
    f.write_text(f"password: {SECRET}\n")
    ours, theirs = _both(sops_bin, ["decrypt", str(f)], env, tmp_path)
    _assert_one_line_error(ours, f)
    assert "sops metadata not found" in ours.stderr.decode()
    assert ours.returncode == theirs.returncode == 1


def test_encrypted_file_given_to_encrypt(keyed, sops_bin, tmp_path):
    key, env = keyed
    f = _sealed(tmp_path, env, key)
    before = f.read_bytes()
    ours, theirs = _both(sops_bin, ["encrypt", "-i", "--age", key.recipient, str(f)], env, tmp_path)
    _assert_one_line_error(ours, f)
    assert ours.returncode == theirs.returncode == 203
    assert f.read_bytes() == before


def test_damaged_ciphertext(keyed, sops_bin, tmp_path):
    key, env = keyed
    f = _sealed(tmp_path, env, key)
    text = f.read_text()
    data = re.search(r"password: ENC\[AES256_GCM,data:([^,]+)", text).group(1)
    f.write_text(text.replace("data:" + data, "data:" + data[::-1], 1))
    ours, theirs = _both(sops_bin, ["decrypt", str(f)], env, tmp_path)
    _assert_one_line_error(ours, f)
    assert ours.returncode == theirs.returncode == 25


def test_removed_value_is_a_mac_mismatch(keyed, sops_bin, tmp_path):
    key, env = keyed
    f = _sealed(tmp_path, env, key)
    f.write_text(re.sub(r"^user: .*\n", "", f.read_text(), flags=re.M))
    ours, theirs = _both(sops_bin, ["decrypt", str(f)], env, tmp_path)
    _assert_one_line_error(ours, f)
    assert "MAC mismatch" in ours.stderr.decode()
    assert ours.returncode == theirs.returncode == 51


def test_plain_value_where_ciphertext_expected_is_not_echoed(keyed, sops_bin, tmp_path):
    key, env = keyed
    f = _sealed(tmp_path, env, key)
    f.write_text(re.sub(r"^password: .*$", f"password: {SECRET}", f.read_text(), flags=re.M))
    ours, theirs = _both(sops_bin, ["decrypt", str(f)], env, tmp_path)
    _assert_one_line_error(ours, f)
    assert SECRET in theirs.stderr.decode()  # sops echoes it; sealfile must not
    assert ours.returncode == theirs.returncode == 25


def test_missing_key(env, sops_bin, tmp_path):
    key = make_age_key(tmp_path)
    f = _sealed(tmp_path, dict(env, SOPS_AGE_KEY_FILE=str(key.key_file)), key)
    other = make_age_key(tmp_path, "other.txt")
    env["SOPS_AGE_KEY_FILE"] = str(other.key_file)
    ours, theirs = _both(sops_bin, ["decrypt", str(f)], env, tmp_path)
    assert ours.returncode == theirs.returncode == 128
    err = ours.stderr.decode()
    assert "Traceback" not in err and SECRET not in err
    assert err.startswith(f"sealfile: error: {f}: ")
    assert key.recipient in err  # the per-recipient report
    assert str(other.key_file) in err  # says where it looked
    assert other.secret not in err


def test_unknown_recipient(keyed, tmp_path):
    _, env = keyed
    f = tmp_path / "p.yaml"
    f.write_text(f"password: {SECRET}\n")
    proc = run_sealfile(["encrypt", "--age", "age1notarealrecipient", str(f)], env, cwd=tmp_path)
    _assert_one_line_error(proc)
    assert "age1notarealrecipient" in proc.stderr.decode()
    assert proc.returncode == 1


def test_missing_file(keyed, sops_bin, tmp_path):
    _, env = keyed
    ours, theirs = _both(sops_bin, ["decrypt", str(tmp_path / "nope.yaml")], env, tmp_path)
    _assert_one_line_error(ours)
    assert ours.returncode == theirs.returncode == 100


def test_in_place_keeps_mode_and_is_atomic(keyed, tmp_path):
    key, env = keyed
    f = tmp_path / "mode.yaml"
    f.write_text(f"password: {SECRET}\n")
    f.chmod(0o640)
    proc = run_sealfile(["encrypt", "-i", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert stat.S_IMODE(f.stat().st_mode) == 0o640
    assert "ENC[AES256_GCM" in f.read_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".mode")) == []  # no temp left


def test_in_place_and_output_conflict(keyed, sops_bin, tmp_path):
    key, env = keyed
    f = _sealed(tmp_path, env, key)
    ours, theirs = _both(sops_bin, ["decrypt", "-i", "--output", str(tmp_path / "o"), str(f)], env, tmp_path)
    _assert_one_line_error(ours)
    assert ours.returncode == theirs.returncode == 8


def test_successful_decrypt_is_silent_on_stderr(keyed, tmp_path):
    key, env = keyed
    f = _sealed(tmp_path, env, key)
    proc = run_sealfile(["decrypt", str(f)], env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == b""
    assert SECRET.encode() in proc.stdout


@pytest.mark.parametrize("path", ['["password"]', '["list"][1]', '["list"]', '["nope"]', "password", '["list"][9]'])
def test_extract_matches_sops(path, keyed, sops_bin, tmp_path):
    key, env = keyed
    f = _sealed(tmp_path, env, key)
    ours, theirs = _both(sops_bin, ["decrypt", "--extract", path, str(f)], env, tmp_path)
    assert ours.returncode == theirs.returncode, theirs.stderr.decode()
    assert ours.stdout == theirs.stdout
    assert "Traceback" not in ours.stderr.decode()


def test_legacy_flags_as_helm_secrets_calls_them(keyed, sops_bin, tmp_path):
    key, env = keyed
    plain = tmp_path / "values.yaml"
    plain.write_text(f"password: {SECRET}\n")
    enc = run_sealfile(["--encrypt", "--input-type", "yaml", "--output-type", "yaml", "--age", key.recipient,
                        "--output", str(tmp_path / "v.enc.yaml"), str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    dec = run_sealfile(["--decrypt", "--input-type", "yaml", "--output-type", "yaml", str(tmp_path / "v.enc.yaml")],
                       env, cwd=tmp_path)
    assert dec.returncode == 0 and dec.stdout == plain.read_bytes()
    theirs = run_sops(sops_bin, ["-d", str(tmp_path / "v.enc.yaml")], env, cwd=tmp_path)
    assert theirs.stdout == dec.stdout
    # literal values through stdin, as helm-secrets does for --set
    js = run_sealfile(["encrypt", "--filename-override", "x.json", "--age", key.recipient],
                      env, cwd=tmp_path, input=b'{"k": "v"}')
    assert js.returncode == 0, js.stderr.decode()
    back = run_sealfile(["--decrypt", "--input-type", "json", "--output-type", "json", "/dev/stdin"], env,
                        cwd=tmp_path, input=js.stdout)
    assert back.returncode == 0, back.stderr.decode()
    assert back.stdout == b'{\n\t"k": "v"\n}\n'


def test_flux_markers_are_written(keyed, tmp_path):
    key, env = keyed
    markers = {"s.yaml": (b"a: b\n", b"\n    mac: ENC["), "s.json": (b'{"a": "b"}', b'"mac": "ENC['),
               "s.env": (b"A=b\n", b"\nsops_mac=ENC["), "s.ini": (b"[x]\na = b\n", b"\n[sops]\n")}
    for name, (content, marker) in markers.items():
        f = tmp_path / name
        f.write_bytes(content)
        proc = run_sealfile(["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr.decode()
        assert marker in proc.stdout, name
