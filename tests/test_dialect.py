"""The wider SQL dialect: joins, grouping, subqueries, compounds, upserts, views, EXPLAIN."""

from __future__ import annotations

import pytest

import memtables


@pytest.fixture
def shop(conn):
    conn.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL);
        CREATE TABLE cities (city TEXT PRIMARY KEY, country TEXT);
        INSERT INTO customers VALUES (1, 'ada', 'London'), (2, 'bob', 'Paris'), (3, 'cy', NULL);
        INSERT INTO orders VALUES (10, 1, 5.0), (11, 1, 7.5), (12, 2, 1.0), (13, 9, 2.0);
        INSERT INTO cities VALUES ('London', 'UK'), ('Paris', 'FR');
        """
    )
    return conn


def rows(conn, sql, params=()):
    return conn.execute(sql, params).fetchall()


def test_inner_join(shop):
    q = "SELECT c.name, o.amount FROM customers c JOIN orders o ON o.customer_id = c.id ORDER BY o.id"
    assert rows(shop, q) == [("ada", 5.0), ("ada", 7.5), ("bob", 1.0)]


def test_left_join_keeps_unmatched(shop):
    q = (
        "SELECT c.name, count(o.id) FROM customers AS c LEFT OUTER JOIN orders AS o "
        "ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name"
    )
    assert rows(shop, q) == [("ada", 2), ("bob", 1), ("cy", 0)]
    q = "SELECT c.name, o.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id AND o.amount > 6"
    assert sorted(rows(shop, q), key=str) == sorted(
        [("ada", 11), ("bob", None), ("cy", None)], key=str
    )


def test_cross_and_comma_joins(shop):
    assert len(rows(shop, "SELECT * FROM customers CROSS JOIN cities")) == 6
    assert len(rows(shop, "SELECT * FROM customers, cities")) == 6
    q = "SELECT name, country FROM customers, cities WHERE customers.city = cities.city ORDER BY 1"
    assert rows(shop, q) == [("ada", "UK"), ("bob", "FR")]


def test_join_using_shows_column_once(shop):
    cur = shop.execute("SELECT * FROM customers JOIN cities USING (city) ORDER BY id")
    assert [d[0] for d in cur.description] == ["id", "name", "city", "country"]
    assert cur.fetchall() == [(1, "ada", "London", "UK"), (2, "bob", "Paris", "FR")]


def test_self_join_and_three_tables(shop):
    q = (
        "SELECT a.name, b.name FROM customers a JOIN customers b ON a.id < b.id "
        "WHERE a.city IS NOT NULL AND b.city IS NOT NULL"
    )
    assert rows(shop, q) == [("ada", "bob")]
    q = (
        "SELECT ci.country, sum(o.amount) FROM orders o JOIN customers c ON o.customer_id = c.id "
        "JOIN cities ci ON ci.city = c.city GROUP BY ci.country ORDER BY 1"
    )
    assert rows(shop, q) == [("FR", 1.0), ("UK", 12.5)]


def test_aggregates(shop):
    q = "SELECT count(*), count(city), count(DISTINCT city), min(name), max(name) FROM customers"
    assert rows(shop, q) == [(3, 2, 2, "ada", "cy")]
    q = "SELECT sum(amount), total(amount), avg(amount), group_concat(id) FROM orders"
    assert rows(shop, q) == [(15.5, 15.5, 3.875, "10,11,12,13")]


def test_aggregates_over_empty_input(shop):
    q = "SELECT count(*), sum(amount), total(amount), avg(amount), max(amount) FROM orders WHERE id < 0"
    assert rows(shop, q) == [(0, None, 0.0, None, None)]
    assert rows(shop, "SELECT count(*) FROM orders WHERE id < 0 GROUP BY customer_id") == []


def test_group_by_having(shop):
    q = (
        "SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id "
        "HAVING count(*) > 1 OR sum(amount) < 2 ORDER BY n DESC, customer_id"
    )
    assert rows(shop, q) == [(1, 2), (2, 1)]


def test_distinct_and_all(shop):
    assert rows(
        shop, "SELECT DISTINCT customer_id FROM orders WHERE customer_id < 5 ORDER BY 1"
    ) == [
        (1,),
        (2,),
    ]
    assert len(rows(shop, "SELECT ALL customer_id FROM orders")) == 4


def test_order_by_alias_position_expression(shop):
    assert rows(shop, "SELECT name AS n FROM customers ORDER BY n DESC") == [
        ("cy",),
        ("bob",),
        ("ada",),
    ]
    assert rows(shop, "SELECT id, name FROM customers ORDER BY 2") == [
        (1, "ada"),
        (2, "bob"),
        (3, "cy"),
    ]
    assert rows(shop, "SELECT id FROM customers ORDER BY -id LIMIT 1") == [(3,)]
    assert rows(shop, "SELECT city FROM customers ORDER BY city")[0] == (None,)


def test_subqueries(shop):
    q = "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders) ORDER BY 1"
    assert rows(shop, q) == [("ada",), ("bob",)]
    q = "SELECT name FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id)"
    assert rows(shop, q) == [("cy",)]
    q = "SELECT name, (SELECT sum(amount) FROM orders o WHERE o.customer_id = c.id) FROM customers c ORDER BY 1"
    assert rows(shop, q) == [("ada", 12.5), ("bob", 1.0), ("cy", None)]
    q = "SELECT t.n FROM (SELECT count(*) AS n FROM orders) AS t"
    assert rows(shop, q) == [(4,)]
    assert rows(shop, "SELECT 1 WHERE 5 NOT IN (SELECT customer_id FROM orders)") == [(1,)]
    assert rows(shop, "SELECT 5 NOT IN (SELECT NULL)") == [(None,)]


def test_compound_selects(shop):
    assert rows(
        shop, "SELECT customer_id FROM orders UNION SELECT id FROM customers ORDER BY 1"
    ) == [(1,), (2,), (3,), (9,)]
    assert len(rows(shop, "SELECT customer_id FROM orders UNION ALL SELECT id FROM customers")) == 7
    assert rows(shop, "SELECT id FROM customers EXCEPT SELECT customer_id FROM orders") == [(3,)]
    q = "SELECT id FROM customers INTERSECT SELECT customer_id FROM orders ORDER BY 1 DESC LIMIT 1"
    assert rows(shop, q) == [(2,)]
    with pytest.raises(memtables.ProgrammingError, match="same number of result columns"):
        shop.execute("SELECT 1, 2 UNION SELECT 3")


def test_insert_select(shop):
    shop.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, amount REAL)")
    cur = shop.execute("INSERT INTO big SELECT id, amount FROM orders WHERE amount > 1.5")
    assert cur.rowcount == 3
    assert rows(shop, "SELECT id FROM big ORDER BY id") == [(10,), (11,), (13,)]


def test_upsert(conn):
    conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, hits INTEGER DEFAULT 0)")
    conn.execute("INSERT INTO kv (k, v) VALUES ('a', 1)")
    conn.execute("INSERT INTO kv (k, v) VALUES ('a', 2) ON CONFLICT (k) DO NOTHING")
    assert rows(conn, "SELECT v, hits FROM kv") == [(1, 0)]
    sql = (
        "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) "
        "DO UPDATE SET v = excluded.v, hits = hits + 1"
    )
    conn.execute(sql, ("a", 5))
    conn.execute(sql, ("b", 6))
    assert rows(conn, "SELECT k, v, hits FROM kv ORDER BY k") == [("a", 5, 1), ("b", 6, 0)]
    with pytest.raises(memtables.ProgrammingError, match="ON CONFLICT"):
        conn.execute("INSERT INTO kv VALUES ('a', 1, 0) ON CONFLICT (v) DO NOTHING")


def test_insert_or_replace_and_ignore(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, v INTEGER)")
    conn.execute("INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 2)")
    conn.execute("INSERT OR IGNORE INTO t VALUES (1, 'z', 9)")
    conn.execute("INSERT OR REPLACE INTO t VALUES (3, 'y', 3)")  # replaces row 2 via UNIQUE u
    assert rows(conn, "SELECT * FROM t ORDER BY id") == [(1, "x", 1), (3, "y", 3)]
    conn.execute("REPLACE INTO t VALUES (1, 'w', 4)")
    assert rows(conn, "SELECT * FROM t ORDER BY id") == [(1, "w", 4), (3, "y", 3)]


def test_views(shop):
    shop.execute(
        "CREATE VIEW big_spenders AS SELECT customer_id, sum(amount) AS total FROM orders "
        "GROUP BY customer_id HAVING sum(amount) > 2"
    )
    assert rows(shop, "SELECT * FROM big_spenders ORDER BY 1") == [(1, 12.5)]
    q = "SELECT c.name FROM customers c JOIN big_spenders b ON b.customer_id = c.id"
    assert rows(shop, q) == [("ada",)]
    assert rows(shop, "SELECT name FROM sys.views") == [("big_spenders",)]
    with pytest.raises(memtables.ProgrammingError, match="view"):
        shop.execute("INSERT INTO big_spenders VALUES (1, 2)")
    shop.execute("DROP VIEW big_spenders")
    shop.execute("DROP VIEW IF EXISTS big_spenders")
    with pytest.raises(memtables.ProgrammingError):
        shop.execute("SELECT * FROM big_spenders")
    with pytest.raises(memtables.ProgrammingError, match="no such column"):
        shop.execute("CREATE VIEW bad AS SELECT nope FROM orders")


def test_unary_chains_and_is(conn):
    assert rows(conn, "SELECT - - 5, + - 5, NOT NOT 0, 1 IS 1, NULL IS NOT NULL") == [
        (5, -5, False, True, False)
    ]


def test_cast_to_every_type(conn):
    q = (
        "SELECT CAST('7' AS INTEGER), CAST('7.5' AS REAL), CAST(7 AS TEXT), CAST(1 AS BOOLEAN), "
        "CAST('ab' AS BLOB), CAST('2024-05-06' AS DATE), CAST('2024-05-06 07:08:09' AS TIMESTAMP)"
    )
    import datetime as dt

    assert rows(conn, q) == [
        (7, 7.5, "7", True, b"ab", dt.date(2024, 5, 6), dt.datetime(2024, 5, 6, 7, 8, 9))
    ]


def test_explain_shows_access_path_join_method_and_filters(shop):
    plan = [
        r[0]
        for r in shop.execute(
            "EXPLAIN SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id "
            "WHERE c.city = 'London' AND o.amount > 1"
        )
    ]
    text = "\n".join(plan)
    # joined in the cheaper order: orders first, each finding its customer by key
    assert "INNER JOIN (INDEX)" in text
    assert "FULL SCAN orders AS o" in text
    assert "PRIMARY KEY LOOKUP customers (id = o.customer_id)" in text
    assert "filter: (c.city = 'London')" in text
    assert "filter: (o.amount > 1.0)" in text or "filter: (o.amount > 1)" in text
    plan = "\n".join(
        r[0]
        for r in shop.execute(
            "EXPLAIN SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id"
        )
    )
    assert "INNER JOIN (INDEX)" in plan
    assert "PRIMARY KEY LOOKUP customers (id = o.customer_id)" in plan
    assert plan.splitlines()[0].startswith("PROJECT")
    assert all(line.startswith("  ") for line in plan.splitlines()[1:])
    plan = "\n".join(
        r[0]
        for r in shop.execute(
            "EXPLAIN SELECT c.name FROM customers c JOIN cities ci ON ci.country = c.city"
        )
    )
    assert "INNER JOIN (HASH)" in plan and "hash keys:" in plan


def test_system_tables(shop):
    assert [r[0] for r in shop.execute("SELECT name FROM sys.tables")] == [
        "cities",
        "customers",
        "orders",
    ]
    cols = rows(shop, "SELECT name, type, primary_key FROM sys.columns WHERE table_name = 'orders'")
    assert cols == [
        ("id", "INTEGER", True),
        ("customer_id", "INTEGER", False),
        ("amount", "REAL", False),
    ]
    shop.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
    assert rows(shop, "SELECT name, table_name, columns FROM sys.indexes") == [
        ("orders_by_customer", "orders", "customer_id")
    ]
    assert rows(shop, "SELECT rows FROM sys.tables WHERE name = 'orders'") == [(4,)]


def test_bad_input_errors(shop):
    with pytest.raises(memtables.ProgrammingError, match="ambiguous column name: id"):
        shop.execute("SELECT id FROM customers, orders")
    with pytest.raises(memtables.ProgrammingError, match="aggregate"):
        shop.execute("SELECT * FROM orders WHERE sum(amount) > 1")
    with pytest.raises(memtables.ProgrammingError, match="GROUP BY"):
        shop.execute("SELECT amount FROM orders HAVING amount > 1")
    with pytest.raises(memtables.ProgrammingError, match="expected 1"):
        shop.execute("SELECT (SELECT id, name FROM customers)")
    with pytest.raises(memtables.ProgrammingError, match="out of range"):
        shop.execute("SELECT id FROM orders ORDER BY 2")
