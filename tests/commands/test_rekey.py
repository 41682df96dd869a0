"""rotate, updatekeys and groups add/delete against the real sops 3.11.

Files are written by sops (so sealfile works on the reference's output) and
every result is read back by sops with fresh age keys (and a real gpg key
where PGP matters); exit codes and prompt texts are compared with sops's own.
"""
from __future__ import annotations

import base64
import json
import re
import stat
import sys
from pathlib import Path

import pyrage
import pytest

from conftest import make_age_key, run_sealfile, run_sops

ENC = re.compile(r"ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:(\w+)\]")
MAC = re.compile(r'mac[\s"=:]*(ENC\[AES256_GCM,[^\]]*\])')
LASTMOD = re.compile(r"lastmodified\W+(\d{4}-\d\d-\d\dT[\d:]+Z)")
AGE_ARMOR = re.compile(r"-----BEGIN AGE ENCRYPTED FILE-----(.*?)-----END AGE ENCRYPTED FILE-----", re.S)

PLAINS = {
    "yaml": ("s.yaml", b"db:\n  user: admin\n  password: s3cr3t\nlist:\n  - one\n  - two\nport: 5432\n"),
    "json": ("s.json", b'{"db": {"user": "admin", "password": "s3cr3t"}, "list": ["one", "two"], "n": 1.5}\n'),
    "dotenv": ("s.env", b"USER=admin\n# a comment\nPASSWORD=s3cr3t\n"),
    "ini": ("s.ini", b"[db]\nuser = admin\npassword = s3cr3t\n"),
    "binary": ("s.bin", b"\x00\x01binary secret\xff\n"),
}


@pytest.fixture
def keys(tmp_path):
    """Three age keys A, B, C, each with its own key file."""
    return [make_age_key(tmp_path, f"age{i}.txt") for i in range(3)]


def _keyfile(tmp_path: Path, *ks) -> str:
    path = tmp_path / ("k-" + "-".join(k.key_file.stem for k in ks) + ".txt")
    path.write_text("".join(k.key_file.read_text() for k in ks))
    return str(path)


def _with(env: dict, tmp_path: Path, *ks, gnupg: str | None = None) -> dict:
    out = dict(env, SOPS_AGE_KEY_FILE=_keyfile(tmp_path, *ks))
    if gnupg:
        out["GNUPGHOME"] = gnupg
    return out


