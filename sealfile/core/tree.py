"""The document tree shared by every store, the cipher and the MAC.

A file is a list of documents; a document is a :class:`Mapping`.  Mappings are
ordered lists of ``[key, value]`` pairs (duplicate keys are legal, as in sops's
JSON store); a comment inside a mapping is a pair ``[Comment, None]``, inside a
list it is an element.  Sequences are plain ``list``.  Leaves are ``str``,
``int``, ``float``, ``bool``, ``None``, :class:`Timestamp` or :class:`Comment`.
Binary content travels as ``str`` decoded with ``surrogateescape`` so that any
byte string survives the round trip unchanged.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence, Union

__all__ = ["Comment", "Mapping", "Timestamp", "Node", "to_python", "from_python",
           "rebuild", "Branch", "without_comments"]


class Comment:
    """A comment item; ``text`` is everything after the comment marker."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Comment) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("comment", self.text))

    def __repr__(self) -> str:
        return "Comment(<redacted>)"


class Mapping(list):
    """An ordered mapping that may hold duplicate keys and comment items."""

    __slots__ = ()

    def find(self, key: str) -> int:
        """Index of the first item whose key is ``key`` or -1."""
        for i, (k, _) in enumerate(self):
            if k == key and not isinstance(k, Comment):
                return i
        return -1

    def get(self, key: str, default: Any = None) -> Any:
        i = self.find(key)
        return self[i][1] if i >= 0 else default

    def set(self, key: str, value: Any) -> None:
        i = self.find(key)
        if i >= 0:
            self[i][1] = value
        else:
            self.append([key, value])

    def delete(self, key: str) -> bool:
        i = self.find(key)
        if i < 0:
            return False
        del self[i]
        return True

    def __repr__(self) -> str:
        return "Mapping(" + list.__repr__(self) + ")"


#: compiled on first use (through ``re``'s cache): most runs read no timestamp
_RFC3339 = r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"


class Timestamp:
    """A date-time leaf with nanosecond precision and its original UTC offset.

    Python's datetime stops at microseconds; sops (Go) keeps nanoseconds and
    hashes them into the MAC, so the fields are kept as Go would.
    """

    __slots__ = ("year", "month", "day", "hour", "minute", "second", "nanos", "offset")

    def __init__(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0,
                 second: int = 0, nanos: int = 0, offset: int = 0) -> None:
        self.year, self.month, self.day = year, month, day
        self.hour, self.minute, self.second = hour, minute, second
        self.nanos = nanos
        self.offset = offset  # minutes east of UTC

    @classmethod
    def parse_rfc3339(cls, text: str) -> "Timestamp":
        m = re.match(_RFC3339, text)
        if not m:
            raise ValueError("not an RFC 3339 timestamp")
        y, mo, d, h, mi, s, frac, z, sign, oh, om = m.groups()
        nanos = int((frac or "").ljust(9, "0")) if frac else 0
        offset = 0 if z else (int(oh) * 60 + int(om)) * (1 if sign == "+" else -1)
        ts = cls(int(y), int(mo), int(d), int(h), int(mi), int(s), nanos, offset)
        ts._validate()
        return ts

    def _validate(self) -> None:
        import calendar

        if not (1 <= self.month <= 12) or not (1 <= self.day <= calendar.monthrange(self.year, self.month)[1]):
            raise ValueError("day out of range")
        if self.hour > 23 or self.minute > 59 or self.second > 59:
            raise ValueError("time out of range")

    def rfc3339(self, with_nanos: bool = True) -> str:
        """Go's ``time.RFC3339Nano`` (or ``RFC3339`` without the fraction)."""
        out = f"{self.year:04d}-{self.month:02d}-{self.day:02d}T{self.hour:02d}:{self.minute:02d}:{self.second:02d}"
        if with_nanos and self.nanos:
            out += "." + f"{self.nanos:09d}".rstrip("0")
        if self.offset == 0:
            return out + "Z"
        sign = "+" if self.offset > 0 else "-"
        off = abs(self.offset)
        return out + f"{sign}{off // 60:02d}:{off % 60:02d}"

    def to_datetime(self):  # type: ignore[no-untyped-def]
        import datetime as dt

        tz = dt.timezone(dt.timedelta(minutes=self.offset))
        return dt.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                           self.nanos // 1000, tzinfo=tz)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timestamp) and other.rfc3339() == self.rfc3339()

    def __hash__(self) -> int:
        return hash(self.rfc3339())

    def __repr__(self) -> str:
        return f"Timestamp({self.rfc3339()!r})"

    def __str__(self) -> str:
        return self.rfc3339()


