"""Every test of ``sqlalchemy.testing.suite``, against ``memtables://``."""

import pytest
from sqlalchemy import testing
from sqlalchemy.testing import config
from sqlalchemy.testing.suite import *  # noqa: F401,F403
from sqlalchemy.testing.suite import ComponentReflectionTestExtra as _Extra


class ComponentReflectionTestExtra(_Extra):
    """SQLAlchemy's class, with the ``schemas`` requirement checked where it is not: its
    ``use_schema_fixture`` runs each test on the ``test_schema`` schema too, unasked."""

    @testing.fixture(params=[True, False])
    def use_schema_fixture(self, request):
        if not request.param:
            return None
        schemas = config.requirements.schemas
        if not schemas.enabled:  # skipped for the reason requirements.py gives
            pytest.skip("; ".join(p.description for p in schemas.skips))
        return config.test_schema
