"""The INI store: go-ini v1.67 (as sops configures it) read and written byte for byte (docs/sops-format.md §5.7).

sops parses INI with go-ini (non-unique sections allowed, every other option at
its default) and writes it back with go-ini's pretty printer.  Section and key
names are AADs, and which characters end a value decides what gets encrypted,
so the parser below follows go-ini's rules literally: ``;``/``#`` start an
inline comment anywhere in an unquoted value, one pair of surrounding quotes
is removed, backquotes and ``\"\"\"`` quote (``\"\"\"`` may span lines), a trailing
backslash continues the value, a repeated key overwrites the earlier value,
and the implicit ``DEFAULT`` section always comes first.
"""
from __future__ import annotations

import re
from typing import Any, ClassVar

from .base import StoreDefaults
from ..errors import EmitError, MetadataNotFound, ParseError
from ..core.tree import Branch, Comment, Mapping, rebuild
from ..core.gofmt import val_to_string
from .storable import flat_values, single_document
from .flatten import flatten, unflatten
from .json import encode_json, go_json_bytes

__all__ = ["IniStore"]

DEFAULT_SECTION = "DEFAULT"
# Go's unicode.IsSpace (Python's str.isspace would also strip \x1c-\x1f).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _trim(text: str) -> str:
    return text.strip(_GO_SPACE)


def _index_any(text: str, chars: str, start: int = 0) -> int:
    """First index of any of ``chars`` at or after ``start``, -1 if none."""
    best = -1
    for ch in chars:
        i = text.find(ch, start)
        if i != -1 and (best == -1 or i < best):
            best = i
    return best


def _byte_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


class _Key:
    __slots__ = ("value", "comment")

    def __init__(self, value: str) -> None:
        self.value = value
        self.comment = ""


class _Section:
    __slots__ = ("name", "comment", "keys")

    def __init__(self, name: str) -> None:
        self.name = name
        self.comment = ""
        self.keys: dict[str, _Key] = {}

    def new_key(self, name: str, value: str) -> _Key:
        """go-ini's NewKey: a repeated name keeps its place and takes the new value."""
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = _Key(value)
        else:
            key.value = value
        return key


class _Parser:
    """go-ini's line parser (``parser.go``) restricted to the options sops uses."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.pos = 0
        self.eof = False
        self.comment: list[str] = []

    def read_line(self) -> str:
        """``ReadBytes('\\n')``: the line with its newline; the last piece sets EOF."""
        if self.pos >= len(self.lines) - 1:
            self.eof = True
            line = self.lines[-1] if self.pos == len(self.lines) - 1 else ""
            self.pos = len(self.lines)
            return line
        line = self.lines[self.pos] + "\n"
        self.pos += 1
        return line

    def take_comment(self) -> str:
        text = _trim("".join(self.comment))
        self.comment.clear()
        return text

    def parse(self) -> list[_Section]:
        section = _Section(DEFAULT_SECTION)
        sections = [section]
        counter = 1
        while not self.eof:
            line = self.read_line().lstrip(_GO_SPACE)
            number = self.pos
            if not line:
                continue
            if line[0] in "#;":
                self.comment.append(line)
                continue
            if line[0] == "[":
                close = line.rfind("]")
                if close == -1:
                    raise ParseError(f"invalid INI input: unclosed section header on line {number}")
                name = line[1:close]
                if not name:
                    raise ParseError(f"invalid INI input: empty section name on line {number}")
                section = _Section(name)
                sections.append(section)
                inline = _index_any(line, "#;", close + 1)
                if inline != -1:
                    self.comment.append(line[inline:])
                section.comment = self.take_comment()
                counter = 1
                continue
            name, offset = self._key_name(line, number)
            if name == "-":  # go-ini's auto-increment keys
                name = f"#{counter}"
                counter += 1
            value = self._value(line[offset:], number)
            if not name:
                raise ParseError(f"invalid INI input: empty key name on line {number}")
            section.new_key(name, value).comment = self.take_comment()
        return sections

    @staticmethod
    def _key_name(line: str, number: int) -> tuple[str, int]:
        quote = ""
        if line[0] == '"':
            quote = '"""' if line.startswith('"""') and _byte_len(line) > 6 else '"'
        elif line[0] == "`":
            quote = "`"
        if quote:
            start = len(quote)
            end = line.find(quote, start)
            if end == -1:
                raise ParseError(f"invalid INI input: missing closing key quote on line {number}")
            delim = _index_any(line, "=:", end + start)
            if delim == -1:
                raise ParseError(f"invalid INI input: no '=' or ':' on line {number}")
            return _trim(line[start:end]), delim + 1
        delim = _index_any(line, "=:")
        if delim == -1:
            raise ParseError(f"invalid INI input: no '=' or ':' on line {number}")
        if delim == 0:
            raise ParseError(f"invalid INI input: empty key name on line {number}")
        return _trim(line[:delim]), delim + 1

    def _value(self, raw: str, number: int) -> str:
        line = raw.lstrip(_GO_SPACE)
        if not line:
            return ""
        quote = ""
        if len(line) > 3 and line.startswith('"""'):
            quote = '"""'
        elif line[0] == "`":
            quote = "`"
        if quote:
            start = len(quote)
            end = line.rfind(quote, start)
            if end == -1:
                return self._multiline(line[start:], quote, number)
            return line[start:end]  # whatever follows the closing quote is ignored
        line = _trim(line)
        if line[-1] == "\\":
            return self._continuation(line[:-1])
        inline = _index_any(line, "#;")
        if inline != -1:
            self.comment.append(line[inline:])
            line = _trim(line[:inline])
        if len(line) >= 2 and line[0] == line[-1] and line[0] in "'\"" and line.find(line[0], 1) == len(line) - 1:
            line = line[1:-1]
        return line

    def _multiline(self, value: str, quote: str, number: int) -> str:
        while True:
            nxt = self.read_line()
            end = nxt.rfind(quote)
            if end != -1:
                value += nxt[:end]
                inline = _index_any(nxt, "#;", end)
                if inline != -1:
                    self.comment.append(_trim(nxt[inline:]))
                return value
            value += nxt
            if self.eof:
                raise ParseError(f"invalid INI input: missing closing quote for the value on line {number}")

    def _continuation(self, value: str) -> str:
        while True:
            nxt = _trim(self.read_line())
            if not nxt:
                return value
            value += nxt
            if value[-1] != "\\":
                return value
            value = value[:-1]


