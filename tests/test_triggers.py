"""Row triggers, end to end through ``memtables.connect``: CREATE/DROP TRIGGER, what fires
when (BEFORE/AFTER, INSERT/UPDATE [OF]/DELETE, WHEN, upserts, OR REPLACE/IGNORE), NEW and OLD,
every RAISE kind, nesting, transactions, durability, introspection; checked against sqlite3
wherever it has the same feature (it fires the same triggers in the same order).
"""

from __future__ import annotations

import datetime
import sqlite3

import pyarrow as pa
import pytest
from memtables.repl.metadata import schema as shell_schema
from memtables.repl.splitter import split_script

import memtables
from tests.reopen import assert_reopens_equal

# --------------------------------------------------------------------------- helpers


def run_both(statements: list[str], autocommit: bool = True, setup=()) -> tuple:
    """Run ``statements`` on memtables and on sqlite3 (both committing each statement on
    its own, or both in one transaction), after ``setup`` committed: each statement's rows
    or error class, per side."""
    mt = memtables.connect(autocommit=autocommit)
    lite = sqlite3.connect(":memory:", isolation_level=None)
    for sql in setup:
        mt.execute(sql)
        lite.execute(sql)
    mt.commit()
    if not autocommit:
        lite.execute("BEGIN")
    out_mt, out_lite = [], []
    for sql in statements:
        out_mt.append(_outcome(mt, sql, memtables.Error))
        out_lite.append(_outcome(lite, sql, sqlite3.Error))
    return out_mt, out_lite, mt, lite


def _outcome(conn, sql: str, error) -> tuple:
    try:
        cur = conn.execute(sql)
        rows = cur.fetchall() if cur.description else None
        return ("ok", rows, cur.rowcount if rows is None else None)
    except error as e:
        integrity = isinstance(e, (memtables.IntegrityError, sqlite3.IntegrityError))
        return ("error", "integrity" if integrity else "other", str(e))


