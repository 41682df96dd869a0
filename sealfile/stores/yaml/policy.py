"""What both YAML readers share: how strictly sops checks each part of a file, and its error wording.

sops reads a YAML file twice over, with different strictness: ``sops
encrypt`` first decodes the first document into a Go map (duplicate keys at
any depth, undecodable tagged scalars and bad merge values are errors
there), while later documents and encrypted files are only walked as
``yaml.Node`` values (a scalar that fails to decode becomes null).  An
encrypted file's first document is checked for duplicate top-level keys and
its ``sops`` block strictly, as sops's metadata decoding does.

The fast reader (:mod:`.reader`, files without comments) and the go-yaml
port (:mod:`.comment_reader`, files with comments) must agree on all of
this, so the rules and the messages live here, once.
"""
from __future__ import annotations

from typing import Any

from ruamel.yaml import events as _ev
from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scanner import ScannerError

from ...core.tree import Comment, Mapping
from ...errors import ParseError
from .resolve import MERGE, NULL, STR, ResolveError, decode_scalar, resolve, short_tag

__all__ = [
    "PLAIN", "ENCRYPTED", "SOPS_KEY", "without_metadata", "Policy", "STRICT", "LENIENT", "TOP_ONLY", "document_policy", "value_policy",
    "scalar_value", "check_root_scalar", "is_merge_key", "check_merge_value", "root_error", "kind_of", "yaml_error",
    "first_libyaml_error", "duplicate_key_error", "complex_key_error", "unknown_anchor_error", "recursive_anchor_error",
]

#: the two ways sops reads a YAML file: ``sops encrypt``'s plaintext, or an encrypted file
PLAIN, ENCRYPTED = "plain", "encrypted"
#: the top-level key that holds sops's metadata, in every document of an encrypted file
SOPS_KEY = "sops"


def without_metadata(doc: Mapping) -> Mapping:
    """``doc`` without its top-level ``sops`` key (the only place the metadata is looked for)."""
    return Mapping([item for item in doc if not (isinstance(item[0], str) and item[0] == SOPS_KEY)])


class Policy:
    """How strictly one container is checked (see the module docstring).

    ``dups``: duplicate keys are an error; ``strict``: a scalar that cannot be
    decoded is an error (otherwise it becomes null, as in sops's node walk).
    """

    __slots__ = ("dups", "strict")

    def __init__(self, dups: bool, strict: bool) -> None:
        self.dups = dups
        self.strict = strict


STRICT = Policy(True, True)
LENIENT = Policy(False, False)
TOP_ONLY = Policy(True, False)  # an encrypted file's first document: only its top level and sops block


def document_policy(index: int, mode: str) -> Policy:
    """The policy for the root of document ``index``: only a plaintext first document is strict."""
    if index > 0:
        return LENIENT
    return STRICT if mode == PLAIN else TOP_ONLY


def value_policy(parent: Policy, is_top: bool, key: Any) -> Policy:
    """The policy for the value of ``key`` in a mapping checked with ``parent``."""
    if parent is TOP_ONLY:
        return STRICT if (is_top and key == SOPS_KEY) else LENIENT
    return parent


def scalar_value(value: str, tag: str | None, quoted: bool, strict: bool, line: int) -> Any:
    """Decode one scalar; a decoding failure is an error only under a strict policy."""
    stag = short_tag(tag)
    if stag == "!":
        stag = ""
    try:
        return decode_scalar(value, stag, quoted)
    except ResolveError as exc:
        if strict:
            raise ParseError(f"yaml: line {line}: {exc}") from None
        return None


