"""INSERT, UPDATE and DELETE: compiled row producers and the write loop over the engine API.

UPDATE and DELETE first collect their targets (key, row) through a compiled plan, then
write, so a statement never sees its own changes while it runs. A table with triggers is
written by the row-by-row loops of ``dml_fired.py`` instead.
"""

from __future__ import annotations

from typing import Any

from ..cache import enforce
from ..catalog import View
from ..errors import (
    IntegrityError,
    OperationalError,
    ProgrammingError,
    UndefinedColumn,
    UndefinedTable,
    UniqueViolation,
)
from ..rowcheck import needs_check
from ..versions import read_visible_code, stable_code
from . import ast as A
from . import bound as B
from .binder import Binder
from .compiler import Compiler, FunctionWriter
from .dml_fired import delete_rows, insert_rows, update_row, update_rows
from .master import master_source
from .plan import Lookup, Scan
from .planner import access_path, plan_query, plan_subqueries
from .returning import compile_returning
from .scope import Scope, SourceInfo
from .statements import Statement
from .trigger import Firing


def _target_table(binder: Binder, ref: A.TableRef):
    if ref.schema is not None and ref.schema.lower() == "sys":
        raise ProgrammingError(f"table sys.{ref.name} may not be modified")
    master = master_source(ref.name, ref.schema)
    if master is not None:
        raise OperationalError(f"table {master[1]} may not be modified")
    cat = binder.catalog.scoped(ref.schema)
    if cat is None:
        raise UndefinedTable(f"no such table: {ref.schema}.{ref.name}")
    table = cat.relation(ref.name)
    if type(table) is View:
        raise ProgrammingError(f"cannot modify {ref.name} because it is a view")
    if table is None:
        shown = f"{ref.schema}.{ref.name}" if ref.schema is not None else ref.name
        raise UndefinedTable(f"no such table: {shown}")
    binder.tables.add(table)
    return table


def _table_scope(binder: Binder, table, alias: str | None, outer: Scope | None = None):
    scope = Scope(outer)
    slot = binder.new_slot()
    cols = [(c.name, c.type, not c.not_null) for c in table.columns]
    scope.add(SourceInfo(alias or table.name, cols, slot, table))
    return scope, slot


def _column_positions(table, names) -> list[int]:
    out = []
    for n in names:
        col = table.schema.column(n)
        if col is None:
            raise UndefinedColumn(f"table {table.name} has no column named {n}")
        out.append(col.position)
    return out


def _bind(binder: Binder, e: A.Expr, scope: Scope) -> B.BExpr:
    """Bind ``e`` and plan the subqueries in it: it is compiled next, subqueries and all."""
    b = binder.bind(e, scope)
    plan_subqueries(binder.subplans)
    return b


class _Writer(Statement):
    """Shared compilation of the write statements."""

    kind = "dml"
    returning = None  # RETURNING's compiled function ``(p, tx, row) -> tuple``, if any

    def _compile(self, binder: Binder, comp: Compiler) -> dict:
        ns = comp.prog.build()
        self.take_params(binder)
        self.source = ns["__source__"]
        if "returning" in ns:
            self.returning = ns["returning"]
        return ns

    def _compile_returning(self, binder: Binder, comp: Compiler, node, alias) -> None:
        """RETURNING's select list, when the statement has one: rows and their names."""
        if node.returning is not None:
            items = node.returning
            self.names, self.types = compile_returning(binder, comp, self.table, alias, items)

    def _targets(self, binder: Binder, comp: Compiler, scope: Scope, slot: int, where):
        """Compile ``targets(p, tx)``: (key, row) of every row the WHERE clause selects."""
        pred = _bind(binder, where, scope) if where is not None else None
        src = Scan(self.table, slot, self.table.name)
        src = access_path(src, B.conjuncts(pred), set(), scope.slots())
        src.need_key = True
        self.plan = src
        w = FunctionWriter(comp.prog, "targets", ["p", "tx"])
        comp.w = w
        w.prelude += ["ts = tx.ts", "me = tx.marker", "out = []", "append = out.append"]
        comp.produce(w, src, lambda: w.emit(f"append((k{slot}, r{slot}))"))
        w.emit("return out")
        w.finish()
        comp.w = None

    def explain(self) -> list[str]:
        verb = type(self).__name__.replace("Statement", "").upper()
        head = [f"{verb} {self.table.name}"]
        if self.plan is None:
            return head + ["  VALUES"]
        return head + self.plan.explain(1)


