"""The options ``decrypt`` takes, as data: click builds its options from these, and so does the fast path.

``decrypt`` is the command scripts, CI jobs, helm-secrets and Argo CD run
most, once per file, so :mod:`.fast` parses it without loading click.  Both
parsers read this one table, so an option is still defined once.
"""
from __future__ import annotations

from ..records import record

__all__ = ["Spec", "IN_PLACE", "OUTPUT", "INPUT_TYPE", "OUTPUT_TYPE", "FILENAME_OVERRIDE", "CONFIG", "INDENT",
           "EXTRACT", "IGNORE_MAC", "DECRYPTION_ORDER", "DECRYPT"]


@record(frozen=True)
class Spec:
    """One option: its spellings, the parameter it fills, what it takes, and its help."""

    flags: tuple[str, ...]
    dest: str
    #: "flag" (no value), "text", "int", or "format" (one of the store registry's names)
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
