"""Where each key of a YAML (or JSON) document sits: line numbers for findings that name a key path."""
from __future__ import annotations

from typing import Any

__all__ = ["key_lines"]


def key_lines(text: str) -> dict[tuple, int]:
    """1-based line of each value node of the first document, by key path (list positions as ints).

    Read from libyaml's events, so it costs one parse; a document libyaml
    refuses gives what was found before the error.  JSON is YAML here.
    """
    from ruamel.yaml import events as ev
    from ruamel.yaml.cyaml import CParser
    from ruamel.yaml.error import YAMLError

    lines: dict[tuple, int] = {}
    # each open container: [is_mapping, path, next list index or pending key]
    stack: list[list[Any]] = []
    parser = CParser(text)
    try:
        while True:
            event = parser.get_event()
            if isinstance(event, (ev.DocumentEndEvent, ev.StreamEndEvent)):
                break
            if isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                stack.pop()
                continue
            if not isinstance(event, (ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent, ev.AliasEvent)):
                continue
            placed = _place(stack, event)
            if placed is None:
                continue  # a mapping key
            path, line = placed
            lines.setdefault(path, line)
            if isinstance(event, ev.MappingStartEvent):
                stack.append([True, path, None])
            elif isinstance(event, ev.SequenceStartEvent):
                stack.append([False, path, 0])
    except YAMLError:
        pass
    finally:
        parser.dispose()
    return lines


def _place(stack: list[list[Any]], event: Any) -> tuple[tuple, int] | None:
    """The path of the node ``event`` starts and its line (a mapping value's is its key's line);
    None when the event is a mapping key, remembered for its value."""
    line = event.start_mark.line + 1
    if not stack:
        return (), line
    top = stack[-1]
    is_map, path, state = top
    if is_map:
        if state is None:
            top[2] = (getattr(event, "value", "?"), line)
            return None
        top[2] = None
        key, key_line = state
        return (*path, key), key_line
    top[2] = state + 1
    return (*path, state), line
