"""The single depth-first traversal used by encryption, decryption and the MAC.

The order and the path rules are the format: list positions are not part of a
value's path, a comment uses its mapping's path, and the selector predicate
(docs/sops-format.md §4.3) is evaluated incrementally so the walk stays linear in file size.
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

    The traversal keeps its open containers on an explicit stack: documents
    nest up to 10,000 levels in sops (more with YAML flow collections), far
    beyond Python's recursion limit.
    """
    pred = _Predicate(selector)
    track_comments = pred.on_comments
    decide = pred.decide
    component_matches = pred.component_matches
    # a plain suffix selector (sops's default) is tested inline: this runs once per key of the file
    suffix = pred.value if not track_comments and pred.regex is None else None
    stack: list[list[str]] = []  # comments seen so far at each open level (comment selectors only)

    def leaf(value: Any, aad: str, matched: bool, is_comment: bool) -> Any:
        if value is None:
            return None
        return visit(value, aad, decide(matched, stack, is_comment), is_comment)

    # without comment selectors, "encrypt this leaf" is ``matched != by_default``: the loops below
    # decide it inline, as they run once per value of the file
    by_default = pred.by_default

    for doc in docs:
        # the container being visited: its remaining items, itself, whether it is a mapping, whether
        # its path matched the selector, and its path as additional data (``a:b:``; ``""`` at the top,
        # where a list item's or a comment's is ``":"``); its ancestors wait on ``parents`` with their
        # own iterators
        items: Any = iter(doc)
        container: list = doc
        is_map, matched, prefix = True, False, ""
        parents: list[tuple[Any, list, bool, bool, str]] = []
        if track_comments:
            stack.append([])
        while True:
            child: list | None = None
            if is_map:
                for item in items:
                    key = item[0]
                    if isinstance(key, Comment):
                        if track_comments:
                            stack[-1].append(key.text)
                        item[0] = leaf(key, prefix or ":", matched, True)
                        continue
                    name = key if key.__class__ is str else str(key)
                    value = item[1]
                    if matched:
                        child_matched = True
                    elif suffix is not None:
                        child_matched = name.endswith(suffix)
                    else:
                        child_matched = component_matches(name)
                    if isinstance(value, list):
                        child, child_prefix = value, prefix + name + ":"
                        break
                    if track_comments:
                        item[1] = leaf(value, prefix + name + ":", child_matched, False)
                        stack[-1] = []
                    elif value is not None:
                        item[1] = visit(value, prefix + name + ":", child_matched is not by_default, False)
            else:
                for i, value in items:
                    if isinstance(value, Comment):
                        if track_comments:
                            stack[-1].append(value.text)
                        new = leaf(value, prefix or ":", matched, True)
                        if list_comments_as_items and isinstance(new, Comment) and new is not value:
                            new = new.text
                        container[i] = new
                        continue
                    if isinstance(value, list):
                        child, child_matched, child_prefix = value, matched, prefix
                        break
                    if track_comments:
                        container[i] = leaf(value, prefix or ":", matched, False)
                        stack[-1] = []
                    elif value is not None:
                        container[i] = visit(value, prefix or ":", matched is not by_default, False)
            if child is not None:  # descend; this container resumes after the child
                parents.append((items, container, is_map, matched, prefix))
                container, matched, prefix = child, child_matched, child_prefix
                is_map = isinstance(child, Mapping)
                items = iter(child) if is_map else enumerate(child)
                if track_comments:
                    stack.append([])
                continue
            if track_comments:
                stack.pop()
            if not parents:
                break
            items, container, is_map, matched, prefix = parents.pop()
            if track_comments:
                stack[-1] = []
