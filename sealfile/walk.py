"""The single depth-first traversal used by encryption, decryption and the MAC.

The order and the path rules are the format: list positions are not part of a
value's path, a comment uses its mapping's path, and the selector predicate
(spec §4.3) is evaluated incrementally so the walk stays linear in file size.
"""
from __future__ import annotations

from typing import Any, Callable

from .selectors import Selector
from .tree import Comment, Mapping

#: visit(value, aad, encrypt, is_comment) -> replacement value
Visitor = Callable[[Any, str, bool, bool], Any]


class _Predicate:
    """Evaluates "should this leaf be encrypted" for one selector."""

    def __init__(self, selector: Selector) -> None:
        self.kind = selector.kind
        self.value = selector.value
        self.regex = selector.compiled() if selector.is_regex else None
        self.on_comments = selector.on_comments
        self.by_default = selector.encrypts_by_default

    def component_matches(self, key: str) -> bool:
        if self.on_comments:
            return False
        if self.regex is not None:
            return self.regex.search(key) is not None
        return key.endswith(self.value)

    def decide(self, matched: bool, stack: list[list[str]], is_comment: bool) -> bool:
        if self.on_comments:
            levels = stack
            hit = False
            for depth, level in enumerate(levels):
                items = level
                if is_comment and self.kind == "encrypted_comment_regex" and depth == len(levels) - 1:
                    items = level[:-1]
                if any(self.regex.search(c) for c in items):  # type: ignore[union-attr]
                    hit = True
                    break
            return not hit if self.by_default else hit
        return not matched if self.by_default else matched


def walk(docs: list[Mapping], selector: Selector, visit: Visitor, *, list_comments_as_items: bool = False) -> None:
    """Visit every leaf and comment of ``docs`` in sops order, replacing each in place.

    With ``list_comments_as_items`` a comment inside a list that the visitor
    turned into another comment (an encrypted one) is stored as a plain string
    element, which is how sops 3.11 writes encrypted list comments.
    """
    pred = _Predicate(selector)
    track_comments = pred.on_comments
    stack: list[list[str]] = []
    path: list[str] = []

    def aad() -> str:
        return ":".join(path) + ":" if path else ":"

    def leaf(value: Any, matched: bool, is_comment: bool) -> Any:
        if value is None:
            return None
        return visit(value, aad(), pred.decide(matched, stack, is_comment), is_comment)

    def node(value: Any, matched: bool) -> Any:
        if isinstance(value, Mapping):
            mapping(value, matched)
            return value
        if isinstance(value, list):
            sequence(value, matched)
            return value
        return leaf(value, matched, False)

    def mapping(m: Mapping, matched: bool) -> None:
        if track_comments:
            stack.append([])
        for item in m:
            key = item[0]
            if isinstance(key, Comment):
                if track_comments:
                    stack[-1].append(key.text)
                new = leaf(key, matched, True)
                item[0] = new
                continue
            path.append(key if isinstance(key, str) else str(key))
            item[1] = node(item[1], matched or pred.component_matches(path[-1]))
            path.pop()
            if track_comments:
                stack[-1] = []
        if track_comments:
            stack.pop()

    def sequence(seq: list, matched: bool) -> None:
        if track_comments:
            stack.append([])
        for i, value in enumerate(seq):
            if isinstance(value, Comment):
                if track_comments:
                    stack[-1].append(value.text)
                new = leaf(value, matched, True)
                if list_comments_as_items and isinstance(new, Comment) and new is not value:
                    new = new.text
                seq[i] = new
                continue
            seq[i] = node(value, matched)
            if track_comments:
                stack[-1] = []
        if track_comments:
            stack.pop()

    for doc in docs:
        mapping(doc, False)
