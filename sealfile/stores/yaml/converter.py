"""go-yaml nodes to sops's tree: what sops's YAML store does with a decoded ``yaml.Node``.

Follows sops's ``stores/yaml/store.go`` (``nodeToTreeValue``,
``appendYamlNodeToTreeBranch``, ``appendCommentToMap`` / ``..ToList``):
each comment line becomes a :class:`~sealfile.core.tree.Comment` item
before, or after, the key or list item its node carries it on, and
aliases are expanded into copies.  What go-yaml's ``decode.go`` checks
while sops decodes is applied on the way, with the rules shared with the
fast reader (:mod:`.policy`): duplicate keys, undecodable tagged scalars,
merge values, which roots are refused, and the alias budget of
:mod:`.limits`, counted node by node as go-yaml's decoder counts, so an
alias bomb stops before it is expanded.
"""
from __future__ import annotations

from typing import Any, Callable

from ...core.tree import Comment, Mapping
from ...errors import ParseError
from .builder import K_ALIAS, K_DOC, K_MAP, K_SCALAR, K_SEQ, Node
from .limits import AliasBudget
from .policy import (Policy, check_merge_value, check_root_scalar, complex_key_error, duplicate_key_error, recursive_anchor_error,
                     root_error, value_policy)
from .resolve import MERGE, ResolveError, decode_scalar

__all__ = ["Converter"]


def _comments(text: str, out: list, in_map: bool) -> None:
    """sops's appendCommentToMap/List: one item per non-empty line, without its ``#``."""
    if text:
        for line in text.split("\n"):
            if line:
                if in_map:
                    out.append([Comment(line[1:]), None])
                else:
                    out.append(Comment(line[1:]))


class _Frame:
    """A sequence or mapping being converted; ``pending`` is the child whose value is in progress."""

    __slots__ = ("n", "out", "is_map", "handled", "policy", "is_top", "seen", "i", "release", "pending")

    def __init__(self, n: Node, out: list, is_map: bool, handled: bool, policy: Policy, is_top: bool,
                 release: int | None) -> None:
        self.n = n
        self.out = out
        self.is_map = is_map
        self.handled = handled
        self.policy = policy
        self.is_top = is_top
        self.seen: set | None = set() if is_map and policy.dups else None
        self.i = 0
        self.release = release  # the alias target this frame expands: released when it is done
        self.pending: Any = None


