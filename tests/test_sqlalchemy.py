"""The SQLAlchemy dialect, driven through SQLAlchemy itself: Core, the ORM, reflection,
isolation levels, a durable URL, and pandas/polars through the engine."""

from __future__ import annotations

import datetime as dt
import decimal

import pandas as pd
import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


@pytest.fixture
def engine():
    e = sa.create_engine("memtables://")
    yield e
    e.dispose()


def people(md: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    users = sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(30), nullable=False, unique=True),
        sa.Column("born", sa.Date),
        sa.Column("seen", sa.DateTime),
        sa.Column("ok", sa.Boolean),
        sa.Column("score", sa.Float),
        sa.Column("amount", sa.Numeric(10, 2)),
        sa.Column("wake", sa.Time),
    )
    addresses = sa.Table(
        "addresses",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey("users.id"), index=True),
        sa.Column("email", sa.String, server_default="none"),
    )
    return users, addresses


def test_entry_point_registers_the_dialect(engine):
    assert engine.dialect.name == "memtables"
    assert type(engine.dialect).__module__ == "memtables.dialect"


def test_core_round_trip_with_every_type(engine):
    md = sa.MetaData()
    users, addresses = people(md)
    md.create_all(engine)
    row = {
        "name": "ada",
        "born": dt.date(1815, 12, 10),
        "seen": dt.datetime(2024, 1, 2, 3, 4, 5, 600000),
        "ok": True,
        "score": 1.5,
        "amount": decimal.Decimal("12.25"),
        "wake": dt.time(6, 30),
    }
    nulls = dict.fromkeys(row, None) | {"name": "bob"}
    with engine.begin() as c:
        ids = c.execute(sa.insert(users).returning(users.c.id), [row, nulls]).scalars().all()
        assert ids == [1, 2]
        c.execute(sa.insert(addresses), {"user_id": 1, "email": "a@x"})
        c.execute(sa.insert(addresses), {"user_id": 1})  # the server default fills email
    with engine.connect() as c:
        got = c.execute(sa.select(users).where(users.c.name == "ada")).one()
        assert got._asdict() == {"id": 1, **row}
        assert c.execute(sa.select(users).where(users.c.id == 2)).one()._asdict() == {
            "id": 2,
            **nulls,
        }
        emails = c.execute(
            sa.select(addresses.c.email)
            .join(users, users.c.id == addresses.c.user_id)
            .order_by(addresses.c.id)
        ).scalars()
        assert emails.all() == ["a@x", "none"]
        assert c.execute(sa.select(users.c.id).order_by(users.c.id).offset(1)).all() == [(2,)]
        n = c.execute(sa.update(users).where(users.c.ok.is_(None)).values(ok=False)).rowcount
        assert n == 1
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as c:
            c.execute(sa.insert(users), {"name": "ada"})
    with pytest.raises(sa.exc.ProgrammingError, match="no such table"):
        with engine.connect() as c:
            c.execute(sa.text("SELECT * FROM nowhere"))


