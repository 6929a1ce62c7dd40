"""The parser's LALR tables, shipped beside the grammar so a process does not build them.

Lark needs about half a second to build the LALR tables of ``grammar.lark``: most of a cold
start to the first result. ``grammar_tables.json`` holds the built parser, serialised by Lark
(``memo_serialize``) as plain JSON: nothing executable is ever read, unlike Lark's own pickle
cache. The file is two lines: a header (the key and a SHA-256 of the second line) and the
tables. The key hashes every input of the build (the grammar text, Lark's version and the
options), so tables built from another grammar or by another Lark are never used: the parser is
then built from the grammar, as before. So is it when the file is missing, truncated or
damaged (the digest catches what JSON alone would not).

After editing the grammar, regenerate the file (the tests fail while it is stale)::

    python -m memtables.sql.lalr_tables
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import lark
from lark import Lark

from ..gcpause import gc_paused
from .lexer import SQLLexer

GRAMMAR = Path(__file__).with_name("grammar.lark")
TABLES = Path(__file__).with_name("grammar_tables.json")

# Every option of the build but the lexer and the transformer, which are ours and given back
# at load time (the lexer is named in the key).
OPTIONS = {"parser": "lalr", "maybe_placeholders": True}
FORMAT = 1  # of this file's layout, bumped if it changes


def key(grammar: str) -> str:
    """What the tables were built from: the grammar text, Lark's version and the options."""
    inputs = json.dumps(
        [FORMAT, lark.__version__, OPTIONS, SQLLexer.__qualname__, grammar], sort_keys=True
    )
    return hashlib.sha256(inputs.encode()).hexdigest()


def build(transformer) -> Lark:
    """The parser built from ``grammar.lark`` (about half a second)."""
    return Lark(GRAMMAR.read_text(), lexer=SQLLexer, transformer=transformer, **OPTIONS)


def load(transformer, path: Path = TABLES) -> Lark | None:
    """The parser from the tables at ``path``, or None when they are missing, damaged or
    were built from anything but today's grammar, Lark and options."""
    try:
        with open(path, "rb") as f:
            header, body, end = f.read().split(b"\n")  # ValueError unless two whole lines
        head = json.loads(header)
        if end or head.get("key") != key(GRAMMAR.read_text()):
            return None
        if head.get("sha256") != hashlib.sha256(body).hexdigest():
            return None
        tables = _decode(json.loads(body))
        tables["data"]["options"].update(lexer=SQLLexer, transformer=transformer)
        tables["data"]["parser"]["lexer_conf"]["lexer_type"] = SQLLexer
        return Lark.load(tables)
    except Exception:
        # Unreadable, or read but not tables this Lark can load (it checks with asserts as
        # well as lookups): whatever the reason, the grammar is the truth.
        return None


def parser(transformer) -> Lark:
    """The SQL parser: from the shipped tables when they match, else built from the grammar."""
    # Either way creates a few hundred thousand objects, none of them cyclic garbage: without
    # the collector scanning them as they pile up, loading takes a third less time.
    with gc_paused():
        return load(transformer) or build(transformer)


def dump(parser: Lark, path: Path = TABLES) -> None:
    """Write ``parser``'s tables to ``path``, whole or not at all (a temporary file renamed
    over it, so a concurrent reader sees the old file or the new one)."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {
        k: v for k, v in data["options"].items() if k not in ("lexer", "transformer")
    }
    data["parser"]["lexer_conf"]["lexer_type"] = None
    body = json.dumps(_encode({"data": data, "memo": memo}), separators=(",", ":")).encode()
    head = {"key": key(GRAMMAR.read_text()), "sha256": hashlib.sha256(body).hexdigest()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(json.dumps(head).encode() + b"\n" + body + b"\n")
    os.replace(tmp, path)


# JSON keys are strings; Lark's tables key by integers in three places: the memo (object
# number → rule or terminal), the token numbers and the states (number → token number →
# action). They travel as lists of pairs.
def _encode(tables: dict) -> dict:
    parse = tables["data"]["parser"]["parser"]
    parse["tokens"] = list(parse["tokens"].items())
    parse["states"] = [[s, list(actions.items())] for s, actions in parse["states"].items()]
    tables["memo"] = list(tables["memo"].items())
    return tables


def _decode(tables: dict) -> dict:
    parse = tables["data"]["parser"]["parser"]
    parse["tokens"] = dict(parse["tokens"])
    parse["states"] = {s: dict(actions) for s, actions in parse["states"]}
    tables["memo"] = dict(tables["memo"])
    return tables


def main() -> None:
    """Rebuild ``grammar_tables.json`` from ``grammar.lark``."""
    from lark import Transformer

    dump(build(Transformer()))
    print(f"wrote {TABLES}")


if __name__ == "__main__":
    main()
