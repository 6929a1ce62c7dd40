"""Every test of ``sqlalchemy.testing.suite``, against ``memtables://``."""

from sqlalchemy.testing.suite import *  # noqa: F401,F403
