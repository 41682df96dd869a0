"""Key groups and Shamir secret sharing, both directions against the real sops 3.11.

Files are written by each tool from a ``.sops.yaml`` creation rule with
``key_groups`` + ``shamir_threshold`` (age keys and a real PGP key) and read by
both tools with every interesting subset of keys: enough groups decrypt,
fewer give exit 128.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

PLAIN = b"db:\n    user: admin\n    password: s3cr3t\nport: 5432\n"

# scheme -> (groups as key names, threshold, {available keys: decrypts?})
SCHEMES = {
    "2of2": ([["A"], ["P"]], 2, {"A P": True, "A": False, "P": False}),
    "2of3": ([["A"], ["B"], ["P"]], 2,
             {"A B": True, "A P": True, "B P": True, "A": False, "P": False, "": False}),
}


@pytest.fixture
def ages(tmp_path):
    return {"A": make_age_key(tmp_path, "a.txt"), "B": make_age_key(tmp_path, "b.txt")}


def _rule(groups: list[list[str]], threshold: int | None, ages, gpg_home) -> str:
    text = "creation_rules:\n  - "
    if threshold:
        text += f"shamir_threshold: {threshold}\n    "
    text += "key_groups:\n"
    for group in groups:
        ages_in = [ages[k].recipient for k in group if k != "P"]
        text += f"      - age: [{', '.join(ages_in)}]\n" if ages_in else "      - age: []\n"
        if "P" in group:
            text += f"        pgp: [{gpg_home.fingerprint}]\n"
    return text


def _env_for(env: dict, tmp_path: Path, ages, gpg_home, available: str) -> dict:
    names = available.split()
    key_file = tmp_path / f"keys-{'-'.join(names) or 'none'}.txt"
    key_file.write_text("".join(ages[n].key_file.read_text() for n in names if n in ages))
    gnupg = gpg_home.home if "P" in names else str(tmp_path / "no-gnupg-home")
    return dict(env, SOPS_AGE_KEY_FILE=str(key_file), GNUPGHOME=gnupg)


def _tools(sops_bin, tmp_path):
    return {
        "sops": lambda args, e, **kw: run_sops(sops_bin, args, e, cwd=tmp_path, **kw),
        "sealfile": lambda args, e, **kw: run_sealfile(args, e, cwd=tmp_path, **kw),
    }


@pytest.mark.interop
@pytest.mark.parametrize("writer", ["sops", "sealfile"])
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_key_availability_matrix(scheme, writer, sops_bin, env, ages, gpg_home, tmp_path):
    groups, threshold, matrix = SCHEMES[scheme]
    (tmp_path / ".sops.yaml").write_text(_rule(groups, threshold, ages, gpg_home))
    plain = tmp_path / "secrets.yaml"
    plain.write_bytes(PLAIN)
    tools = _tools(sops_bin, tmp_path)
    full = _env_for(env, tmp_path, ages, gpg_home, "A B P")
    enc = tools[writer](["encrypt", str(plain)], full)
    assert enc.returncode == 0, enc.stderr.decode()
    text = enc.stdout.decode()
    assert f"shamir_threshold: {threshold}" in text
    assert text.count("hc_vault: []") == len(groups)  # one entry per key group
    target = tmp_path / "secrets.enc.yaml"
    target.write_bytes(enc.stdout)
    for available, decrypts in matrix.items():
        e = _env_for(env, tmp_path, ages, gpg_home, available)
        for reader, run in tools.items():
            res = run(["decrypt", str(target)], e)
            where = (writer, reader, available)
            if decrypts:
                assert res.returncode == 0, (where, res.stderr.decode())
                assert res.stdout == PLAIN, where
            else:
                assert res.returncode == 128, (where, res.stderr.decode())
                assert res.stdout == b""


@pytest.mark.interop
def test_threshold_flag_overrides_rule(sops_bin, env, ages, gpg_home, tmp_path):
    """``encrypt --shamir-secret-sharing-threshold 2`` beats the rule's 3, for both tools."""
    (tmp_path / ".sops.yaml").write_text(_rule([["A"], ["B"], ["P"]], 3, ages, gpg_home))
    plain = tmp_path / "secrets.yaml"
    plain.write_bytes(PLAIN)
    full = _env_for(env, tmp_path, ages, gpg_home, "A B P")
    two = _env_for(env, tmp_path, ages, gpg_home, "A B")
    for writer, run in _tools(sops_bin, tmp_path).items():
        enc = run(["encrypt", "--shamir-secret-sharing-threshold", "2", str(plain)], full)
        assert enc.returncode == 0, enc.stderr.decode()
        assert b"shamir_threshold: 2" in enc.stdout
        target = tmp_path / f"{writer}.enc.yaml"
        target.write_bytes(enc.stdout)
        for reader, read in _tools(sops_bin, tmp_path).items():
            res = read(["decrypt", str(target)], two)
            assert res.returncode == 0 and res.stdout == PLAIN, (writer, reader, res.stderr.decode())


_GPG_SPY = """#!/bin/sh
touch "{marker}"
exec "{gpg}" "$@"
"""


