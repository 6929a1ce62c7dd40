"""SQLite JSON paths: ``$``, ``.key``, ``."quoted key"``, ``[n]``, ``[#]`` and ``[#-n]``.

A path is read one step at a time while walking the document, as SQLite 3.40 reads it: a
step that finds nothing ends the walk with no result before the rest of the path is
looked at, so ``$.missing[`` is NULL while ``$.present[`` is an error.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import DataError
from .json_doc import escape, size

_PLAIN_KEY = re.compile(r"[^.\[]*")
_INDEX = re.compile(r"\[([0-9]+)\]")
_COUNTDOWN = re.compile(r"\[#(?:-([0-9]+))?")
_BARE_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")


class PathError(DataError):
    """A JSON path that is not well-formed (``near`` is where reading it stopped)."""

    def __init__(self, near: str):
        super().__init__(f"JSON path error near '{near}'")


class Hit:
    """Where a path led: the node, its container and key there (``parent`` is None at the
    root), its ``id`` in SQLite's node numbering, ``steps`` (keys and indexes from the root)
    and ``created`` when the walk had to add it."""

    __slots__ = ("node", "parent", "key", "id", "steps", "created")

    def __init__(self, node, parent, key, id_, steps, created=False):
        self.node = node
        self.parent = parent
        self.key = key
        self.id = id_
        self.steps = steps
        self.created = created


def walk(root: Any, path: str, create: bool = False) -> Hit | None:
    """Follow ``path`` from ``root``; None when it leads nowhere.

    With ``create`` (json_set, json_insert), a missing object key or the element just past
    an array's end is added, with any objects (``.key``) or arrays (``[0]``) the rest of the
    path needs, ending in a null placeholder for the caller to fill; ``created`` says so.
    """
    if not path.startswith("$"):
        raise PathError(path)
    return _walk(Hit(root, None, None, 0, []), path, 1, create)


def _walk(hit: Hit, path: str, i: int, create: bool) -> Hit | None:
    n = len(path)
    while i < n:
        node = hit.node
        c = path[i]
        if c == ".":
            if type(node) is not dict:
                return None
            i += 1
            if path.startswith('"', i):
                end = path.find('"', i + 1)
                if end < 0:
                    raise PathError(path[i:])
                key, nxt = path[i + 1 : end], end + 1
            else:
                m = _PLAIN_KEY.match(path, i)
                key, nxt = m.group(), m.end()
                if not key:
                    raise PathError(path[i:])
            if key not in node:
                return _append(hit, key, path, nxt) if create else None
            nid = hit.id + 1
            for k, v in node.items():
                if k == key:
                    break
                nid += 1 + size(v)
            hit = Hit(node[key], node, key, nid + 1, hit.steps + [key])
            i = nxt
        elif c == "[":
            m = _INDEX.match(path, i)
            if m is not None:
                if type(node) is not list:
                    return None
                index, nxt = int(m.group(1)), m.end()
            else:
                m = _COUNTDOWN.match(path, i)
                if m is None:
                    raise PathError(path[i:])
                if type(node) is not list:
                    return None
                back = int(m.group(1)) if m.group(1) is not None else 0
                if back > len(node):
                    return None
                if not path.startswith("]", m.end()):
                    raise PathError(path[i:])
                index, nxt = len(node) - back, m.end() + 1
            if index >= len(node):
                if create and index == len(node):
                    return _append(hit, index, path, nxt)
                return None
            nid = hit.id + 1 + sum(size(x) for x in node[:index])
            hit = Hit(node[index], node, index, nid, hit.steps + [index])
            i = nxt
        else:
            raise PathError(path[i:])
    return hit


def _append(hit: Hit, key, path: str, i: int) -> Hit | None:
    """Add ``key`` to ``hit.node`` holding what ``path[i:]`` needs (SQLite makes objects for
    ``.key`` and arrays only for ``[0]``); None, with nothing added, when it cannot."""
    container = hit.node
    steps = hit.steps + [key]
    if i == len(path):
        value, end = None, Hit(None, container, key, -1, steps, True)
    else:
        if path[i] == ".":
            value = {}
        elif path.startswith("[0]", i):
            value = []
        else:
            return None
        end = _walk(Hit(value, container, key, -1, steps, True), path, i, True)
        if end is None:
            return None
    if type(container) is list:
        container.append(value)
    else:
        container[escape(key)] = value  # a path key is plain text; object keys are JSON text
    return end


def path_text(steps: list) -> str:
    """The path SQLite writes for ``steps``: ``$``, then ``[n]`` or ``.key`` (the key in
    double quotes unless it is a letter followed by letters and digits)."""
    out = ["$"]
    for s in steps:
        if type(s) is int:
            out.append(f"[{s}]")
        elif _BARE_LABEL.match(s):
            out.append("." + s)
        else:
            out.append('."' + s + '"')
    return "".join(out)


def arrow_path(right: Any) -> str:
    """The path the right side of ``->`` and ``->>`` stands for: a path as is, a number
    ``N`` as ``$[N]``, ``[N]`` as ``$[N]`` and any other label as ``$.label``."""
    if right.startswith("$"):
        return right
    if right[:1].isdigit():
        return f"$[{right}]"
    if right.startswith("["):
        return "$" + right
    return "$." + right


__all__ = ["Hit", "PathError", "arrow_path", "path_text", "walk"]
