"""Start-up: each command imports what it needs and nothing more (goals of the performance issue).

``--version`` and ``--help`` load no cryptography and no YAML parser; a
plain ``decrypt`` (and sops's legacy ``-d``, as helm-secrets runs it) is
parsed without click; and the click-free parser accepts exactly what the
click command accepts, with the same values.
"""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from typing import Any

import pytest

from conftest import VECTORS

CRYPTO_AND_YAML = ("cryptography", "ruamel", "_ruamel_yaml", "pyrage")


def _loaded(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, set[str]]:
    code = ("import sys, atexit\n"
            "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sorted(sys.modules)) + '\\n'))\n"
            "from sealfile.cli import main\n"
            f"main({args!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    line = next(l for l in proc.stderr.splitlines() if l.startswith("MODULES "))
    return proc, set(line.split()[1:])


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["help", "encrypt"], ["decrypt", "--help"]])
def test_version_and_help_load_no_crypto_or_yaml(args, env):
    proc, modules = _loaded(args, env)
    assert "sealfile" in proc.stdout
    assert not {m for m in modules if m.split(".")[0] in CRYPTO_AND_YAML}


def test_version_loads_nothing_of_the_cli(env):
    proc, modules = _loaded(["--version"], env)
    assert proc.stdout.startswith("sealfile ") and "click" not in modules and "sealfile.api" not in modules


@pytest.mark.parametrize("args", [
    ["decrypt", str(VECTORS / "age.enc.yaml")],
    ["-d", "--input-type", "yaml", "--output-type", "yaml", str(VECTORS / "age.enc.yaml")],  # helm-secrets
    ["--decrypt", "--extract", '["db"]', str(VECTORS / "age.enc.yaml")],
])
def test_plain_decrypt_does_not_load_click(args, env):
    env["SOPS_AGE_KEY_FILE"] = str(VECTORS / "TEST-ONLY-age-key.txt")
    proc, modules = _loaded(args, env)
    assert proc.returncode == 0, proc.stderr
    assert "click" not in modules and "sealfile.cli.app" not in modules
    assert proc.stdout


def test_plain_encrypt_does_not_load_click(env, tmp_path):
    env["SOPS_AGE_KEY_FILE"] = str(VECTORS / "TEST-ONLY-age-key.txt")
    plain = tmp_path / "app.yaml"
    plain.write_text("db:\n    password: hunter2\n")
    recipient = _recipient()
    for args in (["encrypt", "--age", recipient, str(plain)], ["-e", "-a", recipient, str(plain)]):
        proc, modules = _loaded(args, env)
        assert proc.returncode == 0, proc.stderr
        assert "click" not in modules and "sealfile.cli.app" not in modules
        assert "password: ENC[AES256_GCM," in proc.stdout and "hunter2" not in proc.stdout


def _recipient() -> str:
    text = (VECTORS / "TEST-ONLY-age-key.txt").read_text()
    return next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("# public key:"))


ACCEPTED = [
    ["decrypt", "f.yaml"],
    ["decrypt", "--output", "out.yaml", "--input-type", "json", "--output-type=dotenv", "f.yaml"],
    ["decrypt", "-o", "x", "-i", "--ignore-mac", "--indent", "3", "--extract", '["a"][0]', "f"],
    ["decrypt", "--config=c.yaml", "--decryption-order", "pgp,age", "--filename-override", "n.json", "-"],
    ["decrypt"],
    ["-d", "f.yaml"],
    ["--input-type", "yaml", "--decrypt", "--output-type", "yaml", "f.yaml"],
]
REFUSED = [
    ["decrypt", "--help"], ["decrypt", "a", "b"], ["decrypt", "--unknown", "f"], ["decrypt", "--indent", "x", "f"],
    ["decrypt", "--input-type", "toml", "f"], ["decrypt", "--output"], ["decrypt", "-io", "x", "f"],
    ["decrypt", "--ignore-mac=1", "f"], ["decrypt", "--output", "a", "--output", "b", "f"],
    ["-d", "-e", "f"], ["-d", "-d", "f"], ["encrypt", "f"], ["f.yaml"], [], ["--config", "c", "decrypt", "f"],
]


