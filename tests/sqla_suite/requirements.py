"""What the memtables dialect supports, for SQLAlchemy's compliance suite.

Every requirement switched off here says why; the suite skips the tests that need it.
"""

from sqlalchemy.testing.requirements import SuiteRequirements


class Requirements(SuiteRequirements):
    """SQLAlchemy's defaults for now; the requirements memtables lacks are declared next."""