class Converter:
    """go-yaml nodes -> sops tree items (store.go nodeToTreeValue / appendYamlNodeToTreeBranch).

    store.go recurses through the nodes and follows aliases; here collections
    wait on an explicit stack, and every node is counted as go-yaml's decoder
    counts it, so an alias bomb stops before it is expanded.
    """

    def __init__(self, line_of: Callable[[int], int]) -> None:
        self.active: set[int] = set()
        self.line_of = line_of  # text index -> 0-based line, for error messages
        self.budget = AliasBudget()

    def lineno(self, n: Node) -> int:
        """The 1-based line of ``n``, as go-yaml's messages give it."""
        return self.line_of(n.start) + 1

    def scalar(self, n: Node, policy: Policy) -> Any:
        """A scalar node's value; one that cannot be decoded is an error only under a strict policy."""
        tag = n.tag
        if tag == MERGE and n.value == "<<":
            tag = ""
        try:
            return decode_scalar(n.value, tag, n.quoted)
        except ResolveError as exc:
            if policy.strict:
                raise ParseError(f"yaml: line {self.lineno(n)}: {exc}") from None
            return None

    def _enter(self, n: Node, handled: bool, policy: Policy) -> Any:
        """Start converting ``n``: a scalar's value right away, a collection's frame otherwise."""
        budget = self.budget
        budget.count()
        kind = n.kind
        if kind == K_SCALAR:
            return self.scalar(n, policy)
        release = None
        if kind == K_ALIAS:
            target = n.alias
            assert target is not None
            if id(target) in self.active or not target.done:
                raise recursive_anchor_error()
            budget.depth += 1
            budget.count()  # the target, decoded again through the alias
            if target.kind == K_SCALAR:
                value = self.scalar(target, policy)
                budget.depth -= 1
                return value
            self.active.add(id(target))
            release = id(target)
            n, handled, kind = target, False, target.kind
        if kind == K_SEQ:
            frame = _Frame(n, [], False, handled, policy, False, release)
        elif kind == K_MAP:
            frame = _Frame(n, Mapping(), True, handled, policy, False, release)
        else:
            return None
        if not handled:
            _comments(n.head, frame.out, frame.is_map)
            _comments(n.line, frame.out, frame.is_map)
        return frame

    def _run(self, root: _Frame) -> Any:
        """Convert a collection and everything in it, one frame per open collection."""
        stack = [root]
        while True:
            frame = stack[-1]
            child = self._step_map(frame) if frame.is_map else self._step_seq(frame)
            if child is not None:
                stack.append(child)
                continue
            value = self._finish(stack.pop())
            if not stack:
                return value
            parent = stack[-1]
            if parent.is_map:
                self._put_pair(parent, value)
            else:
                self._put_item(parent, value)

    def _step_seq(self, f: _Frame) -> _Frame | None:
        """Convert items until one is a collection (its frame is returned) or the list is done."""
        content = f.n.content
        out = f.out
        while f.i < len(content):
            item = content[f.i]
            f.i += 1
            _comments(item.head, out, False)
            _comments(item.line, out, False)
            f.pending = item
            result = self._enter(item, True, f.policy)
            if result.__class__ is _Frame:
                return result
            self._put_item(f, result)
        return None

    def _put_item(self, f: _Frame, value: Any) -> None:
        """A finished list item, then the foot comment of its node."""
        f.out.append(value)
        _comments(f.pending.foot, f.out, False)

    def _step_map(self, f: _Frame) -> _Frame | None:
        """Convert pairs until a value is a collection (its frame is returned) or the map is done."""
        content = f.n.content
        out = f.out
        policy = f.policy
        while f.i < len(content) - 1:
            k, v = content[f.i], content[f.i + 1]
            f.i += 2
            _comments(k.head, out, True)
            _comments(k.line, out, True)
            simple = v.kind in (K_SCALAR, K_ALIAS)
            if simple:
                _comments(v.head, out, True)
                _comments(v.line, out, True)
            key, ident = self.key(k, policy)
            seen = f.seen
            if seen is not None:
                if ident in seen:
                    raise duplicate_key_error(self.lineno(k))
                seen.add(ident)
            f.pending = (k, v, simple, key)
            result = self._enter(v, simple, value_policy(policy, f.is_top, key))
            if result.__class__ is _Frame:
                return result
            self._put_pair(f, result)
        return None

    def _put_pair(self, f: _Frame, value: Any) -> None:
        """A finished pair (merge values checked as go-yaml decodes them), then its foot comments."""
        k, v, simple, key = f.pending
        if f.policy.strict and k.kind == K_SCALAR and k.value == "<<" and k.tag == MERGE:
            check_merge_value(value, v.kind == K_ALIAS)
        out = f.out
        out.append([key, value])
        if simple:
            _comments(v.foot, out, True)
        _comments(k.foot, out, True)

    def _finish(self, f: _Frame) -> Any:
        """A converted collection: its own foot comment, and the alias it expanded is released."""
        if not f.handled:
            _comments(f.n.foot, f.out, f.is_map)
        if f.release is not None:
            self.active.discard(f.release)
            self.budget.depth -= 1
        return f.out

    def key(self, n: Node, policy: Policy) -> tuple[Any, tuple]:
        """A mapping key's value and how duplicates are recognised (by its text, or its alias name)."""
        budget = self.budget
        budget.count()
        if n.kind == K_SCALAR:
            return self.scalar(n, policy), ("s", n.value)
        if n.kind == K_ALIAS and n.alias is not None and n.alias.kind == K_SCALAR:
            budget.depth += 1
            budget.count()
            budget.depth -= 1
            return self.scalar(n.alias, policy), ("a", n.value)
        raise complex_key_error(self.lineno(n))

    def branch(self, n: Node, out: Mapping, handled: bool, policy: Policy, is_top: bool,
               index: int = 0) -> Mapping:
        """A document, or what an alias at its root points to, as the items of ``out``."""
        if not handled:
            _comments(n.head, out, True)
            _comments(n.line, out, True)
        kind = n.kind
        if kind == K_DOC:
            self.budget = AliasBudget()  # go-yaml counts each document on its own
            self.budget.count()
            for item in n.content:
                out = self.branch(item, out, False, policy, True, index)
        elif kind == K_SEQ:
            raise root_error(index, "seq")
        elif kind == K_MAP:
            self.budget.count()
            frame = _Frame(n, out, True, True, policy, is_top, None)  # head/line/foot are handled here
            self._run(frame)
        elif kind == K_SCALAR:
            self.budget.count()
            check_root_scalar(index, n.value, n.tag, n.quoted, self.lineno(n))
            return out  # an empty document ("---" alone or "~"): no items, and sops skips its foot
        elif kind == K_ALIAS:
            target = n.alias
            assert target is not None
            if target.kind == K_SEQ:
                raise root_error(index, "seq")
            self.budget.count()
            self.budget.depth += 1
            out = self.branch(target, out, False, policy, is_top, index)
            self.budget.depth -= 1
        if not handled:
            _comments(n.foot, out, True)
        return out

