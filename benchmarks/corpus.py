"""The files the benchmark times: the same shapes every run, generated (nothing large is committed)."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["small_yaml", "yaml_values", "json_values", "dotenv_lines", "big_yaml", "guarded_repo"]


def small_yaml(path: Path) -> Path:
    """A hand-written service config: comments, a nested map, a flow list, an unencrypted key."""
    path.write_text("# service config\ndb:\n  user: app # login\n  password: s3cr3t\n  port: 5432\n"
                    "features: [a, b, c]\ntoken_unencrypted: visible\n")
    return path


def _value(section: int, key: int) -> str:
    return f"value-{section}-{key}" if key % 3 else str(section * 1000 + key)


def yaml_values(path: Path, n: int, comments: bool = True) -> Path:
    """``n`` values in sections of 100, with a comment above each entry when ``comments``."""
    per = min(n, 100)
    lines = []
    for s in range(max(1, n // per)):
        lines.append(f"section{s}:")
        for k in range(per):
            if comments:
                lines.append(f"    # setting {k} of section {s}")
            lines.append(f"    key{k}: {_value(s, k)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def json_values(path: Path, n: int) -> Path:
    per = min(n, 100)
    doc = {f"section{s}": {f"key{k}": (_value(s, k) if k % 3 else s * 1000 + k) for k in range(per)}
           for s in range(max(1, n // per))}
    path.write_text(json.dumps(doc, indent=2))
    return path


def dotenv_lines(path: Path, n: int) -> Path:
    path.write_text("".join(f"KEY_{i}=value-{i}\n" for i in range(n)))
    return path


def big_yaml(path: Path, size: int) -> Path:
    """A YAML file of about ``size`` bytes: sections of 100 keys, a comment every 10 entries."""
    with open(path, "w") as fh:
        written, s = 0, 0
        while written < size:
            chunk = [f"section{s}:"]
            for k in range(100):
                if k % 10 == 0:
                    chunk.append(f"    # group {k // 10} of section {s}")
                chunk.append(f"    key{k}: {_value(s, k)}-{'x' * 20}")
            text = "\n".join(chunk) + "\n"
            fh.write(text)
            written += len(text)
            s += 1
    return path


def guarded_repo(root: Path, n: int, recipient: str) -> dict[str, int]:
    """A repository of ``n`` files as ``sealfile check`` meets them: a config with two rules, a third of the
    files encrypted (YAML, JSON and dotenv, sealfile's in-process API), the rest plain service configs,
    lockfile-style hashes and docs; one file in 50 holds a token, one in 100 is a rule's file left plain.

    Returns how many of each mistake were planted (the findings ``check`` must give).
    """
    import hashlib
    import subprocess

    import sealfile

    root.mkdir(parents=True, exist_ok=True)
    (root / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: ^k8s/.*\\.yaml$\n"
                                     f"    encrypted_regex: ^(data|stringData)$\n    age: {recipient}\n"
                                     f"  - path_regex: ^secrets/\n    age: {recipient}\n")
    planted = {"secret-in-plaintext": 0, "not-encrypted": 0}
    for i in range(n - 1):
        kind = i % 3
        if kind == 0 and i % 100 != 0:
            name, fmt = (f"k8s/app{i}.yaml", "yaml") if i % 2 else (f"secrets/svc{i}.json", "json")
            text = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app{i}\nstringData:\n"
                    f"  password: pw-{i}-{hashlib.sha256(str(i).encode()).hexdigest()[:16]}\n" if fmt == "yaml"
                    else json.dumps({"user": f"svc{i}", "password": f"pw-{i}", "port": 5432 + i}))
            data = sealfile.encrypt_data(text.encode(), input_type=fmt, filename=str(root / name),
                                         config=str(root / ".sops.yaml"))  # the rule's keys and selector
        elif kind == 0:
            name, data = f"secrets/forgotten{i}.yaml", f"password: pw-{i}\n".encode()
            planted["not-encrypted"] += 1
        elif kind == 1:
            token = ("gh" + "p_" + hashlib.sha256(str(i).encode()).hexdigest()[:36]) if i % 50 == 1 else "none"
            planted["secret-in-plaintext"] += token != "none"
            name = f"services/svc{i}/config.yaml"
            data = (f"# service {i}\nservice:\n  name: svc{i}\n  replicas: {i % 5 + 1}\n  image: "
                    f"registry.example.com/svc{i}@sha256:{hashlib.sha256(str(i).encode()).hexdigest()}\n"
                    f"  ci_token: {token}\n  features: [a, b, c]\n").encode()
        else:
            name = f"docs/page{i}.md" if i % 2 else f"lock/pkg{i}.lock"
            data = (f"# Page {i}\n\nSee https://example.com/{i} and id {i:08x}-0000-4000-8000-{i:012x}.\n"
                    if i % 2 else f"pkg{i} 1.0.{i} sha512-{hashlib.sha512(str(i).encode()).hexdigest()}\n").encode()
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return planted