Node = Union[Mapping, list, str, int, float, bool, None, Timestamp, Comment]
#: what ``rebuild``'s ``branch`` returns for a container: its children, and how to build the
#: new container from the rebuilt children (in the same order)
Branch = tuple[Sequence[Any], Callable[[list[Any]], Any]]


def _same_value(value: Any) -> Any:
    return value


def rebuild(root: Any, branch: Callable[[Any], Branch | None],
            leaf: Callable[[Any], Any] = _same_value) -> Any:
    """Rebuild a tree bottom-up with an explicit stack, so any nesting depth works.

    ``branch(node)`` returns None for a leaf (converted with ``leaf``) or the
    node's children and a function building the new node from the converted
    children.  Documents may nest 10,000 levels and more (sops accepts that
    much), far beyond Python's recursion limit, hence no recursion here.
    """
    spec = branch(root)
    if spec is None:
        return leaf(root)
    children, finish = spec
    results: list[Any] = []
    # one frame per open container: children, finish, converted children, next index
    stack: list[list[Any]] = [[children, finish, results, 0]]
    while True:
        frame = stack[-1]
        children, results = frame[0], frame[2]
        i = frame[3]
        n = len(children)
        while i < n:
            child = children[i]
            i += 1
            spec = branch(child)
            if spec is None:
                results.append(leaf(child))
                continue
            frame[3] = i
            stack.append([spec[0], spec[1], [], 0])
            break
        else:
            value = frame[1](results)
            stack.pop()
            if not stack:
                return value
            stack[-1][2].append(value)


def _python_branch(node: Any) -> Branch | None:
    if isinstance(node, Mapping):
        items = [(k, v) for k, v in node if not isinstance(k, Comment)]
        return [v for _, v in items], lambda values: dict(zip([k for k, _ in items], values))
    if isinstance(node, list):
        return [v for v in node if not isinstance(v, Comment)], _same_value
    return None


def _python_leaf(node: Any) -> Any:
    return node.to_datetime() if isinstance(node, Timestamp) else node


def to_python(node: Any) -> Any:
    """Plain Python data (dict/list/scalars) without comments.

    Duplicate keys keep the last value, as most consumers expect from a dict;
    timestamps become ``datetime`` (microsecond precision).
    """
    return rebuild(node, _python_branch, _python_leaf)


def _tree_branch(value: Any) -> Branch | None:
    if isinstance(value, Mapping):
        return None  # already a tree node: kept as it is
    if isinstance(value, dict):
        keys = list(value)
        return list(value.values()), lambda values: Mapping([[k, v] for k, v in zip(keys, values)])
    if isinstance(value, (list, tuple)):
        return list(value), _same_value
    return None


def _tree_leaf(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.datetime):
        off = value.utcoffset()
        minutes = int(off.total_seconds() // 60) if off is not None else 0
        return Timestamp(value.year, value.month, value.day, value.hour, value.minute, value.second,
                         value.microsecond * 1000, minutes)
    if isinstance(value, dt.date):
        return Timestamp(value.year, value.month, value.day)
    return value


def from_python(value: Any) -> Any:
    """Build tree nodes from plain Python data (dicts keep insertion order)."""
    return rebuild(value, _tree_branch, _tree_leaf)


def _uncommented(node: Any) -> Branch | None:
    if isinstance(node, Mapping):
        items = [(k, v) for k, v in node if not isinstance(k, Comment)]
        return [v for _, v in items], lambda values: Mapping([[k, v] for (k, _), v in zip(items, values)])
    if isinstance(node, list):
        return [v for v in node if not isinstance(v, Comment)], list
    return None


def without_comments(node: Any) -> Any:
    """A copy of ``node`` without comment items, at any depth (metadata is read as typed structs,
    where comments have no place)."""
    return rebuild(node, _uncommented)