def _tables(conn, names) -> dict:
    return {n: sorted(conn.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}


def assert_same(
    statements: list[str], tables: list[str], autocommit: bool = True, setup=()
) -> list:
    """The statements give the same rows, row counts, error kinds (and messages of RAISE)
    and leave the same tables on both sides; memtables' outcomes are returned."""
    mt, lite, mconn, lconn = run_both(statements, autocommit, setup)
    for sql, a, b in zip(statements, mt, lite):
        assert a[:2] == b[:2], f"{sql}: memtables {a} sqlite3 {b}"
        if a[0] == "ok":
            assert a[2] == b[2], f"{sql}: rowcount memtables {a[2]} sqlite3 {b[2]}"
        elif a[1] == "integrity":
            assert a[2] == b[2], sql
    assert _tables(mconn, tables) == _tables(lconn, tables)
    return mt


AUDIT = [
    "CREATE TABLE account (id INTEGER PRIMARY KEY, owner TEXT, balance INTEGER)",
    "CREATE TABLE audit (n INTEGER PRIMARY KEY, action TEXT, id INTEGER, before INTEGER, "
    "after INTEGER)",
    "CREATE TRIGGER account_ins AFTER INSERT ON account BEGIN "
    "INSERT INTO audit (action, id, after) VALUES ('insert', NEW.id, NEW.balance); END",
    "CREATE TRIGGER account_upd AFTER UPDATE OF balance ON account FOR EACH ROW BEGIN "
    "INSERT INTO audit (action, id, before, after) VALUES ('update', NEW.id, OLD.balance, "
    "NEW.balance); END",
    "CREATE TRIGGER account_del AFTER DELETE ON account BEGIN "
    "INSERT INTO audit (action, id, before) VALUES ('delete', OLD.id, OLD.balance); END",
]


# --------------------------------------------------------------------------- the patterns


def test_audit_log_against_sqlite():
    assert_same(
        AUDIT
        + [
            "INSERT INTO account (owner, balance) VALUES ('ada', 100), ('bob', 50)",
            "UPDATE account SET balance = balance - 30 WHERE owner = 'ada'",
            "UPDATE account SET owner = 'robert' WHERE owner = 'bob'",  # not OF balance
            "DELETE FROM account WHERE balance < 100",
            "SELECT * FROM audit ORDER BY n",
        ],
        ["account", "audit"],
    )


def test_audit_log_through_executemany(conn):
    for sql in AUDIT:
        conn.execute(sql)
    cur = conn.executemany(
        "INSERT INTO account (owner, balance) VALUES (?, ?)", [("ada", 1), ("bob", 2)]
    )
    assert cur.rowcount == 2
    conn.executemany("UPDATE account SET balance = ? WHERE owner = ?", [(5, "ada"), (6, "bob")])
    conn.commit()
    rows = conn.execute("SELECT action, id, before, after FROM audit ORDER BY n").fetchall()
    assert rows == [
        ("insert", 1, None, 1),
        ("insert", 2, None, 2),
        ("update", 1, 1, 5),
        ("update", 2, 2, 6),
    ]


def test_updated_at_pattern_does_not_fire_itself():
    # the trigger updates its own table: with recursive triggers off (SQLite's default) its
    # own UPDATE does not fire it again
    assert_same(
        [
            "CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT, version INTEGER DEFAULT 0)",
            "CREATE TRIGGER doc_touch AFTER UPDATE ON doc WHEN OLD.version IS NEW.version "
            "BEGIN UPDATE doc SET version = OLD.version + 1 WHERE id = NEW.id; END",
            "INSERT INTO doc (body) VALUES ('a'), ('b')",
            "UPDATE doc SET body = body || '!'",
            "UPDATE doc SET body = 'x', version = 10 WHERE id = 1",  # WHEN false: left alone
            "SELECT * FROM doc ORDER BY id",
        ],
        ["doc"],
    )


def test_order_when_and_update_of():
    log = "INSERT INTO log (x) VALUES"
    assert_same(
        [
            "CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER, c INTEGER)",
            "CREATE TABLE log (n INTEGER PRIMARY KEY, x TEXT)",
            f"CREATE TRIGGER t1 AFTER INSERT ON t BEGIN {log} ('t1 ' || NEW.a); END",
            f"CREATE TRIGGER t2 AFTER INSERT ON t BEGIN {log} ('t2 ' || NEW.a); END",
            f"CREATE TRIGGER t0 BEFORE INSERT ON t BEGIN {log} ('t0 ' || NEW.a); END",
            f"CREATE TRIGGER big AFTER INSERT ON t WHEN NEW.b > 10 BEGIN {log} ('big'); END",
            f"CREATE TRIGGER ub AFTER UPDATE OF b ON t BEGIN {log} ('ub ' || OLD.b || NEW.b); END",
            f"CREATE TRIGGER uc BEFORE UPDATE OF c, b ON t BEGIN {log} ('uc'); END",
            f"CREATE TRIGGER u AFTER UPDATE ON t BEGIN {log} ('u'); END",
            "INSERT INTO t VALUES (1, 5, 0), (2, 50, 0)",
            "UPDATE t SET a = a WHERE a = 1",
            "UPDATE t SET b = b WHERE a = 1",  # set, even to the same value: OF b fires
            "UPDATE t SET c = 1 WHERE a = 2",
            "SELECT x FROM log ORDER BY n",
        ],
        ["t", "log"],
    )


def test_new_in_before_insert_of_an_integer_key_not_yet_numbered():
    assert_same(
        [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT)",
            "CREATE TABLE log (id INTEGER, b TEXT)",
            "CREATE TRIGGER b BEFORE INSERT ON t BEGIN INSERT INTO log VALUES (NEW.id, NEW.b); END",
            "CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.id, NEW.b); END",
            "INSERT INTO t (b) VALUES ('x')",
            "SELECT * FROM log",
        ],
        ["t", "log"],
    )


