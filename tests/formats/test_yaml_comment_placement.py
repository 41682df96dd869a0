"""The fast comment placement must place every comment where the go-yaml port does, or decline.

Files with comments are read by the fast reader, and
:func:`~sealfile.stores.yaml.placement.place` puts the comments back into
its tree (:func:`~sealfile.stores.yaml.reader.read_placing_comments`); when
the layout is one it does not know, it declines (None) and the go-yaml port
(:func:`~sealfile.stores.yaml.comment_reader.read_with_comments`, the
reference for where sops puts comments) reads the file.  A wrong guess
would silently move a comment in an encrypted file, so every accepted file
must give the port's tree exactly: comment texts, their containers and
their positions.  A file the port refuses must be declined (or refused with
the same error class).

The corpus is generated from fixed seeds: comment lines above keys and
``-`` entries at their column, deeper and shallower, blank lines around and
inside comment runs, inline comments after ``key: value``, ``key:``,
``- value``, ``- key: value`` and ``- # c``, foot comments after the last
item of a block at various columns, comments at the start and end of a
document, inside and after flow collections, on block scalar headers,
``#`` inside quoted and block scalars, ``a#b`` plain scalars, indentless
sequences, nested collections, empty values, anchors, aliases and tags,
several documents, and CRLF line breaks.  The layout of the benchmark
(a comment line above every key, inline comments) must be accepted.
"""
from __future__ import annotations

import math
import random
import re
from typing import Any, Callable

import pytest

from sealfile.core.tree import Comment, Mapping, Timestamp
from sealfile.errors import ParseError
from sealfile.stores.yaml import reader as yaml_reader
from sealfile.stores.yaml.comment_reader import read_with_comments
from sealfile.stores.yaml.reader import ENCRYPTED, PLAIN, read_documents, read_placing_comments

SEEDS = range(48)
FILES_PER_SEED = 30

PLAIN_VALUES = [
    "value", "hello world", "42", "-7", "3.5", "true", "no", "~", "null", "2001-12-14", "a#b", "x#y#z",
    "http://host/p#frag", "a:b", "-x", "\u00e9t\u00e9", "1e3", "0x1F", "v1", "a - b",
]
QUOTED_VALUES = [
    "''", '""', "'single'", '"double"', "'a # b'", '"# not a comment"', "'it''s # x'", '"esc\\t#"',
    '" #lead"', "'#'",
]
MULTILINE_PLAIN = ["first\n{pad}second", "one two\n\n{pad}three"]
MULTILINE_QUOTED = ['"multi\n{pad}line # in quotes"', "'folded\n\n{pad}para #x'"]
BLOCK_HEADERS = ["|", ">", "|-", "|+", ">-", "|2"]
BLOCK_LINES = [["line one", "line two"], ["# not a comment", "text"], ["a", "", "b # kept"], ["#"]]
FLOWS = ["[]", "{}", "[1, 2]", "{a: 1, b: x}", "[a, {b: c}]", "['#q', \"#d\"]", "[[1], []]"]
MULTILINE_FLOWS = ["[a, # in flow\n{pad}b]", "{a: 1, # in flow\n{pad}b: 2}", "[\n{pad}# first\n{pad}x\n{pad}]"]
COMMENT_TEXTS = [
    "# c", "#c", "#", "# two # hashes", "#   spaced", "# key: value", "# - item", "# \u00e9t\u00e9 \u65e5",
    "## double", "# 'q' \"d\"", "#!", "# ---",
]


