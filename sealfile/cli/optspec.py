"""The options of ``decrypt`` and ``encrypt``, as data: click builds its options from these, and so does the fast path.

``decrypt`` and ``encrypt`` are the commands scripts, CI jobs, helm-secrets
and Argo CD run most, once per file, so :mod:`.fast` parses them without
loading click.  Both parsers read this one table, so an option is still
defined once.  The key flags (``--age``, ``-k`` ...) are not listed here:
:func:`key_flags` builds them from the key types' own declarations.
"""
from __future__ import annotations

from typing import Any

from ..records import record

__all__ = ["Spec", "IN_PLACE", "OUTPUT", "INPUT_TYPE", "OUTPUT_TYPE", "FILENAME_OVERRIDE", "CONFIG", "INDENT",
           "EXTRACT", "IGNORE_MAC", "DECRYPTION_ORDER", "DECRYPT", "IO", "SELECTORS", "MAC_ONLY_ENCRYPTED",
           "SHAMIR_THRESHOLD", "REUSE", "SELECTOR_NAMES", "param_name", "key_flags", "key_flag_options", "encrypt_specs"]


@record(frozen=True)
class Spec:
    """One option: its spellings, the parameter it fills, what it takes, and its help."""

    flags: tuple[str, ...]
    dest: str
    #: "flag" (no value), "maybe" (a flag whose absence leaves the choice to the config: None, not
    #: False), "text", "int", "count" (an int >= 0), or "format" (one of the store registry's names)
    kind: str
    help: str
    metavar: str | None = None
    #: environment variable after SEALFILE_/SOPS_ that gives the value when the option is absent
    env: str | None = None


IN_PLACE = Spec(("-i", "--in-place"), "in_place", "flag", "Write the result back to the file.")
OUTPUT = Spec(("-o", "--output"), "output", "text",
              "Write the result to FILE instead of stdout (keygen: an existing FILE is refused).", "FILE")
INPUT_TYPE = Spec(("--input-type",), "input_type", "format", "Format of the input (default: from the extension).")
OUTPUT_TYPE = Spec(("--output-type",), "output_type", "format",
                   "Format of the output (default: from the extension, or the input's).")
FILENAME_OVERRIDE = Spec(("--filename-override",), "filename_override", "text",
                         "Use NAME for format detection and rule matching (e.g. for stdin).", "NAME")
CONFIG = Spec(("--config",), "config_path", "text",
              "Config file (default: .sealfile.yaml or .sops.yaml in this or a parent directory).", "FILE", "CONFIG")
INDENT = Spec(("--indent",), "indent", "int", "Indentation of YAML and JSON output.")
EXTRACT = Spec(("--extract",), "extract", "text", 'Print only this part of the tree, e.g. \'["a"]["b"][0]\'.', "PATH")
IGNORE_MAC = Spec(("--ignore-mac",), "ignore_mac", "flag", "Do not verify the MAC (values must still decrypt).")
DECRYPTION_ORDER = Spec(("--decryption-order",), "decryption_order", "text",
                        "Comma-separated key types to try first (default: age,pgp).", "TYPES", "DECRYPTION_ORDER")

#: the decrypt command's options, in its --help order
DECRYPT = (IN_PLACE, OUTPUT, INPUT_TYPE, OUTPUT_TYPE, FILENAME_OVERRIDE, CONFIG, INDENT, EXTRACT, IGNORE_MAC,
           DECRYPTION_ORDER)

#: the file and format options every command that writes a file takes
IO = (IN_PLACE, OUTPUT, INPUT_TYPE, OUTPUT_TYPE, FILENAME_OVERRIDE, CONFIG, INDENT)

#: sops's six selector options (what a new file encrypts), as parameter names
SELECTOR_NAMES = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex",
                  "unencrypted_comment_regex", "encrypted_comment_regex")
SELECTORS = tuple(Spec(("--" + name.replace("_", "-"),), name, "text", f"Set {name} for this file.", "S")
                  for name in SELECTOR_NAMES)
MAC_ONLY_ENCRYPTED = Spec(("--mac-only-encrypted",), "mac_only_encrypted", "maybe", "MAC only the encrypted values.")
SHAMIR_THRESHOLD = Spec(("--shamir-secret-sharing-threshold",), "shamir_threshold", "count",
                        "Number of key groups needed to decrypt.")
REUSE = Spec(("--reuse",), "reuse", "text", "Encrypt FILE as the next version of the encrypted file OLD: OLD's data "
             "key and recipients, and OLD's exact ciphertext for every value whose path and plaintext match.", "OLD")


def param_name(prefix: str, kt: Any) -> str:
    """The parameter a key type's flag fills: ``key_age`` for ``--age``, ``add_hc_vault_transit`` ..."""
    return f"{prefix}{kt.flag.replace('-', '_')}" if kt.flag else ""


def key_flags(key_types: Any) -> tuple[Spec, ...]:
    """``--age``/``-a``, ``--pgp``/``-p`` ...: the one key group of a new file, with their recipients
    variables, from ``key_types``' declarations (see :class:`~sealfile.keys.base.KeyType`)."""
    return tuple(Spec((f"--{kt.flag}", *([kt.flag_short] if kt.flag_short else [])),
                      param_name("key_", kt), "text", kt.flag_help, "KEYS", kt.recipients_env)
                 for kt in key_types if kt.flag)


def key_flag_options(key_types: Any) -> tuple[Spec, ...]:
    """The options for keys given as flags that key types declare (AWS: ``--aws-profile``,
    ``--encryption-context``)."""
    return tuple(Spec((f"--{o.name}",), o.param, "text", o.help, o.metavar)
                 for kt in key_types for o in kt.flag_options)


def encrypt_specs(key_types: Any) -> tuple[Spec, ...]:
    """The encrypt command's options, in its --help order."""
    return (*IO, *key_flags(key_types), *key_flag_options(key_types), SHAMIR_THRESHOLD, *SELECTORS,
            MAC_ONLY_ENCRYPTED, REUSE)