ENCRYPT_ACCEPTED = [
    ["encrypt", "f.yaml"],
    ["encrypt", "--age", "age1x,age1y", "-p", "FP", "--kms", "arn:k", "--aws-profile", "prod", "f.yaml"],
    ["encrypt", "--encryption-context", "a:b", "--shamir-secret-sharing-threshold", "2", "--gcp-kms=r", "f"],
    ["encrypt", "-i", "--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted", "f.yaml"],
    ["encrypt", "--unencrypted-suffix", "_pt", "--output-type", "json", "-o", "out.json", "f.yaml"],
    ["encrypt", "--reuse", "old.enc.yaml", "new.yaml"],
    ["encrypt", "--filename-override", "x.env", "--hc-vault-transit", "http://v/v1/t/keys/k", "-"],
    ["-e", "-a", "age1x", "-i", "f.yaml"],
    ["--encrypt", "--input-type", "dotenv", "--azure-kv", "https://v/keys/k/1", "f"],
]
ENCRYPT_REFUSED = [
    ["encrypt", "--help"], ["encrypt", "a", "b"], ["encrypt", "--age"], ["encrypt", "--nope", "f"],
    ["encrypt", "--shamir-secret-sharing-threshold", "-1", "f"], ["encrypt", "--age", "a", "--age", "b", "f"],
    ["encrypt", "--mac-only-encrypted=yes", "f"], ["-e", "--reuse", "old", "f"], ["-e", "-r", "f"],
    ["-e", "-e", "f"], ["-e", "-d", "f"], ["--mac-only-encrypted", "encrypt", "f"], ["f", "-e"],
    ["encrypt", "--input-type", "toml", "f"],
]


def _clicked(args: list[str]) -> tuple[str, Any, dict[str, Any]]:
    """What click makes of ``args``: the command's name, FILE and the options given (or from the environment)."""
    from sealfile.cli.app import cli

    root = cli.make_context("sealfile", list(args), resilient_parsing=False)
    with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 9.0 keeps everything in args
        warnings.simplefilter("ignore", DeprecationWarning)
        remaining = [*getattr(root, "protected_args", []), *root.args]
    sub_name = remaining[0]
    sub = cli.get_command(root, sub_name)
    sub_ctx = sub.make_context(sub_name, remaining[1:], parent=root)
    clicked = {k: v for k, v in sub_ctx.params.items() if v not in (None, False)}
    return sub_name, clicked.pop("file", None), clicked


@pytest.mark.parametrize("args", ENCRYPT_ACCEPTED)
def test_the_fast_parser_reads_an_encrypt_line_as_click_does(args, monkeypatch):
    from sealfile.cli.fast import parse_fast

    for name in os.environ:
        if name.startswith(("SOPS_", "SEALFILE_")):
            monkeypatch.delenv(name)
    parsed = parse_fast(args)
    assert parsed is not None and parsed[0] == "encrypt"
    _, command, file, values = parsed
    sub_name, expected_file, clicked = _clicked(args)
    if command == "legacy":
        assert clicked.pop("do_encrypt") is True
    assert (command, file, values) == (sub_name, expected_file, clicked)


def test_recipients_from_the_environment_reach_both_parsers_alike(monkeypatch):
    from sealfile.cli.fast import parse_fast

    monkeypatch.setenv("SOPS_AGE_RECIPIENTS", "age1fromsops")
    monkeypatch.setenv("SEALFILE_PGP_FP", "FPSEALFILE")
    monkeypatch.setenv("SOPS_PGP_FP", "FPSOPS")
    monkeypatch.setenv("SEALFILE_KMS_ARN", "")  # empty: unset, as click reads it
    args = ["encrypt", "f.yaml"]
    _, _, _, values = parse_fast(args)
    assert values == {"key_age": "age1fromsops", "key_pgp": "FPSEALFILE"}
    assert _clicked(args)[2] == values
    # a flag beats the variable in both
    _, _, _, values = parse_fast(["encrypt", "--age", "age1flag", "f.yaml"])
    assert values["key_age"] == "age1flag" == _clicked(["encrypt", "--age", "age1flag", "f.yaml"])[2]["key_age"]


@pytest.mark.parametrize("args", ENCRYPT_REFUSED)
def test_the_fast_parser_leaves_other_encrypt_lines_to_click(args):
    from sealfile.cli.fast import parse_fast

    assert parse_fast(args) is None


@pytest.mark.parametrize("args", ACCEPTED)
def test_the_fast_parser_reads_a_line_as_click_does(args):
    from sealfile.cli.app import cli
    from sealfile.cli.fast import parse_decrypt

    parsed = parse_decrypt(args)
    assert parsed is not None
    command, file, values = parsed
    root = cli.make_context("sealfile", list(args), resilient_parsing=False)
    with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 9.0 keeps everything in args
        warnings.simplefilter("ignore", DeprecationWarning)
        remaining = [*getattr(root, "protected_args", []), *root.args]
    sub_name = remaining[0]
    sub = cli.get_command(root, sub_name)
    sub_ctx = sub.make_context(sub_name, remaining[1:], parent=root)
    clicked = {k: v for k, v in sub_ctx.params.items() if v not in (None, False)}
    expected_file = clicked.pop("file", None)
    if command == "legacy":
        clicked = {k: v for k, v in clicked.items() if k in values or k == "do_decrypt"}
        clicked.pop("do_decrypt")
    assert (command, file, values) == ("decrypt" if sub_name == "decrypt" else "legacy", expected_file, clicked)


@pytest.mark.parametrize("args", REFUSED)
def test_the_fast_parser_leaves_anything_else_to_click(args):
    from sealfile.cli.fast import parse_decrypt

    assert parse_decrypt(args) is None
