"""`sealfile set` / `sealfile unset` against the real `sops set` / `sops unset`.

Every change is made twice, by sealfile on one copy of a sops-encrypted file
and by sops on another, and then:

* `sops decrypt` prints the same bytes for both copies;
* both files have the same shape once ciphertexts are reduced to their type
  tag (same keys, order, layout and `type:` tags);
* the lines that differ from the original are the same in both (only the
  changed values, `lastmodified` and `mac`: the IV stash keeps every other
  ciphertext byte-identical).
"""
from __future__ import annotations

import difflib
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import clean_env, make_age_key, run_sealfile, run_sops

SECRET = "hunter2-very-secret"

SOURCES = {
    "yaml": ("s.yaml", "user: admin\npassword: s3cret\nn: 1\nlist:\n  - a\n  # note\n  - b\n"
                       "db:\n  host: localhost\n  port: 5432\n"),
    "multi": ("m.yaml", "a: one\n---\nb: two\n"),
    "json": ("s.json", '{"user": "admin", "password": "s3cret", "n": 1, "list": ["a", "b"],'
                       ' "db": {"host": "localhost", "port": 5432}}\n'),
    "dotenv": ("s.env", "USER=admin\nPASSWORD=s3cret\n# note\nPORT=5432\n"),
    "ini": ("s.ini", "[db]\nuser = admin\npassword = s3cret\n\n[app]\nport = 5432\n"),
    "binary": ("s.bin", "line one\nline two\x00\n"),
    "selective": ("sel.yaml", "user: admin\npassword: s3cret\ndb:\n  password: x\n  host: h\n"),
}
#: how sops encrypts a source (default: ``sops encrypt --age R FILE``)
ENCRYPT_ARGS = {"selective": ["--mac-only-encrypted", "-e", "--encrypted-regex", "^password$"]}

OBJECT = ('{"host": "h", "port": 6543, "opts": {"tls": true, "ca": null, "z": -0, "big": 1e20},'
          ' "tags": ["x", 2.5, false, {"k": "v"}], "dup": 1, "dup": "2", "empty": {}, "none": []}')

SET_CASES = [
    ("yaml", "new-key", '["token"]', '"abc"'),
    ("yaml", "changed", '["password"]', '"n3w"'),
    ("yaml", "unchanged", '["password"]', '"s3cret"'),
    ("yaml", "nested-new-path", '["new"]["deep"][0]["k"]', '"v"'),
    ("yaml", "list-through-missing-key", '["new"][3][2]', '"v"'),
    ("yaml", "list-append", '["list"][9]', '"c"'),
    ("yaml", "list-element", '["list"][2]', '"B"'),
    ("yaml", "list-comment-slot", '["list"][1]', '"C"'),
    ("yaml", "object", '["db"]', OBJECT),
    ("yaml", "int-becomes-float", '["n"]', "1"),
    ("yaml", "null", '["db"]["host"]', "null"),
    ("yaml", "scalar-becomes-map", '["user"]["name"]', '"x"'),
    ("yaml", "index-into-scalar", '["user"][0]', '"x"'),
    ("yaml", "index-on-map", '["db"][0]', '"x"'),
    ("multi", "first-document-only", '["c"]', '"x"'),
    ("json", "new-key", '["token"]', '"abc"'),
    ("json", "changed", '["password"]', '"n3w"'),
    ("json", "nested-new-path", '["db"]["opts"]["tls"]', "false"),
    ("json", "list-append", '["list"][5]', "1.5"),
    ("json", "object", '["db"]', OBJECT),
    ("dotenv", "new-key", '["TOKEN"]', '"abc"'),
    ("dotenv", "changed", '["PASSWORD"]', '"n3w"'),
    ("dotenv", "number", '["PORT"]', "6543"),
    ("dotenv", "bool", '["FLAG"]', "true"),
    ("dotenv", "multi-line", '["CERT"]', '"a\\nb\\n"'),
    ("ini", "changed", '["db"]["password"]', '"n3w"'),
    ("ini", "new-key", '["db"]["token_long_name"]', '"abc"'),
    ("ini", "new-section", '["cache"]["ttl"]', '"60"'),
    ("ini", "object-is-a-section", '["extra"]', '{"a": "1", "b": 2}'),
    ("ini", "number", '["app"]["port"]', "6543"),
    ("binary", "data", '["data"]', '"new\\u0000content\\n"'),
    ("selective", "stays-plain", '["db"]["host"]', '"h2"'),
    ("selective", "gets-encrypted", '["new"]', '{"password": "p", "other": "o"}'),
]

