"""Time ``sealfile check`` on a generated repository of 1,000 files, beside the closest thing sops offers.

sops has no repository check; what a script can do with it is ask
``sops filestatus`` about every file (is it encrypted?), one process per
file.  That loop is the side-by-side row: it answers one of the questions
``check`` answers, so the ratio understates what ``check`` does per file.

    python benchmarks/check_repo.py [--files 1000] [--repeat 5] [--no-sops]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import guarded_repo  # noqa: E402


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-sops", action="store_true", help="skip the sops filestatus loop")
    args = parser.parse_args()
    import pyrage

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ident = pyrage.x25519.Identity.generate()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "SEALFILE_"))}
        env["HOME"] = str(work)
        repo = work / "repo"
        planted = guarded_repo(repo, args.files, str(ident.to_public()))
        files = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True).stdout.split()
        sealfile = [shutil.which("sealfile") or sys.executable, *([] if shutil.which("sealfile") else
                                                                  ["-m", "sealfile"])]
        times = []
        for _ in range(args.repeat):
            seconds, out = timed([*sealfile, "check", "--format", "json"], repo, env)
            times.append(seconds)
        doc = json.loads(out.stdout)
        found = {rule: sum(f["rule"] == rule for f in doc["findings"]) for rule in planted}
        ours = statistics.median(times)
        print(f"files: {doc['files']} (git tracks {len(files)}); findings: {len(doc['findings'])}, by rule "
              f"{found} (planted {planted})")
        print(f"sealfile check, no keys: median {ours:.2f} s of {args.repeat} "
              f"({doc['files'] / ours:.0f} files/s; min {min(times):.2f}, max {max(times):.2f})")
        if args.no_sops or not shutil.which("sops"):
            return
        start = time.perf_counter()
        for name in files:
            subprocess.run(["sops", "filestatus", name], cwd=repo, env=env, capture_output=True)
        theirs = time.perf_counter() - start
        print(f"sops filestatus per file (a shell loop): {theirs:.2f} s; ratio sealfile/sops {ours / theirs:.3f}")


if __name__ == "__main__":
    main()
