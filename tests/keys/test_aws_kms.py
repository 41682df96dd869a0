"""AWS KMS keys against a real moto_server and the real sops 3.11 binary.

Both directions (sealfile writes -> sops reads, sops writes -> sealfile reads)
for YAML, JSON and dotenv, with and without an encryption context; the
metadata layout; role assumption through STS; named profiles; the failure
paths (wrong context, unreachable KMS, unreachable STS, missing credentials)
and the fallback to an age key when KMS is down.
"""
from __future__ import annotations

import base64
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sealfile
from conftest import VECTORS, make_age_key, run_sealfile, run_sops
from sealfile.errors import ExitCode, MasterKeyError, SealfileError
from sealfile.keys import awskms
from sealfile.keys.awskms import AwsKmsKey, parse_context, session_name
from sealfile.keys.base import KeyContext
from servers.moto import ROLE_ARN, ConnectionCounter, closed_port, moto_server  # noqa: F401
from servers.net import CannedReply

FORMATS = {"yaml": ("plain.yaml", "age.decrypted.yaml"),
           "json": ("plain.json", "age.decrypted.json"),
           "dotenv": ("plain.env", "age.decrypted.env")}
CONTEXT = "app:web,env:prod"
#: values that YAML emitters must quote, to compare quoting with sops's
LAYOUT_CONTEXT = "app:web,n:0x1,flag:true,empty:,y:no,_u:1,B:2,a10:3,a2:4,~z:5"
#: ... and whose keys go-yaml (natural order) and Go's JSON (byte order) sort differently
#: well under the 30 s budget; what a down KMS may cost before the next key is tried
FAST = 10.0


@pytest.fixture(scope="session")
def kms_arn(moto_server) -> str:  # noqa: F811
    return moto_server.create_key()


@pytest.fixture
def aws_env(moto_server, tmp_path: Path) -> dict[str, str]:  # noqa: F811
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return moto_server.env(home)


def _seal(plain: bytes, fmt: str, spec, env: dict[str, str], **extra) -> bytes:
    return sealfile.encrypt_data(plain, input_type=fmt, recipients={"kms": [spec], **extra}, config=False,
                                 env=env)


def _plain(fmt: str) -> bytes:
    return (VECTORS / FORMATS[fmt][0]).read_bytes()


def _expected(fmt: str) -> bytes:
    return (VECTORS / "decrypted" / FORMATS[fmt][1]).read_bytes()


def _suffix(fmt: str) -> str:
    return Path(FORMATS[fmt][0]).suffix


