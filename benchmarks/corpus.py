"""The files the benchmark times: the same shapes every run, generated (nothing large is committed)."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["small_yaml", "yaml_values", "json_values", "dotenv_lines", "big_yaml"]


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
