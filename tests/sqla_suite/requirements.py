"""What the memtables dialect supports, for SQLAlchemy's compliance suite.

SQLAlchemy's ``SuiteRequirements`` guesses conservatively; this subclass says what memtables
does. ``exclusions.open()`` switches a group of tests on because memtables has the feature;
``exclusions.closed()`` switches it off, and the comment beside it says why (a feature
memtables does not have, or a deliberate difference from the databases the test assumes).
Only requirements whose answer differs from SQLAlchemy's default are listed.
"""

from sqlalchemy.testing import exclusions
from sqlalchemy.testing.requirements import SuiteRequirements

supported = property(lambda self: exclusions.open())


def unsupported(reason: str) -> property:
    """A requirement memtables does not meet, with the reason the suite prints on skip."""
    return property(lambda self: exclusions.closed(reason))


class Requirements(SuiteRequirements):
    """The memtables answers (see the module docstring)."""

    # ---------------------------------------------------------------- SQL memtables has
    ctes = supported
    ctes_with_update_delete = supported  # WITH in front of UPDATE / DELETE
    intersect = supported
    except_ = supported
    window_functions = supported
    window_range = supported
    window_range_numeric = supported
    nullsordering = supported
    boolean_col_expressions = supported
    supports_is_distinct_from = supported
    supports_bitwise_and = supported
    supports_bitwise_or = supported
    supports_bitwise_not = supported
    supports_bitwise_shift = supported
    savepoints = supported
    views = supported
    view_reflection = supported
    view_column_reflection = supported
    temporary_views = supported
    temp_table_names = supported
    has_temp_table = supported
    temp_table_reflect_indexes = supported
    table_ddl_if_exists = supported
    index_ddl_if_exists = supported
    create_table_as = supported
    create_temp_table_as = supported
    dbapi_lastrowid = supported
    emulated_lastrowid = supported
    server_defaults = supported
    datetime_historic = supported
    date_historic = supported
    timestamp_microseconds = supported
    infinity_floats = supported
    reflect_table_options = supported  # a plain table has none: get_table_options() is {}
    ctes_with_values = supported
    datetime_literals = supported  # DATE '...' and TIMESTAMP '...' literals
    expression_server_defaults = supported  # DEFAULT (expression)
    float_or_double_precision_behaves_generically = supported
    indexes_check_column_order = supported
    json_type = supported  # SQLite's JSON functions: json_extract, json_quote, json_type
    supports_bitwise_xor = supported
    unicode_ddl = supported
    nvarchar_types = supported  # NVARCHAR / NCHAR are TEXT, their length kept as declared
    skip_autocommit_rollback = supported
    precision_numerics_retains_significant_digits = supported
    # a UUID column stores TEXT (its declared type says UUID); uuid.UUID values round-trip
    uuid_data_type = supported

    # ---------------------------------------------------------------- isolation levels
    isolation_level = supported  # SNAPSHOT (default), SERIALIZABLE, and AUTOCOMMIT
    autocommit = supported

    # ---------------------------------------------------------------- what memtables lacks
    @property
    def independent_connections(self):
        """A second engine on the suite's URL reaches the same database: true of a durable
        path, not of ``memtables://`` in memory (one database per engine, like SQLite's
        ``:memory:``)."""
        return exclusions.skip_if(
            lambda config: not config.db.url.database,
            "memtables:// in memory is one database per engine: a second engine is empty",
        )

    foreign_key_constraint_reflection = unsupported(
        "memtables does not keep foreign keys (the DDL leaves them out), so none reflect"
    )
    parens_in_union_contained_select_w_limit_offset = unsupported(
        "like SQLite, the arms of UNION / INTERSECT / EXCEPT cannot be parenthesised; an arm "
        "with its own ORDER BY or LIMIT goes in a subquery (SELECT * FROM (...))"
    )
    parens_in_union_contained_select_wo_limit_offset = unsupported(
        "like SQLite, the arms of UNION / INTERSECT / EXCEPT cannot be parenthesised"
    )
    window_range_non_numeric = unsupported(
        "like SQLite, a RANGE frame offset is a number; memtables does not add an interval "
        "to a date or timestamp ORDER BY key"
    )
    implicitly_named_constraints = unsupported(
        "an unnamed UNIQUE constraint reflects with the name None, as in SQLite"
    )
    check_constraint_reflection = unsupported(
        "CHECK constraints are enforced (and kept in sys.schema) but not reflected by name"
    )
    inline_check_constraint_reflection = unsupported(
        "CHECK constraints are enforced (and kept in sys.schema) but not reflected by name"
    )
    reflects_pk_names = unsupported(
        "a PRIMARY KEY constraint's name is not kept (SQLite does not keep it either)"
    )
    column_collation_reflection = unsupported("column collations are not reflected")
    datetime_timezone = unsupported(
        "TIMESTAMP has no time zone: memtables keeps naive datetimes (as SQLite's dialect does)"
    )
    time_timezone = unsupported("there is no TIME type: a Time column is TEXT, as in SQLite")
    tuple_in = unsupported("row values are not supported: no (a, b) IN ((1, 2), ...)")
    table_value_constructor = unsupported(
        "VALUES is a query of its own but takes no column list: no (VALUES ...) AS v(a, b)"
    )
    create_or_replace_view = unsupported("no CREATE OR REPLACE VIEW (as in SQLite)")
    update_from = unsupported("no UPDATE ... FROM: the other tables go in a subquery")
    delete_from = unsupported("no DELETE ... USING / multi-table DELETE")
