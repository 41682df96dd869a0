"""Config discovery and creation-rule matching, as sops does it."""
from __future__ import annotations


import pytest

from conftest import ROOT
from sealfile.config import find_config, load_config, merge_selector, parse_config
from sealfile.errors import ConfigError, SealfileError

A1 = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
A2 = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"


def test_found_from_cwd_upwards_and_sealfile_name_wins(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / ".sops.yaml").write_text("creation_rules: []\n")
    assert find_config(str(deep), env={}) == str(tmp_path / ".sops.yaml")
    (tmp_path / "a" / ".sealfile.yaml").write_text("creation_rules: []\n")
    assert find_config(str(deep), env={}) == str(tmp_path / "a" / ".sealfile.yaml")
    (tmp_path / "a" / ".sops.yaml").write_text("creation_rules: []\n")
    assert find_config(str(deep), env={}) == str(tmp_path / "a" / ".sealfile.yaml")
    assert find_config(str(deep), env={"SOPS_CONFIG": "/x/y"}) == "/x/y"


def test_sops_yml_is_not_a_config(tmp_path):
    (tmp_path / ".sops.yml").write_text("creation_rules: []\n")
    assert find_config(str(tmp_path), env={}) is None


def test_rules_first_match_relative_to_config_dir(tmp_path):
    cfg_path = tmp_path / ".sops.yaml"
    cfg_path.write_text(f"""creation_rules:
  - path_regex: ^sub/deep/.*\\.yaml$
    age: "{A1}, {A2}, "
  - path_regex: \\.json$
    pgp: [AAAA, BBBB]
  - age: [{A2}]
    encrypted_regex: ^(data|stringData)$
""")
    cfg = load_config(str(cfg_path))
    r = cfg.rule_for(str(tmp_path / "sub" / "deep" / "x.yaml"))
    assert r.key_groups == ((("age", A1), ("age", A2)),)
    r = cfg.rule_for(str(tmp_path / "x.json"))
    assert r.key_groups == ((("pgp", "AAAA"), ("pgp", "BBBB")),)
    r = cfg.rule_for(str(tmp_path / "k8s.yaml"))
    assert r.selector_options == {"encrypted_regex": "^(data|stringData)$"}


def test_no_matching_rule_is_an_error():
    cfg = parse_config(b"creation_rules:\n  - path_regex: ^only/\n    age: x\n", "/r/.sops.yaml")
    with pytest.raises(ConfigError, match="no matching creation rules found"):
        cfg.rule_for("/r/elsewhere.yaml")
    empty = parse_config(b"creation_rules: []\n", "/r/.sops.yaml")
    with pytest.raises(ConfigError):
        empty.rule_for("/r/x.yaml")
    assert parse_config(b"stores: {yaml: {indent: 2}}\n").rule_for("x.yaml") is None


def test_key_groups_merge_dedupe_and_threshold():
    cfg = parse_config(f"""creation_rules:
  - shamir_threshold: 2
    key_groups:
      - age: [{A1}, {A1}]
        merge:
          - pgp: [FP1]
      - age: [{A2}]
""".encode())
    rule = cfg.rule_for("x.yaml")
    assert rule.shamir_threshold == 2
    assert rule.key_groups == ((("pgp", "FP1"), ("age", A1)), (("age", A2),)) or \
        rule.key_groups == ((("age", A1), ("pgp", "FP1")), (("age", A2),))


@pytest.mark.parametrize("bad", [
    b"creation_rules:\n  - encrypted_regex: a\n    unencrypted_suffix: b\n",
    b"creation_rules:\n  - path_regex: '(unclosed'\n",
    b"creation_rules:\n  - shamir_threshold: '2'\n",
    b"creation_rules: [\n",
])
def test_bad_configs(bad):
    with pytest.raises(ConfigError):
        parse_config(bad, "/r/.sops.yaml")


def test_cli_selector_overrides_field_by_field_and_conflicts_exit_8():
    rule = parse_config(b"creation_rules:\n  - encrypted_regex: ^a$\n").rule_for("x")
    assert merge_selector({"encrypted_regex": "^b$"}, rule).value == "^b$"
    with pytest.raises(SealfileError) as err:
        merge_selector({"unencrypted_suffix": "_u"}, rule)
    assert err.value.exit_code == 8


def test_store_settings():
    cfg = parse_config(b"stores:\n  yaml: {indent: 2}\n  json: {indent: 3}\n")
    assert cfg.store_options("yaml") == {"indent": 2}
    assert cfg.store_options("json") == {"indent": 3}
    assert cfg.store_options("dotenv") == {}


def test_example_config_is_valid(tmp_path):
    cfg = load_config(str(ROOT / ".sealfile.yaml.example"))
    base = ROOT
    prod = cfg.rule_for(str(base / "secrets/prod/db.yaml"))
    assert prod.shamir_threshold == 2 and len(prod.key_groups) == 2
    staging = cfg.rule_for(str(base / "secrets/staging/app.env"))
    assert [t for t, _ in staging.key_groups[0]] == ["age", "age"]
    k8s = cfg.rule_for(str(base / "k8s/secret.yaml"))
    assert k8s.selector_options == {"encrypted_regex": "^(data|stringData)$"}
    other = cfg.rule_for(str(base / "misc/x.json"))
    assert other.selector_options == {} and other.key_groups
    assert cfg.store_options("yaml") == {"indent": 2}
    aws = cfg.rule_for(str(base / "secrets/aws/app.yaml"))
    platform = cfg.rule_for(str(base / "secrets/platform/db.json"))
    from sealfile.api import rule_keys
    for rule in (prod, staging, k8s, other, aws, platform):
        assert all(rule_keys(rule))
    kms, age = rule_keys(aws)[0]
    assert kms.to_string().endswith("+arn:aws:iam::111122223333:role/sops||prod")
    assert age.type_name == "age"
    groups = rule_keys(platform)
    assert platform.shamir_threshold == 2
    assert [[k.type_name for k in g] for g in groups] == [["gcp_kms", "hc_vault"], ["kms", "azure_kv"]]
    assert groups[1][0].to_string().endswith("|app:platform|platform")