def check_root_scalar(index: int, value: str, tag: str | None, quoted: bool, line: int) -> None:
    """A document whose root is a scalar: refused unless it is null, as sops refuses it.

    The first document is decoded (into a Go map, or sops's metadata struct)
    before anything else, so a scalar there that cannot be decoded fails as
    such, even in an encrypted file; then, in any document, the node's tag
    decides (``!!binary`` is named as such, ``!!null 3`` later on is null).
    """
    stag = short_tag(tag)
    if stag == "!":
        stag = ""
    if index == 0:
        scalar_value(value, stag, quoted, True, line)
    if not stag:
        stag = STR if quoted else resolve("", value)[0]
    if stag != NULL:
        raise root_error(index, stag[2:] if stag.startswith("!!") else "str")


def is_merge_key(value: str, tag: str | None, quoted: bool) -> bool:
    """A ``<<`` key that go-yaml treats as a merge (plain and untagged, or tagged ``!!merge``)."""
    stag = short_tag(tag)
    return value == "<<" and ((not quoted and stag in ("", "!")) or stag == MERGE)


def check_merge_value(value: Any, aliased: bool = False) -> None:
    """go-yaml's check when a first document is decoded: ``<<`` needs a map or a list of maps.

    An alias must point at a map itself (an alias to a list of maps is refused).
    """
    if isinstance(value, Mapping):
        return
    if aliased:
        raise ParseError("yaml: map merge requires map or sequence of maps as the value")
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value if not isinstance(v, Comment)):
        return
    raise ParseError("yaml: map merge requires map or sequence of maps as the value")


def root_error(index: int, kind: str) -> ParseError:
    """A document that is not a mapping, worded as sops words it for the first and later ones."""
    if index == 0:
        return ParseError(f"yaml: unmarshal errors: cannot unmarshal !!{kind} into a mapping")
    if kind == "seq":
        return ParseError("YAML documents that are sequences are not supported")
    return ParseError("YAML documents that are values are not supported")


def kind_of(value: Any) -> str:
    """The YAML tag name of a decoded root value, for :func:`root_error`."""
    if isinstance(value, list):
        return "seq"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str" if isinstance(value, str) else "timestamp"


def duplicate_key_error(line: int) -> ParseError:
    """go-yaml's decoder on a key seen twice in a mapping that is decoded into a Go map."""
    return ParseError(f"yaml: unmarshal errors: line {line}: mapping key already defined")


def complex_key_error(line: int) -> ParseError:
    """A collection used as a mapping key: sops's tree keys are scalars."""
    return ParseError(f"yaml: line {line}: complex keys are not supported")


def unknown_anchor_error() -> ParseError:
    """An alias to an anchor not defined before it (go-yaml names the anchor; sealfile does not
    repeat file content in errors)."""
    return ParseError("yaml: unknown anchor referenced")


def recursive_anchor_error() -> ParseError:
    """An alias inside the very node its anchor names."""
    return ParseError("yaml: anchor value contains itself")


def yaml_error(exc: YAMLError) -> ParseError:
    """A libyaml error worded like go-yaml's (``yaml: line N: problem``), without file content."""
    if not isinstance(exc, MarkedYAMLError):
        return ParseError("yaml: unknown problem parsing YAML content")
    bump = 1 if isinstance(exc, ScannerError) else 0
    line = 0
    if exc.context_mark is not None and exc.context_mark.line != 0:
        line = exc.context_mark.line + bump
    elif exc.problem_mark is not None and exc.problem_mark.line != 0:
        line = exc.problem_mark.line + bump
    where = f"line {line}: " if line else ""
    return ParseError(f"yaml: {where}{exc.problem or 'unknown problem parsing YAML content'}")


def first_libyaml_error(text: str) -> ParseError | None:
    """The first structural error libyaml's parser finds in ``text``, worded by :func:`yaml_error`.

    The go-yaml port asks for it when its own parser fails, so that both
    readers word a syntax error alike.
    """
    parser = CParser(text)
    end = _ev.StreamEndEvent
    try:
        while parser.get_event().__class__ is not end:
            pass
    except YAMLError as exc:
        return yaml_error(exc)
    finally:
        parser.dispose()
    return None