_ENC = re.compile(r"ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]")
_STAMP = re.compile(r'^\s*"?(sops_)?(lastmodified|mac)"?\s*[:=]')
_POOL = ThreadPoolExecutor(4)  # the two copies are independent: run both tools side by side


@pytest.fixture(scope="module")
def world(tmp_path_factory, sops_bin):
    """An age key, a clean environment and one sops-encrypted file per source."""
    base = tmp_path_factory.mktemp("setunset")
    (base / "home").mkdir()
    key = make_age_key(base)
    env = clean_env(base / "home", SOPS_AGE_KEY_FILE=str(key.key_file))
    encrypted = {}
    for name, (filename, text) in SOURCES.items():
        plain = base / filename
        plain.write_bytes(text.encode())
        args = ENCRYPT_ARGS.get(name, ["encrypt"])
        proc = run_sops(sops_bin, [*args, "--age", key.recipient, str(plain)], env, cwd=base)
        assert proc.returncode == 0, proc.stderr.decode()
        encrypted[name] = (filename, proc.stdout)
    return key, env, encrypted


def _copies(world, name: str, tmp_path: Path) -> tuple[Path, Path, bytes]:
    _, _, encrypted = world
    filename, data = encrypted[name]
    ours, theirs = tmp_path / "ours" / filename, tmp_path / "theirs" / filename
    for f in (ours, theirs):
        f.parent.mkdir()
        f.write_bytes(data)
    return ours, theirs, data


def _lines(data: bytes) -> list[str]:
    lines = ["<stamp>" if _STAMP.match(line) else line for line in data.decode().splitlines()]
    if "[sops]" in lines:  # sops 3.11 writes INI metadata in random order
        cut = lines.index("[sops]") + 1
        lines[cut:] = sorted(lines[cut:])
    return lines


def _shape(data: bytes) -> list[str]:
    return [_ENC.sub(r"ENC[\1]", line) for line in _lines(data)]


def _changes(before: bytes, after: bytes) -> list[tuple]:
    matcher = difflib.SequenceMatcher(None, _lines(before), _lines(after), autojunk=False)
    return [op for op in matcher.get_opcodes() if op[0] != "equal"]


def _decrypted(sops_bin: str, f: Path, env: dict) -> bytes:
    proc = run_sops(sops_bin, ["decrypt", str(f)], env, cwd=f.parent)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def _assert_same_change(sops_bin, env, original: bytes, ours: Path, theirs: Path) -> None:
    mine = _POOL.submit(_decrypted, sops_bin, ours, env)
    assert _decrypted(sops_bin, theirs, env) == mine.result()
    assert _shape(ours.read_bytes()) == _shape(theirs.read_bytes())
    assert _changes(original, ours.read_bytes()) == _changes(original, theirs.read_bytes())


def _one_line_error(proc, name: str | None = None) -> str:
    err = proc.stderr.decode()
    assert "Traceback" not in err and SECRET not in err and SECRET not in proc.stdout.decode()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sealfile: error: "), err
    if name is not None:
        assert name in lines[0], err
    return lines[0]


def _both(sops_bin, env, args_ours: list[str], args_theirs: list[str], tmp_path: Path, input: bytes | None = None):
    ours = _POOL.submit(run_sealfile, args_ours, env, cwd=tmp_path / "ours", input=input)
    theirs = run_sops(sops_bin, args_theirs, env, cwd=tmp_path / "theirs", input=input)
    return ours.result(), theirs


def _fill(args: list[str], f: Path) -> list[str]:
    return [f.name if x == "{f}" else x for x in args]


def _file_state(f: Path) -> tuple:
    st = f.stat()
    return f.read_bytes(), st.st_mtime_ns, st.st_ino


