"""Strict column types."""

from __future__ import annotations

import datetime as dt

import pytest

from memtables import types as T
from memtables.errors import DataError, ProgrammingError


@pytest.mark.parametrize(
    "declared, expected",
    [
        ("INTEGER", T.INTEGER),
        ("int", T.INTEGER),
        ("BIGINT", T.INTEGER),
        ("VARCHAR(20)", T.TEXT),
        ("character varying", T.TEXT),
        ("TEXT", T.TEXT),
        ("REAL", T.REAL),
        ("DOUBLE PRECISION", T.REAL),
        ("FLOAT", T.REAL),
        ("DECIMAL(10,2)", T.REAL),
        ("BOOLEAN", T.BOOLEAN),
        ("bool", T.BOOLEAN),
        ("BLOB", T.BLOB),
        ("bytea", T.BLOB),
        ("DATE", T.DATE),
        ("TIMESTAMP", T.TIMESTAMP),
        ("DATETIME", T.TIMESTAMP),
    ],
)
def test_type_names(declared, expected):
    assert T.type_from_name(declared) is expected


def test_unknown_type_name():
    with pytest.raises(ProgrammingError):
        T.type_from_name("WIDGET")


def test_integer():
    assert T.check_integer(5) == 5
    assert T.check_integer(True) == 1
    assert T.check_integer(5.0) == 5 and type(T.check_integer(5.0)) is int
    for bad in (5.5, "5", b"5", 2**63):
        with pytest.raises(DataError):
            T.check_integer(bad)


def test_real_widens_integers():
    assert T.check_real(3) == 3.0 and type(T.check_real(3)) is float
    with pytest.raises(DataError):
        T.check_real("3.0")


def test_text_blob_boolean():
    assert T.check_text("x") == "x"
    with pytest.raises(DataError):
        T.check_text(1)
    assert T.check_blob(bytearray(b"a")) == b"a"
    with pytest.raises(DataError):
        T.check_blob("a")
    assert T.check_boolean(1) is True and T.check_boolean(0) is False
    with pytest.raises(DataError):
        T.check_boolean(2)


def test_dates():
    assert T.check_date("2024-02-29") == dt.date(2024, 2, 29)
    assert T.check_timestamp("2024-02-29 10:11:12") == dt.datetime(2024, 2, 29, 10, 11, 12)
    assert T.check_timestamp(dt.date(2024, 1, 1)) == dt.datetime(2024, 1, 1)
    with pytest.raises(DataError, match="YYYY-MM-DD"):
        T.check_date("yesterday")
    with pytest.raises(DataError):
        T.check_date(20240101)
