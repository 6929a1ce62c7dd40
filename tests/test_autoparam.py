"""Auto-parameterisation: statements that differ only in literal values share one plan.

A user never sees it except as speed: every statement below must give the rows, the
``description`` and the errors it gives compiled on its own (``auto_parameterize`` off) and,
where the dialects agree, what sqlite3 gives for the same text.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memtables

SCHEMA = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, n INTEGER)",
    "CREATE INDEX t_n ON t (n)",
    "CREATE INDEX t_name ON t (name)",
]
ROWS = [
    "INSERT INTO t VALUES (1, 'ann', 1.5, X'00ff', 3)",
    "INSERT INTO t VALUES (2, 'bob', 2.5, X'01', 3)",
    "INSERT INTO t VALUES (3, 'o''neil', -0.5, NULL, 7)",
    "INSERT INTO t VALUES (4, 'abc%', 10.0, X'', -2)",
    "INSERT INTO t (id, name, n) VALUES (5, '12', 12)",
    "INSERT INTO t VALUES (6, 'Ann', 1e3, X'ABCD', 0)",
]

# (text, ordered): ``ordered`` when the statement's ORDER BY fixes the order of its rows
QUERIES = [
    ("SELECT * FROM t WHERE id = 2", False),
    ("SELECT * FROM t WHERE id = 3", False),
    ("SELECT name FROM t WHERE name = 'o''neil'", False),
    ("SELECT id FROM t WHERE n = 3 AND score > 2.0", False),
    ("SELECT id FROM t WHERE n BETWEEN 0 AND 7", False),
    ("SELECT id FROM t WHERE n IN (3, 7)", False),
    ("SELECT id FROM t WHERE n IN (3, 7, 12)", False),
    ("SELECT id FROM t WHERE n = -2", False),
    ("SELECT id FROM t WHERE n > 1 - 2", False),
    ("SELECT id FROM t WHERE data = X'01'", False),
    ("SELECT id FROM t WHERE name LIKE 'a%'", False),
    ("SELECT id FROM t WHERE name LIKE 'abc\\%' ESCAPE '\\'", False),
    ("SELECT id FROM t WHERE name = 12", False),
    ("SELECT id FROM t WHERE n = '12'", False),
    ("SELECT id FROM t WHERE score = '1.5'", False),
    ("SELECT id FROM t WHERE n = ' 3 '", False),
    ("SELECT id FROM t WHERE score < 1e2 AND score > .5", False),
    ("SELECT id, name FROM t ORDER BY 2, 1", True),
    ("SELECT id, name FROM t ORDER BY 1 DESC", True),
    ("SELECT n, count(*) FROM t GROUP BY 1 ORDER BY 1", True),
    ("SELECT n, count(*) FROM t WHERE id > 1 GROUP BY n HAVING count(*) > 1", False),
    ("SELECT id FROM t WHERE id > 0 ORDER BY id LIMIT 2", True),
    ("SELECT id FROM t WHERE id > 0 ORDER BY id LIMIT 3 OFFSET 1", True),
    ("SELECT 1 + 1, 'x', 2.5 FROM t WHERE id = 1", False),
    ("SELECT 2 + 2, 'y', -1 FROM t WHERE id = 1", False),
    ("SELECT id, n * 2 AS twice FROM t WHERE n * 2 > 5", False),
    ("SELECT id FROM t WHERE id = 1 /* 5 */ -- and 7", False),
    ('SELECT "id" FROM t WHERE "n" = 7', False),
    ("SELECT id FROM t WHERE lower(name) = 'ann'", False),
    ("SELECT id FROM t WHERE substr(name, 1, 2) = 'ab'", False),
    ("SELECT id FROM t WHERE CAST(n AS TEXT) = '7'", False),
    ("SELECT id FROM t WHERE id IN (SELECT id FROM t WHERE n = 3)", False),
    ("SELECT a.id FROM t a JOIN t b ON b.id = a.id + 1 WHERE b.n = 3", False),
    ("SELECT CASE WHEN n > 5 THEN 'big' ELSE 'small' END FROM t WHERE n <> 0", False),
    ("SELECT id FROM t WHERE coalesce(data, X'') = X''", False),
    ("SELECT id, sum(n) OVER (ORDER BY id ROWS 1 PRECEDING) AS s FROM t WHERE id < 5", False),
    ("SELECT count(*) FROM (SELECT * FROM t WHERE n = 3) WHERE id > 1", False),
    ("WITH c AS (SELECT id FROM t WHERE n = 3) SELECT * FROM c WHERE id >= 2", False),
    ("SELECT id FROM t WHERE n = 3 UNION SELECT id FROM t WHERE n = 7", False),
    ("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) WHERE column1 > 1", False),
    ("SELECT * FROM (SELECT n + 1 AS m FROM t WHERE id < 4) WHERE m > 4", False),
]


def _pair(auto: bool = True):
    conn = memtables.connect()
    conn.database.auto_parameterize = auto
    lite = sqlite3.connect(":memory:")
    for s in SCHEMA + ROWS:
        conn.execute(s)
        lite.execute(s)
    conn.commit()
    lite.commit()
    return conn, lite


def _outcome(conn, text: str, params=(), ordered: bool = True, types: bool = False):
    """Rows and column names (and types), or the error's class and message."""
    try:
        cur = conn.execute(text, params)
        rows = cur.fetchall() if cur.description else []
    except Exception as e:
        return ("error", type(e).__name__, str(e))
    d = cur.description
    names = [c[:2] if types else c[0] for c in d] if d else None
    return (names, cur.rowcount, rows if ordered else sorted(rows, key=repr))


