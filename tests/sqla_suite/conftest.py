"""SQLAlchemy's own dialect compliance suite, run against the memtables dialect.

A separate run, not part of the main suite (``cd tests/sqla_suite && python -m pytest``):
SQLAlchemy's pytest plugin takes over collection and configuration here. ``requirements.py``
declares, with a reason each, what the dialect does not support; those tests are skipped by
SQLAlchemy's own machinery.
"""

import pytest
from sqlalchemy.dialects import registry

registry.register("memtables", "memtables.dialect", "MemtablesDialect")
registry.register("memtables.memtables", "memtables.dialect", "MemtablesDialect")
pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402,F401,F403
from sqlalchemy.testing.provision import temp_table_keyword_args  # noqa: E402


@temp_table_keyword_args.for_db("memtables")
def _temp_table_keyword_args(cfg, eng):
    return {"prefixes": ["TEMPORARY"]}