class InsertStatement(_Writer):
    """INSERT [OR REPLACE|IGNORE] ... VALUES | SELECT | DEFAULT VALUES [ON CONFLICT ...]."""

    inserts = True

    def __init__(self, node: A.Insert, catalog, systables):
        binder = Binder(catalog, systables)
        table = self.table = _target_table(binder, node.table)
        self.mode = node.on_conflict
        cols = table.columns
        positions = (
            _column_positions(table, node.columns)
            if node.columns
            else [c.position for c in cols if not c.hidden]
        )
        if len(set(positions)) != len(positions):
            raise ProgrammingError(f"a column is named more than once in INSERT INTO {table.name}")
        comp = Compiler()
        self.plan = None
        self.cache = table.cache
        if node.ttl is not None and self.cache is None:
            raise ProgrammingError(f"TTL applies only to cache tables; {table.name} is not one")
        self._expiry = _expiry_code(binder, comp, table, node.ttl)
        self._ttl_given = node.ttl is not None
        if node.source is None:
            rows_src = self._default_rows(comp, positions)
        elif (
            isinstance(node.source.body, A.ValuesCore)
            and not node.source.order_by
            and (node.source.limit is None)
        ):
            rows_src = self._values_rows(binder, comp, node.source.body, positions)
        else:
            rows_src = self._select_rows(binder, comp, node.source, positions)
        comp.prog.sources.append(rows_src)
        self.upsert = None
        if node.upsert is not None:
            self._compile_upsert(binder, comp, node.upsert)
        self._compile_returning(binder, comp, node, None)
        ns = self._compile(binder, comp)
        self.rows = ns["rows"]
        self.firing = Firing(catalog, systables, table, "insert", build_write)
        self.update_firing = None
        if node.upsert is not None and node.upsert.assignments is not None:
            assigned = {name.lower() for name, _e in node.upsert.assignments}
            fires = Firing(catalog, systables, table, "update", build_write, assigned)
            self.update_firing = fires if fires.any else None
        self.triggered = self.firing.any or self.update_firing is not None
        one = ns.get("insert_one")
        simple = self.mode == "abort" and self.upsert is None and not self.cache
        simple = simple and not self.triggered
        if one is not None and simple and self.returning is None:
            self._one = one
            self.execute = self._execute_one
        self._rowid_kind = table.schema.has_rowid or table.schema.integer_key
        self.upsert_fn = ns.get("upsert")
        self.upsert_where = ns.get("upsert_where")

    # ------------------------------------------------------------ row producers
    def _fill(self, comp: Compiler, provided: dict[int, str]) -> str:
        parts = []
        for i, col in enumerate(self.table.columns):
            if i in provided:
                parts.append(provided[i])
            elif col.hidden:
                parts.append(self._expiry)
            elif col.default is not None:
                parts.append(f"{comp.prog.const(col.default)}()")
            else:
                parts.append("None")
        return "(" + "".join(p + ", " for p in parts) + ")"

    def _values_rows(self, binder, comp: Compiler, body: A.ValuesCore, positions) -> str:
        scope = Scope()
        lines = ["def rows(p, tx):"]
        tuples = []
        for r in body.rows:
            if len(r) != len(positions):
                raise ProgrammingError(
                    f"{len(r)} values for {len(positions)} columns in INSERT INTO {self.table.name}"
                )
            provided = {}
            for pos, e in zip(positions, r):
                if isinstance(e, A.Default):
                    continue
                provided[pos] = comp.expr(_bind(binder, e, scope))
            tuples.append(self._fill(comp, provided))
        lines.append("    return [" + ", ".join(tuples) + "]")
        if len(tuples) == 1:
            # the common single-row INSERT: one call into the table, no intermediate list
            insert = comp.prog.const(self.table.insert)
            lines += ["", "def insert_one(p, tx):", f"    return {insert}(tx, {tuples[0]})"]
        return "\n".join(lines)

    def _default_rows(self, comp: Compiler, positions) -> str:
        return "def rows(p, tx):\n    return [" + self._fill(comp, {}) + "]"

    def _select_rows(self, binder, comp: Compiler, sel: A.Select, positions) -> str:
        q = plan_query(binder.bind_query(sel))
        plan_subqueries(binder.subplans)
        if len(q.names) != len(positions):
            raise ProgrammingError(
                f"table {self.table.name} has {len(positions)} columns but the SELECT "
                f"returns {len(q.names)}"
            )
        self.plan = q.root
        comp.query_function(q, "source_rows", ["p", "tx"])
        provided = {pos: f"s[{i}]" for i, pos in enumerate(positions)}
        return (
            "def rows(p, tx):\n"
            f"    return [{self._fill(comp, provided)} for s in source_rows(p, tx)]"
        )

    # ------------------------------------------------------------ upsert
    def _compile_upsert(self, binder: Binder, comp: Compiler, up: A.Upsert) -> None:
        table = self.table
        self.upsert = up
        if up.columns:
            want = sorted(_column_positions(table, up.columns))
            targets = [tuple(sorted(table.schema.primary_key))] + [
                tuple(sorted(ix.columns)) for ix in table.indexes if ix.unique
            ]
            if tuple(want) not in targets:
                raise ProgrammingError(
                    "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"
                )
        if up.assignments is None:
            return
        scope, slot = _table_scope(binder, table, table.name)
        ex_slot = binder.new_slot()
        cols = [(c.name, c.type, True) for c in table.columns]
        excluded = SourceInfo("excluded", cols, ex_slot)
        excluded.hidden = {c.name.lower() for c in table.columns}  # only as excluded.col
        scope.add(excluded)
        new = {}
        if table.cache is not None and self._ttl_given:
            new[len(table.columns) - 1] = self._expiry  # TTL given: refresh it, else keep it
        for name, e in up.assignments:
            pos = _column_positions(table, [name])[0]
            new[pos] = comp.expr(_bind(binder, e, scope))
        self.upsert_assigned = frozenset(new)
        parts = [new.get(i, f"r{slot}[{i}]") for i in range(len(table.columns))]
        comp.prog.sources.append(
            f"def upsert(p, tx, r{slot}, r{ex_slot}):\n"
            f"    ts = tx.ts\n    me = tx.marker\n"
            "    return (" + "".join(x + ", " for x in parts) + ")"
        )
        if up.where is not None:
            cond = comp.truth(_bind(binder, up.where, scope))
            comp.prog.sources.append(
                f"def upsert_where(p, tx, r{slot}, r{ex_slot}):\n"
                f"    ts = tx.ts\n    me = tx.marker\n    return {cond}"
            )

    # ------------------------------------------------------------ execution
    def _execute_one(self, conn, txn, params) -> tuple:
        if self.table.barrier is not None:  # altered since compiled, or being altered
            self.table.barrier(txn)
        key = self._one(params, txn)
        return (None, 1, key if self._rowid_kind else None)

    def execute(self, conn, txn, params) -> tuple:
        if self.table.barrier is not None:  # altered since compiled, or being altered
            self.table.barrier(txn)
        table = self.table
        rows = self.rows(params, txn)
        if self.triggered:  # never a cache table: those take no triggers
            return insert_rows(self, conn, txn, rows, params)
        if self.cache is not None:
            mark = len(txn.log)
            result = self._execute_rows(txn, rows, params)
            enforce(table, txn, set(txn.log[mark + 1 :: 5]))
            return result
        return self._execute_rows(txn, rows, params)

    def _execute_rows(self, txn, rows, params) -> tuple:
        if self.returning is not None:
            return self._execute_returning(txn, rows, params)
        insert = self.table.insert
        count = 0
        key = None
        if self.mode == "abort" and self.upsert is None:
            for row in rows:
                key = insert(txn, row)
            count = len(rows)
        else:
            for row in rows:
                done, k, how = self.insert_resolving(None, txn, row, params)
                if done:
                    count += 1
                    if how == "insert":  # an upsert's update inserts no row id
                        key = k
        return (None, count, self.rowid_of(key))

    def _execute_returning(self, txn, rows, params) -> tuple:
        """The write loop with RETURNING: each row written is reported as stored, at once."""
        table = self.table
        get = table.get
        returning = self.returning
        plain = self.mode == "abort" and self.upsert is None
        out = []
        key = None
        for row in rows:
            if plain:
                done, k = True, table.insert(txn, row)
            else:
                done, k, how = self.insert_resolving(None, txn, row, params)
            if done:
                if plain or how == "insert":  # an upsert's update inserts no row id
                    key = k
                out.append(returning(params, txn, get(txn, k)))
        return (out, len(out), self.rowid_of(key))

    def rowid_of(self, key: Any) -> Any:
        """``key`` as the cursor's lastrowid: None unless the table is keyed by a rowid."""
        schema = self.table.schema
        if schema.has_rowid or schema.integer_key:
            return key
        return None

    def insert_resolving(self, conn, txn, row: tuple, params) -> tuple[bool, Any, str]:
        """Insert ``row`` as the statement's conflict clause says: (written?, key, "insert"
        or "update"). ``conn`` is the connection when an upsert's update fires triggers.
        Only an inserted row sets ``last_insert_rowid()``, as in SQLite."""
        table = self.table
        if self.mode == "ignore":
            try:
                return True, table.insert(txn, row), "insert"
            except IntegrityError:
                return False, None, "insert"
        try:
            return True, table.insert(txn, row), "insert"
        except UniqueViolation:
            if self.mode == "replace":
                # the rows replaced fire no DELETE triggers: SQLite's recursive_triggers is off
                prepared = table.checked_row(row)
                for key in _conflicting_keys(table, txn, prepared):
                    table.delete(txn, key)
                return True, table.insert(txn, row), "insert"
            if self.upsert is None:
                raise
        prepared = table.checked_row(row)
        conflicts = _conflicting_keys(table, txn, prepared, self.upsert.columns)
        if not conflicts:
            raise UniqueViolation(
                f"UNIQUE constraint failed on {table.name}: the conflict is not on the "
                "ON CONFLICT target"
            )
        if self.upsert_fn is None:
            return False, None, "update"
        key = conflicts[0]
        old = table.get(txn, key)
        if self.upsert_where is not None and not self.upsert_where(params, txn, old, prepared):
            return False, None, "update"
        new = self.upsert_fn(params, txn, old, prepared)
        fires = self.update_firing
        if fires is None:
            return True, table.update(txn, key, new), "update"
        k = update_row(fires, conn, txn, table, key, old, new, self.upsert_assigned)
        return k is not None, k, "update"


