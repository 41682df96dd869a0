"""How the reporting commands write their results: ``check`` findings as text, JSON or SARIF 2.1.0 (GitHub
code scanning), ``access`` rows as a table, JSON or CSV.

These are report outputs, not file formats: the one place their names
live.  Reports hold no values (findings never carry one), so every output is
safe to print in CI logs and to upload.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any, Callable

from .. import __version__

__all__ = ["CHECK_WRITERS", "ACCESS_WRITERS", "LOG_OUTPUTS", "as_text", "as_json", "as_sarif"]

#: ``sealfile log``'s outputs (the history operation renders them)
LOG_OUTPUTS = ("text", "json")

_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning"}


def _path(finding: Any) -> str | None:
    from ..errors import format_key_path

    return format_key_path(finding.key_path) if finding.key_path else None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def as_text(report: Any) -> str:
    lines = []
    for f in report.findings:
        fix = f" (fix: {f.fix})" if f.fix else ""
        lines.append(f"{f.location()}: {f.severity}: {f.rule}: {f.message}{fix}")
    errors = sum(f.severity == "error" for f in report.findings)
    lines.append(f"{_count(report.files, 'file')} checked: {_count(len(report.findings), 'finding')} "
                 f"({_count(errors, 'error')}, {_count(len(report.findings) - errors, 'warning')})")
    return "\n".join(lines) + "\n"


def as_json(report: Any) -> str:
    doc = {"files": report.files, "config": report.config,
           "findings": [{"file": f.file, "line": f.line, "key_path": _path(f), "rule": f.rule,
                         "severity": f.severity, "message": f.message, "fix": f.fix} for f in report.findings]}
    return json.dumps(doc, indent=2) + "\n"


def as_sarif(report: Any) -> str:
    from .. import api

    RULES = api.check_rules()
    used = sorted({f.rule for f in report.findings} | set(RULES))
    rules = [{"id": rule, "name": rule.replace("-", " ").title().replace(" ", ""),
              "shortDescription": {"text": RULES[rule][1]},
              "defaultConfiguration": {"level": _LEVEL[RULES[rule][0]]}} for rule in used]
    results = []
    for f in report.findings:
        region = {"startLine": f.line} if f.line else {"startLine": 1}
        text = f.message + (f" at {_path(f)}" if _path(f) else "") + (f" (fix: {f.fix})" if f.fix else "")
        fingerprint = hashlib.sha256(f"{f.file}\0{f.rule}\0{_path(f)}".encode()).hexdigest()
        results.append({"ruleId": f.rule, "ruleIndex": used.index(f.rule), "level": _LEVEL[f.severity],
                        "message": {"text": text},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.file},
                                                            "region": region}}],
                        "partialFingerprints": {"sealfileFinding/v1": fingerprint}})
    doc = {"$schema": _SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "sealfile", "version": __version__,
                                         "informationUri": "https://github.com/getsops/sops", "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def access_table(rows: list[dict[str, Any]]) -> str:
    """Aligned columns: file, key type, recipient (and its user id), and what it takes to decrypt."""
    table = [("FILE", "TYPE", "RECIPIENT", "DECRYPTS")]
    for r in rows:
        who = r["recipient"] + (f" ({r['label']})" if r["label"] else "")
        groups = ", ".join(map(str, r["groups"]))
        verdict = "alone" if r["alone"] else f"with others: {r['needs_groups']} groups needed, it is in {groups}"
        table.append((r["file"], r["key_type"], who, verdict))
    if len(table) == 1:
        return "no recipients found\n"
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3] + "\n"
                   for row in table)


def access_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2) + "\n"


def access_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["file"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({**r, "groups": " ".join(map(str, r["groups"]))} for r in rows)
    return out.getvalue()


CHECK_WRITERS: dict[str, Callable[[Any], str]] = {"text": as_text, "json": as_json, "sarif": as_sarif}
ACCESS_WRITERS: dict[str, Callable[[list[dict[str, Any]]], str]] = {
    "table": access_table, "json": access_json, "csv": access_csv}