@pytest.mark.parametrize("source,case,path,value", SET_CASES, ids=[f"{c[0]}-{c[1]}" for c in SET_CASES])
def test_set_matches_sops(source, case, path, value, world, sops_bin, tmp_path):
    _, env, _ = world
    ours, theirs, original = _copies(world, source, tmp_path)
    a, b = _both(sops_bin, env, ["set", ours.name, path, value], ["set", theirs.name, path, value], tmp_path)
    assert (a.returncode, b.returncode) == (0, 0), (a.stderr.decode(), b.stderr.decode())
    assert a.stdout == a.stderr == b""
    _assert_same_change(sops_bin, env, original, ours, theirs)
    if case == "unchanged":
        assert _changes(original, ours.read_bytes()) == []  # only lastmodified and mac may differ


def test_type_tags_of_json_values(world, sops_bin, tmp_path):
    """sops 3.11 stores every JSON number as a float, nested ones too; sealfile writes the same tags."""
    _, env, _ = world
    ours, theirs, original = _copies(world, "yaml", tmp_path)
    value = '{"i": 6543, "f": 2.5, "t": true, "s": "x", "neg": -7, "l": [1, "2"]}'
    a, b = _both(sops_bin, env, ["set", ours.name, '["typed"]', value], ["set", theirs.name, '["typed"]', value],
                 tmp_path)
    assert (a.returncode, b.returncode) == (0, 0)
    tags = re.findall(r"^\s*(?:- )?(\w+): .*type:(\w+)\]", ours.read_text(), flags=re.M)
    assert ("i", "float") in tags and ("neg", "float") in tags and ("t", "bool") in tags and ("s", "str") in tags
    assert re.findall(r"type:(\w+)\]", ours.read_text()) == re.findall(r"type:(\w+)\]", theirs.read_text())
    _assert_same_change(sops_bin, env, original, ours, theirs)


@pytest.mark.parametrize("how", ["value-file", "value-stdin"])
def test_value_from_file_or_stdin(how, world, sops_bin, tmp_path):
    _, env, _ = world
    ours, theirs, original = _copies(world, "yaml", tmp_path)
    value = b'{"password": "' + SECRET.encode() + b'", "n": 3}\n'
    for d in (ours.parent, theirs.parent):
        (d / "v.json").write_bytes(value)
    if how == "value-file":
        args, stdin = ["set", "--value-file", "{f}", '["db"]', "v.json"], None
    else:
        args, stdin = ["set", "--value-stdin", "{f}", '["db"]'], value
    a, b = _both(sops_bin, env, _fill(args, ours), _fill(args, theirs),
                 tmp_path, input=stdin)
    assert (a.returncode, b.returncode) == (0, 0), (a.stderr.decode(), b.stderr.decode())
    assert SECRET.encode() in _decrypted(sops_bin, ours, env)
    _assert_same_change(sops_bin, env, original, ours, theirs)


UNSET_CASES = [
    ("yaml", '["password"]'),
    ("yaml", '["list"][2]'),
    ("yaml", '["list"][1]'),  # the comment item
    ("yaml", '["db"]'),
    ("json", '["list"][0]'),
    ("json", '["db"]["host"]'),
    ("dotenv", '["PASSWORD"]'),
    ("ini", '["db"]["user"]'),
    ("ini", '["app"]'),
]


@pytest.mark.parametrize("source,path", UNSET_CASES, ids=[f"{c[0]}-{c[1]}" for c in UNSET_CASES])
def test_unset_matches_sops(source, path, world, sops_bin, tmp_path):
    _, env, _ = world
    ours, theirs, original = _copies(world, source, tmp_path)
    a, b = _both(sops_bin, env, ["unset", ours.name, path], ["unset", theirs.name, path], tmp_path)
    assert (a.returncode, b.returncode) == (0, 0), (a.stderr.decode(), b.stderr.decode())
    assert a.stdout == a.stderr == b""
    _assert_same_change(sops_bin, env, original, ours, theirs)
    assert _changes(original, ours.read_bytes()) != []