def test_new_in_before_insert_holds_values_as_they_will_be_stored(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, d DATE, r REAL, n INTEGER NOT NULL)")
    conn.execute("CREATE TABLE log (id ANY, d ANY, r ANY, n ANY)")
    conn.execute(
        "CREATE TRIGGER b BEFORE INSERT ON t BEGIN "
        "INSERT INTO log VALUES (NEW.id, NEW.d, NEW.r, NEW.n); END"
    )
    conn.execute("INSERT INTO t (d, r, n) VALUES ('2024-01-02', 3, 1)")
    with pytest.raises(memtables.NotNullViolation):  # refused after the trigger ran, undone
        conn.execute("INSERT INTO t (d, r, n) VALUES ('2024-01-03', 4, NULL)")
    conn.commit()
    assert conn.execute("SELECT * FROM log").fetchall() == [(-1, datetime.date(2024, 1, 2), 3.0, 1)]


def test_upsert_replace_and_ignore_fire_as_in_sqlite():
    log = "INSERT INTO log (x) VALUES"
    assert_same(
        [
            "CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER)",
            "CREATE TABLE log (n INTEGER PRIMARY KEY, x TEXT)",
            "INSERT INTO t VALUES (1, 1)",
            f"CREATE TRIGGER bi BEFORE INSERT ON t BEGIN {log} ('bi ' || NEW.b); END",
            f"CREATE TRIGGER ai AFTER INSERT ON t BEGIN {log} ('ai ' || NEW.b); END",
            f"CREATE TRIGGER bu BEFORE UPDATE ON t BEGIN {log} ('bu ' || OLD.b || NEW.b); END",
            f"CREATE TRIGGER au AFTER UPDATE OF b ON t BEGIN {log} ('au ' || NEW.b); END",
            f"CREATE TRIGGER bd BEFORE DELETE ON t BEGIN {log} ('bd ' || OLD.b); END",
            "INSERT INTO t VALUES (1, 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b + 10",
            "INSERT INTO t VALUES (1, 3) ON CONFLICT DO NOTHING",
            "INSERT OR REPLACE INTO t VALUES (1, 4)",  # its delete fires no DELETE trigger
            "INSERT OR IGNORE INTO t VALUES (1, 5)",
            "DELETE FROM t",
            "SELECT x FROM log ORDER BY n",
        ],
        ["t", "log"],
    )


def test_update_reads_each_target_again_after_triggers():
    assert_same(
        [
            "CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER)",
            "INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)",
            "CREATE TRIGGER x AFTER UPDATE ON t BEGIN "
            "UPDATE t SET b = b + 100 WHERE a = OLD.a + 1; "
            "DELETE FROM t WHERE a = 3 AND OLD.a = 1; END",
            "UPDATE t SET b = b + 1",
            "SELECT * FROM t",
        ],
        ["t"],
    )


def test_before_delete_trigger_that_deletes_the_row():
    assert_same(
        [
            "CREATE TABLE t (a INTEGER PRIMARY KEY)",
            "CREATE TABLE gone (a INTEGER)",
            "INSERT INTO t VALUES (1), (2), (3)",
            "CREATE TRIGGER d BEFORE DELETE ON t BEGIN DELETE FROM t WHERE a = OLD.a + 1; "
            "INSERT INTO gone VALUES (OLD.a); END",
            "DELETE FROM t",
            "SELECT * FROM gone",
        ],
        ["t", "gone"],
    )


# --------------------------------------------------------------------------- nesting


def test_triggers_fire_triggers_but_never_themselves():
    assert_same(
        [
            "CREATE TABLE t (a INTEGER)",
            "CREATE TABLE u (a INTEGER)",
            "CREATE TRIGGER r AFTER INSERT ON t WHEN NEW.a < 5 BEGIN "
            "INSERT INTO u VALUES (NEW.a + 1); END",
            "CREATE TRIGGER r2 AFTER INSERT ON u WHEN NEW.a < 5 BEGIN "
            "INSERT INTO t VALUES (NEW.a + 1); END",
            "CREATE TRIGGER self AFTER INSERT ON t WHEN NEW.a < 5 BEGIN "
            "INSERT INTO t VALUES (NEW.a + 10); END",
            "INSERT INTO t VALUES (1)",
        ],
        ["t", "u"],
    )


