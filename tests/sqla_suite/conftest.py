"""SQLAlchemy's own dialect compliance suite, run against the memtables dialect.

A separate run, not part of the main suite (``cd tests/sqla_suite && python -m pytest``):
SQLAlchemy's pytest plugin takes over collection and configuration here. ``requirements.py``
declares what the dialect supports and, with a reason each, what it does not; the tests that
need a missing feature are skipped by SQLAlchemy's own machinery.

Without ``--dburi`` the run uses a fresh durable database in a temporary directory, removed
afterwards: some tests open a second engine on the suite's URL and expect the same database,
which a durable path gives (``memtables://`` in memory is one database per engine).
``--dburi memtables://`` runs it in memory instead, where the few tests that open a second
engine, or expect the pool to hand back the connection holding their TEMP table, fail.
"""

import shutil
import tempfile

import pytest
from sqlalchemy.dialects import registry

registry.register("memtables", "memtables.dialect", "MemtablesDialect")
registry.register("memtables.memtables", "memtables.dialect", "MemtablesDialect")
pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

from sqlalchemy.testing.plugin import pytestplugin as _sqla  # noqa: E402
from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402,F401,F403
from sqlalchemy.testing.provision import temp_table_keyword_args  # noqa: E402

_tmpdir = None


def pytest_configure(config):
    """SQLAlchemy's configuration, on a durable database of our own unless told otherwise."""
    global _tmpdir
    if not config.option.dburi and not config.option.db:
        _tmpdir = tempfile.mkdtemp(prefix="memtables-sqla-")
        # sync=off: the suite checks SQL behaviour, not fsync; the redo log is still written
        config.option.dburi = [f"memtables:///{_tmpdir}/suite.mtdb?sync=off"]
    _sqla.pytest_configure(config)


def pytest_unconfigure(config):
    _sqla.pytest_unconfigure(config)
    if _tmpdir is not None:
        shutil.rmtree(_tmpdir, ignore_errors=True)


@temp_table_keyword_args.for_db("memtables")
def _temp_table_keyword_args(cfg, eng):
    return {"prefixes": ["TEMPORARY"]}
