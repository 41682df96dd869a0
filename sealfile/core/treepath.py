"""sops's tree path syntax: ``["a"]['b'][0]`` (used by --extract, set and unset)."""
from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidTreePath, PathNotFound
from .tree import Comment, Mapping

PathComponent = str | int
_INDEX = re.compile(r"[+-]?[0-9]+")


def parse_path(text: str) -> list[PathComponent]:
    """Split like sops: on ``[``, each part must end with ``]``; quoted = key, bare = index."""
    if not text.startswith("["):
        raise InvalidTreePath("path must be of the form [\"key\"][0]...")
    out: list[PathComponent] = []
    for part in text.split("[")[1:]:
        if not part.endswith("]"):
            raise InvalidTreePath("path component is not closed with ]")
        body = part[:-1]
        if len(body) >= 2 and body[0] == body[-1] and body[0] in "\"'":
            out.append(body[1:-1])
        elif _INDEX.fullmatch(body):  # Go's strconv.Atoi: optional sign, ASCII digits
            out.append(int(body))
        else:
            raise InvalidTreePath("path component must be a quoted key or an integer index")
    return out


def _fmt(comp: PathComponent) -> str:
    return f"[{comp!r}]" if isinstance(comp, str) else f"[{comp}]"


def get_path(doc: Any, path: list[PathComponent]) -> Any:
    node = doc
    for comp in path:
        if isinstance(node, Mapping) and isinstance(comp, str):
            i = node.find(comp)
            if i < 0:
                raise PathNotFound(f"error truncating tree: component {_fmt(comp)} not found")
            node = node[i][1]
        elif isinstance(node, list) and not isinstance(node, Mapping) and isinstance(comp, int):
            items = [v for v in node if not isinstance(v, Comment)]
            if not 0 <= comp < len(items):
                raise PathNotFound(f"error truncating tree: component {_fmt(comp)} not found")
            node = items[comp]
        else:
            raise PathNotFound(f"error truncating tree: component {_fmt(comp)} not found")
    return node
