"""Metadata flattening for dotenv and INI (spec §5.9)."""
from __future__ import annotations

import pytest

from sealfile.errors import MetadataError
from sealfile.stores.flatten import flatten, unflatten
from sealfile.core.tree import Mapping

METADATA = Mapping([
    ["shamir_threshold", 2],
    ["key_groups", [
        Mapping([["pgp", [Mapping([["fp", "FP0"]])]], ["hc_vault", None], ["age", []]]),
        Mapping([["pgp", [Mapping([["created_at", "2026-01-01T00:00:00Z"], ["fp", "FP1"]])]]]),
    ]],
    ["kms", [Mapping([["arn", "arn:x"], ["context", Mapping([["env", "prod"]])], ["aws_profile", ""]])]],
    ["lastmodified", "2026-11-21T22:07:10Z"],
    ["mac_only_encrypted", True],
    ["version", "3.11.0"],
])


def test_flatten_names_sorting_and_stringification() -> None:
    assert flatten(METADATA, "sops_") == [
        ("sops_key_groups__list_0__map_pgp__list_0__map_fp", "FP0"),
        ("sops_key_groups__list_1__map_pgp__list_0__map_created_at", "2026-01-01T00:00:00Z"),
        ("sops_key_groups__list_1__map_pgp__list_0__map_fp", "FP1"),
        ("sops_kms__list_0__map_arn", "arn:x"),
        ("sops_kms__list_0__map_aws_profile", ""),
        ("sops_kms__list_0__map_context__map_env", "prod"),
        ("sops_lastmodified", "2026-11-21T22:07:10Z"),
        ("sops_mac_only_encrypted", "true"),
        ("sops_shamir_threshold", "2"),
        ("sops_version", "3.11.0"),
    ]


def test_nulls_and_empty_containers_produce_nothing() -> None:
    assert flatten(Mapping([["a", None], ["b", []], ["c", Mapping()], ["d", "x"]]), "") == [("d", "x")]


def test_unflatten_inverts_flatten_with_string_leaves() -> None:
    md = unflatten(flatten(METADATA, "sops_"), "sops_")
    assert md.get("shamir_threshold") == "2" and md.get("mac_only_encrypted") == "true"
    assert md.get("kms") == [Mapping([["arn", "arn:x"], ["aws_profile", ""], ["context", Mapping([["env", "prod"]])]])]
    assert md.get("key_groups")[1] == Mapping([["pgp", [Mapping([["created_at", "2026-01-01T00:00:00Z"],
                                                                 ["fp", "FP1"]])]]])
    assert [k for k, _ in md] == ["key_groups", "kms", "lastmodified", "mac_only_encrypted", "shamir_threshold",
                                  "version"]


def test_unflatten_prefix_order_and_repeats() -> None:
    md = unflatten([("A", "ignored"), ("sops_version", "1"), ("sops_mac", "m"), ("sops_version", "2")], "sops_")
    assert md == Mapping([["version", "2"], ["mac", "m"]])
    assert unflatten([], "") == Mapping()


@pytest.mark.parametrize("pairs", [
    [("a", "1"), ("a__map_b", "2")],
    [("a__map_b", "2"), ("a", "1")],
    [("a__list_0", "1"), ("a__list_0__map_k", "2")],
    [("a__list_0__map_k", "2"), ("a__list_0", "1")],
    [("a__list_1__map_k", "v")],
    [("a__list_x__map_k", "v")],
    [("a__list_-1", "v")],
    [("a__map_b", "1"), ("a__list_0", "2")],
    [("a__list_0", "1"), ("a__map_b", "2")],
])
def test_malformed_flat_keys_are_metadata_errors(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(MetadataError):
        unflatten(pairs, "")