ERROR_CASES = [
    # (source, args with {f} for the file, exit code of both tools); the message names the file
    # unless the arguments themselves are wrong (100, conflicting flags) or it names the value file
    ("yaml", ["set", "{f}", "password", '"x"'], 7),
    ("yaml", ["set", "{f}", '["password"', '"x"'], 7),
    ("yaml", ["set", "{f}", '["password"]', SECRET], 7),
    ("yaml", ["set", "{f}", '["password"]', '{"pw": "' + SECRET + '"'], 7),
    ("yaml", ["set", "{f}", '["password"]', "1e400"], 7),
    ("yaml", ["set", "{f}", '["password"]', '["' + SECRET + '"]'], 7),
    ("yaml", ["set", "{f}", '["password"]'], 100),
    ("yaml", ["set", "{f}", '["password"]', '"x"', "extra"], 100),
    ("yaml", ["set", "--value-stdin", "{f}", '["password"]', '"x"'], 100),
    ("yaml", ["set", "--value-file", "--value-stdin", "{f}", '["password"]', "v.json"], 1),
    ("yaml", ["set", "--value-file", "{f}", '["password"]', "missing.json"], 1),
    ("yaml", ["set", "--decryption-order", "age,age", "{f}", '["password"]', '"x"'], 112),
    ("yaml", ["unset", "{f}", "password"], 7),
    ("yaml", ["unset", "{f}", '["nope"]'], 1),
    ("yaml", ["unset", "{f}", '["list"][3]'], 1),
    ("yaml", ["unset", "{f}", '["db"][0]'], 1),
    ("yaml", ["unset", "{f}", '["db"]["host"]["x"]'], 1),
    ("yaml", ["unset", "--idempotent", "{f}", '["db"]["host"]["x"]'], 1),
    ("yaml", ["unset", "{f}"], 100),
    ("dotenv", ["set", "{f}", '["NESTED"]', '{"a": "' + SECRET + '"}'], 4),
    ("dotenv", ["set", "{f}", '["PORT"]["x"]', '"' + SECRET + '"'], 4),
    ("ini", ["set", "{f}", '["top"]', '"' + SECRET + '"'], 4),
    ("missing", ["set", "nope.yaml", '["a"]', '"x"'], 2),
    ("missing", ["unset", "nope.yaml", '["a"]'], 2),
]


@pytest.mark.parametrize("source,args,code", ERROR_CASES, ids=[f"{i}-{c[0]}-{c[2]}" for i, c in enumerate(ERROR_CASES)])
def test_errors_match_sops_and_leave_the_file(source, args, code, world, sops_bin, tmp_path):
    _, env, _ = world
    ours, theirs, original = _copies(world, "yaml" if source == "missing" else source, tmp_path)
    for d in (ours.parent, theirs.parent):
        (d / "v.json").write_text('"x"')
    a, b = _both(sops_bin, env, _fill(args, ours), _fill(args, theirs),
                 tmp_path)
    assert b.returncode == code, b.stderr.decode()
    assert a.returncode == code, a.stderr.decode()
    if source == "missing":
        name: str | None = "nope.yaml"
    elif "missing.json" in args:
        name = "missing.json"
    elif code == 100 or "--value-stdin" in args and "--value-file" in args:
        name = None
    else:
        name = ours.name
    line = _one_line_error(a, name)
    if code == 7 and args[0] == "set" and not args[2].startswith("["):
        assert "Invalid set index format" in line
    assert ours.read_bytes() == original and theirs.read_bytes() == original
    assert sorted(p.name for p in ours.parent.iterdir()) == sorted(p.name for p in theirs.parent.iterdir())


def test_unset_missing_key_message(world, sops_bin, tmp_path):
    _, env, _ = world
    ours, theirs, _ = _copies(world, "json", tmp_path)
    a, b = _both(sops_bin, env, ["unset", ours.name, '["db"]["nope"]'], ["unset", theirs.name, '["db"]["nope"]'],
                 tmp_path)
    assert a.returncode == b.returncode == 1
    assert "Key not found: nope" in b.stderr.decode()
    assert _one_line_error(a, ours.name).endswith("Key not found: nope")


@pytest.mark.parametrize("args", [
    ["set", "--idempotent", "{f}", '["password"]', '"s3cret"'],
    ["set", "--idempotent", "{f}", '["db"]', '{"host": "localhost", "port": 5432}'],
    ["set", "--idempotent", "{f}", '["list"][0]', '"a"'],
    ["unset", "--idempotent", "{f}", '["nope"]'],
    ["unset", "--idempotent", "{f}", '["list"][7]'],
], ids=["set-same-string", "set-same-map", "set-same-list-item", "unset-missing", "unset-out-of-range"])
def test_idempotent_no_change_writes_nothing(args, world, sops_bin, tmp_path):
    _, env, _ = world
    source = "json" if "5432}" in args[-1] else "yaml"  # JSON ports are floats, as a JSON value is
    ours, theirs, _ = _copies(world, source, tmp_path)
    before = _file_state(ours), _file_state(theirs)
    a, b = _both(sops_bin, env, _fill(args, ours), _fill(args, theirs),
                 tmp_path)
    assert (a.returncode, b.returncode) == (0, 0), (a.stderr.decode(), b.stderr.decode())
    assert a.stderr == b""
    assert (_file_state(ours), _file_state(theirs)) == before


