"""What sealfile writes for a YAML file always reads back, by sealfile and by the real sops.

The layout-keeping splice (``stores/yaml/splice.py``) and, where it
declines, the go-yaml encoder write the encrypted file.  Two corpus files
once came out unreadable: a comment go-yaml gives an outer list while it
sits among an inner list's lines (the splice wrote its ``- ENC[...]`` item
there), and a comment indented deeper than the key after it, which the
go-yaml port placed where sops does not, so the encoder wrote ``{}`` at
column 0.  The splice now declines the first; the second is refused with
exit 4 and one line, and ``encrypt -i`` leaves the plaintext as it was.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AgeKey, run_sops
from test_yaml_comment_placement import corpus

from sealfile.errors import SealfileError
from sealfile.operations.decrypt import decrypt
from sealfile.operations.encrypt import encrypt
from sealfile.operations.recipients import Recipients
from sealfile.settings import Settings


@pytest.fixture
def settings(age_key: AgeKey) -> Settings:
    return Settings.create(env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)}, config=False)


def _whole_encrypt(text: bytes, settings: Settings, age: AgeKey) -> bytes:
    return encrypt(text, settings, input_type="yaml", recipients=Recipients(keys={"age": age.recipient}))


@pytest.mark.parametrize("seed", [173, 197])
def test_corpus_files_encrypted_keeping_their_layout_decrypt(seed: int, sops_bin: str, settings: Settings,
                                                           age_key: AgeKey, tmp_path: Path) -> None:
    """Seed 197 holds a comment go-yaml gives to an outer list while it sits among an inner list's lines:
    the splice once wrote its ``- ENC[...]`` item there, cutting the inner list in two (neither tool could
    read the file).  Every file of these seeds that encrypts must decrypt, by sealfile and by sops (their
    outputs can differ here: sops 3.11 reads an empty comment in a list back as an item ``""``)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    checked = 0
    for n, text in enumerate(corpus(seed, 30)):
        try:
            enc = _whole_encrypt(text.encode(), settings, age_key)
        except SealfileError:
            continue
        assert decrypt(enc, settings, input_type="yaml")
        path = tmp_path / f"f{n}.yaml"
        path.write_bytes(enc)
        theirs = run_sops(sops_bin, ["decrypt", str(path)], env)
        assert theirs.returncode == 0, (text, theirs.stderr)
        checked += 1
    assert checked >= 10


#: the part of corpus seed 137 that made the encoder write text that no longer parses
DEEPER_COMMENT = (
    "list3:\n  # 'q' \"d\"\n  # 'q' \"d\"\n\n    port59:  # - item\n      # ---\n      # key: value\n"
    "      # 'q' \"d\"\n      - [a, {b: c}] # ---\n      #\n\n        # \u00e9t\u00e9 \u65e5\n    x50: {}\n"
    "    # two # hashes\n    list6: |\n      # not a comment\n      text\n# \u00e9t\u00e9 \u65e5\n"
    "# two # hashes\n")


def test_a_file_that_would_not_read_back_is_refused(tmp_path: Path, age_key: AgeKey, env: dict[str, str]) -> None:
    plain = tmp_path / "odd.yaml"
    plain.write_text(DEEPER_COMMENT, encoding="utf-8")
    before = plain.read_bytes()
    env = {**env, "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    proc = subprocess.run([sys.executable, "-m", "sealfile", "encrypt", "-i", "--age", age_key.recipient,
                           str(plain)], env=env, cwd=tmp_path, capture_output=True)
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "odd.yaml" in lines[0] and "would not read back" in lines[0]
    assert b"Traceback" not in proc.stderr
    assert plain.read_bytes() == before  # nothing lost
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["age.txt", "odd.yaml"]
