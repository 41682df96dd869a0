"""The two YAML readers must read every comment-free input identically.

A file without comments goes through the fast reader (libyaml's events,
:func:`~sealfile.stores.yaml.reader.read_without_comments`); adding one
``#`` anywhere sends it through the go-yaml port
(:func:`~sealfile.stores.yaml.comment_reader.read_with_comments`).  Both
must give the same tree, or fail with the same error, or a comment would
change what sops-compatible reading means.  The corpus is generated from
fixed seeds: nested block and flow collections, every scalar style and
type, tags, anchors, aliases and merge keys, several documents, and some
inputs that are meant to fail (duplicate keys, bad merges, undecodable
tags, unknown anchors, documents that are not mappings).
"""
from __future__ import annotations

import math
import random
from typing import Any, Callable

import pytest

from sealfile.core.tree import Comment, Mapping, Timestamp
from sealfile.errors import ParseError
from sealfile.stores.yaml.comment_reader import read_with_comments
from sealfile.stores.yaml.reader import ENCRYPTED, PLAIN, read_without_comments

SEEDS = range(24)
DOCS_PER_SEED = 25

PLAIN_SCALARS = [
    # ints, in every base go-yaml reads, and past int64
    "0", "42", "-17", "+3", "0x1F", "0o17", "017", "08", "1_000", "0b101", "-0b11", "9223372036854775807",
    "9223372036854775808", "18446744073709551616", "-9223372036854775809",
    # floats
    "3.14", "-0.5", "1e3", "1E-3", ".5", "-.inf", ".Inf", "+.inf", ".nan", ".NaN", "1e400", "6.8523015e+5",
    "1_0.5", "0.", "-0.0",
    # bools, nulls, YAML 1.1 words go-yaml keeps as strings
    "true", "False", "TRUE", "yes", "No", "on", "OFF", "y", "~", "null", "Null", "NULL",
    # timestamps, valid and not
    "2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43Z", "2002-12-14", "2001-12-14 21:59:43.10",
    "2001-02-30", "2001-12-14T25:00:00Z", "2024-02-29",
    # strings
    "hello", "hello world", "a:b", "a-b", "-x", "x y: z"[0:3], "<<", "=", "\u00e9t\u00e9", "\u65e5\u672c",
    "1.2.3", "0x", "0o8", "+", "-", ".", "1:20", "-1:20:30", "abc123", "http://example.com/x?y=1",
]

QUOTED_SCALARS = [
    "''", '""', "'single'", "'it''s'", '"double"', '"esc\\n\\t\\u00e9\\x41"', '"\\"q\\""', "'42'", '"true"',
    '"~"', "' lead'", '"trail "', "'<<'", '"multi\n  line"', "'folded\n\n  para'", '"\\U0001F600"',
]

BLOCK_SCALARS = [
    ("|", ["line one", "line two"]), (">", ["folded one", "folded two"]), ("|-", ["stripped"]),
    ("|+", ["kept", ""]), (">-", ["a", "", "b"]), ("|2", ["  indented", "text"]), ("|", ["", "after blank"]),
]

TAGGED = [
    "!!str 42", "!!str true", "!!int '7'", "!!float 1", "!!float 2.5", "!!bool true", "!!null ''",
    "!!binary aGVsbG8=", "!!timestamp 2001-12-14", "!!map {a: 1}", "!!seq [1, 2]", "!custom thing",
    "! 12", "!!int 0x10",
]

FAILING_TAGGED = ["!!int abc", "!!bool yes", "!!float xyz", "!!binary ***", "!!timestamp nope", "!!null 3"]