@pytest.fixture(scope="module")
def engines():
    auto, lite = _pair(True)
    plain, _ = _pair(False)
    yield auto, plain, lite
    for c in (auto, plain, lite):
        c.close()


@pytest.mark.parametrize("text,ordered", QUERIES)
def test_literal_query_agrees_with_sqlite_and_with_itself(engines, text, ordered):
    auto, plain, lite = engines
    got = _outcome(auto, text, ordered=ordered)
    assert got == _outcome(plain, text, ordered=ordered)
    assert got[0] != "error", got
    want = _outcome(lite, text, ordered=ordered)
    # comparisons are BOOLEAN in memtables and 0/1 in sqlite3: equal as values
    assert got == want
    # the description as a whole (types too) is what the text compiled alone reports
    assert auto.execute(text).description == plain.execute(text).description


def test_one_plan_per_shape():
    conn, _ = _pair(True)
    db = conn.database
    before = db.statements_compiled
    for k in range(1, 7):
        assert conn.execute(f"SELECT name FROM t WHERE id = {k}").fetchone()
    assert db.statements_compiled == before + 1
    conn.execute("SELECT name FROM t WHERE id = 'x'")  # another literal type: another plan
    conn.execute("SELECT name FROM t WHERE id IN (1, 2)")
    conn.execute("SELECT name FROM t WHERE id IN (3, 4)")
    conn.execute("SELECT name FROM t WHERE id IN (1, 2, 3)")  # list length is shape
    assert db.statements_compiled == before + 4
    for k in range(10, 20):
        conn.execute(f"INSERT INTO t (id, name) VALUES ({k}, 'n{k}')")
    assert db.statements_compiled == before + 5
    assert conn.execute("SELECT name FROM t WHERE id = 19").fetchone() == ("n19",)


def test_off_compiles_each_text():
    conn, _ = _pair(False)
    db = conn.database
    before = db.statements_compiled
    for k in range(1, 4):
        conn.execute(f"SELECT name FROM t WHERE id = {k}")
    assert db.statements_compiled == before + 3


def test_select_list_literals_name_their_columns(engines):
    auto, _, lite = engines
    for text in ("SELECT 1 + 1", "SELECT 2 + 2", "SELECT 'a' || 'b'", "SELECT -5, 1.0"):
        got = auto.execute(text)
        want = lite.execute(text)
        assert [d[0] for d in got.description] == [d[0] for d in want.description]
        assert got.fetchall() == want.fetchall()


