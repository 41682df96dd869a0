"""A 1,000-file repository (the one ``benchmarks/check_repo.py`` times): every file checked, every planted
mistake found, nothing else; no key is available to the check."""
from __future__ import annotations

import json
import sys

from conftest import ROOT, make_age_key, run_sealfile

sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import guarded_repo  # noqa: E402


def test_a_thousand_files_are_checked_without_keys(tmp_path, env, monkeypatch):
    key = make_age_key(tmp_path)
    monkeypatch.chdir(tmp_path)
    planted = guarded_repo(tmp_path / "repo", 1000, key.recipient)
    out = run_sealfile(["check", "--format", "json"], env, cwd=tmp_path / "repo")  # env has no key at all
    assert out.returncode == 1, out.stderr.decode()
    doc = json.loads(out.stdout)
    assert doc["files"] == 1000
    found = {}
    for f in doc["findings"]:
        found[f["rule"]] = found.get(f["rule"], 0) + 1
    assert found == planted and planted["secret-in-plaintext"] >= 5 and planted["not-encrypted"] >= 3
