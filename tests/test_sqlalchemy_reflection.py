"""Reflection through the SQLAlchemy dialect in the detail SQLAlchemy's compliance suite
checks (``tests/sqla_suite``): declared types, UNIQUE constraint names, TEMP tables, the
inspector's cache, schemas — each here so the main suite catches a regression without the
compliance run."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import memtables


@pytest.fixture
def engine():
    e = sa.create_engine("memtables://")
    yield e
    e.dispose()


def orders_table(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("flag", sa.CHAR(1)),
        sa.Column("note", sa.Text),
        sa.Column("amount", sa.Numeric(18, 5)),
        sa.Column("weight", sa.Float),
        sa.Column("big", sa.BigInteger),
        sa.Column("email", sa.String(40), unique=True),
        sa.UniqueConstraint("code", "flag", name="uq_code_flag"),
    )


def test_declared_types_reflect_with_lengths_and_precision(engine):
    orders_table(sa.MetaData()).create(engine)
    cols = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("orders")}
    assert isinstance(cols["code"], sa.VARCHAR) and cols["code"].length == 12
    assert isinstance(cols["flag"], sa.CHAR) and cols["flag"].length == 1
    assert isinstance(cols["note"], sa.TEXT)
    assert isinstance(cols["amount"], sa.NUMERIC)
    assert (cols["amount"].precision, cols["amount"].scale) == (18, 5)
    assert isinstance(cols["weight"], sa.Float)
    assert isinstance(cols["big"], sa.BIGINT)


def test_declared_types_are_kept_as_written_and_survive_reopen(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute('CREATE TABLE t (a VARCHAR(20), b numeric(10, 2), c INT, d "int primary")')
    conn.commit()
    expected = "CREATE TABLE t (a VARCHAR(20), b NUMERIC(10,2), c INT, d INTEGER)"
    assert conn.execute("SELECT sql FROM sys.schema").fetchall() == [(expected,)]
    # what memtables stores is its own type; the declaration is what DDL and reflection show
    q = "SELECT name, type, declared_type FROM sys.columns ORDER BY position"
    assert conn.execute(q).fetchall() == [
        ("a", "TEXT", "VARCHAR(20)"),
        ("b", "REAL", "NUMERIC(10,2)"),
        ("c", "INTEGER", "INT"),
        ("d", "INTEGER", "INTEGER"),  # a declaration that would not read back is not kept
    ]
    conn.commit()
    conn.execute("CHECKPOINT")
    conn.execute("ALTER TABLE t RENAME COLUMN a TO aa")  # these two in the log, replayed
    conn.execute("ALTER TABLE t ADD COLUMN e CHAR(3)")
    conn.commit()
    before = conn.execute(q).fetchall()
    conn.close()
    again = memtables.connect(path)
    assert again.execute(q).fetchall() == before
    assert before[0] == ("aa", "TEXT", "VARCHAR(20)") and before[-1] == ("e", "TEXT", "CHAR(3)")
    again.close()


def test_unique_constraint_names_reflect(engine):
    orders_table(sa.MetaData()).create(engine)
    insp = sa.inspect(engine)
    uniques = sorted(insp.get_unique_constraints("orders"), key=lambda u: u["column_names"])
    assert uniques == [
        {"name": "uq_code_flag", "column_names": ["code", "flag"]},
        {"name": None, "column_names": ["email"]},  # unnamed, as SQLite reflects it
    ]
    reflected = sa.Table("orders", sa.MetaData(), autoload_with=engine)
    names = {c.name for c in reflected.constraints if isinstance(c, sa.UniqueConstraint)}
    assert "uq_code_flag" in names


def test_unique_constraint_names_survive_alter_dump_and_reopen(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute(
        'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, CONSTRAINT "uq.a b" UNIQUE (a, b))'
    )
    conn.execute("ALTER TABLE t RENAME COLUMN a TO x")
    conn.execute("ALTER TABLE t ADD COLUMN c INTEGER")
    conn.commit()
    q = "SELECT columns, constraint_name FROM sys.indexes WHERE implicit"
    assert conn.execute(q).fetchall() == [("x, b", "uq.a b")]
    assert 'CONSTRAINT "uq.a b" UNIQUE (x, b)' in "".join(conn.iterdump())
    conn.execute("INSERT INTO t (x, b) VALUES ('1', '2')")
    with pytest.raises(memtables.IntegrityError):
        conn.execute("INSERT INTO t (x, b) VALUES ('1', '2')")
    conn.rollback()
    conn.close()
    again = memtables.connect(path)
    assert again.execute(q).fetchall() == [("x, b", "uq.a b")]
    again.close()


def test_temp_tables_reflect_like_main_ones(engine):
    md = sa.MetaData()
    scratch = sa.Table(
        "scratch",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("n", sa.Integer, index=True),
        sa.UniqueConstraint("name", name="uq_scratch_name"),
        prefixes=["TEMPORARY"],
    )
    with engine.connect() as c:  # TEMP objects belong to the one connection
        scratch.create(c)
        c.execute(sa.text("CREATE TEMPORARY VIEW scratch_v AS SELECT id, name FROM scratch"))
        insp = sa.inspect(c)
        assert insp.get_temp_table_names() == ["scratch"]
        assert insp.get_temp_view_names() == ["scratch_v"]
        assert insp.get_table_names() == []  # the main schema's tables only
        assert insp.has_table("scratch") and insp.has_table("scratch_v")
        cols = insp.get_columns("scratch")
        assert [(c["name"], c["nullable"]) for c in cols] == [
            ("id", False),
            ("name", False),
            ("n", True),
        ]
        assert cols[1]["type"].length == 20
        assert insp.get_pk_constraint("scratch")["constrained_columns"] == ["id"]
        assert [i["name"] for i in insp.get_indexes("scratch")] == ["ix_scratch_n"]
        assert insp.get_unique_constraints("scratch") == [
            {"name": "uq_scratch_name", "column_names": ["name"]}
        ]
        assert [c["name"] for c in insp.get_columns("scratch_v")] == ["id", "name"]
        assert "SELECT id, name FROM scratch" in insp.get_view_definition("scratch_v")


def test_temp_table_hides_the_main_one_in_reflection(engine):
    with engine.connect() as c:
        c.execute(sa.text("CREATE TABLE t (a INTEGER, b TEXT)"))
        c.execute(sa.text("CREATE TEMP TABLE t (z REAL)"))
        # a bare name finds the TEMP table first, in SQL and in reflection alike
        assert [col["name"] for col in sa.inspect(c).get_columns("t")] == ["z"]


def test_has_table_answers_from_the_inspectors_cache(engine):
    insp = sa.inspect(engine)
    assert not insp.has_table("later")
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE later (x INTEGER)"))
    assert not insp.has_table("later")  # cached, like every other reflection call
    insp.clear_cache()
    assert insp.has_table("later")


def test_no_schema_but_main(engine):
    orders_table(sa.MetaData()).create(engine)
    insp = sa.inspect(engine)
    assert insp.get_table_names(schema="main") == ["orders"]
    assert insp.get_table_names(schema="other") == [] and insp.get_view_names("other") == []
    assert not insp.has_table("orders", schema="other")
    with pytest.raises(sa.exc.NoSuchTableError):
        insp.get_columns("orders", schema="other")
    with pytest.raises(sa.exc.NoSuchTableError):
        insp.get_pk_constraint("orders", schema="other")
    assert insp.get_table_options("orders") == {}
    with pytest.raises(sa.exc.NoSuchTableError):
        insp.get_table_options("nope")


def test_integer_primary_key_reflects_as_autoincrement(engine):
    orders_table(sa.MetaData()).create(engine)
    cols = {c["name"]: c for c in sa.inspect(engine).get_columns("orders")}
    assert cols["id"]["autoincrement"] is True
    assert "autoincrement" not in cols["big"]


def test_datetime_bound_to_a_date_column_is_cut_to_its_date(engine):
    md = sa.MetaData()
    t = sa.Table("d", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("day", sa.Date))
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(t.insert(), {"id": 1, "day": dt.datetime(2012, 10, 15, 12, 57, 18)})
        c.execute(t.insert(), {"id": 2, "day": dt.date(2013, 1, 2)})
        assert c.execute(sa.select(t.c.day).order_by(t.c.id)).scalars().all() == [
            dt.date(2012, 10, 15),
            dt.date(2013, 1, 2),
        ]


def test_engine_isolation_level_is_each_connections_default():
    e = sa.create_engine("memtables://", isolation_level="SERIALIZABLE")
    try:
        with e.connect() as c:
            assert c.get_isolation_level() == "SERIALIZABLE"
        with e.connect() as c:
            c.execution_options(isolation_level="SNAPSHOT")
            assert c.get_isolation_level() == "SNAPSHOT"
        with e.connect() as c:  # the pool gave the connection back its engine's level
            assert c.get_isolation_level() == "SERIALIZABLE"
    finally:
        e.dispose()


def test_check_constraints_reflect_with_their_names(engine):
    md = sa.MetaData()
    sa.Table(
        "cc",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Integer, sa.CheckConstraint("a > 1 AND a < 5", name="a_range")),
        sa.Column("b", sa.Integer, sa.CheckConstraint("b > 0")),
        sa.CheckConstraint("a <> b", name="a_not_b"),
    )
    md.create_all(engine)
    checks = sa.inspect(engine).get_check_constraints("cc")
    assert sorted((c["name"] or "", c["sqltext"]) for c in checks) == [
        ("", "b > 0"),
        ("a_not_b", "a != b"),
        ("a_range", "(a > 1) AND (a < 5)"),
    ]
    with engine.connect() as c, pytest.raises(sa.exc.IntegrityError):
        c.execute(sa.text("INSERT INTO cc (a, b) VALUES (3, 3)"))


def test_check_constraint_names_survive_alter_and_reopen(tmp_path):
    path = str(tmp_path / "db")
    conn = memtables.connect(path)
    conn.execute(
        "CREATE TABLE t (a INTEGER CONSTRAINT pos CHECK (a > 0), b INTEGER CHECK (b < 9), "
        "c INTEGER, CONSTRAINT ab CHECK (a <> c))"
    )
    conn.execute("ALTER TABLE t DROP COLUMN b")  # its check goes with it, the names stay put
    conn.execute("ALTER TABLE t ADD COLUMN d INTEGER CONSTRAINT d_odd CHECK (d % 2 = 1)")
    conn.commit()
    q = "SELECT table_name, name, sql FROM sys.checks ORDER BY name"
    expected = [("t", "ab", "a != c"), ("t", "d_odd", "(d % 2) = 1"), ("t", "pos", "a > 0")]
    assert conn.execute(q).fetchall() == expected
    assert (
        "CONSTRAINT pos CHECK (a > 0)" in conn.execute("SELECT sql FROM sys.schema").fetchone()[0]
    )
    conn.execute("CREATE TEMP TABLE s (x INTEGER CONSTRAINT x_pos CHECK (x > 0))")
    assert conn.execute("SELECT name FROM sys.temp_checks").fetchall() == [("x_pos",)]
    conn.close()
    again = memtables.connect(path)
    assert again.execute(q).fetchall() == expected
    with pytest.raises(memtables.IntegrityError, match="CHECK"):
        again.execute("INSERT INTO t (a, c, d) VALUES (1, 2, 4)")
    again.close()
