"""A large YAML file read a region at a time gives exactly what reading it whole gives.

``stores/yaml/regions.py`` cuts a file at top-level keys so that a 50 MB
file's tree never exists at once.  The claim that makes that safe: every
region reads (comments placed) as the whole file's entries would, the
decrypted output is the same bytes, the encrypted output has the same layout
and decrypts to the same values under the same MAC, and whatever the cut
cannot handle is declined so the whole-file path (and its errors) takes over.
The corpus is the generated one of ``test_yaml_comment_placement.py``, cut
at every top-level key it allows (region size 1); the real ``sops`` reads
what the regions write; and the peak memory of the CLI on a large file shows
the regions are really used.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AgeKey, run_sops
from test_yaml_comment_placement import corpus

from sealfile.errors import AlreadyEncrypted, EncryptedFileUnreadable, MacMismatch, SealfileError
from sealfile.operations.decrypt import decrypt
from sealfile.operations.encrypt import encrypt
from sealfile.operations.recipients import Recipients
from sealfile.operations.regions import decrypt_in_regions, encrypt_in_regions
from sealfile.settings import Settings
from sealfile.stores import yaml as yaml_store
from sealfile.stores.yaml import regions

TOKEN = re.compile(r"ENC\[AES256_GCM,[^\]]*\]")


@pytest.fixture
def settings(age_key: AgeKey) -> Settings:
    return Settings.create(env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)})


def _whole_encrypt(text: bytes, settings: Settings, age: AgeKey) -> bytes:
    assert len(text) < yaml_store._LARGE  # small: the whole-file path
    return encrypt(text, settings, input_type="yaml", recipients=Recipients(keys={"age": age.recipient}))


def _region_encrypt(text: bytes, settings: Settings, age: AgeKey, size: int = 1) -> bytes | None:
    store = settings.store("yaml")
    parts = regions.open_regions(text, False, store.indent, size)
    if parts is None:
        return None
    from sealfile.core.selectors import Selector
    from sealfile.operations.encrypt import resolve_keys

    return encrypt_in_regions(parts, store, selector=Selector, mac_only_encrypted=False, layout="3.11",
                              groups=lambda: [resolve_keys([("age", age.recipient)])], threshold=0,
                              keys=settings.keys)


def _region_decrypt(data: bytes, settings: Settings, size: int = 1) -> bytes | None:
    store = settings.store("yaml")
    parts = regions.open_regions(data, True, store.indent, size)
    if parts is None:
        return None
    return decrypt_in_regions(parts, store, settings.keys, settings.decryption_order, verify_mac=True)


def _values_masked(encrypted: bytes) -> str:
    """The encrypted file before its ``sops`` block, every token masked (IVs are random)."""
    text = encrypted.decode("utf-8", "surrogateescape")
    return TOKEN.sub("ENC[…]", text.split("\nsops:\n")[0])


def test_cuts_fall_on_top_level_keys_after_content() -> None:
    text = (b"a: 1\nb:\n    c: 2\n# about d\nd: 3\n\ne: 4\nf: |\n    x\ng: 5 # c\nh: 6\ni: 7\n\n# j\nj: 8\n"
            b"k:\n- x\nl: 9\nm:\n- y\n# n\nn: 10\n")
    starts = regions.cut(text, 1)
    assert starts is not None
    # before "# about d" (content right above it), after the blank line above "e", not after "g: 5 # c", not
    # between a blank line and "# j", after "- x" (no comment), not before "# n" after "- y"
    assert [text[s:s + 2] for s in starts] == [b"a:", b"b:", b"# ", b"e:", b"f:", b"g:", b"i:", b"k:", b"l:",
                                               b"m:"]


@pytest.mark.parametrize("text", [
    b"\xef\xbb\xbfa: 1\nb: 2\n",  # a byte order mark
    b"a: 1\r\nb: 2\r\n",  # CRLF
    b"a: 1\n---\nb: 2\n",  # several documents
    b"%YAML 1.2\n---\na: 1\nb: 2\n",  # a directive
    b"a: &x 1\nb: *x\n",  # an anchor and an alias
    b"a: [1, &x 2]\nb: 2\n",
])
def test_files_that_are_not_cut(text: bytes) -> None:
    assert regions.cut(text, 1) is None


def test_small_files_are_read_whole(settings: Settings) -> None:
    assert settings.store("yaml").regions(b"a: 1\nb: 2\n" * 1000, True) is None


@pytest.mark.parametrize("seed", range(0, 48, 3))
def test_decrypting_in_regions_gives_the_whole_files_bytes(seed: int, settings: Settings, age_key: AgeKey) -> None:
    cut_files = 0
    for text in corpus(seed, 30):
        plain = text.encode()
        try:
            enc = _whole_encrypt(plain, settings, age_key)
        except SealfileError:
            continue
        out = _region_decrypt(enc, settings)
        if out is None:
            continue
        cut_files += 1
        assert out == decrypt(enc, settings, input_type="yaml"), text
    assert cut_files >= 3


@pytest.mark.parametrize("seed", range(1, 48, 3))
def test_encrypting_in_regions_keeps_the_whole_files_layout(seed: int, settings: Settings, age_key: AgeKey) -> None:
    cut_files = 0
    for text in corpus(seed, 30):
        plain = text.encode()
        try:
            whole = _whole_encrypt(plain, settings, age_key)
        except SealfileError:
            assert _region_encrypt(plain, settings, age_key) is None  # declined: the whole path reports it
            continue
        out = _region_encrypt(plain, settings, age_key)
        if out is None:
            continue
        cut_files += 1
        assert _values_masked(out) == _values_masked(whole), text
        # (an encrypted comment that sops cannot place back stays a token, whose IV is random)
        assert (TOKEN.sub("ENC", decrypt(out, settings, input_type="yaml").decode())
                == TOKEN.sub("ENC", decrypt(whole, settings, input_type="yaml").decode()))
    assert cut_files >= 1  # (a region whose layout cannot be spliced sends the file down the whole path)


@pytest.mark.parametrize("text", [
    b"a: |+\n  keep\n\n\nb: 1\nc: x\n",  # a kept block scalar's trailing blank lines stay in its region
    b"a: |\n  clip\n\nb: 1\n",
    b"a: >+\n  fold\n\n\n# c\nb: 1\nd: 2\n",
    b"list:\n- x\n- y\nb: 1\n",
    b"a:\n    b: 1\n    # foot of a?\n# head of c\nc: 2\n\n\nd:\n    - 1\n# e\ne: 3\n",
    b"a: 'multi\n  line'\nb: 1\n",
])
def test_chosen_cuts_read_as_the_whole_file(text: bytes, settings: Settings, age_key: AgeKey) -> None:
    assert regions.cut(text, 1) is not None
    enc = _whole_encrypt(text, settings, age_key)
    assert regions.cut(enc, 1) is not None
    assert _region_decrypt(enc, settings) == decrypt(enc, settings, input_type="yaml")
    out = _region_encrypt(text, settings, age_key)
    assert out is not None
    assert _values_masked(out) == _values_masked(enc)
    assert decrypt(out, settings, input_type="yaml") == decrypt(enc, settings, input_type="yaml")


def test_a_cut_inside_a_quoted_scalar_is_declined(settings: Settings, age_key: AgeKey) -> None:
    """``y"`` at column 0 continues the quoted scalar above it; the region that starts there does not parse."""
    text = b'a: 1\nb: "x\ny"\nc: 1\n'
    assert regions.cut(text, 1) is not None
    enc = _whole_encrypt(text, settings, age_key)
    assert _region_encrypt(text, settings, age_key) is None
    assert decrypt(enc, settings, input_type="yaml") == b"a: 1\nb: x y\nc: 1\n"