def _sops_encrypt(sops_bin: str, fmt: str, args: list[str], env: dict[str, str], tmp_path: Path) -> Path:
    plain = tmp_path / FORMATS[fmt][0]
    plain.write_bytes(_plain(fmt))
    out = run_sops(sops_bin, ["encrypt", *args, str(plain)], env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    target = tmp_path / ("sops" + _suffix(fmt))
    target.write_bytes(out.stdout)
    return target


def _flat(report: str | bytes) -> str:
    """A failure report with its wrapping undone, for substring checks."""
    text = report.decode() if isinstance(report, bytes) else report
    return " ".join(text.replace("|", " ").split())


def _key_lines(stderr: bytes) -> list[str]:
    """The key labels (sops's ToString) of a failure report."""
    return re.findall(r"(?m)^\s+(arn:aws:kms:\S+): FAILED$", stderr.decode())


# ------------------------------------------------------------------ interop

@pytest.mark.interop
@pytest.mark.parametrize("context", ["", CONTEXT], ids=["no-context", "context"])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sealfile_encrypts_sops_decrypts(fmt, context, kms_arn, aws_env, sops_bin, tmp_path):
    blob = _seal(_plain(fmt), fmt, {"arn": kms_arn, "context": parse_context(context)}, aws_env)
    assert (b"prod" in blob) == bool(context)
    target = tmp_path / ("sealed" + _suffix(fmt))
    target.write_bytes(blob)
    out = run_sops(sops_bin, ["decrypt", str(target)], aws_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == _expected(fmt)


@pytest.mark.interop
@pytest.mark.parametrize("context", ["", CONTEXT], ids=["no-context", "context"])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sops_encrypts_sealfile_decrypts(fmt, context, kms_arn, aws_env, sops_bin, tmp_path):
    args = ["--kms", kms_arn] + (["--encryption-context", context] if context else [])
    target = _sops_encrypt(sops_bin, fmt, args, aws_env, tmp_path)
    out = run_sealfile(["decrypt", str(target)], aws_env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == _expected(fmt)


def _sops_block(text: str, fmt: str) -> str:
    """The metadata as written, with the values that differ from run to run blanked."""
    if fmt == "yaml":
        block = text[text.index("\nsops:\n"):]
        return re.sub(r"(?m)^(\s*(?:- )?(?:enc|created_at|lastmodified|mac)): .*$", r"\1: X", block)
    if fmt == "json":
        block = text[text.index('"sops": {'):]
        return re.sub(r'("(?:enc|created_at|lastmodified|mac)"): "[^"]*"', r'\1: "X"', block)
    lines = [line for line in text.splitlines() if line.startswith("sops_")]
    return re.sub(r"(?m)^(sops_\w*?(?:enc|created_at|lastmodified|mac))=.*$", r"\1=X", "\n".join(lines))


@pytest.mark.interop
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_metadata_layout_matches_sops(fmt, kms_arn, aws_env, sops_bin, tmp_path):
    """Every field (arn, role, context, created_at, enc, aws_profile), order and quoting."""
    (tmp_path / "config").write_text("[profile layout]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("[layout]\naws_access_key_id = AKIDLAYOUT\n"
                                          "aws_secret_access_key = layout-secret\n")
    env = dict(aws_env, AWS_CONFIG_FILE=str(tmp_path / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"))
    theirs = _sops_encrypt(sops_bin, fmt, ["--kms", f"{kms_arn}+{ROLE_ARN}", "--aws-profile", "layout",
                                           "--encryption-context", LAYOUT_CONTEXT], env, tmp_path)
    spec = {"arn": kms_arn, "role": ROLE_ARN, "context": parse_context(LAYOUT_CONTEXT), "aws_profile": "layout"}
    ours = _seal(_plain(fmt), fmt, spec, env).decode()
    block = _sops_block(theirs.read_text(), fmt)
    for name in ("role", "context", "aws_profile", "layout", "0x1"):
        assert name in block
    assert _sops_block(ours, fmt) == block


# ------------------------------------------------------------ credentials

@pytest.mark.interop
def test_role_is_assumed_through_sts(kms_arn, aws_env, moto_server, sops_bin, tmp_path):  # noqa: F811
    before = len(moto_server.assumed_roles())
    blob = _seal(_plain("yaml"), "yaml", f" {kms_arn} + {ROLE_ARN}", aws_env)  # the CLI form, spaces dropped
    assert f"\n          role: {ROLE_ARN}\n" in blob.decode()
    expected = (ROLE_ARN, session_name())
    ours = [(r["role_arn"], r["session_name"]) for r in moto_server.assumed_roles()[before:]]
    assert ours == [expected]
    target = tmp_path / "role.yaml"
    target.write_bytes(blob)

    out = run_sops(sops_bin, ["decrypt", str(target)], aws_env)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == _expected("yaml")
    theirs = [(r["role_arn"], r["session_name"]) for r in moto_server.assumed_roles()[before + 1:]]
    assert theirs and set(theirs) == {expected}  # sops names its session exactly as sealfile does

    out = run_sealfile(["decrypt", str(target)], aws_env)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == _expected("yaml")

    # STS is really on the path: with it unreachable (KMS still up) the key fails on the role
    no_sts = dict(aws_env, AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{closed_port()}")
    out = run_sealfile(["decrypt", str(target)], no_sts)
    assert out.returncode == ExitCode.COULD_NOT_RETRIEVE_KEY
    assert f"failed to assume role '{ROLE_ARN}'" in _flat(out.stderr)


@pytest.mark.interop
def test_named_profile_from_shared_files(kms_arn, aws_env, moto_server, sops_bin, tmp_path):  # noqa: F811
    """The profile is the only source of both the endpoint and the credentials here."""
    config, creds = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text(f"[profile team]\nendpoint_url = {moto_server.url}\n")
    creds.write_text("[team]\naws_access_key_id = AKIDTEAM\naws_secret_access_key = team-secret\n")
    env = {k: v for k, v in aws_env.items()
           if k not in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    env.update(AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(creds))

    blob = _seal(_plain("yaml"), "yaml", {"arn": kms_arn, "aws_profile": "team"}, env)
    assert "\n          aws_profile: team\n" in blob.decode()
    ours = tmp_path / "ours.yaml"
    ours.write_bytes(blob)
    theirs = _sops_encrypt(sops_bin, "yaml", ["--kms", kms_arn, "--aws-profile", "team"], env, tmp_path)
    for target in (ours, theirs):
        for run in (lambda: run_sops(sops_bin, ["decrypt", str(target)], env),
                    lambda: run_sealfile(["decrypt", str(target)], env)):
            out = run()
            assert out.returncode == 0, out.stderr.decode()
            assert out.stdout == _expected("yaml")

    creds.write_text("")  # the profile still gives the endpoint, but no credentials any more
    out = run_sealfile(["decrypt", str(ours)], env)
    assert out.returncode == ExitCode.COULD_NOT_RETRIEVE_KEY
    assert "no AWS credentials found" in _flat(out.stderr)
    assert b"Traceback" not in out.stderr

    missing = AwsKmsKey(kms_arn, aws_profile="nobody")
    with pytest.raises(MasterKeyError, match="ProfileNotFound.*nobody"):
        missing.unwrap("AAAA", KeyContext(env))


def test_env_given_to_the_api_is_what_boto_sees(kms_arn, aws_env, monkeypatch):
    """os.environ must neither help nor hurt: only ``env=`` counts."""
    blob = _seal(_plain("yaml"), "yaml", kms_arn, aws_env)
    down = f"http://127.0.0.1:{closed_port()}"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", down)
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", down)
    assert sealfile.decrypt_data(blob, input_type="yaml", env=aws_env) == _expected("yaml")

    # the process has working settings, env= has none: nothing leaks in
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, aws_env[name])
    monkeypatch.delenv("AWS_ENDPOINT_URL_KMS")
    no_creds = {k: v for k, v in aws_env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    with pytest.raises(SealfileError) as info:
        sealfile.decrypt_data(blob, input_type="yaml", env=no_creds)
    assert info.value.exit_code == ExitCode.COULD_NOT_RETRIEVE_KEY
    assert "no AWS credentials found" in _flat(info.value.report)
    elsewhere = dict(aws_env, AWS_ENDPOINT_URL_KMS=down)
    with pytest.raises(SealfileError) as info:
        sealfile.decrypt_data(blob, input_type="yaml", env=elsewhere)
    assert "Could not connect" in _flat(info.value.report)


# --------------------------------------------------------------- failures

@pytest.mark.interop
def test_wrong_context_fails_with_128(kms_arn, aws_env, sops_bin, tmp_path):
    target = _sops_encrypt(sops_bin, "yaml", ["--kms", kms_arn, "--encryption-context", CONTEXT], aws_env, tmp_path)
    text = target.read_text()
    assert "\n            app: web\n" in text
    target.write_text(text.replace("\n            app: web\n", "\n            app: mobile\n"))
    out = run_sealfile(["decrypt", str(target)], aws_env)
    assert out.returncode == ExitCode.COULD_NOT_RETRIEVE_KEY
    assert _key_lines(out.stderr) == [f"{kms_arn}|app:mobile,env:prod"]
    assert b"InvalidCiphertextException" in out.stderr
    assert b"Traceback" not in out.stderr
    theirs = run_sops(sops_bin, ["decrypt", str(target)], aws_env)
    assert theirs.returncode == ExitCode.COULD_NOT_RETRIEVE_KEY
    assert _key_lines(theirs.stderr) == _key_lines(out.stderr)


@pytest.mark.interop
def test_unreachable_kms_fails_fast(kms_arn, aws_env, sops_bin, tmp_path):
    """Exit 128 in seconds; the key is named exactly as sops names it (arn+role|context|profile)."""
    target = _sops_encrypt(sops_bin, "yaml", ["--kms", kms_arn, "--encryption-context", CONTEXT], aws_env, tmp_path)
    text = target.read_text().replace(f"- arn: {kms_arn}\n", f"- arn: {kms_arn}\n          role: {ROLE_ARN}\n")
    target.write_text(text.replace('aws_profile: ""', "aws_profile: p"))
    (tmp_path / "config").write_text("[profile p]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text("[p]\naws_access_key_id = AKIDP\naws_secret_access_key = p-secret\n")
    down = dict(aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}", AWS_CONFIG_FILE=str(tmp_path / "config"),
                AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"))
    start = time.monotonic()
    out = run_sealfile(["decrypt", str(target)], down)
    elapsed = time.monotonic() - start
    assert out.returncode == ExitCode.COULD_NOT_RETRIEVE_KEY, out.stderr.decode()
    assert elapsed < FAST, f"took {elapsed:.1f}s"
    assert "Could not connect" in _flat(out.stderr)
    theirs = run_sops(sops_bin, ["decrypt", str(target)], down)
    assert theirs.returncode == ExitCode.COULD_NOT_RETRIEVE_KEY
    assert _key_lines(out.stderr) == _key_lines(theirs.stderr) == [f"{kms_arn}+{ROLE_ARN}|{CONTEXT}|p"]


def test_botocore_own_sts_client_is_bounded(tmp_path, monkeypatch):
    """A profile's ``role_arn`` makes botocore build its own STS client: it gets our bounds too."""
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    (tmp_path / "config").write_text(
        f"[profile chain]\nrole_arn = {ROLE_ARN}\nsource_profile = base\nregion = us-east-1\n"
        f"endpoint_url = http://127.0.0.1:{listener.getsockname()[1]}\n[profile base]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n")
    env = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    monkeypatch.setattr(awskms, "CONNECT_TIMEOUT", 0.5)
    monkeypatch.setattr(awskms, "READ_TIMEOUT", 0.5)
    outcome: list[BaseException] = []

    def unwrap() -> None:
        try:
            AwsKmsKey("arn:aws:kms:us-east-1:1:key/k", aws_profile="chain").unwrap("AAAA", KeyContext(env))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            outcome.append(exc)

    worker = threading.Thread(target=unwrap, daemon=True)
    worker.start()
    worker.join(8)  # botocore's own default would be 60 s per read, five times
    hung = worker.is_alive()
    listener.close()
    for conn in held:  # lets a hung worker fail fast and end
        conn.close()
    assert not hung, "botocore's STS client is not bounded"
    assert isinstance(outcome[0], MasterKeyError) and "Read timeout" in outcome[0].message


def test_kms_reply_without_ciphertext_is_a_reason(aws_env):
    """An endpoint that answers 200 with no CiphertextBlob: a MasterKeyError, not a KeyError traceback."""
    with CannedReply(b"{}", "application/x-amz-json-1.1") as server:
        env = dict(aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{server.port}")
        with pytest.raises(MasterKeyError, match="AWS KMS Encrypt failed: KeyError"):
            AwsKmsKey("arn:aws:kms:us-east-1:1:key/k").wrap(b"k" * 32, KeyContext(env))


def test_debug_logs_hold_no_key_material(kms_arn, aws_env, caplog):
    """botocore logs bodies and signed headers at DEBUG: the data key and the role's keys stay out."""
    caplog.set_level(logging.DEBUG)
    data_key = bytes(range(32))
    key = AwsKmsKey(kms_arn, role=ROLE_ARN)
    ctx = KeyContext(aws_env)
    assert key.unwrap(key.wrap(data_key, ctx), ctx) == data_key
    text = caplog.text
    assert "withheld by sealfile" in text  # the records were there, and were blanked
    assert base64.b64encode(data_key).decode() not in text
    for mark in ("SecretAccessKey>", "SessionToken>", "x-amz-security-token:", "X-Amz-Security-Token"):
        assert mark not in text


@pytest.fixture(scope="module")
def mixed(moto_server, kms_arn, tmp_path_factory):  # noqa: F811
    """A YAML file sealed for a KMS key and an age key."""
    home = tmp_path_factory.mktemp("mixed")
    age = make_age_key(home)
    env = moto_server.env(home)
    blob = _seal(_plain("yaml"), "yaml", kms_arn, env, age=age.recipient)
    path = home / "mixed.yaml"
    path.write_bytes(blob)
    return path, age


@pytest.mark.interop
def test_age_takes_over_when_kms_is_unreachable(mixed, aws_env, sops_bin):
    path, age = mixed
    env = dict(aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}", SOPS_AGE_KEY_FILE=str(age.key_file))
    start = time.monotonic()
    out = run_sealfile(["decrypt", "--decryption-order", "kms,age", str(path)], env)
    elapsed = time.monotonic() - start
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == _expected("yaml")
    assert elapsed < FAST, f"took {elapsed:.1f}s"
    theirs = run_sops(sops_bin, ["decrypt", "--decryption-order", "kms,age", str(path)], env)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert theirs.stdout == out.stdout

    with ConnectionCounter() as broken:  # accepts and drops: proves KMS really was tried first
        api_env = dict(env, AWS_ENDPOINT_URL=broken.url)
        start = time.monotonic()
        plain = sealfile.decrypt_data(path.read_bytes(), input_type="yaml", decryption_order="kms,age", env=api_env)
        elapsed = time.monotonic() - start
    assert plain == _expected("yaml")
    assert broken.connections >= 1
    assert elapsed < FAST, f"took {elapsed:.1f}s"


def test_age_decrypt_of_a_kms_file_does_not_import_botocore(mixed, aws_env):
    path, age = mixed
    code = ("import sys, sealfile\n"
            "from sealfile.keys.awskms import AwsKmsKey\n"
            "AwsKmsKey.parse(sys.argv[2]).to_string()\n"
            "out = sealfile.decrypt_data(open(sys.argv[1], 'rb').read(), input_type='yaml')\n"
            "assert out.startswith(b'# Database'), out[:40]\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n")
    env = dict(aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}", SOPS_AGE_KEY_FILE=str(age.key_file))
    out = subprocess.run([sys.executable, "-c", code, str(path), "arn:aws:kms:us-east-1:1:key/x+" + ROLE_ARN],
                         env=env, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().strip() == "[]"


# ------------------------------------------------------- sops's parsing rules

@pytest.mark.interop
@pytest.mark.parametrize("text", ["a", "a:b:c", "a:b,", ",", "a:", ":b", " a : b ", "a:b,a:c", "k1:v1,k2:v2"])
def test_encryption_context_parsing_matches_sops(text, kms_arn, aws_env, sops_bin, tmp_path):
    plain = tmp_path / "p.json"
    plain.write_text('{"a": "b"}\n')
    out = run_sops(sops_bin, ["encrypt", "--kms", kms_arn, "--encryption-context", text, str(plain)], aws_env)
    if out.returncode == ExitCode.INVALID_KMS_CONTEXT:
        with pytest.raises(SealfileError, match="Invalid KMS encryption context format") as info:
            parse_context(text)
        assert info.value.exit_code == ExitCode.INVALID_KMS_CONTEXT
        return
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout)["sops"]["kms"][0]["context"] == parse_context(text)


def test_string_forms_follow_sops():
    key = AwsKmsKey.parse(" arn:aws:kms:eu-west-1:1:key/k + arn:aws:iam::1:role/r ")
    assert (key.arn, key.role) == ("arn:aws:kms:eu-west-1:1:key/k", "arn:aws:iam::1:role/r")
    assert key.to_string() == "arn:aws:kms:eu-west-1:1:key/k+arn:aws:iam::1:role/r"
    # only "+arn:aws:iam::" splits (so an aws-cn role stays in the ARN), and only spaces go
    assert AwsKmsKey.parse("arn:aws-cn:kms:r:1:key/k+arn:aws-cn:iam::1:role/r").role == ""
    assert AwsKmsKey.parse("\tarn:aws:kms:r:1:key/k").arn.startswith("\t")
    ctx = AwsKmsKey.parse({"arn": "A", "context": {"b": "2", "a": 1, "c": True}})
    assert ctx.to_string() == "A|a:1,b:2,c:true"
    assert AwsKmsKey("A", "R", (), "prof").to_string() == "A+R||prof"
    assert AwsKmsKey("A", context=(("k", "v"),), aws_profile="p").to_string() == "A|k:v|p"
    assert session_name("my-Host_x.ex^ample.com") == "sops@myHost_x.ex^ample.com"  # as sops 3.11 sends it
    assert session_name("h" * 100) == "sops@" + "h" * 59
    with pytest.raises(SealfileError):
        AwsKmsKey.parse({"arn": "A", "context": {"k": None}})


def test_malformed_arn_and_enc_give_clear_reasons(kms_arn, aws_env):
    with pytest.raises(MasterKeyError, match="no valid ARN found in 'notanarn'"):
        AwsKmsKey.parse("notanarn").wrap(b"k" * 32, KeyContext(aws_env))
    with pytest.raises(SealfileError, match="Could not generate data key.*no valid ARN"):
        _seal(_plain("yaml"), "yaml", "notanarn", aws_env)
    with pytest.raises(MasterKeyError, match="base64"):
        AwsKmsKey(kms_arn).unwrap("not base64!", KeyContext(aws_env))


@pytest.mark.interop
def test_non_string_context_values_in_metadata(kms_arn, aws_env, sops_bin, tmp_path):
    """A hand-edited file with unquoted scalars decrypts like sops (the scalar's text is the value)."""
    target = _sops_encrypt(sops_bin, "yaml", ["--kms", kms_arn, "--encryption-context", "n:1,flag:true"],
                           aws_env, tmp_path)
    text = target.read_text()
    assert '"n": "1"' in text and 'flag: "true"' in text
    target.write_text(text.replace('"n": "1"', '"n": 1').replace('flag: "true"', "flag: true"))
    theirs = run_sops(sops_bin, ["decrypt", str(target)], aws_env)
    ours = run_sealfile(["decrypt", str(target)], aws_env)
    assert theirs.returncode == ours.returncode == 0, ours.stderr.decode()
    assert ours.stdout == theirs.stdout == _expected("yaml")
    target.write_text(text.replace('"n": "1"', '"n": null'))  # sops 3.11 panics on this one
    ours = run_sealfile(["decrypt", str(target)], aws_env)
    assert ours.returncode == ExitCode.GENERIC
    assert b"is null" in ours.stderr and b"Traceback" not in ours.stderr


@pytest.mark.interop
def test_legacy_context_variations(kms_arn, aws_env, sops_bin, tmp_path):
    """Files from sops < 3.3.0 may have sent one context value for every key (sops PR #435)."""
    buggy = _seal(_plain("yaml"), "yaml", {"arn": kms_arn, "context": {"a": "two", "b": "two"}}, aws_env).decode()
    text = buggy.replace("\n            a: two\n", "\n            a: one\n")
    text = text.replace("version: 3.11.0", "version: 3.2.0")
    assert text.count("a: one") == 1
    target = tmp_path / "legacy.yaml"
    target.write_text(text)
    theirs = run_sops(sops_bin, ["decrypt", str(target)], aws_env)
    assert theirs.returncode == 0, theirs.stderr.decode()
    assert theirs.stdout.endswith(_expected("yaml"))  # after sops's notice about the bug, on stdout
    enc = re.search(r"\n          enc: (\S+)\n", text).group(1)
    key = AwsKmsKey(kms_arn, context=(("a", "one"), ("b", "two")))
    ctx = KeyContext(aws_env)
    with pytest.raises(MasterKeyError, match="InvalidCiphertextException"):
        key.unwrap(enc, ctx)
    assert len(key.for_file_version((3, 2, 0)).unwrap(enc, ctx)) == 32  # as read from a sops 3.2 file
    ours = run_sealfile(["decrypt", str(target)], aws_env)  # the metadata's version turns the repair on
    assert ours.returncode == 0, ours.stderr.decode()
    assert ours.stdout == _expected("yaml") and ours.stderr == b""
    target.write_text(text.replace("version: 3.2.0", "version: 3.3.0"))
    assert run_sealfile(["decrypt", str(target)], aws_env).returncode == 128
