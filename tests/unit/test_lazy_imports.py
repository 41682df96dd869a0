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