def build_write(node, catalog, systables) -> Statement:
    """A write statement of a trigger's body (``Firing`` prepares them with this)."""
    kinds = {A.Insert: InsertStatement, A.Update: UpdateStatement, A.Delete: DeleteStatement}
    return kinds[type(node)](node, catalog, systables)


def _expiry_code(binder: Binder, comp: Compiler, table, ttl) -> str:
    """Python code for a new row's ``_expires_at``: from TTL, else the table's default."""
    cache = table.cache
    if cache is None:
        return "None"
    c = comp.prog.const(cache)
    if ttl is None:
        if cache.default_ttl is None:
            return "None"
        return f"({c}.clock() + {comp.prog.const(cache.default_ttl)})"
    b = _bind(binder, ttl, Scope())
    return f"expiry_after({comp.expr(b)}, {c})"


def _conflicting_keys(table, txn, row: tuple, columns=None) -> list:
    """Keys of visible rows that clash with ``row`` on the key or a UNIQUE index."""
    out = []
    schema = table.schema
    check_pk = columns is None or (
        schema.primary_key
        and sorted(_column_positions(table, columns)) == sorted(schema.primary_key)
    )
    if check_pk and table.key_of is not None:
        key = table.key_of(row)
        if table.get(txn, key) is not None:
            out.append(key)
    for index in table.indexes:
        if not index.unique:
            continue
        if columns is not None and sorted(index.columns) != sorted(
            _column_positions(table, columns)
        ):
            continue
        ik = index.key_of(row)
        if index.has_null(ik):
            continue
        for other in index.lookup(ik):
            r = table.get(txn, other)
            if r is not None and index.key_of(r) == ik and other not in out:
                out.append(other)
    return out