@pytest.mark.parametrize("args", [
    ["set", "--idempotent", "{f}", '["n"]', "1"],  # YAML int 1 is not the JSON float 1
    ["set", "--idempotent", "{f}", '["password"]', '"other"'],
    ["unset", "--idempotent", "{f}", '["user"]'],
], ids=["set-other-type", "set-other-value", "unset-present"])
def test_idempotent_with_a_change_writes(args, world, sops_bin, tmp_path):
    _, env, _ = world
    ours, theirs, original = _copies(world, "yaml", tmp_path)
    a, b = _both(sops_bin, env, _fill(args, ours), _fill(args, theirs),
                 tmp_path)
    assert (a.returncode, b.returncode) == (0, 0), (a.stderr.decode(), b.stderr.decode())
    assert ours.read_bytes() != original and theirs.read_bytes() != original
    _assert_same_change(sops_bin, env, original, ours, theirs)


DIVERGENCES = [
    # sops 3.11 crashes (exit 2) or writes a file that nobody can decrypt; sealfile refuses cleanly.
    ("yaml", ['["list"]["x"]', '"v"'], 7),
    ("yaml", ['["list"][-1]', '"v"'], 7),
    ("yaml", ['["sops"]', '"v"'], 203),
    ("dotenv", ['["EMPTY"]', "null"], 4),
    ("dotenv", ['["sops_extra"]', '"v"'], 203),
    ("ini", ['["db"]["nested"]', '{"a": "b"}'], 4),
    ("binary", ['["data"]', "5"], 4),
]


@pytest.mark.parametrize("source,args,code", DIVERGENCES, ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(DIVERGENCES)])
def test_refuses_what_breaks_sops(source, args, code, world, sops_bin, tmp_path):
    _, env, _ = world
    ours, theirs, original = _copies(world, source, tmp_path)
    a, b = _both(sops_bin, env, ["set", ours.name, *args], ["set", theirs.name, *args], tmp_path)
    assert a.returncode == code
    _one_line_error(a, ours.name)
    assert ours.read_bytes() == original
    # why: sops either crashed or left a file it cannot decrypt any more
    broken = b.returncode == 2 or run_sops(sops_bin, ["decrypt", theirs.name], env, cwd=theirs.parent).returncode != 0
    assert broken, b.stderr.decode()


def test_output_type(world, sops_bin, tmp_path):
    """--output-type writes the file back in another format, in place, as sops does."""
    _, env, _ = world
    ours, theirs, _ = _copies(world, "yaml", tmp_path)
    args = ["set", "--output-type", "json", "{f}", '["x"]', '"v"']
    a, b = _both(sops_bin, env, _fill(args, ours), _fill(args, theirs), tmp_path)
    assert (a.returncode, b.returncode) == (0, 0), (a.stderr.decode(), b.stderr.decode())
    assert _shape(ours.read_bytes()) == _shape(theirs.read_bytes())
    plain = [run_sops(sops_bin, ["decrypt", "--input-type", "json", f.name], env, cwd=f.parent) for f in (ours, theirs)]
    assert plain[0].returncode == 0 and plain[0].stdout == plain[1].stdout
    assert plain[0].stdout.endswith(b"\nx: v\n")  # output type from the .yaml name


def test_ignore_mac(world, sops_bin, tmp_path):
    """A file whose MAC no longer verifies: refused (51) unless --ignore-mac, which writes a good MAC."""
    _, env, _ = world
    ours, theirs, _ = _copies(world, "yaml", tmp_path)
    def flip(m: re.Match) -> str:
        return m.group(1) + ("B" if m.group(2) == "A" else "A")

    for f in (ours, theirs):
        f.write_text(re.sub(r"^(    mac: ENC\[AES256_GCM,data:)(.)", flip, f.read_text(), flags=re.M))
    tampered = ours.read_bytes()
    a, b = _both(sops_bin, env, ["set", ours.name, '["x"]', '"v"'], ["set", theirs.name, '["x"]', '"v"'], tmp_path)
    assert a.returncode == b.returncode == 51
    assert ours.read_bytes() == tampered
    args = ["set", "--ignore-mac", "{f}", '["x"]', '"v"']
    a, b = _both(sops_bin, env, _fill(args, ours), _fill(args, theirs), tmp_path)
    assert (a.returncode, b.returncode) == (0, 0), (a.stderr.decode(), b.stderr.decode())
    _assert_same_change(sops_bin, env, tampered, ours, theirs)