def test_explicit_parameters_mixed_with_literals(engines):
    auto, plain, lite = engines
    text = "SELECT id FROM t WHERE n = ? AND id > 1"
    assert _outcome(auto, text, (3,)) == _outcome(lite, text, (3,))
    named = "SELECT id FROM t WHERE n = :n AND name <> 'zed'"
    assert _outcome(auto, named, {"n": 3}) == _outcome(lite, named, {"n": 3})
    assert _outcome(auto, named, {"n": 7}) == _outcome(plain, named, {"n": 7})


def test_ddl_and_stored_text_keep_their_literals():
    conn = memtables.connect()
    for k in (5, 6):
        conn.execute(f"CREATE TABLE d{k} (id INTEGER PRIMARY KEY, x INTEGER DEFAULT {k})")
        conn.execute(f"INSERT INTO d{k} (id) VALUES ({k})")
        conn.execute(f"CREATE VIEW v{k} AS SELECT x FROM d{k} WHERE x = {k}")
    assert conn.execute("SELECT x FROM d5").fetchall() == [(5,)]
    assert conn.execute("SELECT x FROM d6").fetchall() == [(6,)]
    assert conn.execute("SELECT * FROM v5").fetchall() == [(5,)]
    assert conn.execute("SELECT * FROM v6").fetchall() == [(6,)]
    dump = "\n".join(conn.iterdump())
    assert "DEFAULT (6)" in dump and "x = 6" in dump


def test_literal_errors_are_the_texts_own(engines):
    auto, plain, _ = engines
    for text in (
        "SELECT id FROM t WHERE n = 3 ORDER BY 9",
        "SELECT nope FROM t WHERE n = 3",
        "SELECT id FROM t WHERE n = 3 GROUP BY 0",
        "INSERT INTO t VALUES (1, 'dup', 1.0, NULL, 1)",
        "INSERT INTO t VALUES (99, 'short')",
        "SELECT id FROM t WHERE n = 3; SELECT 1",
    ):
        got = _outcome(auto, text)
        assert got[0] == "error", text
        assert got == _outcome(plain, text), text


def test_writes_with_literals_agree_with_sqlite():
    conn, lite = _pair(True)
    for text in (
        "UPDATE t SET score = 9.5, name = 'x''y' WHERE n = 3",
        "UPDATE t SET n = n + 1 WHERE name LIKE 'a%'",
        "DELETE FROM t WHERE id = 6",
        "INSERT INTO t VALUES (7, 'g', 0.25, X'07', -7)",
        "INSERT INTO t VALUES (8, 'h', 0.5, X'08', 8), (9, 'i', 0.75, X'09', 9)",
        "INSERT OR REPLACE INTO t VALUES (7, 'g2', 1.25, X'17', 17)",
        "INSERT INTO t (id, name) VALUES (10, 'j') ON CONFLICT (id) DO UPDATE SET name = 'k'",
        "INSERT INTO t (id, name) VALUES (10, 'j') ON CONFLICT (id) DO UPDATE SET name = 'l'",
        "INSERT INTO t (id, name) SELECT id + 100, 'copy' FROM t WHERE n = 7",
    ):
        a = conn.execute(text)
        b = lite.execute(text)
        assert a.rowcount == b.rowcount, text
    every = "SELECT * FROM t ORDER BY id"
    assert conn.execute(every).fetchall() == lite.execute(every).fetchall()


def test_returning_literals(engines):
    conn, lite = _pair(True)
    for k in (20, 21):
        text = f"INSERT INTO t (id, name) VALUES ({k}, 'r{k}') RETURNING id, 'made', {k} + 1"
        got, want = conn.execute(text), lite.execute(text)
        assert [d[0] for d in got.description] == [d[0] for d in want.description]
        assert got.fetchall() == want.fetchall()


