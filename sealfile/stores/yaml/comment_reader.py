"""YAML text with comments -> sealfile documents, comments placed where sops 3.11 places them.

sops keeps comments as tree items, and *where* an item lands (before which
key, in which mapping or list) is decided by go-yaml v3's scanner, parser
and node builder, each with its own heuristics (foot comments split on
blank lines and dedents, block ends repositioned before comments, comments
that wait for the parser to peek a token...).  Guessing that from the text
gives the right answer for simple files only, so the relevant go-yaml code
is ported, one module per stage, driven by the tokens libyaml (C) produces
for the same text (libyaml and go-yaml share their tokeniser):

=====================  ==========================================  ==============================
module                 stage                                       follows
=====================  ==========================================  ==============================
:mod:`.tokens`         libyaml's tokens, grouped by fetch step     scannerc.go (fetch_next_token)
:mod:`.scanner`        when each token reaches the parser          scannerc.go
:mod:`.comments`       comment scanning and hand-over              scannerc.go, parserc.go
:mod:`.parser`         tokens -> events with comments              parserc.go
:mod:`.builder`        events -> ``yaml.Node`` values              decode.go (``parser``)
:mod:`.converter`      nodes -> sops tree items                    sops stores/yaml/store.go
=====================  ==========================================  ==============================

Only used for inputs that may contain a comment; see :mod:`.reader`, whose
fast reader gives the same documents for inputs without one.
"""
from __future__ import annotations

from ...core.tree import Mapping
from ...errors import ParseError
from .builder import NodeBuilder
from .converter import Converter
from .parser import Parser
from .policy import document_policy, first_libyaml_error
from .scanner import Scanner
from .tokens import read_tokens

__all__ = ["read_with_comments"]

#: what a replay that lost step with libyaml's tokens raises (an internal error, never a file's fault)
_REPLAY_ERRORS = (IndexError, KeyError, AssertionError, AttributeError, TypeError, StopIteration)


def read_with_comments(text: str, mode: str) -> list[Mapping]:
    """Documents of ``text`` with comments placed where sops 3.11 places them."""
    scanner = Scanner(text, read_tokens(text))
    builder = NodeBuilder(Parser(scanner))
    conv = Converter(scanner.line_of)
    docs: list[Mapping] = []
    while True:
        try:
            node = builder.document()
        except _REPLAY_ERRORS:
            # The replay lost step with libyaml's tokens: refuse rather than drop comments silently.
            raise (first_libyaml_error(text)
                   or ParseError("yaml: cannot place the comments of this file as sops does")) from None
        if node is None:
            break
        index = len(docs)
        docs.append(conv.branch(node, Mapping(), False, document_policy(index, mode), True, index))
    return docs