def test_reflection(engine):
    md = sa.MetaData()
    people(md)
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(
            sa.text(
                "CREATE VIEW adults AS SELECT id, name FROM users WHERE born < DATE '2000-01-01'"
            )
        )
    insp = sa.inspect(engine)
    assert insp.get_table_names() == ["addresses", "users"]
    assert insp.get_view_names() == ["adults"]
    assert insp.has_table("users") and insp.has_table("adults") and not insp.has_table("nope")
    cols = {c["name"]: c for c in insp.get_columns("users")}
    assert [type(cols[n]["type"]) for n in ("id", "name", "born", "seen", "ok", "score")] == [
        sa.INTEGER, sa.VARCHAR, sa.DATE, sa.TIMESTAMP, sa.BOOLEAN, sa.REAL
    ]  # fmt: skip
    assert cols["name"]["type"].length == 30  # String(30), as declared
    assert cols["name"]["nullable"] is False and cols["born"]["nullable"] is True
    assert cols["id"]["autoincrement"] is True
    assert insp.get_columns("addresses")[2]["default"] == "'none'"
    assert insp.get_pk_constraint("users")["constrained_columns"] == ["id"]
    assert insp.get_unique_constraints("users") == [{"name": None, "column_names": ["name"]}]
    assert insp.get_indexes("addresses") == [
        {"name": "ix_addresses_user_id", "column_names": ["user_id"], "unique": False}
    ]
    assert insp.get_foreign_keys("addresses") == []  # not kept: see the dialect's docstring
    assert insp.get_view_definition("adults").startswith("CREATE VIEW adults AS SELECT")
    assert [c["name"] for c in insp.get_columns("adults")] == ["id", "name"]
    with pytest.raises(sa.exc.NoSuchTableError):
        insp.get_columns("nope")
    reflected = sa.MetaData()
    reflected.reflect(engine)
    assert set(reflected.tables) == {"users", "addresses"}
    assert reflected.tables["users"].c.born.type.python_type is dt.date


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30))
    created: Mapped[dt.datetime] = mapped_column(default=dt.datetime(2020, 1, 1))
    addresses: Mapped[list[Address]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    user: Mapped[User] = relationship(back_populates="addresses")


def test_orm_session_relationships_and_savepoints(engine):
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([User(name="ada", addresses=[Address(email="a@x"), Address(email="b@x")])])
        s.add(User(name="bob"))
        s.commit()
        ada = s.scalars(sa.select(User).where(User.name == "ada")).one()
        assert (ada.id, sorted(a.email for a in ada.addresses)) == (1, ["a@x", "b@x"])
        assert ada.created == dt.datetime(2020, 1, 1)
        ada.name = "Ada"
        with s.begin_nested():
            s.add(User(name="kept"))
        nested = s.begin_nested()
        s.add(User(name="dropped"))
        nested.rollback()
        s.commit()
        assert s.scalars(sa.select(User.name).order_by(User.id)).all() == ["Ada", "bob", "kept"]
        counts = s.execute(
            sa.select(User.name, sa.func.count(Address.id))
            .join(Address, isouter=True)
            .group_by(User.name)
            .order_by(User.name)
        ).all()
        assert counts == [("Ada", 2), ("bob", 0), ("kept", 0)]
        s.delete(ada)
        s.commit()
        assert s.scalar(sa.select(sa.func.count()).select_from(Address)) == 0
    Base.metadata.drop_all(engine)
    assert sa.inspect(engine).get_table_names() == []


def test_isolation_levels(engine):
    with engine.connect() as c:
        assert c.get_isolation_level() == "SNAPSHOT"
    for level in ("SERIALIZABLE", "AUTOCOMMIT", "SNAPSHOT"):
        with engine.connect().execution_options(isolation_level=level) as c:
            assert c.get_isolation_level() == level


def test_in_memory_engine_shares_one_database_across_pooled_connections(engine):
    with engine.connect() as a, engine.connect() as b:
        a.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        a.execute(sa.text("INSERT INTO t VALUES (1)"))
        a.commit()
        assert b.execute(sa.text("SELECT x FROM t")).all() == [(1,)]


def test_durable_url_persists(tmp_path):
    url = f"memtables:///{tmp_path / 'app.mtdb'}"
    e = sa.create_engine(url)
    with e.begin() as c:
        c.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        c.execute(sa.text("INSERT INTO t VALUES (42)"))
    e.dispose()
    e = sa.create_engine(url)
    with e.connect() as c:
        assert c.execute(sa.text("SELECT x FROM t")).scalar() == 42
    e.dispose()


def test_pandas_and_polars_through_the_engine(engine):
    df = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["a", "b", None],
            "x": [1.5, None, 3.0],
            "at": pd.to_datetime(["2020-01-01", "2021-02-03 04:05:06", None], format="ISO8601"),
            "flag": [True, False, True],
        }
    )
    assert df.to_sql("t", engine, index=False) == 3
    back = pd.read_sql_table("t", engine)
    pd.testing.assert_frame_equal(back, df)
    q = pd.read_sql(
        sa.text("SELECT id, name FROM t WHERE id > :i ORDER BY id"), engine, params={"i": 1}
    )
    assert q["id"].tolist() == [2, 3] and q["name"][0] == "b" and pd.isna(q["name"][1])
    df.to_sql("t", engine, index=False, if_exists="append")
    assert pd.read_sql("SELECT count(*) AS n FROM t", engine)["n"][0] == 6
    pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}).write_database("p", engine)
    got = pl.read_database("SELECT a, b FROM p ORDER BY a", engine)
    assert got.to_dict(as_series=False) == {"a": [1, 2], "b": ["x", "y"]}
