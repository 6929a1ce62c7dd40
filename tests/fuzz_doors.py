"""The fuzzer's steps through the other doors: ``executemany``, ``executescript``, the fetch
methods, ``to_arrow``/``from_arrow`` and the key-value face (mixed into ``fuzz_gen.Gen``)."""

from __future__ import annotations


class Doors:
    """Draws (marker, arguments) steps that ``tests.fuzz.Target.run`` knows how to call."""

    def door(self) -> tuple[str, list]:
        """A DB-API, Arrow or key-value call, as a (marker, arguments) step."""
        self.params = []
        kind = self.count(0, 6)
        if kind == 0:
            sql = self.insert()
            n = len(self.params)
            rows = [[self.param_value() for _ in range(n)] for _ in range(self.count(0, 3))]
            if self.chance(0.2):
                rows.append([self.param_value() for _ in range(self.count(0, 3))])
            return "<executemany>", [sql, rows]
        if kind == 1:
            parts = [self.statement()[0] for _ in range(self.count(1, 3))]
            return "<executescript>", ["; ".join(parts)]
        if kind == 2:
            sql = self.select()
            how = self.pick(
                ["fetchmany", "fetchone", "fetchall", "fetch_arrow_table", "fetch_record_batch"]
            )
            arg = None
            if how in ("fetchmany", "fetch_record_batch") and self.chance(0.8):
                arg = self.pick([0, 1, 2, -1, "2", None, 2.5, 10**20])
            return "<fetch>", [sql, list(self.params), how, arg]
        if kind == 3:
            source = self.table() if self.chance(0.7) else self.select()
            return "<to_arrow>", [source if source is not None else self.name()]
        if kind == 4:
            return self.from_arrow()
        return self.kv()

    def kv(self) -> tuple[str, list]:
        pool = sorted(self.model.cache_tables) or sorted(self.model.tables) or ["nosuch"]
        table = self.pick(pool) if self.chance(0.95) else self.param_value()
        key = self.param_value()
        value = self.param_value()
        # no TTL that ends during a run (0, True = 1 s): digests would differ by timing
        ttl = self.pick([None, 1e9, 10**400, float("nan"), float("inf"), -1, "x"])
        method, args = self.pick(
            [
                ("get", [key]),
                ("get_many", [[key, self.param_value()]]),
                ("get_many", [None]),
                ("set", [key, value]),
                ("set", [key, value, ttl]),
                ("set_many", [{"a": value}]),
                ("set_many", [[("a", "b")]]),
                ("delete", [key]),
                ("expire", [key, ttl]),
                ("persist", [key]),
                ("ttl", [key]),
                ("incr", [key, self.param_value()]),
                ("__contains__", [key]),
                ("__len__", []),
                ("stats", []),
            ]
        )
        return "<kv>", [table, method, args]

    def from_arrow(self) -> tuple[str, list]:
        name = self.table() if self.chance(0.5) else self.name()
        columns = {}
        for _ in range(self.count(1, 3)):
            v = self.param_value()
            columns[self.name()] = [v, v if self.chance(0.5) else None]
        mode = self.pick(["create", "append", "replace", "nope"])
        pk = self.pick([None, None, next(iter(columns)), 5, ["zz"]])
        return "<from_arrow>", [name, columns, mode, pk]
