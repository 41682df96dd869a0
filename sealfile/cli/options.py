"""Flags shared by several commands, defined once (as sops names them)."""
from __future__ import annotations

from importlib import import_module
from typing import Any, Callable

import click

from ..core.selectors import KINDS

FORMAT_CHOICE = click.Choice(["yaml", "json", "dotenv", "ini", "binary"])


def _compose(*decorators: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def apply(f: Any) -> Any:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


class LazyModule:
    """A core module imported on first use, so ``sealfile decrypt`` does not load editing, exec, rekey."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(import_module(self._name), attr)


def global_settings(ctx: click.Context | None, config_path: str | None = None, indent: int | None = None,
                    mac_only: bool | None = None) -> dict[str, Any]:
    """Per-command values, else the global ones given before the command (``sealfile --config c x``)."""
    glob = ctx.find_root().params if ctx is not None else {}
    return {
        "config": config_path or glob.get("config_path") or None,
        "indent": indent if indent is not None else glob.get("indent"),
        "mac_only": bool(mac_only or glob.get("mac_only_encrypted")),
    }


DECRYPTION_ORDER_ENV = ["SEALFILE_DECRYPTION_ORDER", "SOPS_DECRYPTION_ORDER"]


def _env(name: str) -> list[str]:
    return ["SEALFILE_" + name, "SOPS_" + name]


io_options = _compose(
    click.option("-i", "--in-place", is_flag=True, help="Write the result back to the file."),
    click.option("--output", metavar="FILE", help="Write the result to FILE instead of stdout."),
    click.option("--input-type", type=FORMAT_CHOICE, help="Format of the input (default: from the extension)."),
    click.option("--output-type", type=FORMAT_CHOICE, help="Format of the output (default: from the extension)."),
    click.option("--filename-override", metavar="NAME",
                 help="Use NAME for format detection and rule matching (e.g. for stdin)."),
    click.option("--config", "config_path", metavar="FILE", help="Config file to use instead of searching."),
    click.option("--indent", type=int, help="Indentation of YAML and JSON output."),
)

#: recipient flag (click parameter name) -> key type
RECIPIENT_FLAGS: dict[str, str] = {"kms": "kms", "gcp_kms": "gcp_kms", "azure_kv": "azure_kv",
                                   "hc_vault_transit": "hc_vault", "pgp": "pgp", "age": "age"}

#: what every command that takes KMS ARNs also takes (sops applies them to those ARNs)
kms_options = _compose(
    click.option("--aws-profile", metavar="PROFILE", help="AWS profile for the KMS keys given here."),
    click.option("--encryption-context", metavar="K:V,...",
                 help="KMS encryption context (comma-separated key:value pairs) of the KMS keys given here."),
)

key_options = _compose(
    click.option("--kms", "-k", metavar="ARNS", envvar=_env("KMS_ARN"),
                 help="Comma-separated AWS KMS key ARNs (ARN+ROLE_ARN to assume a role)."),
    kms_options,
    click.option("--gcp-kms", metavar="IDS", envvar=_env("GCP_KMS_IDS"),
                 help="Comma-separated GCP KMS key resource IDs."),
    click.option("--azure-kv", metavar="URLS", envvar=_env("AZURE_KEYVAULT_URLS"),
                 help="Comma-separated Azure Key Vault key URLs (https://V.vault.azure.net/keys/K[/VERSION])."),
    click.option("--hc-vault-transit", metavar="URIS", envvar=_env("VAULT_URIS"),
                 help="Comma-separated Vault transit key URIs (https://vault:8200/v1/transit/keys/K)."),
    click.option("--age", "-a", metavar="RECIPIENTS", envvar=_env("AGE_RECIPIENTS"),
                 help="Comma-separated age recipients (age1..., ssh-ed25519 ..., ssh-rsa ...)."),
    click.option("--pgp", "-p", metavar="FINGERPRINTS", envvar=_env("PGP_FP"),
                 help="Comma-separated PGP fingerprints."),
    click.option("--shamir-secret-sharing-threshold", type=int, default=None,
                 help="Number of key groups needed to decrypt."),
)

#: every parameter name ``key_options`` adds
KEY_OPTION_NAMES = (*RECIPIENT_FLAGS, "aws_profile", "encryption_context", "shamir_secret_sharing_threshold")


def key_arguments(kw: dict[str, Any]) -> dict[str, Any]:
    """Pop ``key_options``' values from ``kw``; return them as ``encrypt_data`` keyword arguments."""
    values = {name: kw.pop(name, None) for name in KEY_OPTION_NAMES}
    return {
        "recipients": {RECIPIENT_FLAGS[name]: values[name] for name in RECIPIENT_FLAGS if values[name]},
        "encryption_context": values["encryption_context"] or None,
        "aws_profile": values["aws_profile"] or None,
        "shamir_threshold": values["shamir_secret_sharing_threshold"],
    }

selector_options = _compose(
    *[click.option("--" + kind.replace("_", "-"), kind, metavar="S", default=None,
                   help=f"Set {kind} for this file.") for kind in KINDS],
    click.option("--mac-only-encrypted", is_flag=True, default=None, help="MAC only the encrypted values."),
)

decrypt_options = _compose(
    click.option("--extract", metavar="PATH", help='Print only this part of the tree, e.g. \'["a"]["b"][0]\'.'),
    click.option("--ignore-mac", is_flag=True, help="Do not verify the MAC (values must still decrypt)."),
    click.option("--decryption-order", envvar=DECRYPTION_ORDER_ENV, metavar="TYPES",
                 help="Comma-separated key types to try first (default: age,pgp)."),
)