def _strip_comment_marker(text: str) -> str:
    """sops's stripCommentChar: drop the marker and the ``;``/``#`` and spaces after it."""
    if text.startswith(";"):
        return text.lstrip("; ")
    if text.startswith("#"):
        return text.lstrip("# ")
    return text


def _parse(data: bytes) -> list[_Section]:
    # go-ini skips a UTF-8 byte order mark and blindly drops a UTF-16 one.
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    elif data[:2] in (b"\xfe\xff", b"\xff\xfe"):
        data = data[2:]
    return _Parser(data.decode("utf-8", "surrogateescape")).parse()


def _to_tree(sections: list[_Section]) -> Mapping:
    doc = Mapping()
    for section in sections:
        items = Mapping()
        if section.comment:
            items.append([Comment(_strip_comment_marker(section.comment)), None])
        for name, key in section.keys.items():
            items.append([name, key.value])
            if key.comment:
                items.append([Comment(_strip_comment_marker(key.comment)), None])
        doc.append([section.name, items])
    return doc


def _from_docs(docs: list[Mapping]) -> list[_Section]:
    """sops's encodeTree: every top-level item is a section of string values."""
    sections: list[_Section] = []
    for doc in docs:
        for name, body in doc:
            if isinstance(name, Comment):
                continue
            if not name:
                raise EmitError("cannot write an INI section with an empty name")
            if not isinstance(body, Mapping):
                raise EmitError("cannot write INI: every top-level value must be a section (a mapping)")
            section = _Section(name)
            sections.append(section)
            items = list(body)
            if items and isinstance(items[0][0], Comment):
                section.comment = items[0][0].text
                items = items[1:]
            last: _Key | None = None
            for key, value in items:
                if isinstance(key, Comment):
                    if last is not None:
                        last.comment = key.text
                    continue
                if not key:
                    raise EmitError(f"cannot write an INI key with an empty name in section {name}")
                last = section.new_key(key, val_to_string(value))
    return sections


def _comment_lines(comment: str, trim_plain: bool) -> str:
    out = []
    for line in comment.split("\n"):
        if not line:
            raise EmitError("cannot write an INI comment containing an empty line")
        if line[0] in "#;":
            out.append(line[0] + " " + _trim(line[1:]) + "\n")
        else:
            out.append("; " + (_trim(line) if trim_plain else line) + "\n")
    return "".join(out)


def _quote_key(name: str) -> str:
    if '"' in name or "=" in name or ":" in name:
        return "`" + name + "`"
    if "`" in name:
        return '"""' + name + '"""'
    return name


def _quote_value(value: str) -> str:
    if "\n" in value or "`" in value:
        return '"""' + value + '"""'
    if "#" in value or ";" in value:
        return "`" + value + "`"
    if _trim(value) != value:
        return '"' + value + '"'
    return value