class UpdateStatement(_Writer):
    """UPDATE t SET col = expr, ... [WHERE ...]."""

    def __init__(self, node: A.Update, catalog, systables):
        binder = Binder(catalog, systables)
        table = self.table = _target_table(binder, node.table)
        scope, slot = _table_scope(binder, table, node.table.alias)
        comp = Compiler()
        self._targets(binder, comp, scope, slot, node.where)
        new = {}
        if node.ttl is not None:
            if table.cache is None:
                raise ProgrammingError(f"TTL applies only to cache tables; {table.name} is not one")
            new[len(table.columns) - 1] = _expiry_code(binder, comp, table, node.ttl)
        for name, e in node.assignments:
            pos = _column_positions(table, [name])[0]
            new[pos] = comp.expr(_bind(binder, e, scope))
        parts = [new.get(i, f"r{slot}[{i}]") for i in range(len(table.columns))]
        w = FunctionWriter(comp.prog, "newrow", ["p", "tx", f"r{slot}"])
        comp.w = w
        w.prelude += ["ts = tx.ts", "me = tx.marker"]
        w.emit("return (" + "".join(x + ", " for x in parts) + ")")
        w.finish()
        comp.w = None
        self._compile_returning(binder, comp, node, node.table.alias)
        assigned_names = {name.lower() for name, _e in node.assignments}
        self.firing = Firing(catalog, systables, table, "update", build_write, assigned_names)
        self.assigned = frozenset(new)
        fused = isinstance(self.plan, Lookup) and not self.plan.many and table.cache is None
        fused = fused and node.returning is None and not self.firing.any
        if fused:
            self._fuse(comp, slot, parts, new)
        ns = self._compile(binder, comp)
        self.targets = ns["targets"]
        self.newrow = ns["newrow"]
        if fused:
            self._one = ns["update_one"]
            self.execute = self._execute_one

    def _fuse(self, comp: Compiler, slot: int, parts: list, assigned: dict) -> None:
        """``UPDATE ... WHERE key = ...``: one generated function, lookup to write.

        When the key's entry is a stable committed row and the key columns keep their
        values, only the assigned columns are type-checked and the write skips the second
        lookup of ``Table.update``."""
        node = self.plan
        table = self.table
        prog = comp.prog
        w = FunctionWriter(prog, "update_one", ["p", "tx"])
        comp.w = w
        w.prelude += ["ts = tx.ts", "me = tx.marker"]
        comp.record_read(w, node)
        keys = [comp.expr(k) for k in node.keys]
        w.emit(f"k{slot} = {keys[0] if len(keys) == 1 else '(' + ', '.join(keys) + ')'}")
        w.emit(f"v{slot} = {prog.const(table.rows.get)}(k{slot})")
        w.emit(f"if v{slot} is None: return 0")
        for line in read_visible_code(f"v{slot}", f"r{slot}"):
            w.emit(line)
        w.emit(f"if r{slot} is None: return 0")
        if node.filters:
            w.emit(f"if not ({' and '.join(comp.truth(f) for f in node.filters)}): return 0")
        update = prog.const(table.update)
        if table.key_of is None or set(table.schema.primary_key) & set(assigned):
            w.emit(f"{update}(tx, k{slot}, (" + "".join(x + ", " for x in parts) + "))")
        else:
            cols = table.schema.columns
            parts = list(parts)
            for pos, code in sorted(assigned.items()):
                name = parts[pos] = f"n{slot}_{pos}"
                w.emit(f"{name} = {code}")
                check = prog.const(table.value_check(pos))
                pytype = cols[pos].type.pytype
                if pytype is None:
                    w.emit(f"{name} = {check}({name})")
                    continue
                test = needs_check(cols[pos].type, name, prog.const(pytype))
                w.emit(f"if {test}: {name} = {check}({name})")
            row = "(" + "".join(x + ", " for x in parts) + ")"
            w.emit(f"if {stable_code(f'v{slot}')}:")
            w.emit(f"    {prog.const(table.update_stable)}(tx, k{slot}, v{slot}, {row})")
            w.emit(f"else: {update}(tx, k{slot}, {row})")
        w.emit("return 1")
        w.finish()
        comp.w = None

    def _execute_one(self, conn, txn, params) -> tuple:
        if self.table.barrier is not None:  # altered since compiled, or being altered
            self.table.barrier(txn)
        return (None, self._one(params, txn), None)

    def execute(self, conn, txn, params) -> tuple:
        if self.table.barrier is not None:  # altered since compiled, or being altered
            self.table.barrier(txn)
        if self.firing.any:
            return update_rows(self, conn, txn, params)
        table = self.table
        newrow = self.newrow
        targets = self.targets(params, txn)
        update = table.update
        keys = set()
        returning = self.returning
        out = None
        if returning is None:
            for key, row in targets:
                keys.add(update(txn, key, newrow(params, txn, row)))
        else:
            out = []
            get = table.get
            for key, row in targets:
                k = update(txn, key, newrow(params, txn, row))
                keys.add(k)
                out.append(returning(params, txn, get(txn, k)))
        if table.cache is not None:
            enforce(table, txn, keys)
        return (out, len(targets), None)