@pytest.mark.interop
def test_sealfile_stops_at_the_threshold(sops_bin, env, ages, gpg_home, tmp_path):
    """2-of-3 with groups [A], [B], [PGP]: with A and B, sealfile never runs gpg (sops tries all groups)."""
    import shutil

    (tmp_path / ".sops.yaml").write_text(_rule([["A"], ["B"], ["P"]], 2, ages, gpg_home))
    plain = tmp_path / "secrets.yaml"
    plain.write_bytes(PLAIN)
    enc = run_sops(sops_bin, ["encrypt", str(plain)], _env_for(env, tmp_path, ages, gpg_home, "A B P"),
                   cwd=tmp_path)
    assert enc.returncode == 0, enc.stderr.decode()
    target = tmp_path / "secrets.enc.yaml"
    target.write_bytes(enc.stdout)

    marker = tmp_path / "gpg-was-run"
    spy = tmp_path / "gpg-spy"
    spy.write_text(_GPG_SPY.format(marker=marker, gpg=shutil.which("gpg")))
    spy.chmod(0o755)

    def decrypt(tool: str, available: str):
        if marker.exists():
            marker.unlink()
        e = dict(_env_for(env, tmp_path, ages, gpg_home, available), GNUPGHOME=gpg_home.home,
                 SOPS_GPG_EXEC=str(spy))
        run = _tools(sops_bin, tmp_path)[tool]
        res = run(["decrypt", str(target)], e)
        assert res.returncode == 0 and res.stdout == PLAIN, (tool, available, res.stderr.decode())
        return marker.exists()

    assert decrypt("sealfile", "A B") is False   # threshold met by groups 0 and 1: group 2 untouched
    assert decrypt("sealfile", "A") is True       # control: the spy does run when group 2 is needed
    assert decrypt("sops", "A B") is True         # sops itself tries every group


@pytest.mark.interop
@pytest.mark.parametrize("target_groups,file_threshold,expect_t,ok,short", [
    ([["A"], ["P"]], None, 2, ["A P"], ["A", "P"]),
    ([["A"], ["B"], ["P"]], 2, 2, ["B P", "A B"], ["A", "P"]),
], ids=["1-to-2-groups", "1-to-3-groups-threshold-2"])
def test_updatekeys_one_group_to_shamir(target_groups, file_threshold, expect_t, ok, short,
                                        sops_bin, env, ages, gpg_home, tmp_path):
    """A one-group file gets key groups from its rule; the threshold is the file's (or the count)."""
    rule = "creation_rules:\n  - "
    if file_threshold:
        rule += f"shamir_threshold: {file_threshold}\n    "
    (tmp_path / ".sops.yaml").write_text(rule + f"age: {ages['A'].recipient}\n")
    plain = tmp_path / "secrets.yaml"
    plain.write_bytes(PLAIN)
    full = _env_for(env, tmp_path, ages, gpg_home, "A B P")
    tools = _tools(sops_bin, tmp_path)
    enc = tools["sops"](["encrypt", str(plain)], full)
    assert enc.returncode == 0, enc.stderr.decode()
    (tmp_path / ".sops.yaml").write_text(_rule(target_groups, None, ages, gpg_home))
    files = {}
    for tool, run in tools.items():
        f = tmp_path / f"{tool}.enc.yaml"
        f.write_bytes(enc.stdout)
        res = run(["updatekeys", "-y", f.name], full)
        assert res.returncode == 0, (tool, res.stderr.decode())
        files[tool] = f.read_text()
    ours, theirs = files["sealfile"], files["sops"]
    assert f"shamir_threshold: {expect_t}" in ours
    shape = lambda t: [l.strip() for l in t.splitlines() if "recipient" in l or "fp:" in l or "shamir" in l]
    assert shape(ours) == shape(theirs)
    assert ours.split("sops:")[0] == enc.stdout.decode().split("sops:")[0]  # values untouched
    for line in ("lastmodified:", "mac:", "version:"):
        assert [l for l in ours.splitlines() if line in l] == \
            [l for l in enc.stdout.decode().splitlines() if line in l]
    target = tmp_path / "sealfile.enc.yaml"
    for available in ok:
        for reader, run in tools.items():
            res = run(["decrypt", str(target)], _env_for(env, tmp_path, ages, gpg_home, available))
            assert res.returncode == 0 and res.stdout == PLAIN, (reader, available, res.stderr.decode())
    for available in short:
        for reader, run in tools.items():
            res = run(["decrypt", str(target)], _env_for(env, tmp_path, ages, gpg_home, available))
            assert res.returncode == 128, (reader, available)


@pytest.mark.interop
def test_rotate_resplits_a_two_of_three_file(sops_bin, env, ages, gpg_home, tmp_path):
    """rotate of a sops 2-of-3 file: a new key, new shares for every group, same threshold."""
    (tmp_path / ".sops.yaml").write_text(_rule([["A"], ["B"], ["P"]], 2, ages, gpg_home))
    plain = tmp_path / "secrets.yaml"
    plain.write_bytes(PLAIN)
    tools = _tools(sops_bin, tmp_path)
    full = _env_for(env, tmp_path, ages, gpg_home, "A B P")
    enc = tools["sops"](["encrypt", str(plain)], full)
    assert enc.returncode == 0, enc.stderr.decode()
    target = tmp_path / "secrets.enc.yaml"
    target.write_bytes(enc.stdout)
    rot = tools["sealfile"](["rotate", "-i", str(target)], _env_for(env, tmp_path, ages, gpg_home, "A P"))
    assert rot.returncode == 0, rot.stderr.decode()
    text = target.read_text()
    assert "shamir_threshold: 2" in text and text.count("hc_vault: []") == 3
    assert text.split("sops:")[0] != enc.stdout.decode().split("sops:")[0]
    for reader, run in tools.items():
        res = run(["decrypt", str(target)], _env_for(env, tmp_path, ages, gpg_home, "B P"))
        assert res.returncode == 0 and res.stdout == PLAIN, (reader, res.stderr.decode())
        assert run(["decrypt", str(target)], _env_for(env, tmp_path, ages, gpg_home, "B")).returncode == 128
