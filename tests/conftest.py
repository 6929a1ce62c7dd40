"""Shared fixtures: a fresh connection per test."""

from __future__ import annotations

import pytest

import memtables


@pytest.fixture
def conn():
    c = memtables.connect()
    yield c
    c.close()


@pytest.fixture
def users(conn):
    """A connection with a small ``users`` table committed."""
    conn.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, "
        "score REAL, email TEXT UNIQUE)"
    )
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
        [
            (1, "ada", 36, 9.5, "ada@example.com"),
            (2, "bob", 25, 7.25, "bob@example.com"),
            (3, "cy", None, None, None),
            (4, "dee", 25, 8.0, "dee@example.com"),
        ],
    )
    conn.commit()
    return conn
