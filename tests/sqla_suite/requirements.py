"""What the memtables dialect supports, for SQLAlchemy's compliance suite.

SQLAlchemy's ``SuiteRequirements`` guesses conservatively; this subclass says what memtables
does. ``exclusions.open()`` switches a group of tests on because memtables has the feature;
``exclusions.closed()`` switches it off, and the comment beside it says why (a feature
memtables does not have, or a deliberate difference from the databases the test assumes).
Listed here: every requirement memtables meets where SQLAlchemy's default says no, and every
requirement it does not meet, SQLAlchemy's own closed defaults included, so that each skip of
the run prints its reason.
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
    check_constraint_reflection = supported  # sys.checks
    inline_check_constraint_reflection = supported
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

    def get_order_by_collation(self, config):
        """The collation ORDER BY tests use: BINARY, memtables' built-in one."""
        return "BINARY"

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
    reflects_pk_names = unsupported(
        "a PRIMARY KEY constraint's name is not kept (SQLite does not keep it either)"
    )
    column_collation_reflection = unsupported(
        "a column's COLLATE is kept in its DDL but not in sys.columns, so it does not reflect"
    )
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

    # SQL and types memtables does not have
    array_type = unsupported("no ARRAY type")
    datetime_interval = unsupported("no INTERVAL type")
    datetime_timezone_historic = unsupported("TIMESTAMP has no time zone")
    computed_columns = unsupported("no GENERATED ALWAYS AS (computed) columns")
    computed_columns_stored = unsupported("no GENERATED ALWAYS AS (computed) columns")
    computed_columns_virtual = unsupported("no GENERATED ALWAYS AS (computed) columns")
    computed_columns_default_persisted = unsupported("no GENERATED ALWAYS AS columns")
    computed_columns_reflect_persisted = unsupported("no GENERATED ALWAYS AS columns")
    identity_columns = unsupported(
        "no GENERATED AS IDENTITY: an INTEGER PRIMARY KEY is assigned instead, as in SQLite"
    )
    identity_columns_standard = unsupported("no GENERATED AS IDENTITY")
    fetch_first = unsupported("no FETCH FIRST: LIMIT / OFFSET, as in SQLite")
    fetch_ties = unsupported("no FETCH FIRST ... WITH TIES")
    fetch_percent = unsupported("no FETCH FIRST ... PERCENT")
    fetch_no_order_by = unsupported("no FETCH FIRST")
    fetch_offset_with_options = unsupported("no FETCH FIRST")
    fetch_expression = unsupported("no FETCH FIRST")
    regexp_match = unsupported("no REGEXP operator (SQLite has none built in either)")
    regexp_replace = unsupported("no regexp_replace() function")
    supports_distinct_on = unsupported("no DISTINCT ON (a PostgreSQL extension)")
    precision_numerics_many_significant_digits = unsupported(
        "NUMERIC is stored as a double (REAL, as in SQLite): about 15 significant digits"
    )
    json_deserializer_binary = unsupported("JSON is text: no binary JSON (JSONB) type")
    legacy_unconditional_json_extract = unsupported(
        "json_extract() returns SQL values for scalars, as SQLite's does, not JSON text"
    )
    indexes_with_expressions = unsupported("an index is on columns: no expression indexes")
    reflect_indexes_with_expressions = unsupported("no expression indexes")
    reflect_indexes_with_ascdesc_as_expression = unsupported("no expression indexes")
    index_reflects_included_columns = unsupported("no INCLUDE columns in an index")
    reflect_tables_no_columns = unsupported("a table needs at least one column (as in SQLite)")
    materialized_views = unsupported("no materialized views")
    materialized_views_reflect_pk = unsupported("no materialized views")

    # schemas, comments and constraints memtables does not keep
    schemas = unsupported(
        "no schemas besides main (and the connection's TEMP objects); no ATTACH DATABASE"
    )
    schema_reflection = unsupported("no schemas besides main (and TEMP)")
    schema_create_delete = unsupported("no schemas besides main (and TEMP)")
    percent_schema_names = unsupported("no schemas besides main (and TEMP)")
    default_schema_name_switch = unsupported("no schemas besides main (and TEMP)")
    cross_schema_fk_reflection = unsupported("no schemas, and foreign keys are not kept")
    comment_reflection = unsupported("no COMMENT ON: tables and columns have no comments")
    comment_reflection_full_unicode = unsupported("no COMMENT ON")
    constraint_comment_reflection = unsupported("no COMMENT ON")
    temp_table_comment_reflection = unsupported("no COMMENT ON")
    foreign_key_constraint_name_reflection = unsupported("foreign keys are not kept")
    foreign_key_constraint_option_reflection_ondelete = unsupported("foreign keys are not kept")
    foreign_key_constraint_option_reflection_onupdate = unsupported("foreign keys are not kept")
    fk_constraint_option_reflection_ondelete_restrict = unsupported("foreign keys are not kept")
    fk_constraint_option_reflection_ondelete_noaction = unsupported("foreign keys are not kept")
    fk_constraint_option_reflection_onupdate_restrict = unsupported("foreign keys are not kept")
    foreign_keys_reflect_as_index = unsupported("foreign keys are not kept")
    repeated_column_foreign_keys = unsupported("foreign keys are not kept")
    repeated_remote_col_foreign_keys = unsupported("foreign keys are not kept")
    unique_constraints_reflect_as_index = unsupported(
        "a UNIQUE constraint reflects as a constraint only: its index is implicit"
    )
    unique_index_reflect_as_unique_constraints = unsupported(
        "a CREATE UNIQUE INDEX reflects as an index only, not as a constraint"
    )