def test_a_top_level_key_repeated_in_another_region_is_declined(settings: Settings, age_key: AgeKey) -> None:
    plain = b"a: 1\nb: 2\na: 3\n"
    assert _region_encrypt(plain, settings, age_key) is None


def test_an_encrypted_file_as_plaintext_is_declined(settings: Settings, age_key: AgeKey) -> None:
    enc = _whole_encrypt(b"a: 1\nb: 2\n", settings, age_key)
    assert _region_encrypt(enc, settings, age_key) is None


def test_errors_come_from_the_whole_file_path(settings: Settings, age_key: AgeKey,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """With every file cut, a file whose later region does not parse still fails as sops fails."""
    enc = _whole_encrypt(b"a: x\nb: y\nc: z\n", settings, age_key)
    broken = enc.replace(b"\nc: ", b"\nc: : ", 1)
    monkeypatch.setattr(yaml_store, "_LARGE", 0)
    monkeypatch.setattr(regions, "REGION", 1)
    with pytest.raises(EncryptedFileUnreadable) as caught:
        decrypt(broken, settings, input_type="yaml")
    assert "Error unmarshalling input yaml" in caught.value.message
    with pytest.raises(AlreadyEncrypted):
        encrypt(enc, settings, input_type="yaml", recipients=Recipients(keys={"age": "age1x"}))
    # a value removed: the MAC does not match, with regions as without
    missing = re.sub(rb"\nb: ENC\[[^\]]*\]", b"", enc)
    assert missing != enc
    with pytest.raises(MacMismatch):
        decrypt(missing, settings, input_type="yaml")


def _big_plaintext(sections: int) -> bytes:
    """Top-level sections with comments above some of them and inside them (above keys, inline),
    lists, quoted and block scalars, and blank lines now and then (where no cut can go)."""
    lines = ["# generated settings"]
    for s in range(sections):
        if s % 5 == 4:
            lines.append("")
        if s % 3 == 0:
            lines.append(f"# section {s}")
        lines.append(f"section_{s}:")
        for i in range(40):
            if i % 10 == 0:
                lines.append(f"    # group {i // 10}")
            tail = "  # inline" if i % 7 == 0 else ""
            lines.append(f"    key_{i}: value-{s}-{i}{tail}")
        lines += ["    list:", "        - one", "        - 2", '    quoted: "a # b"', "    block: |",
                  "        line one", "        line two"]
    lines.append("# the end")
    return ("\n".join(lines) + "\n").encode()


def test_sops_reads_what_the_regions_write(sops_bin: str, settings: Settings, age_key: AgeKey,
                                           tmp_path: Path) -> None:
    plain = _big_plaintext(300)
    out = _region_encrypt(plain, settings, age_key, size=16 << 10)
    assert out is not None
    path = tmp_path / "big.yaml"
    path.write_bytes(out)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    theirs = run_sops(sops_bin, ["decrypt", str(path)], env)
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == decrypt(_whole_encrypt(plain, settings, age_key), settings, input_type="yaml")
    # and what sops wrote decrypts in regions to sops's own bytes
    mine = tmp_path / "plain.yaml"
    mine.write_bytes(plain)
    enc = run_sops(sops_bin, ["encrypt", "--age", age_key.recipient, str(mine)], env)
    assert enc.returncode == 0, enc.stderr
    assert _region_decrypt(enc.stdout, settings, size=16 << 10) == theirs.stdout


def _peak_mb(args: list[str], env: dict[str, str], cwd: Path, stdout: Path) -> float:
    with open(stdout, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sealfile", *args], env=env, cwd=cwd, stdout=out,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read() if proc.stderr else b""
    return usage.ru_maxrss / 1024


def test_a_large_file_never_holds_its_whole_tree(tmp_path: Path, age_key: AgeKey, env: dict[str, str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """12 MB of YAML (48 MB encrypted): read whole, the encrypted tree alone is about 100 MB."""
    plain = tmp_path / "big.yaml"
    plain.write_bytes(_big_plaintext(8_000))
    size_mb = plain.stat().st_size / 2**20
    assert size_mb > 8
    env = {**env, "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    enc = tmp_path / "big.enc.yaml"
    peak_enc = _peak_mb(["encrypt", "--age", age_key.recipient, str(plain)], env, tmp_path, enc)
    peak_dec = _peak_mb(["decrypt", str(enc)], env, tmp_path, tmp_path / "out.yaml")
    enc_mb = enc.stat().st_size / 2**20
    settings = Settings.create(env={"SOPS_AGE_KEY_FILE": str(age_key.key_file)})
    monkeypatch.setattr(yaml_store, "_LARGE", 1 << 40)  # the whole-file path, for comparison
    assert (tmp_path / "out.yaml").read_bytes() == decrypt(enc.read_bytes(), settings, input_type="yaml")
    # the input, the output and one region (plus the interpreter), far below the whole tree's cost
    assert peak_enc < 60 + size_mb + 1.5 * enc_mb, (peak_enc, size_mb, enc_mb)
    assert peak_dec < 60 + 1.5 * enc_mb + size_mb, (peak_dec, size_mb, enc_mb)