class Gen:
    """A random YAML document writer; ``anchors`` are the names already defined in the document."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.anchors: list[str] = []
        self.collections: list[str] = []  # anchors on mappings (merge sources)
        self.count = 0

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def key(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.75:
            return rng.choice(["name", "port", "db", "user", "secret", "list", "url", "x", "y", "k"]) + str(
                rng.randrange(40))
        if r < 0.85:
            return rng.choice(["'quoted key'", '"dq key"', "1", "true", "~", "3.5", "2001-01-01"])
        if r < 0.9 and self.anchors:
            return "*" + rng.choice(self.anchors)
        return "k" + str(rng.randrange(1000))

    def anchor(self) -> str:
        self.count += 1
        name = f"a{self.count}"
        return name

    def scalar(self, flow: bool) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            text = rng.choice(PLAIN_SCALARS)
            if flow and any(c in text for c in ",[]{}:"):
                text = "x"  # libyaml refuses "a:b" in a flow collection, go-yaml does not
        elif r < 0.65:
            text = rng.choice(QUOTED_SCALARS)
            if flow:
                text = text.replace("\n", " ")
        elif r < 0.75:
            text = rng.choice(TAGGED if not flow else [t for t in TAGGED if "'" not in t])
        elif r < 0.78:
            text = rng.choice(FAILING_TAGGED)
        elif r < 0.86 and self.anchors:
            return "*" + rng.choice(self.anchors)
        else:
            text = "v" + str(rng.randrange(10**6))
        if self.chance(0.1):
            name = self.anchor()
            text = f"&{name} {text}"
            self.anchors.append(name)
        return text

    def flow(self, depth: int) -> str:
        rng = self.rng
        if depth > 2 or self.chance(0.3):
            return self.scalar(True)
        if self.chance(0.5):
            return "[" + ", ".join(self.flow(depth + 1) for _ in range(rng.randrange(4))) + "]"
        pairs = [f"{self.key()}: {self.flow(depth + 1)}" for _ in range(rng.randrange(4))]
        return "{" + ", ".join(pairs) + "}"

    def value(self, indent: int, depth: int, in_list: bool) -> list[str]:
        """Lines for a value after ``key:`` (or ``- ``): the first line continues that line."""
        rng = self.rng
        r = rng.random()
        if depth < 4 and r < 0.22:
            return self.mapping(indent + rng.choice((2, 4)), depth + 1, first_inline=False)
        if depth < 4 and r < 0.38:
            return self.sequence(indent + (0 if not in_list and self.chance(0.3) else 2), depth + 1)
        if r < 0.48:
            return [" " + self.flow(0)]
        if r < 0.55:
            style, lines = rng.choice(BLOCK_SCALARS)
            pad = " " * (indent + 2)
            return [" " + style] + [(pad + line) if line else "" for line in lines]
        text = self.scalar(False)
        if "\n" in text:
            first, *rest = text.split("\n")
            return [" " + first] + [" " * (indent + 2) + line.lstrip() for line in rest]
        return [" " + text]

    def mapping(self, indent: int, depth: int, first_inline: bool) -> list[str]:
        rng = self.rng
        pad = " " * indent
        lines: list[str] = []
        start = ""
        if self.chance(0.1):
            name = self.anchor()
            start = f" &{name}"
            self.collections.append(name)
        if not first_inline:
            lines.append(start)
        keys = [self.key() for _ in range(1 + rng.randrange(4))]
        if self.collections and self.chance(0.2):
            merge = "*" + rng.choice(self.collections)
            if self.chance(0.3):
                merge = "[" + ", ".join("*" + rng.choice(self.collections) for _ in range(2)) + "]"
            elif self.chance(0.1):
                merge = rng.choice(["notamap", "[1, 2]", "{m: 1}"])
            keys.insert(rng.randrange(len(keys) + 1), "<<")
        else:
            merge = ""
        for i, key in enumerate(keys):
            lead = "" if (first_inline and i == 0) else pad
            value = [" " + merge] if key == "<<" and merge else self.value(indent, depth, False)
            lines.append(f"{lead}{key}:{value[0]}")
            lines.extend(value[1:])
        if not first_inline:
            if start:
                lines[0] = start
            else:
                lines.pop(0)
                return [""] + lines
        return lines

    def sequence(self, indent: int, depth: int) -> list[str]:
        rng = self.rng
        pad = " " * indent
        lines = [""]
        for _ in range(1 + rng.randrange(4)):
            if depth < 4 and self.chance(0.25):
                inner = self.mapping(indent + 2, depth + 1, first_inline=True)
                lines.append(f"{pad}- {inner[0]}")
                lines.extend(inner[1:])
                continue
            value = self.value(indent, depth, True)
            lines.append(f"{pad}-{value[0]}")
            lines.extend(value[1:])
        return lines

    def document(self) -> str:
        self.anchors, self.collections = [], []
        r = self.rng.random()
        if r < 0.04:
            return self.rng.choice(["- a\n- b\n", "just a scalar\n", "42\n", "~\n", "[1, 2]\n", ""])
        if r < 0.12:
            return self.flow(0) + "\n"
        return "\n".join(self.mapping(0, 0, first_inline=True)) + "\n"


def corpus(seed: int) -> list[str]:
    """``DOCS_PER_SEED`` files (a fifth of them multi-document, some with a broken piece)."""
    rng = random.Random(seed)
    gen = Gen(rng)
    files: list[str] = []
    for _ in range(DOCS_PER_SEED):
        docs = [gen.document() for _ in range(1 if rng.random() < 0.8 else rng.randrange(2, 4))]
        sep = rng.choice(["---\n", "...\n---\n"])
        text = sep.join(docs) if len(docs) > 1 else docs[0]
        if rng.random() < 0.3:
            text = "---\n" + text
        if rng.random() < 0.05:
            text = text.replace(":", ": :", 1)  # a syntax error, somewhere
        if rng.random() < 0.05:
            text += "dup: 1\ndup: 2\n"
        assert "#" not in text
        files.append(text)
    return files


def shape(node: Any) -> Any:
    """A comparable form of a tree: types kept apart (1, 1.0 and True differ), NaN equal to itself."""
    if isinstance(node, Mapping):
        return ("map", [(shape(k), shape(v)) for k, v in node])
    if isinstance(node, list):
        return ("seq", [shape(v) for v in node])
    if isinstance(node, Comment):
        raise AssertionError("a comment item in a file without comments")
    if isinstance(node, float):
        return ("float", "nan" if math.isnan(node) else repr(node))
    if isinstance(node, Timestamp):
        return ("ts", node.rfc3339(), node.nanos, node.offset)
    return (type(node).__name__, node)


def outcome(read: Callable[[str, str], list[Mapping]], text: str, mode: str) -> Any:
    try:
        return ("ok", [shape(doc) for doc in read(text, mode)])
    except ParseError as exc:
        return ("error", type(exc).__name__, str(exc), exc.exit_code)


@pytest.mark.parametrize("mode", [PLAIN, ENCRYPTED])
@pytest.mark.parametrize("seed", SEEDS)
def test_readers_agree_on_generated_files(seed: int, mode: str) -> None:
    outcomes = {"ok": 0, "error": 0}
    for text in corpus(seed):
        fast = outcome(read_without_comments, text, mode)
        port = outcome(read_with_comments, text, mode)
        assert fast == port, f"the readers disagree ({mode}) on:\n{text}"
        outcomes[fast[0]] += 1
    assert outcomes["ok"] > 0  # the corpus is not all errors


def test_corpus_covers_what_it_claims() -> None:
    """The generated files hold every construct named in the module docstring."""
    text = "".join("".join(corpus(seed)) for seed in SEEDS)
    for construct in ("&a", "*a", "<<:", "\n---\n", "\n...\n", "[", "{", "|", ">", "'", '"', "!!binary",
                      "!!int abc", "0x1F", ".nan", "2001-12-14t21:59:43.10-05:00", "~", "yes", "dup: 2"):
        assert construct in text, construct
    results = {outcome(read_without_comments, t, PLAIN)[0] for seed in SEEDS for t in corpus(seed)}
    assert results == {"ok", "error"}


@pytest.mark.parametrize("mode", [PLAIN, ENCRYPTED])
@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, {c: d}]\n",
    "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n",
    "a: &x 1\nb: *x\n*x : c\n",
    "a: *nope\n",
    "a: &x [*x]\n",
    "a: 1\na: 2\n",
    "top:\n  a: 1\n  a: 2\n",
    "sops:\n  a: 1\n  a: 2\n",
    "<<: 5\n",
    "<<: [{a: 1}, 2]\n",
    "x: !!int abc\n",
    "- 1\n",
    "a: 1\n---\n- 1\n",
    "a: 1\n---\nscalar\n",
    "---\n...\n---\na: 1\n",
    "? [a]\n: 1\n",
    "{a: 1, b: [2, 3]}\n",
    "a: |\n  text\n\nb: >-\n  folded\n  more\n",
    "a: 'b\n\n  c'\n",
    "a: b: c\n",
    "a:\n- 1\n- 2\nb: 3\n",
    "\ufeffa: 1\n",
    "a: 1\r\nb: 2\r\n",
])
def test_readers_agree_on_chosen_files(text: str, mode: str) -> None:
    assert outcome(read_without_comments, text, mode) == outcome(read_with_comments, text, mode)