def _sops_encrypted(sops_bin, env, tmp_path, fmt: str, recipients: str, name: str | None = None) -> Path:
    plain_name, content = PLAINS[fmt]
    plain = tmp_path / plain_name
    plain.write_bytes(content)
    enc = run_sops(sops_bin, ["encrypt", "--age", recipients, str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    target = tmp_path / (name or ("enc." + plain_name.split(".")[-1]))
    target.write_bytes(enc.stdout)
    return target


def _values(text: str) -> list[tuple[str, ...]]:
    """The ENC[] tokens of the values (the MAC excluded), in file order."""
    mac = MAC.search(text).group(1)
    return [m.groups() for m in ENC.finditer(text) if m.group(0) != mac]


def _age_data_keys(text: str, identity: str) -> list[bytes]:
    """Unwrap every age ``enc`` the identity can open, whatever the store's escaping."""
    ident = pyrage.x25519.Identity.from_str(identity)
    found = []
    for block in AGE_ARMOR.findall(text.replace("\\n", "\n")):
        body = "".join(line.strip() for line in block.splitlines())
        try:
            found.append(pyrage.decrypt(base64.b64decode(body), [ident]))
        except pyrage.DecryptError:
            pass
    return found


# --------------------------------------------------------------------------- rotate

@pytest.mark.parametrize("fmt", list(PLAINS))
def test_rotate_new_data_key_same_ivs_every_format(fmt, sops_bin, env, keys, tmp_path):
    a = keys[0]
    env = _with(env, tmp_path, a)
    f = _sops_encrypted(sops_bin, env, tmp_path, fmt, a.recipient)
    before = f.read_text(errors="surrogateescape").replace("3.11.0", "3.9.0")  # a version sops still reads
    f.write_text(before, errors="surrogateescape")
    reference = run_sops(sops_bin, ["decrypt", str(f)], env, cwd=tmp_path)
    assert reference.returncode == 0, reference.stderr.decode()

    proc = run_sealfile(["rotate", str(f)], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    after = proc.stdout.decode(errors="surrogateescape")
    assert f.read_text(errors="surrogateescape") == before  # stdout, not in place

    old, new = _values(before), _values(after)
    assert len(old) == len(new) >= 1
    for (d0, iv0, t0, ty0), (d1, iv1, t1, ty1) in zip(old, new):
        assert iv1 == iv0 and ty1 == ty0          # the IV stash survives the new key
        assert (d1, t1) != (d0, t0)               # ...but the key is new
    assert MAC.search(after).group(1) != MAC.search(before).group(1)
    [key_before] = _age_data_keys(before, a.secret)
    [key_after] = _age_data_keys(after, a.secret)
    assert len(key_after) == 32 and key_after != key_before
    assert "3.9.0" in after and "3.11.0" not in after  # version kept

    out = tmp_path / ("rotated." + f.name.split(".")[-1])
    out.write_text(after, errors="surrogateescape")
    back = run_sops(sops_bin, ["decrypt", str(out)], env, cwd=tmp_path)
    assert back.returncode == 0, back.stderr.decode()
    assert back.stdout == reference.stdout


def test_rotate_rm_age_locks_out_the_removed_key(sops_bin, env, keys, tmp_path):
    a, b, _ = keys
    env_ab = _with(env, tmp_path, a, b)
    f = _sops_encrypted(sops_bin, env_ab, tmp_path, "yaml", f"{a.recipient},{b.recipient}")
    f.chmod(0o640)
    proc = run_sealfile(["rotate", "-i", "--rm-age", a.recipient, str(f)], env_ab, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"" and proc.stderr == b""
    assert stat.S_IMODE(f.stat().st_mode) == 0o640
    text = f.read_text()
    assert a.recipient not in text and b.recipient in text
    only_a, only_b = _with(env, tmp_path, a), _with(env, tmp_path, b)
    assert run_sops(sops_bin, ["decrypt", str(f)], only_a, cwd=tmp_path).returncode == 128
    assert run_sealfile(["decrypt", str(f)], only_a, cwd=tmp_path).returncode == 128
    ok = run_sops(sops_bin, ["decrypt", str(f)], only_b, cwd=tmp_path)
    assert ok.returncode == 0 and b"password: s3cr3t" in ok.stdout
    assert run_sealfile(["decrypt", str(f)], only_b, cwd=tmp_path).stdout == ok.stdout


def test_rotate_add_age_and_pgp_then_remove(sops_bin, env, keys, gpg_home, tmp_path):
    a, b, _ = keys
    env_a = _with(env, tmp_path, a, gnupg=gpg_home.home)
    f = _sops_encrypted(sops_bin, env_a, tmp_path, "json", a.recipient)
    out = tmp_path / "out.json"
    proc = run_sealfile(["rotate", "--add-age", b.recipient, "--add-pgp", gpg_home.fingerprint,
                         "--output", str(out), str(f)], env_a, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    meta = json.loads(out.read_text())["sops"]
    assert [e["recipient"] for e in meta["age"]] == [a.recipient, b.recipient]
    assert [e["fp"] for e in meta["pgp"]] == [gpg_home.fingerprint]
    for only in (_with(env, tmp_path, b), _with(env, tmp_path, gnupg=gpg_home.home)):
        for run in (lambda e: run_sops(sops_bin, ["decrypt", str(out)], e, cwd=tmp_path),
                    lambda e: run_sealfile(["decrypt", str(out)], e, cwd=tmp_path)):
            res = run(only)
            assert res.returncode == 0, res.stderr.decode()
            assert json.loads(res.stdout)["db"]["password"] == "s3cr3t"
    # a file written by sealfile's rotate rotates again with sops: --rm-pgp there, then here
    gone = run_sealfile(["rotate", "--rm-pgp", gpg_home.fingerprint, str(out)], env_a, cwd=tmp_path)
    assert gone.returncode == 0, gone.stderr.decode()
    assert "pgp" not in json.loads(gone.stdout)["sops"]


def test_rotate_failures_match_sops_exit_codes(sops_bin, env, keys, tmp_path):
    a, b, _ = keys
    env = _with(env, tmp_path, a)
    f = _sops_encrypted(sops_bin, env, tmp_path, "yaml", a.recipient)
    original = f.read_bytes()
    missing = tmp_path / "missing.yaml"
    cases = [
        (["rotate", "--add-age", b.recipient, str(missing)], 49),
        (["rotate", "--rm-age", a.recipient, str(missing)], 49),
        (["rotate", str(missing)], 2),
        (["rotate", "-i", "--output", str(tmp_path / "o.yaml"), str(f)], 8),
        (["rotate", "--rm-age", a.recipient, str(f)], 1),      # would leave an empty group
        (["rotate", "-i", str(tmp_path / "s.yaml")], 1),        # plaintext: no metadata
    ]
    for args, code in cases:
        theirs = run_sops(sops_bin, args, env, cwd=tmp_path)
        ours = run_sealfile(args, env, cwd=tmp_path)
        assert theirs.returncode == code, (args, theirs.stderr.decode())
        assert ours.returncode == code, (args, ours.stderr.decode())
        err = ours.stderr.decode()
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f.read_bytes() == original
    assert run_sealfile(["rotate", "-i", str(f)], _with(env, tmp_path, b), cwd=tmp_path).returncode == 128
    assert f.read_bytes() == original


_LEGACY = """
import sys, click
from types import SimpleNamespace
from sealfile.cli import options
from sealfile.cli import rotate
from sealfile.errors import SealfileError
rekey = SimpleNamespace(rotate_key_options=options.rotate_key_options, run_rotate=rotate.run_rotate)

@click.command()
@click.option("-i", "--in-place", is_flag=True)
@rekey.rotate_key_options
@click.argument("file")
@click.pass_context
def legacy(ctx, file, **kw):
    rekey.run_rotate(ctx, file, legacy=True, **kw)

try:
    legacy.main(args=sys.argv[1:], standalone_mode=False)
except SealfileError as exc:
    sys.stderr.write(f"{exc}\\n")
    sys.exit(exc.exit_code)
"""


def test_run_rotate_legacy_form_matches_sops_r(sops_bin, env, keys, tmp_path):
    """``run_rotate(legacy=True)`` is what ``sealfile -r`` will call: same codes as ``sops -r``."""
    import subprocess

    a, b, _ = keys
    env = _with(env, tmp_path, a)
    f = _sops_encrypted(sops_bin, env, tmp_path, "yaml", a.recipient)
    missing = str(tmp_path / "missing.yaml")

    def ours(*args):
        return subprocess.run([sys.executable, "-c", _LEGACY, *args], env=env, cwd=tmp_path,
                              capture_output=True, timeout=60)

    for ours_args, sops_args, code in [
        (["--add-age", b.recipient, missing], ["-r", "--add-age", b.recipient, missing], 49),
        ([missing], ["-r", missing], 100),
    ]:
        assert run_sops(sops_bin, sops_args, env, cwd=tmp_path).returncode == code
        assert ours(*ours_args).returncode == code
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: nomatch$\n    age: {a.recipient}\n")
    assert run_sops(sops_bin, ["-r", str(f)], env, cwd=tmp_path).returncode == 1
    assert ours(str(f)).returncode == 1
    (tmp_path / ".sops.yaml").unlink()
    done = ours("-i", "--add-age", b.recipient, str(f))
    assert done.returncode == 0, done.stderr.decode()
    res = run_sops(sops_bin, ["decrypt", str(f)], _with(env, tmp_path, b), cwd=tmp_path)
    assert res.returncode == 0 and b"s3cr3t" in res.stdout


# --------------------------------------------------------------------------- updatekeys

def _rule(tmp_path: Path, *recipients: str) -> None:
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - age: {','.join(recipients)}\n")


@pytest.mark.parametrize("fmt", list(PLAINS))
def test_updatekeys_rewraps_only(fmt, sops_bin, env, keys, tmp_path):
    a, b, _ = keys
    env_a = _with(env, tmp_path, a)
    f = _sops_encrypted(sops_bin, env_a, tmp_path, fmt, a.recipient)
    before = f.read_text(errors="surrogateescape")
    [data_key] = _age_data_keys(before, a.secret)
    reference = run_sops(sops_bin, ["decrypt", str(f)], env_a, cwd=tmp_path)
    assert reference.returncode == 0, reference.stderr.decode()
    _rule(tmp_path, b.recipient)
    proc = run_sealfile(["updatekeys", "-y", f.name], env_a, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode() == ("The following changes will be made to the file's groups:\nGroup 1\n"
                                    f"+++ {b.recipient}\n--- {a.recipient}\n")
    assert proc.stderr.decode().rstrip().endswith(f"File {f} synced with new keys")
    after = f.read_text(errors="surrogateescape")
    assert [m.group(0) for m in ENC.finditer(after)] == [m.group(0) for m in ENC.finditer(before)]
    assert LASTMOD.search(after).group(1) == LASTMOD.search(before).group(1)
    assert "3.11.0" in after and a.recipient not in after and b.recipient in after
    assert _age_data_keys(after, b.secret) == [data_key]      # same data key, new recipient
    only_a, only_b = _with(env, tmp_path, a), _with(env, tmp_path, b)
    ok = run_sops(sops_bin, ["decrypt", str(f)], only_b, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr.decode()
    assert ok.stdout == reference.stdout
    assert run_sops(sops_bin, ["decrypt", str(f)], only_a, cwd=tmp_path).returncode == 128
    assert run_sealfile(["decrypt", str(f)], only_a, cwd=tmp_path).returncode == 128


def test_updatekeys_keeps_repeated_list_values_byte_identical(sops_bin, env, keys, tmp_path):
    """Values are never re-encrypted, so two equal list items keep their two IVs."""
    a, b, _ = keys
    env = _with(env, tmp_path, a, b)
    plain = tmp_path / "dup.yaml"
    plain.write_text("list:\n  - same\n  - same\n")
    enc = run_sops(sops_bin, ["encrypt", "--age", a.recipient, str(plain)], env, cwd=tmp_path)
    f = tmp_path / "dup.enc.yaml"
    f.write_bytes(enc.stdout)
    _rule(tmp_path, a.recipient, b.recipient)
    assert run_sealfile(["updatekeys", "-y", str(f)], env, cwd=tmp_path).returncode == 0
    before, after = enc.stdout.decode(), f.read_text()
    assert after.split("sops:")[0] == before.split("sops:")[0]
    assert len({iv for _, iv, _, _ in _values(after)}) == 2
    assert b.recipient in after


def _three_group_file(sops_bin, env, tmp_path, keys) -> Path:
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n  - key_groups:\n" + "".join(f"      - age: [{k.recipient}]\n" for k in keys))
    plain = tmp_path / "g.yaml"
    plain.write_text("secret: value\n")
    enc = run_sops(sops_bin, ["encrypt", str(plain)], env, cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    f = tmp_path / "g.enc.yaml"
    f.write_bytes(enc.stdout)
    return f


@pytest.mark.parametrize("scenario", ["one-group", "shamir"])
def test_updatekeys_prompt_and_answer_n_match_sops(scenario, sops_bin, env, keys, tmp_path):
    a, b, c = keys
    env = _with(env, tmp_path, a, b, c)
    if scenario == "one-group":
        f = _sops_encrypted(sops_bin, env, tmp_path, "yaml", a.recipient)
        _rule(tmp_path, a.recipient, b.recipient)
    else:  # 3 groups (threshold 3) -> 2 groups: threshold lines and a removed group
        f = _three_group_file(sops_bin, env, tmp_path, keys)
        (tmp_path / ".sops.yaml").write_text(
            f"creation_rules:\n  - key_groups:\n      - age: [{c.recipient}, {a.recipient}]\n"
            f"      - age: [{b.recipient}]\n")
    original = f.read_bytes()
    theirs = run_sops(sops_bin, ["updatekeys", f.name], env, cwd=tmp_path, input=b"n\n")
    ours = run_sealfile(["updatekeys", f.name], env, cwd=tmp_path, input=b"n\n")
    assert theirs.returncode == ours.returncode == 0, ours.stderr.decode()
    assert ours.stdout == theirs.stdout
    assert ours.stdout.endswith(b"Is this okay? (y/n):")
    assert f"File {f} left unchanged" in ours.stderr.decode()
    assert f.read_bytes() == original
    # no answer at all (end of input) or an empty line: an error, exit 1, as in sops
    for answer in (b"", b"\n"):
        t = run_sops(sops_bin, ["updatekeys", f.name], env, cwd=tmp_path, input=answer)
        o = run_sealfile(["updatekeys", f.name], env, cwd=tmp_path, input=answer)
        assert t.returncode == o.returncode == 1
        assert f.read_bytes() == original
    # something else asks again; then y applies
    yes = run_sealfile(["updatekeys", f.name], env, cwd=tmp_path, input=b"maybe\ny\n")
    assert yes.returncode == 0, yes.stderr.decode()
    assert yes.stdout.count(b"Is this okay? (y/n):") == 2
    assert f.read_bytes() != original
    if scenario == "shamir":
        text = f.read_text()
        assert "shamir_threshold: 2" in text and text.count("recipient:") == 3
        res = run_sops(sops_bin, ["decrypt", str(f)], _with(env, tmp_path, c, b), cwd=tmp_path)
        assert res.returncode == 0 and res.stdout == b"secret: value\n"
        assert run_sops(sops_bin, ["decrypt", str(f)], _with(env, tmp_path, a, c), cwd=tmp_path).returncode == 128


def test_updatekeys_up_to_date_missing_config_and_several_files(sops_bin, env, keys, tmp_path):
    a, b, _ = keys
    env = _with(env, tmp_path, a)
    f = _sops_encrypted(sops_bin, env, tmp_path, "yaml", a.recipient)
    original = f.read_bytes()
    for run in (lambda args: run_sops(sops_bin, args, env, cwd=tmp_path),
                lambda args: run_sealfile(args, env, cwd=tmp_path)):
        res = run(["updatekeys", "-y", f.name])
        assert res.returncode == 1 and b"config file not found" in res.stderr
    _rule(tmp_path, a.recipient)
    for run in (lambda args: run_sops(sops_bin, args, env, cwd=tmp_path),
                lambda args: run_sealfile(args, env, cwd=tmp_path)):
        res = run(["updatekeys", f.name])  # no prompt: nothing to ask
        assert res.returncode == 0 and res.stdout == b""
        assert f"File {f} already up to date" in res.stderr.decode()
    assert f.read_bytes() == original

    g = tmp_path / "g.yaml"
    g.write_bytes(original)
    _rule(tmp_path, a.recipient, b.recipient)
    res = run_sealfile(["updatekeys", "-y", f.name, "missing.yaml", g.name], env, cwd=tmp_path)
    assert res.returncode == 1
    assert b"missing.yaml" in res.stderr and b"Traceback" not in res.stderr
    for path in (f, g):  # the others were still updated, as sops does
        assert b.recipient in path.read_text()
        dec = run_sops(sops_bin, ["decrypt", str(path)], _with(env, tmp_path, b), cwd=tmp_path)
        assert dec.returncode == 0 and b"s3cr3t" in dec.stdout


# --------------------------------------------------------------------------- groups

def _shape(text: str) -> list[str]:
    return [l.strip() for l in text.splitlines() if re.search(r"shamir_threshold|recipient|key_groups|age:", l)]


def test_groups_add_and_delete(sops_bin, env, keys, tmp_path):
    a, b, c = keys
    env = _with(env, tmp_path, a, b, c)
    f = _sops_encrypted(sops_bin, env, tmp_path, "yaml", a.recipient)
    original = f.read_text()

    ours = run_sealfile(["groups", "add", "--file", str(f), "--age", b.recipient], env, cwd=tmp_path)
    theirs = run_sops(sops_bin, ["groups", "add", "--file", str(f), "--age", b.recipient], env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 0, ours.stderr.decode()
    assert _shape(ours.stdout.decode()) == _shape(theirs.stdout.decode())
    assert f.read_text() == original  # stdout without -i
    two = ours.stdout.decode()
    assert [m.group(0) for m in ENC.finditer(two)] == [m.group(0) for m in ENC.finditer(original)]
    assert "shamir_threshold: 2" in two

    run = lambda args, *ks: run_sops(sops_bin, args, _with(env, tmp_path, *ks), cwd=tmp_path)
    f.write_text(two)
    assert run(["decrypt", str(f)], a, b).returncode == 0
    assert run(["decrypt", str(f)], a).returncode == 128

    add = run_sealfile(["groups", "add", "-f", str(f), "--age", c.recipient,
                        "--shamir-secret-sharing-threshold", "2", "-i"], env, cwd=tmp_path)
    assert add.returncode == 0 and add.stdout == b"", add.stderr.decode()
    res = run(["decrypt", str(f)], b, c)
    assert res.returncode == 0 and b"s3cr3t" in res.stdout

    dele = run_sealfile(["groups", "delete", "--file", str(f), "-i", "0"], env, cwd=tmp_path)
    assert dele.returncode == 0, dele.stderr.decode()
    text = f.read_text()
    assert a.recipient not in text and "shamir_threshold: 2" in text
    assert run(["decrypt", str(f)], b, c).returncode == 0
    assert run(["decrypt", str(f)], a, b).returncode == 128

    # two groups left with threshold 2: deleting one more is refused by both tools
    kept = f.read_bytes()
    for tool in (lambda args: run_sops(sops_bin, args, env, cwd=tmp_path),
                 lambda args: run_sealfile(args, env, cwd=tmp_path)):
        assert tool(["groups", "delete", "--file", str(f), "-i", "0"]).returncode == 1
        assert f.read_bytes() == kept
    bad = run_sealfile(["groups", "delete", "--file", str(f), "7"], env, cwd=tmp_path)
    assert bad.returncode == 1 and b"Traceback" not in bad.stderr and len(bad.stderr.splitlines()) == 1
    # lowering the threshold to 1 lets the last group go
    last = run_sealfile(["groups", "delete", "--file", str(f), "--shamir-secret-sharing-threshold", "1",
                         "0"], env, cwd=tmp_path)
    assert last.returncode == 0, last.stderr.decode()
    f.write_bytes(last.stdout)
    assert run(["decrypt", str(f)], c).returncode == 0


def test_groups_add_json_metadata_matches_sops(sops_bin, env, keys, tmp_path):
    """sops 3.11 writes empty group lists as null in JSON: the metadata must be the same object."""
    a, b, _ = keys
    env = _with(env, tmp_path, a, b)
    f = _sops_encrypted(sops_bin, env, tmp_path, "json", a.recipient)
    args = ["groups", "add", "--file", str(f), "--age", b.recipient]
    ours, theirs = run_sealfile(args, env, cwd=tmp_path), run_sops(sops_bin, args, env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 0, ours.stderr.decode()

    def strip(doc):
        for group in doc["sops"]["key_groups"]:
            for entry in group["age"]:
                entry.pop("enc")
        return doc

    assert strip(json.loads(ours.stdout)) == strip(json.loads(theirs.stdout))
    f.write_bytes(ours.stdout)
    res = run_sops(sops_bin, ["decrypt", str(f)], env, cwd=tmp_path)
    assert res.returncode == 0 and json.loads(res.stdout)["db"]["password"] == "s3cr3t"