def test_temporary_tables_and_functions_take_the_connections_path():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 'main')")
    other = conn.database.connect()
    other.execute("CREATE TEMP TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    other.execute("INSERT INTO t VALUES (1, 'temp')")
    assert conn.execute("SELECT v FROM t WHERE id = 1").fetchall() == [("main",)]
    assert other.execute("SELECT v FROM t WHERE id = 1").fetchall() == [("temp",)]
    conn.create_function("twice", 1, lambda x: 2 * x)
    assert conn.execute("SELECT twice(id) FROM t WHERE v = 'main'").fetchall() == [(2,)]
    other.close()


# ---------------------------------------------------------------- scripts
def test_script_of_literal_inserts_shares_one_plan():
    conn = memtables.connect()
    conn.execute(SCHEMA[0])
    db = conn.database
    before = db.statements_compiled
    script = "".join(
        f"INSERT INTO t (id, name, n) VALUES ({k}, 'n''{k}', {k % 5});\n" for k in range(300)
    )
    conn.executescript(script)
    assert db.statements_compiled <= before + 2
    assert conn.execute("SELECT count(*), sum(n) FROM t").fetchone() == (300, 600)
    assert conn.execute("SELECT name FROM t WHERE id = 42").fetchone() == ("n'42",)


def test_script_syntax_error_runs_nothing_and_says_where():
    conn = memtables.connect()
    conn.execute(SCHEMA[0])
    conn.executescript("INSERT INTO t (id) VALUES (1);")
    script = "INSERT INTO t (id) VALUES (2);\nINSERT INTO t (id) VALUES (3);\nINSERT INTO t (id) VALUS (4);"
    with pytest.raises(memtables.ProgrammingError) as e:
        conn.executescript(script)
    assert "line 3" in str(e.value)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
    with pytest.raises(memtables.ProgrammingError, match="parameters"):
        conn.executescript("INSERT INTO t (id) VALUES (5); INSERT INTO t (id) VALUES (?);")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_script_with_ddl_triggers_and_strings_agrees_with_sqlite():
    script = """
        CREATE TABLE a (id INTEGER PRIMARY KEY, s TEXT DEFAULT 'd;1');
        CREATE TABLE log (id INTEGER PRIMARY KEY, what TEXT);
        INSERT INTO a VALUES (1, 'x;y');  -- a comment; with a semicolon
        INSERT INTO a (id) VALUES (2);
        /* 3; */ INSERT INTO a VALUES (3, 'it''s');
        CREATE TRIGGER tr AFTER INSERT ON a BEGIN INSERT INTO log (what) VALUES ('one;'); END;
        INSERT INTO a VALUES (4, 'z');
        UPDATE a SET s = 'w' WHERE id = 2;
        DELETE FROM a WHERE id = 1;
    """
    conn, lite = memtables.connect(), sqlite3.connect(":memory:")
    conn.executescript(script)
    lite.executescript(script)
    for q in ("SELECT * FROM a ORDER BY id", "SELECT what FROM log"):
        assert conn.execute(q).fetchall() == lite.execute(q).fetchall()
    tail = "INSERT INTO a VALUES (5, 'v'); INSERT INTO a VALUES (6, ';'); SELECT 1;"
    conn.executescript(tail)
    lite.executescript(tail)
    for q in ("SELECT * FROM a ORDER BY id", "SELECT what FROM log"):
        assert conn.execute(q).fetchall() == lite.execute(q).fetchall()


def test_dump_replays_into_an_equal_database():
    conn, _ = _pair(True)
    copy = memtables.connect()
    copy.executescript("\n".join(conn.iterdump()))
    every = "SELECT * FROM t ORDER BY id"
    assert copy.execute(every).fetchall() == conn.execute(every).fetchall()


# ---------------------------------------------------------------- property
_COLUMNS = ["id", "name", "score", "data", "n"]
_ints = st.integers(min_value=-(10**12), max_value=10**12)
_texts = st.text(alphabet="ab'% 1.-x", max_size=5)
_literal = st.one_of(
    _ints.map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: repr(float(f))),
    _texts.map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.binary(max_size=3).map(lambda b: "X'" + b.hex() + "'"),
    st.just("NULL"),
)
_ops = st.sampled_from(["=", "<>", "<", ">=", "IS", "IS NOT"])