def _write(sections: list[_Section]) -> bytes:
    """go-ini's writeToBuffer with PrettyFormat and PrettySection (its defaults)."""
    out: list[str] = []
    last_index = len(sections) - 1
    for i, section in enumerate(sections):
        if section.comment:
            out.append(_comment_lines(section.comment, trim_plain=False))
        if i > 0 or not (section.name.isascii() and section.name.upper() == DEFAULT_SECTION):
            out.append("[" + section.name + "]\n")
        elif not section.keys:
            continue  # an empty leading DEFAULT section is not written at all
        names = [(name, _quote_key(name)) for name in section.keys]
        width = max((_byte_len(quoted) for _, quoted in names), default=0)
        for name, quoted in names:
            key = section.keys[name]
            if key.comment:
                out.append(_comment_lines(key.comment, trim_plain=True))
            out.append(quoted + " " * (width - _byte_len(quoted)) + " = " + _quote_value(key.value) + "\n")
        if i != last_index:
            out.append("\n")
    return "".join(out).encode("utf-8", "surrogateescape")


def _struct_branch(node: Any) -> Branch | None:
    if isinstance(node, Mapping):
        children = [part for pair in node for part in pair]  # key, value, key, value...
        return children, lambda parts: [Mapping([["Key", parts[i]], ["Value", parts[i + 1]]])
                                        for i in range(0, len(parts), 2)]
    if isinstance(node, list):
        return node, list
    return None


def _struct_leaf(node: Any) -> Any:
    if isinstance(node, Comment):
        return Mapping([["Value", node.text]])
    return node


def _go_struct(node: Any) -> Any:
    """How ``json.Marshal`` sees sops's tree types: a mapping is a slice of {Key, Value} structs."""
    return rebuild(node, _struct_branch, _struct_leaf)


class IniStore(StoreDefaults):
    """INI files; the metadata is a ``[sops]`` section of flattened keys, sorted."""

    name = "ini"
    config_section: ClassVar[str] = "ini"
    options: ClassVar[frozenset[str]] = frozenset()
    json_metadata: ClassVar[bool] = False
    json_envelope: ClassVar[bool] = False
    metadata_layout: ClassVar[bool] = False  # flattened and sorted by every sops
    opaque: ClassVar[bool] = False
    example: ClassVar[bytes] = (b"; This is an example file.\n[Welcome!]\n"
                                b"hello       = Welcome to SOPS! Edit this file as you please!\n"
                                b"example_key = example_value\n")

    def load_plain(self, data: bytes) -> list[Mapping]:
        return [_to_tree(_parse(data))]

    def load_encrypted(self, data: bytes) -> tuple[list[Mapping], Mapping]:
        sections = _parse(data)
        meta = next((s for s in sections if s.name == "sops"), None)
        if meta is None:
            raise MetadataNotFound("sops metadata not found")
        # sops 3.11 escapes newlines as \n; 3.13.0/3.13.1 wrote """ blocks: accept both.
        pairs = [(name, key.value.replace("\\n", "\n")) for name, key in meta.keys.items()]
        body = _to_tree([s for s in sections if s.name != "sops"])
        return [body], unflatten(pairs, "")

    def dump_plain(self, docs: list[Mapping]) -> bytes:
        return _write(_from_docs(docs))

    def dump_encrypted(self, docs: list[Mapping], metadata: Mapping) -> bytes:
        meta = Mapping([[k, v.replace("\n", "\\n")] for k, v in flatten(metadata, "")])
        return _write(_from_docs(list(docs) + [Mapping([["sops", meta]])]))

    def key_lines(self, data: bytes) -> dict[tuple, int]:
        lines: dict[tuple, int] = {}
        section = "DEFAULT"
        for number, raw in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
            line = raw.strip()
            if line.startswith("[") and "]" in line:
                section = line[1:line.index("]")].strip()
                lines.setdefault((section,), number)
            elif line and line[0] not in "#;" and ("=" in line or ":" in line):
                key = re.split(r"[=:]", line, 1)[0].strip().strip('"`')
                lines.setdefault((section, key), number)
        return lines

    def check_storable(self, docs: list[Mapping]) -> None:
        """One document of named sections, each holding flat, non-null values."""
        single_document(docs, "INI")
        for name, body in docs[0] if docs else ():
            if isinstance(name, Comment):
                continue
            if not isinstance(body, Mapping):
                raise EmitError(f'["{name}"]: INI holds sections at the top level, not values; put the key in '
                                "a section")
            if not name:
                raise EmitError("cannot write an INI section with an empty name")
            flat_values(body, "INI", (name,))

    def dump_value(self, node: Any) -> bytes:
        """sops prints an extracted section as INI and anything else with ``json.Marshal``."""
        if isinstance(node, Mapping):
            return self.dump_plain([node])
        if isinstance(node, str):
            return node.encode("utf-8", "surrogateescape")
        return go_json_bytes(encode_json(_go_struct(node), None))

    def has_metadata(self, docs: list[Mapping]) -> bool:
        return bool(docs) and any(k == "sops" for k, _ in docs[0])
