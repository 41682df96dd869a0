"""The README's two commands work as written (safety issue, "The README on a fresh machine").

The quick start must leave nothing in the directory it is run from (it used
to leave a private key and a plaintext file in the checkout), and the test
command must be the one CI runs.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from conftest import ROOT


def _code_block_after(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1]
    m = re.search(r"```sh\n(.*?)\n```", section, re.S)
    assert m, f"no sh block under {heading}"
    return m.group(1).strip()


def test_test_command_is_the_ci_script():
    assert _code_block_after("Running the tests") == "bash .ci/run"
    script = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install" in script and "pip install" in script and "pytest" in script


def test_quick_start_leaves_nothing_behind(tmp_path, env):
    command = _code_block_after("Quick start")
    assert command.startswith("pip install . && ")
    demo = command[len("pip install . && "):]  # sealfile is installed already
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env["TMPDIR"] = str(temp)
    assert shutil.which("sealfile", path=env.get("PATH")), "the sealfile console script is not on PATH"
    out = subprocess.run(["bash", "-c", demo], cwd=checkout, env=env, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    stdout = out.stdout.decode()
    assert "ENC[AES256_GCM,data:" in stdout and stdout.rstrip().endswith("password: s3cr3t")
    assert os.listdir(checkout) == []
    assert os.listdir(temp) == []