@st.composite
def _predicate(draw, depth=0):
    kind = draw(st.integers(0, 4 if depth < 2 else 2))
    col = draw(st.sampled_from(_COLUMNS))
    if kind == 0:
        return f"{col} {draw(_ops)} {draw(_literal)}"
    if kind == 1:
        items = draw(st.lists(_literal, min_size=1, max_size=4))
        return f"{col} {draw(st.sampled_from(['IN', 'NOT IN']))} ({', '.join(items)})"
    if kind == 2:
        return f"{col} BETWEEN {draw(_literal)} AND {draw(_literal)}"
    joiner = draw(st.sampled_from([" AND ", " OR "]))
    return "(" + draw(_predicate(depth + 1)) + joiner + draw(_predicate(depth + 1)) + ")"


@st.composite
def _statement(draw):
    where = draw(_predicate())
    kind = draw(st.integers(0, 4))
    if kind == 0:
        cols = ", ".join(draw(st.lists(st.sampled_from(_COLUMNS), min_size=1, max_size=3)))
        return f"SELECT {cols} FROM t WHERE {where} ORDER BY id"
    if kind == 1:
        return f"SELECT n, count(*), max(score) FROM t WHERE {where} GROUP BY n ORDER BY 1"
    if kind == 2:
        col = draw(st.sampled_from(_COLUMNS[1:]))
        return f"UPDATE t SET {col} = {draw(_literal)} WHERE {where}"
    if kind == 3:
        return f"DELETE FROM t WHERE {where}"
    values = ", ".join(draw(_literal) for _ in range(4))
    return f"INSERT INTO t VALUES ({draw(st.integers(1, 12))}, {values})"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_statement(), min_size=1, max_size=6))
def test_auto_parameterised_equals_compiled_alone(statements):
    auto, _ = _pair(True)
    plain, _ = _pair(False)
    for text in statements:
        assert _outcome(auto, text, types=True) == _outcome(plain, text, types=True), text
    every = "SELECT * FROM t ORDER BY id"
    assert auto.execute(every).fetchall() == plain.execute(every).fetchall()
    auto.close()
    plain.close()


def test_a_shared_plan_streams_a_large_result_with_each_texts_literals():
    """A shape's plan, run for one text's literals, still streams a result larger than a chunk:
    each fetch gives that text's rows, and two open cursors of one shape do not mix."""
    db = memtables.open()
    conn = db.connect(autocommit=True)
    conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER)")
    conn.executemany("INSERT INTO big VALUES (?, ?)", [(i, i % 7) for i in range(3000)])
    compiled = db.statements_compiled
    first = conn.execute("SELECT id FROM big WHERE n = 3")
    second = conn.cursor().execute("SELECT id FROM big WHERE n = 5")
    assert db.statements_compiled == compiled + 1  # two texts of one shape: one plan
    # each is a stream: an autocommit stream holds a read transaction of its own
    active = "SELECT value FROM sys.stats WHERE name = 'active_transactions'"
    assert db.connect(autocommit=True).execute(active).fetchone()[0] == 3  # and the watcher's
    got3, got5 = [], []
    while True:
        a, b = first.fetchmany(100), second.fetchmany(77)
        got3 += a
        got5 += b
        if not a and not b:
            break
    assert sorted(r[0] for r in got3) == [i for i in range(3000) if i % 7 == 3]
    assert sorted(r[0] for r in got5) == [i for i in range(3000) if i % 7 == 5]


def test_the_same_literal_text_again_follows_schema_changes():
    """A text run again is served from its own cache until the schema changes: then the
    same text sees the new shape of the table."""
    conn = memtables.connect()
    conn.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, a INTEGER)")
    conn.execute("INSERT INTO s VALUES (1, 10), (2, 20)")
    text = "SELECT * FROM s WHERE id = 2"
    for _ in range(3):
        assert conn.execute(text).fetchall() == [(2, 20)]
    conn.execute("ALTER TABLE s ADD COLUMN b TEXT DEFAULT 'x'")
    cur = conn.execute(text)
    assert cur.fetchall() == [(2, 20, "x")]
    assert [d[0] for d in cur.description] == ["id", "a", "b"]
    conn.execute("DROP TABLE s")
    with pytest.raises(memtables.Error, match="no such table: s"):
        conn.execute(text)