def test_nesting_too_deep_is_a_clear_error(conn):
    depth = memtables.sql.trigger.MAX_DEPTH + 1
    for i in range(depth + 1):
        conn.execute(f"CREATE TABLE c{i} (a INTEGER)")
    for i in range(depth):
        conn.execute(
            f"CREATE TRIGGER n{i} AFTER INSERT ON c{i} BEGIN INSERT INTO c{i + 1} VALUES "
            "(NEW.a); END"
        )
    conn.commit()
    with pytest.raises(memtables.OperationalError, match="too many levels of trigger"):
        conn.execute("INSERT INTO c0 VALUES (1)")
    assert conn.execute(f"SELECT count(*) FROM c{depth - 1}").fetchone() == (0,)  # undone
    conn.execute("DROP TRIGGER n0")
    conn.execute("INSERT INTO c1 VALUES (1)")  # one level fewer: fine
    assert conn.execute(f"SELECT a FROM c{depth}").fetchall() == [(1,)]
    conn.commit()


# --------------------------------------------------------------------------- RAISE


@pytest.mark.parametrize("kind", ["ABORT", "FAIL", "ROLLBACK", "IGNORE"])
@pytest.mark.parametrize("autocommit", [True, False])
def test_raise_against_sqlite(kind, autocommit):
    message = "" if kind == "IGNORE" else ", 'bad row'"
    setup = [
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER)",
        "CREATE TABLE log (x INTEGER)",
        "CREATE TABLE src (v INTEGER)",
        "INSERT INTO src VALUES (1), (2), (3), (4)",
        f"CREATE TRIGGER r BEFORE INSERT ON t WHEN NEW.a = 3 BEGIN "
        f"SELECT RAISE({kind}{message}); END",
        "CREATE TRIGGER l AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.a); END",
    ]
    out = assert_same(
        [
            "INSERT INTO t VALUES (100, 0)",
            "INSERT INTO t (a) SELECT v FROM src",
            "SELECT * FROM t ORDER BY a",
            "SELECT * FROM log ORDER BY x",
        ],
        ["t", "log"],
        autocommit,
        setup,
    )
    if kind == "IGNORE":
        assert out[1] == ("ok", None, 3)  # the skipped row is not counted
    else:
        assert out[1][:2] == ("error", "integrity")


