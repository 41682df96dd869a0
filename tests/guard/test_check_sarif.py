"""`check --format sarif` against SARIF 2.1.0 (a hand-written subset schema) and GitHub code scanning's needs."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from repo_builder import build_repo

SCHEMA = json.loads((Path(__file__).parent / "sarif-2.1.0-subset.schema.json").read_text())


@pytest.fixture
def sarif(tmp_path, env, monkeypatch):
    repo = build_repo(tmp_path, env, monkeypatch)
    out = repo.run("check", "--format", "sarif")
    assert out.returncode == 1, out.stderr.decode()
    return repo, json.loads(out.stdout)


def test_the_log_validates_against_the_schema(sarif):
    repo, doc = sarif
    jsonschema.validate(doc, SCHEMA, format_checker=jsonschema.FormatChecker())
    results = doc["runs"][0]["results"]
    assert len(results) == len(repo.expected)
    got = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results}
    assert got == {(f, rule, line or 1) for f, rule, _, line in repo.expected}


def test_the_schema_rejects_what_code_scanning_would_reject(sarif):
    """The schema is not vacuous: each mutation GitHub refuses fails validation."""
    _, doc = sarif
    mutations = [
        lambda d: d.update(version="2.0.0"),
        lambda d: d["runs"][0]["results"][0].pop("message"),
        lambda d: d["runs"][0]["results"][0].update(level="fatal"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(startLine=0),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"].update(
            uri="/abs/path"),
        lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
        lambda d: d["runs"][0]["results"][0].update(value="leak"),
    ]
    for mutate in mutations:
        bad = copy.deepcopy(doc)
        mutate(bad)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA, format_checker=jsonschema.FormatChecker())


def test_rule_catalogue_indexes_and_fingerprints(sarif):
    _, doc = sarif
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and {"not-encrypted", "secret-in-plaintext", "recipient-drift",
                                          "rotation-due", "verify-failed"} <= set(ids)
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == rules[result["ruleIndex"]]["defaultConfiguration"]["level"]
    prints = [r["partialFingerprints"]["sealfileFinding/v1"] for r in run["results"]]
    assert len(prints) == len(set(prints))  # one alert per finding, stable across runs (no line, no value)


def test_fingerprints_do_not_move_when_lines_do(tmp_path, env, monkeypatch):
    repo = build_repo(tmp_path, env, monkeypatch)
    first = json.loads(repo.run("check", "--format", "sarif", "app/.env").stdout)
    (repo.root / "app/.env").write_text("# moved down\n" + (repo.root / "app/.env").read_text())
    second = json.loads(repo.run("check", "--format", "sarif", "app/.env").stdout)
    a, b = first["runs"][0]["results"][0], second["runs"][0]["results"][0]
    assert a["partialFingerprints"] == b["partialFingerprints"]
    assert b["locations"][0]["physicalLocation"]["region"]["startLine"] == \
        a["locations"][0]["physicalLocation"]["region"]["startLine"] + 1
