"""A real ``moto_server`` (AWS KMS and STS emulator) on 127.0.0.1, once per session.

The server binds port 0 and the harness reads the port it printed; its log
goes to a file (a pipe nobody drains would stall it).  Clients reach it only
through explicit endpoint settings, and :meth:`MotoServer.env` also points
``HTTPS_PROXY`` at a closed local port, so a client that ignored the endpoint
would fail on the loopback interface instead of calling real AWS.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from servers.net import closed_port

__all__ = ["MotoServer", "moto_server", "closed_port", "ConnectionCounter", "ACCOUNT", "ROLE_ARN"]

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sealfile-test"
DUMMY_KEY_ID = "AKIDSEALFILETEST0000"
DUMMY_SECRET = "sealfile-test-secret-not-real"
_STARTUP = 30.0



@dataclass
class ConnectionCounter:
    """A loopback listener that accepts connections and drops them at once: a broken KMS."""

    connections: int = 0
    _sock: socket.socket = field(default_factory=socket.socket, repr=False)

    def __enter__(self) -> "ConnectionCounter":
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __exit__(self, *exc: Any) -> None:
        self._sock.close()


@dataclass
class MotoServer:
    url: str
    process: subprocess.Popen
    log: Path

    def client(self, service: str, region: str = "us-east-1") -> Any:
        import boto3

        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id=DUMMY_KEY_ID, aws_secret_access_key=DUMMY_SECRET)

    def create_key(self, region: str = "us-east-1") -> str:
        return self.client("kms", region).create_key(Description="sealfile test")["KeyMetadata"]["Arn"]

    def assumed_roles(self) -> list[dict[str, Any]]:
        """Every STS AssumeRole moto has served (its internal state, via /moto-api/)."""
        with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=10) as resp:
            data = json.load(resp)
        return list((data.get("sts") or {}).get("AssumedRole") or [])

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        """A clean environment (see conftest.clean_env) that reaches this server and nothing else."""
        from conftest import clean_env

        guard = f"http://127.0.0.1:{closed_port()}"
        aws = home / ".aws-none"
        env = clean_env(home, AWS_ENDPOINT_URL=self.url, AWS_ACCESS_KEY_ID=DUMMY_KEY_ID,
                        AWS_SECRET_ACCESS_KEY=DUMMY_SECRET, AWS_REGION="us-east-1",
                        AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=str(aws / "config"),
                        AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
                        HTTPS_PROXY=guard, HTTP_PROXY=guard)
        for name in ("NO_PROXY", "no_proxy", "https_proxy", "http_proxy", "AWS_CA_BUNDLE"):
            env.pop(name, None)
        env.update(extra)
        return env


def _wait_for_port(log: Path, process: subprocess.Popen, deadline: float) -> int:
    while time.monotonic() < deadline:
        match = re.search(r"Running on http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("moto_server did not start: " + log.read_text(errors="replace")[-2000:])


def _wait_until_answering(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto_server at {url} does not answer")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    binary = shutil.which("moto_server")
    if binary is None:
        pytest.fail("moto_server is not installed (pip install 'moto[server]')")
    workdir = Path(tempfile.mkdtemp(prefix="sealfile-moto-"))
    log = workdir / "moto.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", "0"], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env, cwd=workdir)
    try:
        deadline = time.monotonic() + _STARTUP
        url = f"http://127.0.0.1:{_wait_for_port(log, process, deadline)}"
        _wait_until_answering(url, deadline)
        yield MotoServer(url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