class CommentGen:
    """Writes random YAML files with comments.

    Lines are ``[text, inline]`` (``inline``: may end in a comment), or
    ``[text, inline, False]`` for a line inside a multi-line scalar, which no
    comment line may come before (that would end the scalar early).

    The layouts are chosen to make go-yaml's comment attribution matter:
    comment runs at many columns, blank lines, foot comments, ``-`` entries
    and the places where the fast placement has to decline.
    """

    def __init__(self, rng: random.Random, density: float, exotic: bool, regular: bool = False) -> None:
        self.rng = rng
        self.regular = regular  # comment runs only at the column of the line below them
        self.density = density  # how often a gap gets a comment run or a line an inline comment
        self.exotic = exotic  # anchors, aliases, tags and tabs (all declined by the fast placement)
        self.anchors: list[str] = []
        self.count = 0

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def key(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.85:
            return rng.choice(["name", "port", "db", "user", "secret", "list", "url", "x", "y", "k"]) + str(
                rng.randrange(60))
        if r < 0.95:
            return rng.choice(["'quoted key'", '"dq # key"', "1", "true", "a#b", "'#k'"])
        if self.exotic and self.anchors and self.chance(0.5):
            return "*" + rng.choice(self.anchors)
        return "k" + str(rng.randrange(10000))

    def decorate(self, text: str) -> str:
        """An anchor or a tag on a scalar now and then (the fast placement declines them)."""
        rng = self.rng
        if not self.exotic:
            return text
        if self.chance(0.03):
            self.count += 1
            name = f"a{self.count}"
            self.anchors.append(name)
            return f"&{name} {text}"
        if self.chance(0.02):
            return "!!str " + text
        if self.anchors and self.chance(0.02):
            return "*" + rng.choice(self.anchors)
        return text

    def value(self, indent: int, depth: int, in_seq: bool) -> list[list]:
        """Lines of a value after ``key:`` or ``-``: the first continues that line (starts with a space
        or is empty)."""
        rng = self.rng
        r = rng.random()
        if depth < 4 and r < 0.2:
            return [["", True]] + self.mapping(indent + rng.choice((2, 2, 4, 1)), depth + 1)
        if depth < 4 and r < 0.34:
            shift = 0 if (not in_seq and self.chance(0.35)) else rng.choice((2, 2, 4))
            return [["", True]] + self.sequence(indent + shift, depth + 1)
        if r < 0.40:
            return [["", True]]  # an empty value
        if r < 0.47:
            return [[" " + rng.choice(FLOWS), True]]
        if r < 0.50:
            pad = " " * (indent + 2)
            first, *rest = rng.choice(MULTILINE_FLOWS).replace("{pad}", pad).split("\n")
            return [[" " + first, False]] + [[line, False] for line in rest[:-1]] + [[rest[-1], True]]
        if r < 0.57:
            pad = " " * (indent + 2)
            header = rng.choice(BLOCK_HEADERS)
            lines = rng.choice(BLOCK_LINES)
            if header == "|2":
                lines = ["  " + lines[0]] + lines[1:]
            return [[" " + header, True]] + [[(pad + line) if line else "", False, False] for line in lines]
        if r < 0.67:
            return [[" " + self.decorate(rng.choice(QUOTED_VALUES)), True]]
        if r < 0.70:
            pad = " " * (indent + 2)
            first, *rest = rng.choice(MULTILINE_QUOTED).replace("{pad}", pad).split("\n")
            return [[" " + first, False]] + [[line, False, False] for line in rest[:-1]] + [[rest[-1], True, False]]
        if r < 0.73:
            pad = " " * (indent + 2)
            first, *rest = rng.choice(MULTILINE_PLAIN).replace("{pad}", pad).split("\n")
            return [[" " + first, False]] + [[line, False, False] for line in rest[:-1]] + [[rest[-1], True, False]]
        if r < 0.76 and not in_seq:  # the value on the next line
            return [["", False], [" " * (indent + 2) + rng.choice(PLAIN_VALUES + QUOTED_VALUES), True]]
        return [[" " + self.decorate(rng.choice(PLAIN_VALUES)), True]]

    def mapping(self, indent: int, depth: int, first_inline: bool = False) -> list[list]:
        """A block mapping at column ``indent`` (its first key on the line before when ``first_inline``)."""
        rng = self.rng
        pad = " " * indent
        lines: list[list] = []
        for i in range(1 + rng.randrange(4)):
            lead = "" if (first_inline and i == 0) else pad
            value = self.value(indent, depth, False)
            key = self.key()
            if self.exotic and self.chance(0.03):  # an explicit key
                lines.append([f"{lead}? {key}", True])
                lead = pad
            lines.append([f"{lead}{key}:{value[0][0]}", value[0][1]])
            lines.extend(value[1:])
        return lines

    def sequence(self, indent: int, depth: int) -> list[list]:
        """A block sequence whose dashes are at column ``indent``."""
        rng = self.rng
        pad = " " * indent
        lines: list[list] = []
        for _ in range(1 + rng.randrange(4)):
            r = rng.random()
            if depth < 4 and r < 0.25:  # ``- key: value`` and more keys below
                gap = rng.choice((1, 1, 1, 2, 3))
                inner = self.mapping(indent + 1 + gap, depth + 1, first_inline=True)
                lines.append([f"{pad}-{' ' * gap}{inner[0][0]}", inner[0][1]])
                lines.extend(inner[1:])
            elif depth < 4 and r < 0.32:  # ``-`` alone, its mapping below
                lines.append([f"{pad}-", True])
                lines.extend(self.mapping(indent + 2, depth + 1))
            elif depth < 4 and r < 0.37:  # ``- - x``
                inner = self.sequence(indent + 2, depth + 1)
                lines.append([f"{pad}- {inner[0][0].lstrip()}", inner[0][1]])
                lines.extend(inner[1:])
            else:
                value = self.value(indent, depth, True)
                lines.append([f"{pad}-{value[0][0]}", value[0][1]])
                lines.extend(value[1:])
        return lines

    def comment(self) -> str:
        return self.rng.choice(COMMENT_TEXTS)

    def comment_run(self, column: int) -> list[str]:
        """One to three comment lines at ``column`` (sometimes one at another column), blank lines
        around and inside now and then."""
        rng = self.rng
        out: list[str] = []
        if self.chance(0.2):
            out.append("")
        for i in range(1 + rng.randrange(3)):
            col = column
            if i and self.chance(0.1):
                col = max(0, column + rng.choice((-2, 2)))
            out.append(" " * col + self.comment())
            if self.chance(0.12):
                out.append("")
        if self.chance(0.1):
            out.append("")
        return out

    def with_comments(self, lines: list[list]) -> list[str]:
        """``lines`` with comment runs in their gaps and comments at the end of some lines."""
        rng = self.rng
        out: list[str] = []
        columns = [len(t) - len(t.lstrip(" ")) if t.strip() else 0 for t, *_ in lines]
        for i, (text, inline, *gap) in enumerate(lines):
            if not gap and self.chance(self.density):
                here = columns[i]
                before = columns[i - 1] if i else 0
                col = rng.choice((here, here, here, before, before + 2, 0, max(0, here - 2), here + 2))
                if self.regular:
                    out.extend(([""] if self.chance(0.2) else []) + [" " * here + self.comment()])
                else:
                    out.extend(self.comment_run(col))
            if inline and self.chance(self.density * 0.6):
                if self.exotic and self.chance(0.05):
                    text += "\t" + self.comment()
                else:
                    spaces = rng.choice((0, 1, 1, 1, 1, 2, 2, 4))
                    if not spaces and not re.search(r"['\"\]}]$|[|>][0-9+-]{0,2}$", text):
                        spaces = 1  # (``key:#c`` or ``value#c: x`` would be another document)
                    # no space: a comment after a quote, a flow indicator or a block header
                    text += " " * spaces + self.comment()
            out.append(text)
        if self.chance(self.density):
            last = columns[-1] if columns else 0
            col = rng.choice((0, 0, last, max(0, last - 2), last + 2, 2))
            out.extend(self.comment_run(col))
        return out

    def document(self) -> str:
        self.anchors = []
        r = self.rng.random()
        if r < 0.02:
            return self.rng.choice(["- a # c\n- b\n", "# only\nscalar\n", "[1, 2] # c\n", "# just a comment\n"])
        return "\n".join(self.with_comments(self.mapping(0, 0))) + "\n"


def corpus(seed: int, count: int = FILES_PER_SEED) -> list[str]:
    """``count`` files with comments; a third of them exotic: anchors, aliases, tags, tabs, several
    documents, CRLF, syntax errors, duplicate keys."""
    rng = random.Random(seed)
    files: list[str] = []
    for _ in range(count):
        exotic = rng.random() < 0.35
        regular = not exotic and rng.random() < 0.4
        gen = CommentGen(rng, rng.choice((0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0)), exotic, regular)
        docs = [gen.document() for _ in range(1 if not exotic or rng.random() < 0.7 else rng.randrange(2, 4))]
        sep = rng.choice(["---\n", "...\n---\n", "--- # doc\n", "# between\n---\n"])
        text = sep.join(docs)
        r = rng.random()
        if r < 0.05:
            text = "# head\n\n" + text
        elif exotic and r < 0.15:
            text = "---\n" + text
        if exotic:
            if rng.random() < 0.15:
                text = text.replace("\n", "\r\n")
            if rng.random() < 0.1:
                text = text.replace(":", ": :", 1)  # a syntax error, somewhere
            if rng.random() < 0.1:
                text += "dup: 1\ndup: 2\n"
        if rng.random() < 0.15:  # comments that end the document
            text += rng.choice(["# end\n", "\n# end\n", "\n  # end\n", "# end\n\n# e2\n", "  # end\n", "\n\n# end\n\n"])
        if rng.random() < 0.05:
            text = text.rstrip("\n")  # no line break at the end
        files.append(text)
    return files


def benchmark_file(entries: int = 300, group: int = 100, inline: bool = True) -> str:
    """The layout the fast placement exists for: a comment line above every ``key: value``, the
    entries grouped in nested mappings, a few inline comments, a comment on top and at the end."""
    lines = ["# generated settings", ""]
    for g in range(0, entries, group):
        lines.append(f"# group {g // group}")
        lines.append(f"group_{g // group}:")
        for i in range(g, min(g + group, entries)):
            lines.append(f"    # comment {i}")
            tail = f"  # inline {i}" if inline and i % 7 == 0 else ""
            lines.append(f"    key_{i}: value_{i}{tail}")
        lines.append("")
    lines.append("# the end")
    return "\n".join(lines) + "\n"


def shape(node: Any) -> Any:
    """A comparable form of a tree, comments included: types kept apart, NaN equal to itself."""
    if isinstance(node, Mapping):
        return ("map", [shape(k) if isinstance(k, Comment) else (shape(k), shape(v)) for k, v in node])
    if isinstance(node, list):
        return ("seq", [shape(v) for v in node])
    if isinstance(node, Comment):
        return ("comment", node.text)
    if isinstance(node, float):
        return ("float", "nan" if math.isnan(node) else repr(node))
    if isinstance(node, Timestamp):
        return ("ts", node.rfc3339(), node.nanos, node.offset)
    return (type(node).__name__, node)


def outcome(read: Callable[[str, str], Any], text: str, mode: str) -> Any:
    """("ok", shapes), ("declined",) for None, or ("error", class name)."""
    try:
        docs = read(text, mode)
    except ParseError as exc:
        return ("error", type(exc).__name__)
    if docs is None:
        return ("declined",)
    return ("ok", [shape(doc) for doc in docs])


def check(text: str, mode: str) -> str:
    """Compare the fast placement with the port on ``text``; what the fast path did."""
    fast = outcome(read_placing_comments, text, mode)
    if fast[0] == "declined":
        return "declined"
    port = outcome(read_with_comments, text, mode)
    assert fast == port, f"the fast placement disagrees with the port ({mode}) on:\n{text!r}"
    return fast[0]


@pytest.mark.parametrize("mode", [PLAIN, ENCRYPTED])
@pytest.mark.parametrize("seed", SEEDS)
def test_fast_placement_agrees_with_the_port(seed: int, mode: str) -> None:
    for text in corpus(seed):
        check(text, mode)


def test_fast_placement_accepts_a_good_share_of_the_corpus() -> None:
    """Declining everything would pass the test above: the common layouts must be accepted."""
    texts = [t for seed in SEEDS[:12] for t in corpus(seed)]
    results = [check(t, PLAIN) for t in texts]
    accepted = results.count("ok")
    assert accepted >= len(texts) // 4, (accepted, len(texts))
    # what the corpus claims to hold (module docstring)
    for construct in (r"\n#", r"\n +#", r"\n\n +#", r"\w +#", r": *#", r"\n *- *#", r"\n *- \w+: \w+ +#",
                      r": [|>][-+2]? +#", r"[|>]#", r"\w'#", r"\]#", r"\[a, # in flow", r" a#b", r"\n- ",
                      r"\n\s+- ", r"&a", r"\*a", r"!!str", r"\n---", r"\r\n", r"'a # b'", r"\n +# not a comment",
                      r"\n# end\n$", r"[^\n]\Z"):
        assert any(re.search(construct, t) for t in texts), construct


@pytest.mark.parametrize("mode", [PLAIN, ENCRYPTED])
@pytest.mark.parametrize("text", [
    "# top\na: 1\n",
    "a: 1 # c\n",
    "a: 1\n# end\n",
    "a:\n  # above\n  b: 1\n",
    "a: # on key\n  b: 1\n",
    "a:\n  b: 1\n  # foot of a\nc: 2\n",
    "a:\n  b: 1\n# foot at 0\nc: 2\n",
    "a:\n  b: 1\n    # deeper foot\nc: 2\n",
    "a:\n  b:\n    c: 1\n  # foot of a\n# top\nd: 1\n",
    "l:\n  # first\n  - a # on a\n  # between\n  - b\n  # last\nz: 1\n",
    "l:\n- a\n# c\n- b\n",
    "l:\n- a\n# c\nz: 1\n",
    "l:\n  - # dash\n    k: v\n  - k2: v2 # inline\n    # between keys\n    k3: v3\n",
    "l:\n  -\n    # above k\n    k: v\n",
    "l:\n  - a\n  -\n  # after empty\n  - b\n",
    "a:\n\n  # after blank\n\n  b: 1\n",
    "a: 1\n\n# blank before\n\n# and inside\nb: 2\n",
    "a: [1, 2] # after flow\nb: {c: 1} # after flow map\n",
    "a: [1, # inside\n  2]\n",
    "a: | # on header\n  text\n",
    "a: |\n  # text\nb: 1 # c\n",
    "a: 'x # y' # z\n",
    "a: 'x'#c\nb: 1 # d\n",
    "a: [x]#c\nb: 1 # d\n",
    'a: {"x":#c\n  1}\nb: 1 # d\n',
    "a: |#c\n  text\nb: 1 # d\n",
    "a: >2-#c\n    text\nb: 1 # d\n",
    "a: v1#c\nb: 1 # d\n",
    "a: x#y # z\n",
    "a: &x 1 # c\nb: *x\n",
    "a: 1 # c\n---\nb: 2\n",
    "a: 1\r\n# c\r\nb: 2\r\n",
    "a: 1\t# tab\n",
    "a:\n# shallower\n  b: 1\n",
    "- a # c\n",
    "a: 1\na: 2 # c\n",
])
def test_fast_placement_on_chosen_files(text: str, mode: str) -> None:
    check(text, mode)


@pytest.mark.parametrize("mode", [PLAIN, ENCRYPTED])
def test_benchmark_layout_is_read_by_the_fast_path(mode: str) -> None:
    """A comment line above every key of nested mappings (the benchmark's 10k-value file) and inline
    comments: placed by the fast path, exactly as the port places them."""
    for text in (benchmark_file(), benchmark_file(inline=False), benchmark_file(250, 50).replace("    ", "  ")):
        assert check(text, mode) == "ok"


def test_read_documents_uses_the_fast_path_for_the_benchmark_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher reads commented files in the common layout without the port."""
    text = benchmark_file()
    expected = [shape(doc) for doc in read_with_comments(text, PLAIN)]
    calls: list[str] = []
    real = yaml_reader.read_placing_comments

    def spy(t: str, mode: str, data: bytes | None = None) -> Any:
        result = real(t, mode, data)
        calls.append("fast" if result is not None else "declined")
        return result

    monkeypatch.setattr(yaml_reader, "read_placing_comments", spy)
    assert [shape(doc) for doc in read_documents(text, PLAIN)] == expected
    assert calls == ["fast"]


@pytest.mark.parametrize("text", [
    "a: 'x'#c\n",
    'a: "x"#c\n',
    "a: [x]#c\n",
    "a: {x: 1}#c\n",
    'a: {"x":#c\n  1}\n',
    "a: |#c\n  text\n",
    "a: >2-#c\n    text\n",
    "a: x#y\nb: '#'\nc: |\n  #\n",
])
def test_read_documents_sees_comments_with_no_blank_before_them(text: str) -> None:
    """go-yaml reads a comment right after a quote, a flow indicator or a block scalar header (sops
    keeps ``a: 'x'#c`` as ``#c`` above ``a``): the dispatcher must not take such a file for one
    without comments."""
    for mode in (PLAIN, ENCRYPTED):
        assert outcome(read_documents, text, mode) == outcome(read_with_comments, text, mode)


@pytest.mark.parametrize("seed", SEEDS[:16])
def test_read_documents_agrees_with_the_port(seed: int) -> None:
    """Whatever path the dispatcher takes (no comments, fast placement, or the port), sops's tree."""
    for text in corpus(seed):
        assert outcome(read_documents, text, PLAIN) == outcome(read_with_comments, text, PLAIN), text