def test_raise_error_class_and_statement_undo(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute(
        "CREATE TRIGGER no_neg BEFORE INSERT ON t WHEN NEW.a < 0 BEGIN "
        "SELECT RAISE(ABORT, 'negative values are not allowed'); END"
    )
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(memtables.TriggerRaised, match="negative values") as info:
        conn.execute("INSERT INTO t VALUES (2), (-1)")
    assert isinstance(info.value, memtables.IntegrityError)
    assert info.value.resolution == "abort"
    assert conn.in_transaction  # ABORT undoes the statement, not the transaction
    conn.commit()
    assert conn.execute("SELECT a FROM t").fetchall() == [(1,)]


def test_raise_fail_and_rollback_in_an_explicit_transaction(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute(
        "CREATE TRIGGER f BEFORE INSERT ON t WHEN NEW.a = 3 BEGIN SELECT RAISE(FAIL, 'f'); END"
    )
    conn.execute(
        "CREATE TRIGGER r BEFORE INSERT ON t WHEN NEW.a = 30 BEGIN SELECT RAISE(ROLLBACK, 'r'); END"
    )
    conn.commit()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (0)")
    with pytest.raises(memtables.TriggerRaised, match="f") as info:
        conn.execute("INSERT INTO t VALUES (1), (2), (3), (4)")
    assert info.value.resolution == "fail"
    assert conn.in_transaction  # FAIL keeps the rows before the failing one, and the txn
    assert conn.execute("SELECT a FROM t ORDER BY a").fetchall() == [(0,), (1,), (2,)]
    with pytest.raises(memtables.TriggerRaised, match="r") as info:
        conn.execute("INSERT INTO t VALUES (10), (30)")
    assert info.value.resolution == "rollback"
    assert not conn.in_transaction  # ROLLBACK ends the whole transaction
    assert conn.execute("SELECT a FROM t").fetchall() == []
    conn.commit()


def test_raise_in_an_after_trigger_and_in_a_nested_one():
    assert_same(
        [
            "CREATE TABLE t (a INTEGER)",
            "CREATE TABLE u (a INTEGER)",
            "CREATE TABLE w (a INTEGER)",
            "CREATE TRIGGER tu AFTER INSERT ON t BEGIN INSERT INTO u VALUES (NEW.a); "
            "INSERT INTO w VALUES (NEW.a); END",
            "CREATE TRIGGER ui BEFORE INSERT ON u WHEN NEW.a = 2 BEGIN SELECT RAISE(IGNORE); END",
            "CREATE TRIGGER wf AFTER INSERT ON w WHEN NEW.a = 3 BEGIN "
            "SELECT RAISE(FAIL, 'three'); END",
            "INSERT INTO t VALUES (1), (2), (3), (4)",
        ],
        ["t", "u", "w"],
    )


def test_raise_outside_a_trigger_is_refused():
    conn = memtables.connect()
    conn.execute("CREATE TABLE t (a INTEGER)")
    for sql in (
        "SELECT RAISE(IGNORE)",
        "SELECT RAISE(ABORT, 'x')",
        "CREATE VIEW v AS SELECT RAISE(FAIL, 'x')",
        "UPDATE t SET a = RAISE(ROLLBACK, 'x')",
    ):
        with pytest.raises(memtables.ProgrammingError, match="only be used within a trigger"):
            conn.execute(sql)
    with pytest.raises(memtables.SQLSyntaxError):
        conn.execute("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT RAISE(ABORT, 1); END")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "sql, error, match",
    [
        (
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN INSERT INTO t VALUES (1) RETURNING a; END",
            memtables.ProgrammingError,
            "RETURNING",
        ),
        (
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN DELETE FROM main.t; END",
            memtables.ProgrammingError,
            "qualified table names",
        ),
        (
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT ?; END",
            memtables.ProgrammingError,
            "parameters",
        ),
        ("CREATE TRIGGER x AFTER INSERT ON nosuch BEGIN SELECT 1; END", memtables.Error, "nosuch"),
        (
            "CREATE TRIGGER x AFTER INSERT ON v BEGIN SELECT 1; END",
            memtables.ProgrammingError,
            "cannot create AFTER trigger on view",
        ),
        (
            "CREATE TRIGGER x INSTEAD OF INSERT ON v BEGIN SELECT 1; END",
            memtables.NotSupportedError,
            "INSTEAD OF",
        ),
        (
            "CREATE TRIGGER x INSTEAD OF INSERT ON t BEGIN SELECT 1; END",
            memtables.ProgrammingError,
            "INSTEAD OF trigger on table",
        ),
        (
            "CREATE TRIGGER x AFTER INSERT ON kv BEGIN SELECT 1; END",
            memtables.NotSupportedError,
            "cache tables",
        ),
        ("CREATE TRIGGER tr AFTER DELETE ON t BEGIN SELECT 1; END", memtables.Error, "exists"),
        ("DROP TRIGGER nosuch", memtables.ProgrammingError, "no such trigger: nosuch"),
        ("CREATE TRIGGER x AFTER INSERT ON t BEGIN END", memtables.SQLSyntaxError, "END"),
        (
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN CREATE TABLE z (a); END",
            memtables.SQLSyntaxError,
            "CREATE",
        ),
    ],
)
def test_create_and_drop_errors(sql, error, match):
    conn = memtables.connect(autocommit=True)
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("CREATE VIEW v AS SELECT a FROM t")
    conn.execute("CREATE CACHE TABLE kv (k TEXT PRIMARY KEY, v TEXT)")
    conn.execute("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END")
    before = conn.execute("SELECT * FROM sys.schema").fetchall()
    with pytest.raises(error, match=match):
        conn.execute(sql)
    assert conn.execute("SELECT * FROM sys.schema").fetchall() == before


@pytest.mark.parametrize(
    "event, body, message",
    [
        ("DELETE", "SELECT NEW.a", "no such column: NEW.a"),
        ("INSERT", "SELECT OLD.a", "no such column: OLD.a"),
        ("INSERT", "SELECT NEW.zz", "no such column: NEW.zz"),
        ("INSERT", "INSERT INTO nosuch VALUES (1)", "no such table: nosuch"),
    ],
)
def test_body_errors_show_where_the_trigger_fires(event, body, message):
    conn = memtables.connect(autocommit=True)
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute(f"CREATE TRIGGER x AFTER {event} ON t BEGIN {body}; END")
    verb = "INSERT INTO t VALUES (2)" if event == "INSERT" else "DELETE FROM t"
    with pytest.raises(memtables.ProgrammingError, match=message):
        conn.execute(verb)
    assert conn.execute("SELECT a FROM t").fetchall() == [(1,)]  # the statement undone
    if "nosuch" in body:  # a table created later is found: bodies bind where they fire
        conn.execute("CREATE TABLE nosuch (a INTEGER)")
        conn.execute(verb)
        assert conn.execute("SELECT * FROM nosuch").fetchall() == [(1,)]


def test_if_not_exists_and_if_exists(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("CREATE TABLE log (a INTEGER)")
    conn.execute("CREATE TRIGGER x AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); END")
    conn.execute(
        "CREATE TRIGGER IF NOT EXISTS x AFTER INSERT ON t BEGIN INSERT INTO log VALUES (2); END"
    )
    conn.execute("CREATE TRIGGER t AFTER DELETE ON t BEGIN SELECT 1; END")  # own namespace
    conn.execute("INSERT INTO t VALUES (0)")
    assert conn.execute("SELECT a FROM log").fetchall() == [(1,)]
    conn.execute("DROP TRIGGER x")
    conn.execute("DROP TRIGGER IF EXISTS x")
    conn.execute("INSERT INTO t VALUES (0)")
    assert conn.execute("SELECT count(*) FROM log").fetchone() == (1,)
    conn.commit()


# --------------------------------------------------------------------------- cursors


def test_rowcount_lastrowid_and_returning():
    conn = memtables.connect(autocommit=True)
    lite = sqlite3.connect(":memory:", isolation_level=None)
    setup = [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER)",
        "CREATE TABLE log (id INTEGER PRIMARY KEY, x INTEGER)",
        "INSERT INTO log VALUES (500, 0)",
        "CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO log (x) VALUES (NEW.b); "
        "INSERT INTO log (x) VALUES (NEW.b); UPDATE t SET b = b + 1 WHERE id = NEW.id; END",
    ]
    for sql in setup:
        conn.execute(sql)
        lite.execute(sql)
    for db in (conn, lite):
        cur = db.execute("INSERT INTO t (b) VALUES (7), (8)")
        assert (cur.rowcount, cur.lastrowid) == (2, 2)  # the log's rows do not count
    # RETURNING sees the row as the statement wrote it, not the AFTER trigger's update
    rows = conn.execute("INSERT INTO t (b) VALUES (9) RETURNING id, b").fetchall()
    assert rows == lite.execute("INSERT INTO t (b) VALUES (9) RETURNING id, b").fetchall()
    assert rows == [(3, 9)]
    for sql in ("UPDATE t SET b = 0 WHERE id < 3 RETURNING id, b", "DELETE FROM t RETURNING *"):
        assert sorted(conn.execute(sql).fetchall()) == sorted(lite.execute(sql).fetchall())
    assert _tables(conn, ["t", "log"]) == _tables(lite, ["t", "log"])


# --------------------------------------------------------------------------- transactions


def test_create_and_drop_trigger_roll_back(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("CREATE TABLE log (a INTEGER)")
    conn.commit()
    conn.execute("CREATE TRIGGER x AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.a); END")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.rollback()
    conn.execute("INSERT INTO t VALUES (2)")
    assert conn.execute("SELECT count(*) FROM log").fetchone() == (0,)
    conn.execute("CREATE TRIGGER x AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.a); END")
    conn.commit()
    conn.execute("DROP TRIGGER x")
    conn.rollback()
    conn.execute("INSERT INTO t VALUES (3)")
    conn.execute("SAVEPOINT s")
    conn.execute("DROP TRIGGER x")
    conn.execute("ROLLBACK TO s")
    conn.execute("INSERT INTO t VALUES (4)")
    conn.commit()
    assert conn.execute("SELECT a FROM log ORDER BY a").fetchall() == [(3,), (4,)]


def test_dropping_the_table_drops_its_triggers(conn):
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("CREATE TABLE u (a INTEGER)")
    conn.execute("CREATE TABLE log (a INTEGER)")
    conn.execute("CREATE TRIGGER x AFTER INSERT ON t BEGIN INSERT INTO log VALUES (1); END")
    conn.execute("CREATE TRIGGER y AFTER INSERT ON u BEGIN INSERT INTO log VALUES (2); END")
    conn.commit()
    conn.execute("DROP TABLE t")
    assert [r[1] for r in conn.execute("SELECT * FROM sys.schema WHERE type = 'trigger'")] == ["y"]
    conn.rollback()  # back with its trigger
    conn.execute("INSERT INTO t VALUES (0)")
    conn.execute("DROP TABLE t")
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("CREATE TRIGGER x AFTER DELETE ON t BEGIN SELECT 1; END")  # the name is free
    conn.execute("INSERT INTO t VALUES (0)")
    conn.commit()
    assert conn.execute("SELECT a FROM log").fetchall() == [(1,)]


# --------------------------------------------------------------------------- durability


def _fires(conn) -> list:
    """What the audit triggers write for one insert, update and delete (then undone)."""
    conn.execute("INSERT INTO account (owner, balance) VALUES ('zed', 1)")
    conn.execute("UPDATE account SET balance = 2 WHERE owner = 'zed'")
    conn.execute("DELETE FROM account WHERE owner = 'zed'")
    rows = conn.execute("SELECT action, before, after FROM audit ORDER BY n").fetchall()
    conn.rollback()
    return rows


def test_triggers_survive_reopen_from_log_and_snapshot(tmp_path):
    path = tmp_path / "db"
    conn = memtables.connect(str(path))
    for sql in AUDIT:
        conn.execute(sql)
    conn.execute("CREATE TABLE other (a INTEGER)")
    conn.execute("CREATE TRIGGER gone AFTER INSERT ON other BEGIN SELECT 1; END")
    conn.commit()
    conn.execute("DROP TRIGGER gone")
    conn.execute(
        "CREATE TRIGGER with_when BEFORE DELETE ON account WHEN OLD.balance > 1000 "
        "BEGIN SELECT RAISE(ABORT, 'it''s a big one'); END"
    )
    conn.commit()
    before = (conn.execute("SELECT * FROM sys.schema").fetchall(), _fires(conn))
    conn.close()

    def state(c):
        return (c.execute("SELECT * FROM sys.schema").fetchall(), _fires(c))

    assert before[1] == [("insert", None, 1), ("update", 1, 2), ("delete", 2, None)]
    assert [r[1] for r in before[0] if r[0] == "trigger"] == [
        "account_ins",
        "account_upd",
        "account_del",
        "with_when",
    ]
    assert_reopens_equal(path, state, before)


def test_trigger_created_in_a_rolled_back_transaction_is_not_logged(tmp_path):
    path = tmp_path / "db"
    conn = memtables.connect(str(path))
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.commit()
    conn.execute("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END")
    conn.rollback()
    conn.execute("DROP TABLE t")
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END")
    conn.commit()
    conn.close()

    def state(c):
        return c.execute(
            "SELECT name, table_name FROM sys.schema WHERE type = 'trigger'"
        ).fetchall()

    assert_reopens_equal(path, state, [("x", "t")])


# --------------------------------------------------------------------------- introspection


def test_schema_and_shell_show_triggers():
    conn = memtables.connect(autocommit=True)
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute(
        "create trigger if not exists x after update of a on t for each row "
        "when new.a > 1 begin delete from t where a = old.a; select raise(ignore); end"
    )
    sql = (
        "CREATE TRIGGER x AFTER UPDATE OF a ON t FOR EACH ROW WHEN new.a > 1 BEGIN "
        "DELETE FROM t WHERE a = old.a; SELECT RAISE(IGNORE); END"
    )
    assert conn.execute("SELECT * FROM sys.schema WHERE type = 'trigger'").fetchall() == [
        ("trigger", "x", "t", sql)
    ]
    assert sql + ";" in shell_schema(conn)
    assert shell_schema(conn, "t").splitlines()[1] == sql + ";"  # .schema t: with its triggers
    # the shell and scripts keep a trigger's body in one statement
    items, rest = split_script(sql + "; SELECT 1; CREATE TABLE end_ (a)")
    assert [text for _kind, text in items] == [sql, "SELECT 1"] and rest == "CREATE TABLE end_ (a)"
    body_with_case = "CREATE TRIGGER y AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; END"
    assert split_script(body_with_case + ";")[0] == [("sql", body_with_case)]
    conn.executescript("DROP TRIGGER x; " + body_with_case + "; INSERT INTO t VALUES (1);")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)


# --------------------------------------------------------------------------- bulk loads


def test_copy_from_and_from_arrow_fire_insert_triggers(tmp_path):
    conn = memtables.connect(autocommit=True)
    for sql in AUDIT:
        conn.execute(sql)
    conn.execute(
        "CREATE TRIGGER no_neg BEFORE INSERT ON account WHEN NEW.balance < 0 BEGIN "
        "SELECT RAISE(IGNORE); END"
    )
    path = tmp_path / "rows.csv"
    path.write_text("owner,balance\nada,10\nbad,-1\nbob,20\n")
    assert conn.execute(f"COPY account FROM '{path}'").rowcount == 2  # one row skipped
    data = pa.table({"owner": ["cy", "dee"], "balance": [30, -5]})
    assert conn.from_arrow("account", data, mode="append") == 1
    rows = conn.execute("SELECT action, id, after FROM audit ORDER BY n").fetchall()
    assert rows == [("insert", 1, 10), ("insert", 2, 20), ("insert", 3, 30)]
    conn.execute(
        "CREATE TRIGGER stop BEFORE INSERT ON account WHEN NEW.owner = 'eve' BEGIN "
        "SELECT RAISE(ABORT, 'no eve'); END"
    )
    with pytest.raises(memtables.TriggerRaised, match="no eve"):
        conn.from_arrow("account", pa.table({"owner": ["fay", "eve"]}), mode="append")
    assert conn.execute("SELECT count(*) FROM account").fetchone() == (3,)  # all undone


def test_dump_rebuilds_triggers_without_firing_them():
    conn = memtables.connect(autocommit=True)
    for sql in AUDIT:
        conn.execute(sql)
    conn.execute("INSERT INTO account (owner, balance) VALUES ('ada', 1)")
    script = "\n".join(conn.iterdump())
    assert script.index("CREATE TRIGGER account_ins") > script.index("INSERT INTO audit")
    again = memtables.connect(autocommit=True)
    again.executescript(script)
    for table in ("account", "audit"):
        assert _tables(again, [table]) == _tables(conn, [table])  # the audit row once
    assert (
        again.execute("SELECT * FROM sys.schema").fetchall()
        == conn.execute("SELECT * FROM sys.schema").fetchall()
    )
    lite = sqlite3.connect(":memory:")
    lite.executescript(script)  # sqlite3 reads the dump too, triggers included
    assert lite.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone() == (
        3,
    )


def test_alter_table_under_a_trigger_is_refused_and_changes_nothing(conn):
    # SQLite rewrites trigger bodies on ALTER; memtables refuses instead of leaving a trigger
    # that names an old table or column.
    conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    conn.execute("CREATE TABLE log (x INTEGER)")
    conn.execute(
        "CREATE TRIGGER tr AFTER INSERT ON log BEGIN INSERT INTO t (a) VALUES (NEW.x); END"
    )
    conn.commit()
    for sql in (
        "ALTER TABLE t RENAME TO u",
        "ALTER TABLE t RENAME COLUMN a TO c",
        "ALTER TABLE t DROP COLUMN b",
        "ALTER TABLE log ADD COLUMN y INTEGER",
    ):
        with pytest.raises(memtables.NotSupportedError, match="trigger tr uses the table"):
            conn.execute(sql)
    conn.execute("INSERT INTO log VALUES (7)")
    assert conn.execute("SELECT a FROM t").fetchall() == [(7,)]
    conn.execute("DROP TRIGGER tr")
    conn.execute("ALTER TABLE t RENAME COLUMN a TO c")
    assert conn.execute("SELECT c FROM t").fetchall() == [(7,)]