class DeleteStatement(_Writer):
    """DELETE FROM t [WHERE ...]."""

    def __init__(self, node: A.Delete, catalog, systables):
        binder = Binder(catalog, systables)
        table = self.table = _target_table(binder, node.table)
        scope, slot = _table_scope(binder, table, node.table.alias)
        comp = Compiler()
        self._targets(binder, comp, scope, slot, node.where)
        self._compile_returning(binder, comp, node, node.table.alias)
        ns = self._compile(binder, comp)
        self.targets = ns["targets"]
        self.firing = Firing(catalog, systables, table, "delete", build_write)

    def execute(self, conn, txn, params) -> tuple:
        if self.table.barrier is not None:  # altered since compiled, or being altered
            self.table.barrier(txn)
        if self.firing.any:
            return delete_rows(self, conn, txn, params)
        delete = self.table.delete
        targets = self.targets(params, txn)
        returning = self.returning
        if returning is None:
            for key, _row in targets:
                delete(txn, key)
            return (None, len(targets), None)
        out = []
        for key, row in targets:  # the row as it was: RETURNING reports what went
            delete(txn, key)
            out.append(returning(params, txn, row))
        return (out, len(out), None)


__all__ = ["InsertStatement", "UpdateStatement", "DeleteStatement", "Lookup", "build_write"]
