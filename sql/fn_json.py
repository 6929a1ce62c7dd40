"""SQLite's JSON1 functions (as in 3.40): scalars, the ``->``/``->>`` operators, the
json_group_array/json_group_object aggregates and the rows of json_each/json_tree.

SQLite marks the text a JSON function returns with a "JSON" subtype, so that nesting
``json_array(json('[1]'))`` embeds ``[1]`` rather than the string ``"[1]"``. Here the binder
does the marking: a JSON function's argument that is itself a JSON-valued call is wrapped so
it arrives as ``Json`` (a ``str`` that says "already JSON"); such values never leave the
expression, so results and stored values stay plain text. Errors are ``DataError``s with
SQLite's messages ("malformed JSON", "JSON path error near '...'").
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import DataError, ProgrammingError
from .json_doc import Malformed, Num, escape, parse, render, size, sql_value, type_name, unescape
from .json_path import arrow_path, path_text, walk
from .runtime import real_text, to_text


class Json(str):
    """JSON text handed from one JSON function to another (SQLite's JSON subtype)."""

    __slots__ = ()


def mark(v: Any) -> Any:
    """Mark a JSON function's result as JSON for the function it is nested in."""
    return v if v is None or type(v) is Json else Json(v)


# ---------------------------------------------------------------- values ↔ nodes
def _doc(v: Any) -> Any:
    """The parsed document of a SQL value (None stays None)."""
    if v is None:
        return None
    return parse(v if isinstance(v, str) else to_text(v))


def _real(f: float) -> Any:
    if f != f:
        return None
    if f in (float("inf"), float("-inf")):
        return Num("9.0e+999" if f > 0 else "-9.0e+999")  # parses back as ±Inf
    return Num("0.0" if f == 0.0 else real_text(f))


def node_of(v: Any) -> Any:
    """A SQL value as a JSON node: text becomes a string, unless it is marked JSON."""
    t = type(v)
    if t is str:
        return escape(v)
    if v is None:
        return None
    if t is Json:
        return parse(v)
    if t is int:
        return Num(str(v))
    if t is float:
        return _real(v)
    if t is bool:
        return v
    if t is bytes:
        raise DataError("JSON cannot hold BLOB values")
    return escape(to_text(v))


def _path(v: Any) -> str | None:
    return None if v is None else to_text(v)


# ---------------------------------------------------------------- scalar functions
def f_json(x: Any) -> Any:
    """json(X): X minified, or an error when it is not well-formed JSON."""
    doc = _doc(x)
    return None if x is None else render(doc)


def f_json_valid(x: Any) -> int:
    """json_valid(X): 1 when X is well-formed JSON, else 0 (0 for NULL, as in SQLite 3.40)."""
    if x is None:
        return 0
    try:
        _doc(x)
    except Malformed:
        return 0
    return 1


def extract(x: Any, *paths: Any) -> Any:
    """json_extract(X, P...): the SQL value at one path, or a JSON array of the values at
    several (null where a path finds nothing)."""
    found = _extract(x, paths)
    if found is None:
        return None
    if len(paths) == 1:
        return None if found[0] is None else sql_value(found[0].node)
    return render([None if h is None else h.node for h in found])


def extract_marked(x: Any, *paths: Any) -> Any:
    """json_extract() inside another JSON function: arrays and objects stay JSON."""
    found = _extract(x, paths)
    if found is None:
        return None
    if len(paths) == 1:
        if found[0] is None:
            return None
        node = found[0].node
        return Json(render(node)) if type(node) in (list, dict) else sql_value(node)
    return Json(render([None if h is None else h.node for h in found]))


def _extract(x: Any, paths: tuple) -> list | None:
    doc = _doc(x)
    if doc is None and x is None or not paths:
        return None
    if len(paths) == 1 and paths[0] is None:
        return None
    return [None if p is None else walk(doc, to_text(p)) for p in paths]


def arrow(x: Any, p: Any) -> Any:
    """``X -> P``: the JSON text at P (P may be a label or an array index)."""
    if x is None or p is None:
        return None
    hit = walk(_doc(x), arrow_path(to_text(p)))
    return None if hit is None else render(hit.node)


def arrow2(x: Any, p: Any) -> Any:
    """``X ->> P``: the SQL value at P."""
    if x is None or p is None:
        return None
    hit = walk(_doc(x), arrow_path(to_text(p)))
    return None if hit is None else sql_value(hit.node)


def f_json_type(x: Any, p: Any = "$") -> Any:
    """json_type(X[, P]): null, true, false, integer, real, text, array or object."""
    if x is None or p is None:
        return None
    hit = walk(_doc(x), to_text(p))
    return None if hit is None else type_name(hit.node)


def f_json_array_length(x: Any, p: Any = "$") -> Any:
    """json_array_length(X[, P]): elements of the array at P (0 for anything else)."""
    if x is None or p is None:
        return None
    hit = walk(_doc(x), to_text(p))
    if hit is None:
        return None
    return len(hit.node) if type(hit.node) is list else 0


def f_json_array(*values: Any) -> str:
    """json_array(V...): a JSON array of the values."""
    return render([node_of(v) for v in values])


def f_json_object(*args: Any) -> str:
    """json_object(K, V, ...): a JSON object; every label must be text."""
    if len(args) % 2:
        raise ProgrammingError("json_object() requires an even number of arguments")
    parts = []
    for i in range(0, len(args), 2):
        k = args[i]
        if not isinstance(k, str):
            raise DataError("json_object() labels must be TEXT")
        parts.append('"' + escape(k) + '":' + render(node_of(args[i + 1])))
    return "{" + ",".join(parts) + "}"  # a label given twice is kept twice, as in SQLite


def f_json_quote(v: Any) -> str:
    """json_quote(V): V as a JSON value (a string for text, unless V is already JSON)."""
    if type(v) is Json:
        return str(v)
    return render(node_of(v))


def f_json_remove(x: Any, *paths: Any) -> Any:
    """json_remove(X, P...): X without the elements at the paths, removed one by one."""
    doc = _doc(x)
    if x is None:
        return None
    for p in paths:
        if p is None:
            return None
        hit = walk(doc, to_text(p))
        if hit is None:
            continue
        if hit.parent is None:
            return None  # the whole document removed
        del hit.parent[hit.key]
    return render(doc)


def _editor(name: str, create: bool, replace: bool):
    """json_insert (create), json_replace (replace) or json_set (both) over (path, value)
    pairs. As in SQLite 3.40 every path is looked up in the document as first given (plus
    what earlier pairs added), so a path below a value set by an earlier pair finds the
    old value, not the new one."""

    def edit(x: Any, *pairs: Any) -> Any:
        if len(pairs) % 2:
            raise ProgrammingError(f"{name}() needs an odd number of arguments")
        doc = _doc(x)
        if x is None:
            return None
        new: dict = {}
        whole = _apply  # what replaced the whole document, if anything did
        for i in range(0, len(pairs), 2):
            p = _path(pairs[i])
            if p is None:
                continue
            hit = walk(doc, p, create)
            if hit is not None and (hit.created or replace):
                new[(id(hit.parent), hit.key)] = node_of(pairs[i + 1])
                if hit.parent is None:
                    whole = pairs[i + 1]
        if whole is not _apply:  # SQLite 3.40 returns that value itself (5 stays INTEGER)
            return str(whole) if type(whole) is Json else whole
        return render(_apply(doc, None, None, new))

    edit.__name__ = f"f_{name}"
    edit.__doc__ = f"{name}(X, P, V, ...): X with the values V set at the paths P."
    return edit


def _apply(node: Any, parent: Any, key: Any, new: dict) -> Any:
    """``node`` with the new values of ``new`` (keyed by container identity and key)."""
    hit = new.get((id(parent), key), _apply)
    if hit is not _apply:
        return hit
    t = type(node)
    if t is list:
        return [_apply(x, node, i, new) for i, x in enumerate(node)]
    if t is dict:
        return {k: _apply(x, node, k, new) for k, x in node.items()}
    return node


def f_json_patch(target: Any, patch: Any) -> Any:
    """json_patch(T, P): RFC 7396 MergePatch of P onto T."""
    if target is None or patch is None:
        return None
    return render(_merge(_doc(target), _doc(patch)))


def _merge(target: Any, patch: Any) -> Any:
    if type(patch) is not dict:
        return patch
    out = dict(target) if type(target) is dict else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif k in out:
            out[k] = _merge(out[k], v)
        else:
            out[k] = _drop_nulls(v)
    return out


def _drop_nulls(node: Any) -> Any:
    if type(node) is not dict:
        return node
    return {k: _drop_nulls(v) for k, v in node.items() if v is not None}


# ---------------------------------------------------------------- aggregates
def group_item(v: Any) -> str:
    """One json_group_array() element, as JSON text."""
    return render(node_of(v))


def group_array(items: list) -> str:
    """json_group_array()'s result from its elements' texts."""
    return "[" + ",".join(items) + "]"


def group_member(k: Any, v: Any) -> str:
    """One json_group_object() member (a NULL label is written as nothing, as SQLite does)."""
    label = "" if k is None else '"' + escape(to_text(k)) + '"'
    return label + ":" + render(node_of(v))


def group_object(members: list) -> str:
    """json_group_object()'s result from its members' texts."""
    return "{" + ",".join(members) + "}"


# ---------------------------------------------------------------- json_each, json_tree
#: The columns of json_each and json_tree rows; the last two (the arguments) are hidden, as
#: in SQLite: named, they can be read, but ``SELECT *`` leaves them out.
TABLE_COLUMNS = ("key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root")
HIDDEN_COLUMNS = ("json", "root")


def _start(x: Any, p: Any):
    """The node the rows start from, the root path, and the row maker."""
    if x is None or p is None:
        return None, "", None
    root = to_text(p)
    hit = walk(_doc(x), root)
    doc = str(x) if isinstance(x, str) else x

    def row(node, key, id_, parent, fullkey, path) -> tuple:
        value = sql_value(node)
        atom = None if type(node) in (list, dict) else value
        return (key, value, type_name(node), atom, id_, parent, fullkey, path, doc, root)

    return hit, root, row


def each_rows(x: Any, p: Any = "$") -> Iterator[tuple]:
    """json_each(X[, P]): a row per element of the array or object at P, or one row for
    a scalar there."""
    hit, root, row = _start(x, p)
    if hit is None:
        return
    node = hit.node
    if type(node) is list:
        base = hit.id + 1
        for i, v in enumerate(node):
            yield row(v, i, base, None, f"{root}[{i}]", root)
            base += size(v)
    elif type(node) is dict:
        base = hit.id + 1
        for k, v in node.items():
            yield row(v, unescape(k), base + 1, None, path_text([k]).replace("$", root, 1), root)
            base += 1 + size(v)
    else:
        yield row(node, None, hit.id, None, root, root)


def tree_rows(x: Any, p: Any = "$") -> Iterator[tuple]:
    """json_tree(X[, P]): the node at P and everything below it, parents first."""
    hit, _root, row = _start(x, p)
    if hit is None:
        return
    node = hit.node
    labelled = type(hit.key) is str and type(node) in (list, dict)
    key = unescape(hit.key) if labelled else None
    # SQLite 3.40 writes every array index on the way to the start as [0]
    steps = [0 if type(s) is int else s for s in hit.steps]
    yield from _tree(row, node, key, hit.id, None, steps, path_text(steps[:-1]))


def _tree(row, node, key, id_, parent, steps, up) -> Iterator[tuple]:
    here = path_text(steps)
    yield row(node, key, id_, parent, here, up)
    if type(node) is list:
        base = id_ + 1
        for i, v in enumerate(node):
            yield from _tree(row, v, i, base, id_, steps + [i], here)
            base += size(v)
    elif type(node) is dict:
        base = id_ + 1
        for k, v in node.items():
            yield from _tree(row, v, unescape(k), base + 1, id_, steps + [k], here)
            base += 1 + size(v)


#: name → (function, least and most arguments)
TABLE_FUNCTIONS = {"json_each": (each_rows, 1, 2), "json_tree": (tree_rows, 1, 2)}

_MANY = 1 << 30
#: name → (function, least and most arguments, result type name, returns JSON text)
JSON_FUNCTIONS = {
    "json": (f_json, 1, 1, "TEXT", True),
    "json_valid": (f_json_valid, 1, 1, "INTEGER", False),
    "json_extract": (extract, 1, _MANY, None, False),
    "json_type": (f_json_type, 1, 2, "TEXT", False),
    "json_array_length": (f_json_array_length, 1, 2, "INTEGER", False),
    "json_array": (f_json_array, 0, _MANY, "TEXT", True),
    "json_object": (f_json_object, 0, _MANY, "TEXT", True),
    "json_quote": (f_json_quote, 1, 1, "TEXT", True),
    "json_insert": (_editor("json_insert", True, False), 1, _MANY, "TEXT", True),
    "json_replace": (_editor("json_replace", False, True), 1, _MANY, "TEXT", True),
    "json_set": (_editor("json_set", True, True), 1, _MANY, "TEXT", True),
    "json_remove": (f_json_remove, 1, _MANY, "TEXT", True),
    "json_patch": (f_json_patch, 2, 2, "TEXT", True),
}
#: Calls whose result nested in a JSON function is JSON, not a string (json_extract's
#: arrays and objects too: ``extract_marked``).
JSON_VALUED = {n for n, spec in JSON_FUNCTIONS.items() if spec[4]} | {
    "json_group_array",
    "json_group_object",
}
#: The aggregates and their argument counts.
JSON_AGGREGATES = {"json_group_array": (1, 1), "json_group_object": (2, 2)}

__all__ = [
    "JSON_AGGREGATES",
    "JSON_FUNCTIONS",
    "JSON_VALUED",
    "HIDDEN_COLUMNS",
    "TABLE_COLUMNS",
    "TABLE_FUNCTIONS",
    "Json",
    "arrow",
    "arrow2",
    "each_rows",
    "extract",
    "extract_marked",
    "group_array",
    "group_item",
    "group_member",
    "group_object",
    "mark",
    "node_of",
    "tree_rows",
]
