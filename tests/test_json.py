"""JSON functions against sqlite3 3.40: json, json_extract, ->, ->>, json_set & co,
json_group_array/json_group_object and the table-valued json_each/json_tree.

Documents are drawn by hypothesis (nested objects and arrays, unicode and escapes, big
integers, reals), written out in several styles (spacing, ASCII escapes), and queried with
paths drawn from the document itself (present and missing keys, indexes, ``[#-n]``, quoted
keys). Results must be the same value of the same type, errors the same message.

Deliberate differences, not generated here and tested on their own below:

- A BOOLEAN value becomes JSON ``true``/``false`` (sqlite3 has no BOOLEAN: 1/0).
- A REAL infinity is written ``9.0e+999`` (valid JSON, as newer SQLite does; 3.40: ``Inf``).
- JSON nested deeper than 200 levels is malformed (SQLite allows 2000).
- The JSON subtype reaches a JSON function from a JSON function in its argument, also
  through CASE, coalesce, ifnull, iif and COLLATE, but not through a scalar subquery, nullif
  or min/max as in SQLite.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memtables
from memtables import DataError, ProgrammingError

SETTINGS = settings(
    max_examples=int(os.environ.get("MEMTABLES_JSON_EXAMPLES", "120")),
    deadline=None,
    derandomize="MEMTABLES_JSON_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def run(conn, sql: str, params=()):
    """Rows, or ("error", message): both sides must fail alike."""
    try:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]
    except (sqlite3.Error, memtables.Error) as e:
        return ("error", str(e))


def same(dbs, sql: str, params=()) -> list:
    m, s = dbs
    got, want = run(m, sql, params), run(s, sql, params)
    assert got == want, sql
    if isinstance(want, list):  # the same type too: 1 is not 1.0
        assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in want], sql
    return got


# ---------------------------------------------------------------- documents and paths
_KEY_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
keys = st.one_of(
    st.sampled_from(["a", "b", "c", "key", "x1", "", "a b", "a.b", "é", "[0]", 'q"t', "\\"]),
    st.text(_KEY_CHARS, max_size=6),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(_KEY_CHARS, max_size=8),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def doc_text(draw, doc=None) -> str:
    """A document as JSON text, in one of several styles."""
    if doc is None:
        doc = draw(documents)
    style = draw(st.sampled_from(["tight", "spaced", "indent", "ascii"]))
    if style == "tight":
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    if style == "spaced":
        return " " + json.dumps(doc, ensure_ascii=False) + " \n"
    if style == "indent":
        return json.dumps(doc, indent=2, ensure_ascii=False)
    return json.dumps(doc)


def _key_step(key: str) -> str:
    if key and all(c.isalnum() and c.isascii() for c in key):
        return "." + key
    return '."' + key + '"'


@st.composite
def path_into(draw, doc) -> str:
    """A path into ``doc``: mostly along its own keys and indexes, sometimes off them."""
    out = "$"
    node = doc
    for _ in range(draw(st.integers(0, 4))):
        if isinstance(node, dict) and node and draw(st.integers(0, 5)):
            key = draw(st.sampled_from(sorted(node)))
            if json.dumps(key)[1:-1] != key:
                break  # a path key is compared with the key as written, escapes and all
            out += _key_step(key)
            node = node[key]
        elif isinstance(node, list) and node and draw(st.integers(0, 5)):
            i = draw(st.integers(0, len(node) - 1))
            out += draw(st.sampled_from([f"[{i}]", f"[#-{len(node) - i}]"]))
            node = node[i]
        else:
            out += draw(st.sampled_from([".nope", "[7]", "[#]", "[#-9]", ".a", "[0]"]))
            break
    return out


@st.composite
def doc_and_path(draw):
    doc = draw(documents)
    return draw(doc_text(doc)), draw(path_into(doc)), doc


# REALs of at most 15 significant digits: past those, sqlite3 3.40's printf (x87 long
# double) and ours may differ in the last digit (see test_functions.py)
sql_values = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False)
    .map(lambda f: float("%.15g" % f))
    .filter(math.isfinite),
    st.text(_KEY_CHARS, max_size=6),
)


# ---------------------------------------------------------------- differentials
@SETTINGS
@given(doc_and_path())
def test_read_functions_agree(dbs, case):
    text, path, _doc = case
    same(dbs, "SELECT json(?), json_valid(?), json_type(?), json_array_length(?)", (text,) * 4)
    same(dbs, "SELECT json_extract(?, ?), json_type(?, ?)", (text, path) * 2)
    same(dbs, "SELECT json_array_length(?, ?)", (text, path))
    same(dbs, "SELECT ? -> ?, ? ->> ?", (text, path) * 2)
    same(dbs, "SELECT json_extract(?, ?, '$')", (text, path))


@SETTINGS
@given(doc_and_path(), st.sampled_from(["json_set", "json_insert", "json_replace"]), sql_values)
def test_edit_functions_agree(dbs, case, fn, value):
    text, path, _doc = case
    same(dbs, f"SELECT {fn}(?, ?, ?)", (text, path, value))
    same(dbs, f"SELECT {fn}(?, ?, json(?))", (text, path, text))
    same(dbs, "SELECT json_remove(?, ?)", (text, path))
    same(dbs, "SELECT json_remove(?, ?, ?)", (text, path, path))


@SETTINGS
@given(doc_text(), doc_text())
def test_patch_agrees(dbs, target, patch):
    same(dbs, "SELECT json_patch(?, ?)", (target, patch))


@SETTINGS
@given(st.lists(sql_values, max_size=5))
def test_constructors_agree(dbs, values):
    marks = ", ".join("?" for _ in values)
    same(dbs, f"SELECT json_array({marks})", tuple(values))
    pairs = ", ".join(f"'k{i}', ?" for i in range(len(values)))
    same(dbs, f"SELECT json_object({pairs})", tuple(values))
    for v in values:
        same(dbs, "SELECT json_quote(?)", (v,))


@SETTINGS
@given(doc_and_path())
def test_each_and_tree_agree(dbs, case):
    text, path, _doc = case
    cols = "key, value, type, atom, id, parent, fullkey, path"
    for fn in ("json_each", "json_tree"):
        same(dbs, f"SELECT {cols} FROM {fn}(?)", (text,))
        same(dbs, f"SELECT {cols} FROM {fn}(?, ?)", (text, path))


@SETTINGS
@given(st.text(alphabet='[]{}",:0123456789.-+eE tfnrul\\a', max_size=12))
def test_malformed_text_agrees(dbs, text):
    same(dbs, "SELECT json_valid(?)", (text,))
    same(dbs, "SELECT json(?)", (text,))
    same(dbs, 'SELECT json_extract(\'{"a":[1,{"b":2}]}\', ?)', ("$" + text,))


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2), sql_values, st.booleans()), max_size=10))
def test_aggregates_with_group_by_agree(dbs, rows):
    m, s = dbs
    for c in (m, s):
        c.execute("DROP TABLE IF EXISTS g")
        c.execute("CREATE TABLE g (id INTEGER PRIMARY KEY, k INTEGER, v TEXT, j INTEGER)")
    for i, (k, v, j) in enumerate(rows):
        v = None if v is None else json.dumps(v) if j else str(v)
        for c in (m, s):
            c.execute("INSERT INTO g VALUES (?, ?, ?, ?)", (i, k, v, int(j)))
    same(
        dbs,
        "SELECT k, json_group_array(v), json_group_object('r' || id, v), count(*) FROM g "
        "GROUP BY k ORDER BY k",
    )
    same(
        dbs,
        "SELECT k, json_group_array(json(v)) FROM g WHERE j = 1 AND json_valid(v) "
        "GROUP BY k ORDER BY k",
    )
    same(dbs, "SELECT json_group_array(v) FROM g WHERE k > 5")
    same(dbs, "SELECT json_object('all', json_group_array(id)) FROM g")


@SETTINGS
@given(st.lists(documents, max_size=4))
def test_each_over_a_table_column_agrees(dbs, docs):
    m, s = dbs
    for c in (m, s):
        c.execute("DROP TABLE IF EXISTS d")
        c.execute("CREATE TABLE d (id INTEGER PRIMARY KEY, doc TEXT)")
        for i, doc in enumerate(docs):
            c.execute("INSERT INTO d VALUES (?, ?)", (i, json.dumps(doc)))
        c.execute("INSERT INTO d VALUES (99, NULL)")
    cols = "d.id, j.key, j.value, j.type, j.atom, j.id, j.parent, j.fullkey, j.path"
    for fn in ("json_each", "json_tree"):
        same(dbs, f"SELECT {cols} FROM d, {fn}(d.doc) AS j ORDER BY d.id, j.id")
        same(dbs, f"SELECT {cols} FROM d JOIN {fn}(d.doc) j ORDER BY d.id, j.id")
        same(
            dbs,
            f"SELECT d.id, j.fullkey FROM d LEFT JOIN {fn}(d.doc, '$[0]') j ORDER BY d.id, j.id",
        )
        same(
            dbs,
            f"SELECT d.id, (SELECT count(*) FROM {fn}(d.doc) WHERE type = 'integer') "
            "FROM d ORDER BY d.id",
        )
        same(
            dbs,
            f"SELECT j.type, count(*) FROM d, {fn}(d.doc) j WHERE j.atom IS NOT NULL "
            "GROUP BY j.type ORDER BY j.type",
        )


# ---------------------------------------------------------------- hand cases
def one(conn, sql: str, params=()):
    return conn.execute(sql, params).fetchone()


def test_text_keeps_numbers_and_escapes_as_written(conn):
    assert one(conn, 'SELECT json(\' { "a" : 1.50, "b":"\\u0041\\n" } \')') == (
        '{"a":1.50,"b":"\\u0041\\n"}',
    )
    assert one(conn, "SELECT json_extract('[1e400, 123456789012345678901234567890]', '$[1]')") == (
        1.2345678901234568e29,
    )
    assert one(conn, "SELECT json_array(1.5, 0.1, 1e300, 1.0, 'a\"\\é', NULL)") == (
        '[1.5,0.1,1.0e+300,1.0,"a\\"\\\\é",null]',
    )


def test_json_values_nest_as_json_not_strings(conn):
    row = one(
        conn,
        "SELECT json_array(json('[1]'), '[1]', json_extract('{\"a\":[1]}', '$.a'), "
        "json_extract('{\"a\":\"[1]\"}', '$.a'), '{\"a\":[2]}' -> '$.a', json_object('x', 1))",
    )
    assert row == ('[[1],"[1]",[1],"[1]",[2],{"x":1}]',)
    assert type(row[0]) is str
    assert one(conn, "SELECT json_object('a', json_group_array(x)) FROM (SELECT 1 AS x)") == (
        '{"a":[1]}',
    )
    assert one(conn, "SELECT json_quote(json('[1]')), json_quote('[1]')") == ("[1]", '"[1]"')


def test_arrow_operators(conn):
    assert one(
        conn,
        "SELECT '{\"a\":[1]}' -> 'a', '{\"a\":[1]}' ->> 'a', '[5,6]' -> 1, '[5,6]' ->> 1, "
        "'{\"a\":\"x\"}' -> '$.a', '{\"a\":\"x\"}' ->> '$.a', '[5,6]' ->> '$[#-1]', "
        "'{\"a\":1}' -> '$.b'",
    ) == ("[1]", "[1]", "6", 6, '"x"', "x", 6, None)
    # -> binds tighter than +, as || does
    assert one(conn, "SELECT 1 + '[2]' ->> 0") == (3,)


def test_boolean_is_true_or_false(conn):
    assert one(conn, "SELECT json_array(TRUE, 1 > 2)") == ("[true,false]",)


def test_errors_are_data_errors_with_sqlite_messages(conn):
    for sql, message in [
        ("SELECT json('[1,]')", "malformed JSON"),
        ("SELECT json_extract('{}', 'a')", "JSON path error near 'a'"),
        ("SELECT json_extract('{\"a\":[1]}', '$.a[')", "JSON path error near '['"),
        ("SELECT json_array(x'00')", "JSON cannot hold BLOB values"),
        ("SELECT json_object(1, 2)", "json_object() labels must be TEXT"),
        ("SELECT * FROM json_each('[1')", "malformed JSON"),
    ]:
        with pytest.raises(DataError, match=re.escape(message)):
            conn.execute(sql)
    for sql in [
        "SELECT json_object('a')",
        "SELECT json_set('{}', '$.a')",
        "SELECT json_valid()",
        "SELECT * FROM json_each()",
        "SELECT * FROM no_such_function(1)",
        "SELECT * FROM json_each(count(*))",
    ]:
        with pytest.raises(ProgrammingError):
            conn.execute(sql)


def test_failed_json_write_changes_nothing(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT)")
    conn.execute("INSERT INTO t VALUES (1, '{\"a\":1}'), (2, '[1')")
    conn.commit()
    with pytest.raises(DataError):
        conn.execute("UPDATE t SET doc = json_set(doc, '$.b', 2)")
    conn.rollback()
    assert conn.execute("SELECT doc FROM t ORDER BY id").fetchall() == [('{"a":1}',), ("[1",)]


def test_json_kept_in_tables_views_and_durably(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT)")
    conn.execute(
        "INSERT INTO t SELECT value, json_object('n', value, 'sq', json_array(value, value * value))"
        " FROM json_each('[1, 2, 3]')"
    )
    conn.execute(
        "CREATE VIEW parts AS SELECT t.id, j.key, j.value, t.doc -> '$.sq' AS sq "
        "FROM t, json_each(t.doc) AS j"
    )
    conn.commit()
    rows = conn.execute("SELECT * FROM parts WHERE key = 'sq' ORDER BY id").fetchall()
    assert rows == [
        (1, "sq", "[1,1]", "[1,1]"),
        (2, "sq", "[2,4]", "[2,4]"),
        (3, "sq", "[3,9]", "[3,9]"),
    ]
    assert all(type(r[3]) is str for r in rows)
    assert conn.execute("SELECT doc FROM t WHERE id = 2").fetchone() == ('{"n":2,"sq":[2,4]}',)


def test_explain_shows_the_table_function(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT)")
    plan = [r[0] for r in conn.execute("EXPLAIN SELECT j.key FROM t, json_each(t.doc) j")]
    assert any("TABLE FUNCTION json_each" in line for line in plan)


def test_subtype_passes_through_case_and_coalesce(conn):
    assert one(
        conn,
        "SELECT json_array(CASE WHEN 1 THEN json('[1]') END, coalesce(NULL, json('[2]')), "
        "ifnull(NULL, json_array(3)), iif(0, 'x', json('{}')), CASE WHEN 1 THEN '[4]' END)",
    ) == ('[[1],[2],[3],{},"[4]"]',)


def test_duplicate_keys_are_kept_and_the_first_is_found(conn):
    doc = '{"a":1,"a":{"b":2}}'
    assert one(
        conn, "SELECT json(?), json_extract(?, '$.a'), json_set(?, '$.a', 0)", (doc,) * 3
    ) == (
        doc,
        1,
        '{"a":0,"a":{"b":2}}',
    )
    rows = conn.execute("SELECT key, fullkey FROM json_each(?)", (doc,)).fetchall()
    assert rows == [("a", "$.a"), ("a", "$.a")]
    assert all(type(k) is str for k, _ in rows)


def test_hidden_columns_and_parameters(conn):
    rows = conn.execute("SELECT * FROM json_each(?, ?)", ('{"a":[5,6]}', "$.a")).fetchall()
    assert rows == [
        (0, 5, "integer", 5, 3, None, "$.a[0]", "$.a"),
        (1, 6, "integer", 6, 4, None, "$.a[1]", "$.a"),
    ]
    assert one(conn, "SELECT json, root FROM json_each('[1]', '$')") == ("[1]", "$")


def test_lateral_and_correlated_uses(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, tags TEXT)")
    conn.execute("""INSERT INTO t VALUES (1, '["a","b"]'), (2, '["b"]'), (3, '[]')""")
    conn.commit()
    assert conn.execute(
        "SELECT j.value, count(*) FROM t, json_each(t.tags) j GROUP BY j.value ORDER BY 1"
    ).fetchall() == [("a", 1), ("b", 2)]
    assert conn.execute(
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = 'b') "
        "ORDER BY id"
    ).fetchall() == [(1,), (2,)]
    assert conn.execute(
        "WITH x AS (SELECT t.id, j.value FROM t JOIN json_each(t.tags) j) "
        "SELECT id, json_group_array(value) FROM x GROUP BY id ORDER BY id"
    ).fetchall() == [(1, '["a","b"]'), (2, '["b"]')]
    conn.execute(
        "UPDATE t SET tags = json_insert(tags, '$[#]', 'c') "
        "WHERE id IN (SELECT t2.id FROM t AS t2, json_each(t2.tags) WHERE value = 'a')"
    )
    conn.execute("DELETE FROM t WHERE json_array_length(tags) = 0")
    conn.commit()
    assert conn.execute("SELECT id, tags FROM t ORDER BY id").fetchall() == [
        (1, '["a","b","c"]'),
        (2, '["b"]'),
    ]


def test_deep_documents_are_malformed_past_the_limit(conn):
    ok, deep = "[" * 200 + "]" * 200, "[" * 201 + "]" * 201
    assert one(conn, "SELECT json_valid(?), json_valid(?)", (ok, deep)) == (1, 0)
    assert one(conn, "SELECT count(*) FROM json_tree(?)", (ok,)) == (200,)
    with pytest.raises(DataError, match="malformed JSON"):
        conn.execute("SELECT json(?)", ("[" * 5000 + "]" * 5000,))


def test_filter_on_the_json_aggregates_drops_rows_instead_of_adding_nulls():
    # json_group_array keeps NULL arguments (as null), so FILTER must skip the row itself
    q = (
        "SELECT json_group_array(column1) FILTER (WHERE column1 > 1), "
        "json_group_object('k' || column1, column1) FILTER (WHERE column1 < 3), "
        "json_group_array(NULL) FILTER (WHERE column1 = 2) FROM (VALUES (1), (2), (3))"
    )
    got = memtables.connect().execute(q).fetchall()
    assert (
        got
        == sqlite3.connect(":memory:").execute(q).fetchall()
        == [("[2,3]", '{"k1":1,"k2":2}', "[null]")]
    )
