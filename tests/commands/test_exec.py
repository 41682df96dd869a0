"""exec-env and exec-file against the real sops 3.11 running the same command on the same file.

Files are encrypted by sops (the reference peer); each case runs sealfile and
sops with one command and compares what the child saw, the exit status, and
what is left on disk afterwards.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import clean_env, make_age_key, run_sealfile, run_sops

SECRET = "hunter2-exec-secret"

# A child that prints its whole environment as JSON: exact, and multi-line safe.
DUMP_ENV = "import json, os; print(json.dumps(dict(os.environ), sort_keys=True))"

PLAIN = {
    "yaml": ("s.yaml",
             "# a comment\n"
             f"password: {SECRET}\n"
             "port: 5432\n"
             "ratio: 2.0\n"
             "big: 1e20\n"
             "half: 1.5\n"
             "whole: 5432.0\n"
             "tiny: 0.00001\n"
             "enabled: true\n"
             "off: false\n"
             "nothing: null\n"
             "when: 2024-01-02T03:04:05.123Z\n"
             "day: 2024-01-02\n"
             "cert: |\n  line one\n  line two\n"
             "greeting: \"héllo ✓ 日本\"\n"
             "empty: \"\"\n"),
    "json": ("s.json",
             json.dumps({"password": SECRET, "port": 5432, "ratio": 2.0, "big": 1e20, "half": 1.5,
                         "enabled": True, "nothing": None, "multi": "a\nb", "greeting": "ünï ✓",
                         "huge": 12345678901234567890}) + "\n"),
    "dotenv": ("s.env", f"PASSWORD={SECRET}\n#comment\nPORT=5432\nMULTI=one\\ntwo\nQUOTED=\"q v\"\nUNI=ünï\n"),
    "binary": ("s.bin", f"raw {SECRET}\nsecond line ✓\n"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory, sops_bin):
    """One age key, a clean environment and the sops-encrypted inputs, shared by the module."""
    root = tmp_path_factory.mktemp("exec")
    home = root / "home"
    home.mkdir()
    key = make_age_key(root)
    env = clean_env(home, SOPS_AGE_KEY_FILE=str(key.key_file), LANG="C.UTF-8")
    env.pop("LC_ALL", None)
    env.pop("LC_CTYPE", None)
    work = root / "work"
    work.mkdir()
    (work / "dump_env.py").write_text(DUMP_ENV + "\n")

    cache: dict[str, Path] = {}

    def sealed(name: str, content: str | bytes) -> Path:
        if name in cache:
            return cache[name]
        plain = work / ("plain." + name)
        plain.write_bytes(content.encode() if isinstance(content, str) else content)
        fmt = {".yaml": "yaml", ".json": "json", ".env": "dotenv", ".ini": "ini", ".bin": "binary"}[
            os.path.splitext(name)[1]]
        out = run_sops(sops_bin, ["encrypt", "--input-type", fmt, "--output-type", fmt,
                                  "--age", key.recipient, str(plain)], env, cwd=work)
        assert out.returncode == 0, out.stderr.decode()
        target = work / ("enc." + name)
        target.write_bytes(out.stdout)
        cache[name] = target
        return target

    class World:
        pass

    w = World()
    w.key, w.env, w.work, w.sealed, w.sops = key, env, work, sealed, sops_bin
    w.dump = f"{sys.executable} {work / 'dump_env.py'}"
    return w


def both(world, args, env=None):
    env = env or world.env
    return (run_sealfile(args, env, cwd=world.work), run_sops(world.sops, args, env, cwd=world.work))


def assert_clean_error(proc, *needles: str) -> None:
    err = proc.stderr.decode()
    assert "Traceback" not in err and SECRET not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sealfile: error: "), err
    for needle in needles:
        assert needle in lines[0], err


def leftover_dirs(before: set[str]) -> set[str]:
    tmp = os.environ.get("TMPDIR", "/tmp")
    return {p for p in os.listdir(tmp) if p.startswith(".sealfile")} - before


def sealfile_dirs() -> set[str]:
    return leftover_dirs(set())


# --- exec-env ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(PLAIN))
@pytest.mark.parametrize("pristine", [False, True], ids=["inherit", "pristine"])
def test_exec_env_matches_sops(world, fmt, pristine):
    name, content = PLAIN[fmt]
    f = world.sealed(name, content)
    args = ["exec-env", *(["--pristine"] if pristine else []), str(f), world.dump]
    ours, theirs = both(world, args)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert ours.returncode == 0, ours.stderr.decode()
    assert ours.stderr == b""
    got, want = json.loads(ours.stdout), json.loads(theirs.stdout)
    assert got == want
    assert any(SECRET in v for v in got.values())
    if pristine:
        assert "HOME" not in got and "SOPS_AGE_KEY_FILE" not in got
    else:
        assert got["HOME"] == world.env["HOME"]


def test_exec_env_value_formatting(world):
    """The Go formatting of each scalar type, checked against sops value by value."""
    f = world.sealed(*PLAIN["yaml"])
    ours, theirs = both(world, ["exec-env", "--pristine", str(f), world.dump])
    got, want = json.loads(ours.stdout), json.loads(theirs.stdout)
    for key in ("port", "ratio", "big", "half", "whole", "tiny", "enabled", "off", "nothing", "when", "day",
                "cert", "greeting", "empty"):
        assert got[key] == want[key], key
    assert got["ratio"] == "2.0" and got["big"] == "1E+20" and got["cert"] == "line one\nline two\n"


def test_exec_env_overrides_inherited_variable(world):
    f = world.sealed("o.env", f"HOME={SECRET}\n")
    ours, theirs = both(world, ["exec-env", str(f), world.dump])
    assert ours.returncode == theirs.returncode == 0
    assert json.loads(ours.stdout) == json.loads(theirs.stdout)
    assert json.loads(ours.stdout)["HOME"] == SECRET


BAD_ENV = [
    ("nested.yaml", f"a: {SECRET}\ndb:\n  password: {SECRET}\n", "offending key db"),
    ("list.yaml", f"a: 1\nhosts:\n  - {SECRET}\n", "offending key hosts"),
    ("equals.yaml", f"\"a=b\": {SECRET}\n", "a=b"),
    ("sections.ini", f"[db]\npassword = {SECRET}\n", "offending key DEFAULT"),
    ("nul.bin", f"a\0{SECRET}", "data"),
]


@pytest.mark.parametrize("name,content,needle", BAD_ENV, ids=[c[0] for c in BAD_ENV])
def test_exec_env_refuses_what_an_environment_cannot_hold(world, name, content, needle):
    f = world.sealed(name, content)
    marker = world.work / f"ran-{name}"
    ours, theirs = both(world, ["exec-env", str(f), f"touch {marker}"])
    assert ours.returncode == theirs.returncode == 1, theirs.stderr.decode()
    assert_clean_error(ours, str(f), needle)
    assert not marker.exists()


@pytest.mark.parametrize("command,code", [("exit 7", 7), ("exit 0", 0), ("kill -TERM $$", 255)])
def test_exec_env_child_status_is_ours(world, command, code):
    f = world.sealed(*PLAIN["dotenv"])
    ours, theirs = both(world, ["exec-env", str(f), command])
    assert ours.returncode == theirs.returncode == code
    if code == 7:
        assert_clean_error(ours, "exit status 7")
    if code == 255:
        assert_clean_error(ours, "signal: terminated")


def test_exec_env_errors_match_sops(world, tmp_path):
    f = world.sealed(*PLAIN["yaml"])
    cases = [
        (["exec-env", str(world.work / "missing.yaml"), "true"], world.env, 2),
        (["exec-env", str(f)], world.env, 1),
        (["exec-env", str(f), "true", "extra"], world.env, 1),
        (["exec-env", "--background", "--same-process", str(f), "true"], world.env, 8),
        (["exec-env", str(f), "true"], dict(world.env, SOPS_AGE_KEY_FILE=str(make_age_key(tmp_path).key_file)),
         128),
    ]
    for args, env, code in cases:
        ours, theirs = both(world, args, env)
        assert ours.returncode == theirs.returncode == code, (args, theirs.stderr.decode())
        assert "Traceback" not in ours.stderr.decode() and SECRET not in ours.stderr.decode()


def test_exec_env_same_process(world):
    f = world.sealed(*PLAIN["dotenv"])
    ours, theirs = both(world, ["exec-env", "--same-process", str(f), 'echo "$PASSWORD"; exit 4'])
    assert ours.returncode == theirs.returncode == 4
    assert ours.stdout == theirs.stdout == (SECRET + "\n").encode()
    assert ours.stderr == theirs.stderr == b""  # the process was replaced: nobody left to report


def test_exec_env_user(world):
    """As root both switch to nobody; otherwise both refuse. Either way the same."""
    f = world.sealed(*PLAIN["dotenv"])
    ours, theirs = both(world, ["exec-env", "--user", "nobody", str(f), 'id -un; echo "$PASSWORD"'])
    assert ours.returncode == theirs.returncode
    assert ours.stdout == theirs.stdout
    if os.geteuid() == 0:
        assert ours.stdout == f"nobody\n{SECRET}\n".encode()


def wait_for(path: Path, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("done\n"):
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


def test_exec_env_background(world):
    f = world.sealed(*PLAIN["dotenv"])
    out = world.work / "bg-env.out"
    start = time.monotonic()
    proc = run_sealfile(["exec-env", "--background", str(f), f'sleep 0.5; echo "$PASSWORD" > {out}; echo done >> {out}'],
                        world.env, cwd=world.work)
    assert proc.returncode == 0 and proc.stdout == b""
    assert not out.exists() or time.monotonic() - start > 0.5
    assert wait_for(out) == f"{SECRET}\ndone\n"


# --- exec-file -----------------------------------------------------------------------------

FILE_CASES = {**PLAIN, "ini": ("s.ini", f"[db]\npassword = {SECRET}\nport = 5432\n\n[app]\nname = ünï\n")}


@pytest.mark.parametrize("fmt", list(FILE_CASES))
def test_exec_file_serves_the_decrypted_file(world, fmt):
    f = world.sealed(*FILE_CASES[fmt])
    before = sealfile_dirs()
    ours, theirs = both(world, ["exec-file", str(f), "cat {}"])
    assert ours.returncode == theirs.returncode == 0, ours.stderr.decode()
    decrypted = run_sops(world.sops, ["decrypt", str(f)], world.env, cwd=world.work)
    assert ours.stdout == theirs.stdout == decrypted.stdout
    assert SECRET.encode() in ours.stdout
    assert ours.stderr == b""
    assert leftover_dirs(before) == set()


MODE_COMMAND = "stat -c %A {}; stat -c %A $(dirname {}); basename {}"


@pytest.mark.parametrize("flags,expect", [
    ([], ["prw-------", "drwx------", "tmp-file"]),
    (["--no-fifo"], ["-rw-------", "drwx------", None]),
    (["--filename", "secrets.env"], ["prw-------", "drwx------", "secrets.env"]),
    (["--no-fifo", "--filename", "secrets.env"], ["-rw-------", "drwx------", "secrets.env"]),
], ids=["fifo", "no-fifo", "fifo-named", "no-fifo-named"])
def test_exec_file_modes_and_names(world, flags, expect):
    f = world.sealed(*PLAIN["yaml"])
    ours, theirs = both(world, ["exec-file", *flags, str(f), MODE_COMMAND])
    assert ours.returncode == theirs.returncode == 0, ours.stderr.decode()
    got, want = ours.stdout.decode().split(), theirs.stdout.decode().split()
    assert got[:2] == want[:2] == expect[:2]
    if expect[2] is not None:
        assert got[2] == want[2] == expect[2]
    else:  # sops picks a random tmp-fileNNN; ours is plain tmp-file
        assert got[2].startswith("tmp-file") and want[2].startswith("tmp-file")


def test_exec_file_no_fifo_content(world):
    f = world.sealed(*PLAIN["json"])
    ours, theirs = both(world, ["exec-file", "--no-fifo", str(f), "cat {}; cat {}"])
    assert ours.returncode == theirs.returncode == 0
    assert ours.stdout == theirs.stdout
    assert ours.stdout.count(SECRET.encode()) == 2


def test_exec_file_output_type(world):
    f = world.sealed(*PLAIN["yaml"])
    ours, theirs = both(world, ["exec-file", "--output-type", "json", str(f), "cat {}"])
    decrypted = run_sops(world.sops, ["decrypt", "--output-type", "json", str(f)], world.env, cwd=world.work)
    assert ours.returncode == theirs.returncode == 0
    assert ours.stdout == theirs.stdout == decrypted.stdout
    assert json.loads(ours.stdout)["password"] == SECRET


def test_exec_file_output_type_binary_of_a_tree_fails_like_sops(world):
    f = world.sealed(*PLAIN["yaml"])
    ours, theirs = both(world, ["exec-file", "--output-type", "binary", str(f), "cat {}"])
    assert ours.returncode == theirs.returncode == 4
    assert_clean_error(ours, str(f))


@pytest.mark.parametrize("command,code", [("read -r line < {}; echo \"$line\"", 0), ("true", 0),
                                          ("cat {} >/dev/null; exit 3", 3), ("exit 5", 5)],
                         ids=["partial-read", "never-opened", "fails-after-read", "fails-unopened"])
def test_exec_file_dir_removed_and_status_propagated(world, command, code):
    f = world.sealed(*PLAIN["yaml"])
    side = world.work / "side.txt"
    side.unlink(missing_ok=True)
    start = time.monotonic()
    ours = run_sealfile(["exec-file", str(f), f"echo {{}} > {side}; {command}"], world.env, cwd=world.work)
    assert time.monotonic() - start < 10  # no hang when the FIFO is not (fully) read
    theirs = run_sops(world.sops, ["exec-file", str(f), f"{command}"], world.env, cwd=world.work)
    assert ours.returncode == code
    # sops's FIFO writer races the removal of the directory when the command never opens the file: now
    # and then it exits 1 with "open …/tmp-file: no such file or directory" after the command is done
    # (seen in CI); sealfile reports the command's own status every time
    raced = (command.startswith(("true", "exit")) and theirs.returncode == 1
             and b"no such file or directory" in theirs.stderr)
    assert theirs.returncode == code or raced, theirs.stderr
    path = Path(side.read_text().strip())
    assert path.name == "tmp-file"
    assert not path.parent.exists()
    if code:
        assert_clean_error(ours, f"exit status {code}")


@pytest.mark.parametrize("name", ["../x", "/tmp/sealfile-abs-x", "a/b", ".."])
def test_exec_file_refuses_names_outside_the_private_dir(world, name):
    f = world.sealed(*PLAIN["yaml"])
    marker = world.work / "ran"
    before = sealfile_dirs()
    ours = run_sealfile(["exec-file", "--no-fifo", "--filename", name, str(f), f"touch {marker}"],
                        world.env, cwd=world.work)
    assert ours.returncode == 1
    assert_clean_error(ours, "--filename")
    assert not marker.exists()
    assert not Path("/tmp/sealfile-abs-x").exists()
    assert leftover_dirs(before) == set()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("flags", [[], ["--no-fifo"]], ids=["fifo", "no-fifo"])
def test_exec_file_signal_forwarded_and_dir_removed(world, sig, flags):
    f = world.sealed(*PLAIN["yaml"])
    side = world.work / "side-signal.txt"
    side.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "sealfile", "exec-file", *flags, str(f),
                             f"echo {{}} > {side}.tmp; mv {side}.tmp {side}; exec sleep 30"],
                            env=world.env, cwd=world.work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)  # no terminal: as in CI
    try:
        deadline = time.monotonic() + 10
        while not side.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        path = Path(side.read_text().strip())
        assert path.parent.is_dir()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not path.parent.exists()
    assert proc.returncode == 255  # the child died of the forwarded signal, reported as sops does
    assert SECRET.encode() not in out + err and b"Traceback" not in err
    name = "terminated" if sig == signal.SIGTERM else "interrupt"
    assert err.decode().strip() == f"sealfile: error: signal: {name}"


def test_exec_file_missing_file_and_bad_key_match_sops(world, tmp_path):
    f = world.sealed(*PLAIN["yaml"])
    other = dict(world.env, SOPS_AGE_KEY_FILE=str(make_age_key(tmp_path).key_file))
    for args, env, code in [(["exec-file", str(world.work / "missing.yaml"), "cat {}"], world.env, 2),
                            (["exec-file", str(f), "cat {}"], other, 128),
                            (["exec-file", str(f)], world.env, 1)]:
        ours, theirs = both(world, args, env)
        assert ours.returncode == theirs.returncode == code, theirs.stderr.decode()
        assert ours.stdout == b"" and SECRET not in ours.stderr.decode()


def test_exec_file_background_serves_then_cleans_up(world):
    """sops --background removes the file before the command can read it; sealfile serves it first."""
    f = world.sealed(*PLAIN["yaml"])
    out = world.work / "bg-file.out"
    out.unlink(missing_ok=True)
    proc = run_sealfile(["exec-file", "--background", str(f),
                         f"sleep 0.3; cat {{}} > {out}.c; echo {{}} > {out}.p; echo done >> {out}"],
                        world.env, cwd=world.work)
    assert proc.returncode == 0 and proc.stdout == b"" and proc.stderr == b""
    wait_for(out)
    assert SECRET in Path(f"{out}.c").read_text()
    path = Path(Path(f"{out}.p").read_text().strip())
    deadline = time.monotonic() + 5
    while path.parent.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.parent.exists()


def test_exec_file_user(world):
    f = world.sealed(*PLAIN["yaml"])
    cmd = "id -un; stat -c '%A %U' {} $(dirname {}); cat {}"
    ours, theirs = both(world, ["exec-file", "--user", "nobody", str(f), cmd])
    assert ours.returncode == theirs.returncode
    if os.geteuid() == 0:
        assert ours.returncode == 0
        assert ours.stdout.decode().splitlines()[:3] == theirs.stdout.decode().splitlines()[:3] == [
            "nobody", "prw------- nobody", "drwx------ nobody"]
        assert ours.stdout.splitlines()[3:] == theirs.stdout.splitlines()[3:]
