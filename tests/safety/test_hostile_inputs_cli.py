"""Hostile inputs on the command line, side by side with the real sops.

* An alias bomb (342 bytes of YAML that expand to 9^9 nodes) fails with one
  line and exit 2, run under a 1.5 GB address-space limit: with unbounded
  expansion the process would die of MemoryError instead.  On encrypt sops
  fails the same way; on decrypt sops itself runs out of memory, so only
  sealfile is run there.
* Documents nested 10,000 levels deep (sops's limit) encrypt and decrypt in
  both directions between sealfile and sops; one level more fails as sops
  fails, with go-yaml's wording for YAML.
"""
from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_age_key, run_sealfile, run_sops

DEPTH = 10000
MEMORY_LIMIT = 1_500_000_000  # bytes of address space for the sealfile process

BOMB = "".join([
    "a: &a [x,x,x,x,x,x,x,x,x]\n",
    *(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi")),
])


#: sets the limit, then becomes ``python -m sealfile ARGS``: no ``preexec_fn``, whose fork() would run the
#: fork handlers of gRPC when an in-process cloud test of the same worker loaded it (they abort the child)
_LIMITED = ("import os, resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
            "os.execv(sys.executable, [sys.executable, '-m', 'sealfile', *sys.argv[1:]])\n")


def run_limited(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """sealfile with at most 1.5 GB of address space (an unbounded expansion dies of MemoryError)."""
    return subprocess.run([sys.executable, "-c", _LIMITED, *args], env=env, cwd=cwd, capture_output=True,
                          timeout=120)


def one_line(proc: subprocess.CompletedProcess) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err and "MemoryError" not in err and "RecursionError" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def keyed(env, tmp_path):
    key = make_age_key(tmp_path)
    env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    return key, env


# --- alias bombs -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [BOMB, "# nine levels of aliases\n" + BOMB], ids=["plain", "with-comment"])
def test_alias_bomb_encrypt_fails_fast_in_bounded_memory(text, keyed, sops_bin, tmp_path):
    key, env = keyed
    f = tmp_path / "bomb.yaml"
    f.write_text(text)
    assert len(BOMB) < 350
    ours = run_limited(["encrypt", "--age", key.recipient, str(f)], env, tmp_path)
    assert ours.returncode == 2
    assert one_line(ours) == f"sealfile: error: {f}: yaml: document contains excessive aliasing"
    theirs = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    assert theirs.returncode == 2
    assert theirs.stderr.decode().strip() == "Error unmarshalling file: yaml: document contains excessive aliasing"


@pytest.mark.parametrize("command,code", [
    (["decrypt", "{}"], 2),
    (["decrypt", "--extract", '["password"]', "{}"], 2),
    (["exec-env", "{}", "true"], 2),
    (["filestatus", "{}"], 1),  # filestatus fails with exit 1 whatever the cause, as sops's does
], ids=["decrypt", "extract", "exec-env", "filestatus"])
@pytest.mark.parametrize("comment", ["", "# nine levels of aliases\n"], ids=["plain", "with-comment"])
def test_alias_bomb_in_an_encrypted_file_fails_fast_in_bounded_memory(command, code, comment, keyed, tmp_path):
    key, env = keyed
    f = tmp_path / "secrets.yaml"
    f.write_text("password: hunter2\n")
    assert run_sealfile(["encrypt", "-i", "--age", key.recipient, str(f)], env, cwd=tmp_path).returncode == 0
    f.write_text(comment + BOMB + f.read_text())  # e.g. a hostile change in a pull request
    ours = run_limited([str(f) if arg == "{}" else arg for arg in command], env, tmp_path)
    assert ours.returncode == code
    assert one_line(ours) == (f"sealfile: error: {f}: Error unmarshalling input yaml: "
                              "yaml: document contains excessive aliasing")


@pytest.mark.parametrize("aliases,accepted", [(292, True), (293, False)])
@pytest.mark.parametrize("comment", ["", "# a comment\n"], ids=["plain", "with-comment"])
def test_alias_budget_threshold_is_the_same_as_sops(aliases, accepted, comment, keyed, sops_bin, tmp_path):
    key, env = keyed
    f = tmp_path / "aliases.yaml"
    f.write_text(comment + "a: &a [" + ", ".join(["x"] * 300) + "]\n" + "".join(f"b{i}: *a\n" for i in range(aliases)))
    ours = run_sealfile(["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    theirs = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == (0 if accepted else 2), theirs.stderr.decode()
    if not accepted:
        assert one_line(ours).endswith("yaml: document contains excessive aliasing")


# --- nesting depth ---------------------------------------------------------------------------

def json_map(levels: int) -> str:
    return '{"a":' * levels + '"v"' + "}" * levels


def json_list(levels: int) -> str:
    return '{"a":' + "[" * (levels - 1) + '"v"' + "]" * (levels - 1) + "}"


def yaml_map(levels: int) -> str:
    return "a: " + "{a: " * (levels - 1) + "v" + "}" * (levels - 1) + "\n"


def yaml_list(levels: int) -> str:
    return "a:\n  " + "- " * (levels - 1) + "v\n"


DEEP = [
    pytest.param("deep.json", json_map, id="json-mappings"),
    pytest.param("deep.json", json_list, id="json-lists"),
    pytest.param("deep.yaml", yaml_map, id="yaml-mappings"),
    pytest.param("deep.yaml", yaml_list, id="yaml-lists"),
]


@pytest.mark.parametrize("name,make", DEEP)
def test_sops_depth_limit_interop(name, make, keyed, sops_bin, tmp_path):
    """Each tool decrypts what the other encrypted at 10,000 levels, to the same bytes."""
    key, env = keyed
    plain = tmp_path / name
    plain.write_text(make(DEPTH))
    ours, theirs = tmp_path / f"ours.{name}", tmp_path / f"theirs.{name}"
    proc = run_sealfile(["encrypt", "--age", key.recipient, "--output", str(ours), str(plain)], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = run_sops(sops_bin, ["encrypt", "--age", key.recipient, "--output", str(theirs), str(plain)], env,
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    by_sops, by_us = tmp_path / f"sops-decrypted.{name}", tmp_path / f"sealfile-decrypted.{name}"
    proc = run_sops(sops_bin, ["decrypt", "--output", str(by_sops), str(ours)], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = run_sealfile(["decrypt", "--output", str(by_us), str(theirs)], env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert filecmp.cmp(by_sops, by_us, shallow=False)
    with by_us.open("rb") as fh:
        assert sum(chunk.count(b'"a"' if name.endswith(".json") else b"a:") for chunk in fh) in (1, DEPTH)


YAML_TOO_DEEP = [
    pytest.param(yaml_list(DEPTH + 1), id="block"),
    pytest.param("a: " + "[" * (DEPTH + 1) + "v" + "]" * (DEPTH + 1) + "\n", id="flow"),
    pytest.param("a:\n    b:\n        c:\n            " + "- " * (DEPTH - 2) + "v\n", id="stale-key-line"),
]


@pytest.mark.parametrize("text", YAML_TOO_DEEP)
def test_yaml_one_level_deeper_fails_as_in_sops(text, keyed, sops_bin, tmp_path):
    key, env = keyed
    f = tmp_path / "deep.yaml"
    f.write_text(text)
    ours = run_sealfile(["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    theirs = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    assert ours.returncode == theirs.returncode == 2
    message = theirs.stderr.decode().strip().removeprefix("Error unmarshalling file: ")
    assert "exceeded max depth of 10000" in message
    assert one_line(ours) == f"sealfile: error: {f}: {message}"


def test_yaml_too_deep_to_decrypt_fails_as_in_sops(keyed, sops_bin, tmp_path):
    # 10,000 block plus 10,000 flow levels encrypt (both tools); written back as block lists they
    # are 20,000 block levels, which neither tool can read again
    key, env = keyed
    (tmp_path / ".sealfile.yaml").write_text("stores:\n  yaml:\n    keep_layout: false\n")  # sops's layout
    f = tmp_path / "mixed.yaml"
    f.write_text("a:\n  " + "- " * (DEPTH - 1) + "[" * DEPTH + "v" + "]" * DEPTH + "\n")
    for run in (lambda args: run_sealfile(args, env, cwd=tmp_path),
                lambda args: run_sops(sops_bin, args, env, cwd=tmp_path)):
        enc = run(["encrypt", "--age", key.recipient, str(f)])
        assert enc.returncode == 0, enc.stderr.decode()
        out = tmp_path / "mixed.enc.yaml"
        out.write_bytes(enc.stdout)
        ours = run_sealfile(["decrypt", str(out)], env, cwd=tmp_path)
        theirs = run_sops(sops_bin, ["decrypt", str(out)], env, cwd=tmp_path)
        assert ours.returncode == theirs.returncode == 1
        assert one_line(ours) == f"sealfile: error: {out}: {theirs.stderr.decode().strip()}"


@pytest.mark.parametrize("text", [json_map(DEPTH + 1), json_list(DEPTH + 1)], ids=["mappings", "lists"])
def test_json_one_level_deeper_is_a_clean_error(text, keyed, sops_bin, tmp_path):
    key, env = keyed
    f = tmp_path / "deep.json"
    f.write_text(text)
    ours = run_sealfile(["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    assert ours.returncode == 2
    assert one_line(ours).endswith(": exceeded max depth of 10000")
    # sops reads it, then cannot write it: "Error marshaling to json: ... exceeded max depth" (exit 4)
    theirs = run_sops(sops_bin, ["encrypt", "--age", key.recipient, str(f)], env, cwd=tmp_path)
    assert theirs.returncode != 0 and b"exceeded max depth" in theirs.stderr
