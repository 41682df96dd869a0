"""A plain age decrypt must not pay for cloud SDKs or python-gnupg."""
from __future__ import annotations

import subprocess
import sys

from conftest import VECTORS

HEAVY = ("boto3", "botocore", "google", "azure", "gnupg", "hvac")


def test_age_decrypt_imports_no_sdk():
    code = (
        "import sys, os\n"
        f"os.environ['SOPS_AGE_KEY_FILE'] = {str(VECTORS / 'TEST-ONLY-age-key.txt')!r}\n"
        "import sealfile\n"
        f"out = sealfile.decrypt_file({str(VECTORS / 'age.enc.json')!r})\n"
        "assert 'token_unencrypted' in out\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.split()
    assert "sealfile.keys.age" in loaded
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    assert "click" not in loaded  # the library does not need the CLI layer


CLOUD_ENTRIES = """\
    kms:
        - arn: arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000
          created_at: "2026-11-28T00:00:00Z"
          enc: AQICAHh0ZXN0
          aws_profile: ""
    gcp_kms:
        - resource_id: projects/p/locations/global/keyRings/r/cryptoKeys/k
          created_at: "2026-11-28T00:00:00Z"
          enc: CiQAdGVzdA==
    azure_kv:
        - vault_url: https://example.vault.azure.net
          name: k
          version: 0123456789abcdef0123456789abcdef
          created_at: "2026-11-28T00:00:00Z"
          enc: dGVzdA
    hc_vault:
        - vault_address: http://127.0.0.1:9
          engine_path: transit
          key_name: k
          created_at: "2026-11-28T00:00:00Z"
          enc: vault:v1:dGVzdA==
"""


def _with_cloud_entries(tmp_path, age_key, only_cloud: bool = False):
    """An age-encrypted file whose metadata also names one key of every cloud type."""
    import sealfile

    blob = sealfile.encrypt_data(b"db:\n    password: s3cret\n", input_type="yaml", age=age_key.recipient,
                                 config=False).decode()
    head, sep, tail = blob.partition("sops:\n")
    assert sep, blob
    if only_cloud:  # drop the age entry: the cloud keys are the only way in
        start = tail.index("    age:\n")
        end = tail.index("    lastmodified:")
        tail = tail[:start] + tail[end:]
    path = tmp_path / "cloud.enc.yaml"
    path.write_text(head + sep + CLOUD_ENTRIES + tail)
    return path


def test_importtime_of_age_decrypt_shows_no_cloud_sdk(tmp_path, age_key):
    """``python -X importtime``, as the issue asks: the CLI decrypting with age loads no SDK,
    even though the file also names KMS, GCP, Azure and Vault keys (age is tried first)."""
    path = _with_cloud_entries(tmp_path, age_key)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": str(age_key.key_file)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sealfile", "decrypt", str(path)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "db:\n    password: s3cret\n"
    modules = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
               if line.startswith("import time:") and "|" in line]
    assert "sealfile.keys.age" in modules and len(modules) > 50
    heavy = [m for m in modules if m.split(".")[0] in HEAVY]
    assert heavy == []


_BLOCK_SDKS = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('boto3', 'botocore', 'azure') or name.startswith('google.cloud'):\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "sys.meta_path.insert(0, Block())\n"
    "sys.argv = ['sealfile'] + sys.argv[1:]\n"
    "from sealfile.cli import main\n"
    "main()\n"
)


def test_missing_sdk_names_the_extra_to_install(tmp_path, age_key):
    """Without boto3 / google-cloud-kms / azure the report says which extra to install."""
    path = _with_cloud_entries(tmp_path, age_key, only_cloud=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VAULT_TOKEN": "t"}
    proc = subprocess.run([sys.executable, "-c", _BLOCK_SDKS, "decrypt", str(path)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 128, proc.stderr
    assert "Traceback" not in proc.stderr
    report = " ".join(proc.stderr.replace("|", " ").split())  # the report wraps long reasons
    for extra in ("aws", "gcp", "azure"):
        assert f"pip install 'sealfile[{extra}]'" in report, proc.stderr
    (tmp_path / "plain.yaml").write_text("a: 1\n")
    enc = subprocess.run([sys.executable, "-c", _BLOCK_SDKS, "encrypt", "--kms",
                          "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000",
                          str(tmp_path / "plain.yaml")], capture_output=True, text=True, timeout=60,
                         env=env, cwd=tmp_path)
    assert enc.returncode == 1, enc.stderr
    assert enc.stdout == ""
    assert "pip install 'sealfile[aws]'" in enc.stderr and "Traceback" not in enc.stderr
    assert len(enc.stderr.strip().splitlines()) == 1