def test_keeps_mode_version_and_writes_atomically(world, sops_bin, tmp_path):
    _, env, _ = world
    ours, _, original = _copies(world, "yaml", tmp_path)
    ours.chmod(0o640)
    proc = run_sealfile(["set", ours.name, '["password"]', '"n3w"'], env, cwd=ours.parent)
    assert proc.returncode == 0, proc.stderr.decode()
    assert stat.S_IMODE(ours.stat().st_mode) == 0o640
    assert [p.name for p in ours.parent.iterdir()] == [ours.name]  # no temp file left behind
    assert re.search(r"^    version: 3\.11\.0$", ours.read_text(), flags=re.M)
    assert b"n3w" not in ours.read_bytes()
    assert b"password: n3w\n" in _decrypted(sops_bin, ours, env)


def test_round_trip_between_the_tools(world, sops_bin, tmp_path):
    """sealfile encrypts; sops and sealfile take turns changing the file; both read every state."""
    key, env, _ = world
    f = tmp_path / "rt.yaml"
    f.write_text("a: 1\nlist:\n  - x\n")
    steps = [
        (run_sealfile, ["encrypt", "-i", "--age", key.recipient, "rt.yaml"]),
        (run_sops, ["set", "rt.yaml", '["b"]', '{"c": "sops-wrote"}']),
        (run_sealfile, ["set", "rt.yaml", '["b"]["d"]', '"sealfile-wrote"']),
        (run_sops, ["unset", "rt.yaml", '["a"]']),
        (run_sealfile, ["set", "rt.yaml", '["list"][1]', "2"]),
        (run_sealfile, ["unset", "rt.yaml", '["list"][0]']),
        (run_sops, ["set", "rt.yaml", '["list"][0]', "true"]),
    ]
    for tool, args in steps:
        proc = tool(args, env, cwd=tmp_path) if tool is run_sealfile else tool(sops_bin, args, env, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr.decode())
    theirs = _decrypted(sops_bin, f, env)
    ours = run_sealfile(["decrypt", "rt.yaml"], env, cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr.decode()
    assert ours.stdout == theirs == b"list:\n    - true\nb:\n    c: sops-wrote\n    d: sealfile-wrote\n"


LEGACY = ['["db"]["port"] 6543', '["new"] {"a": [1, "b"], "c": null}', '["list"][0]  "padded path"']


@pytest.mark.parametrize("text", LEGACY)
def test_legacy_set_argument(text, world, sops_bin, tmp_path):
    """``sops --set '<path> <json>' FILE`` and ``sealfile --set ...`` make the same change."""
    _, env, _ = world
    ours, theirs, original = _copies(world, "yaml", tmp_path)
    b = run_sops(sops_bin, ["--set", text, theirs.name], env, cwd=theirs.parent)
    assert b.returncode == 0, b.stderr.decode()
    a = run_sealfile(["--set", text, ours.name], env, cwd=ours.parent)
    assert a.returncode == 0, a.stderr.decode()
    _assert_same_change(sops_bin, env, original, ours, theirs)


@pytest.mark.parametrize("text", ["no-separator", '["a"]"x"', '["a"] nojson', 'a] "x"', '["a"] ["list"]'])
def test_legacy_set_bad_argument(text, world, sops_bin, tmp_path):
    from sealfile.errors import SealfileError
    from sealfile.api import parse_legacy_set

    _, env, _ = world
    _, theirs, original = _copies(world, "yaml", tmp_path)
    b = run_sops(sops_bin, ["--set", text, theirs.name], env, cwd=theirs.parent)
    with pytest.raises(SealfileError) as info:
        parse_legacy_set(text)
    assert info.value.exit_code == b.returncode == 7
    assert theirs.read_bytes() == original
