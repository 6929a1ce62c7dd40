"""Functions, aggregates and collations a connection defines in Python, the sqlite3 way.

A ``Functions`` registry belongs to one connection (``Connection.create_function`` & co.).
Preparing a statement for that connection runs inside ``preparing(functions)``: the binder
resolves names through ``lookup`` (a user definition wins over a built-in of the same name,
as in SQLite) and the statement remembers whether it used one, so the database's shared
statement cache never hands it to another connection (see ``Database.prepare_for``).

Calls go through small wrappers that turn the user's exceptions into ``OperationalError``
naming the function, and the values returned into SQL values as sqlite3 does.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
from typing import Any, Callable

from ..errors import DataError, OperationalError, ProgrammingError
from .functions import AGGREGATES, FUNCTIONS, SPECIAL
from .runtime import INT_MAX, INT_MIN, sort_key

#: The largest argument count sqlite3 accepts (SQLITE_MAX_FUNCTION_ARG); -1 means any.
MAX_ARGS = 127


class UserFunction:
    """A scalar function: ``call(*args)`` runs the user's callable and checks its result."""

    __slots__ = ("name", "narg", "fn", "deterministic", "call")
    aggregate = False

    def __init__(self, name: str, narg: int, fn: Callable, deterministic: bool):
        self.name = name
        self.narg = narg
        self.fn = fn
        self.deterministic = deterministic
        self.call = _caller(name, fn)


def _caller(name: str, fn: Callable) -> Callable:
    def call(*args: Any) -> Any:
        try:
            v = fn(*args)
        except Exception as e:
            raise _raised(f"user-defined function {name}()", e) from e
        t = type(v)
        if t is str or v is None or t is bytes:
            return v
        return sql_value(v, f"user-defined function {name}()")

    return call


def _raised(what: str, e: Exception) -> OperationalError:
    return OperationalError(f"{what} raised exception: {type(e).__name__}: {e}")


def sql_value(v: Any, what: str) -> Any:
    """``v`` (returned by user code) as a SQL value, converted as sqlite3 converts it:
    bool and int subclasses → int, NaN → NULL, bytearray/memoryview → bytes, str
    subclasses → str; DATE and TIMESTAMP values pass as they are. Anything else, or an
    integer beyond 64 bits, is an error."""
    if v is None:
        return None
    if isinstance(v, int):
        if INT_MIN <= v <= INT_MAX:
            return int(v)
        raise DataError(f"{what} returned an integer out of the 64-bit range")
    if isinstance(v, float):
        return None if v != v else float(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v
    raise OperationalError(
        f"{what} returned {type(v).__name__}, which is not a SQL value "
        "(use int, float, str, bytes or None)"
    )


class UserAggregate:
    """An aggregate: a class with ``step(*args)`` and ``finalize()``, one instance per group,
    made at the group's first row (a group of no rows gives NULL, as in sqlite3)."""

    __slots__ = ("name", "narg", "cls")
    aggregate = True
    deterministic = False

    def __init__(self, name: str, narg: int, cls: Callable):
        self.name = name
        self.narg = narg
        self.cls = cls

    def step(self, state: Any, *args: Any) -> Any:
        """Fold one row into ``state`` (None before the first row); the new state."""
        if state is None:
            try:
                state = self.cls()
            except Exception as e:
                raise _raised(f"user-defined aggregate {self.name}() (creating it)", e) from e
        try:
            state.step(*args)
        except Exception as e:
            raise _raised(f"user-defined aggregate {self.name}() (its step method)", e) from e
        return state

    def finish(self, state: Any) -> Any:
        """The group's result: ``finalize()`` of its instance; NULL for no rows."""
        if state is None:
            return None
        what = f"user-defined aggregate {self.name}()"
        try:
            v = state.finalize()
        except Exception as e:
            raise _raised(f"{what} (its finalize method)", e) from e
        return sql_value(v, what)


class UserWindowFunction(UserAggregate):
    """A window function (sqlite3's ``create_window_function``): a class with ``step``,
    ``inverse``, ``value`` and ``finalize``. With OVER the window runner drives
    ``window_class``; without, it is a plain aggregate (``step`` and ``finalize``)."""

    __slots__ = ("window_class",)

    def __init__(self, name: str, narg: int, cls: Callable):
        super().__init__(name, narg, cls)
        self.window_class = _window_adapter(self)


def _window_adapter(user: UserWindowFunction) -> type:
    """The user's class in the window runner's shape, every call's error an
    ``OperationalError`` naming the function and every result an SQL value."""

    def calling(method: str) -> Callable:
        def call(self, *args: Any) -> Any:
            try:
                return getattr(self.inner, method)(*args)
            except Exception as e:
                what = f"user-defined window function {user.name}() (its {method} method)"
                raise _raised(what, e) from e

        return call

    class Adapter:
        __slots__ = ("inner",)
        step = calling("step")
        inverse = calling("inverse")
        _value = calling("value")
        _finalize = calling("finalize")

        def __init__(self) -> None:
            try:
                self.inner = user.cls()
            except Exception as e:
                what = f"user-defined window function {user.name}() (creating it)"
                raise _raised(what, e) from e

        def value(self) -> Any:
            return sql_value(self._value(), f"user-defined window function {user.name}()")

        def finalize(self) -> Any:
            return sql_value(self._finalize(), f"user-defined window function {user.name}()")

    return Adapter


class UserCollation:
    """A collation: ``fn(a, b)`` on two strings, negative, zero or positive."""

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn: Callable):
        self.name = name
        self.fn = fn

    def compare(self, a: Any, b: Any) -> int:
        """``a`` against ``b``: the collation between two strings, SQLite's order otherwise."""
        if type(a) is str and type(b) is str:
            try:
                r = self.fn(a, b)
            except Exception as e:
                raise _raised(f"collation {self.name}", e) from e
            if not isinstance(r, int):
                raise OperationalError(
                    f"collation {self.name} returned {type(r).__name__}, not an integer"
                )
            return (r > 0) - (r < 0)
        ka, kb = sort_key(a), sort_key(b)
        return (ka > kb) - (ka < kb)

    def key(self, v: Any) -> CollationKey | None:
        """A sort key ordering values by this collation (NULL stays NULL)."""
        return None if v is None else CollationKey(v, self)


class CollationKey:
    """A value ordered by a collation (``ORDER BY x COLLATE name``)."""

    __slots__ = ("value", "coll")

    def __init__(self, value: Any, coll: UserCollation):
        self.value = value
        self.coll = coll

    def __lt__(self, other: CollationKey) -> bool:
        return self.coll.compare(self.value, other.value) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CollationKey) and self.coll.compare(self.value, other.value) == 0

    __hash__ = None  # type: ignore[assignment]


_TESTS = {
    "=": lambda c: c == 0,
    "!=": lambda c: c != 0,
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def comparison(coll: UserCollation, op: str) -> Callable[[Any, Any], Any]:
    """``a op b`` under ``coll``, NULL when either side is NULL."""
    test = _TESTS[op]
    compare = coll.compare

    def collated(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        return test(compare(a, b))

    return collated


class Functions:
    """One connection's functions, aggregates and collations.

    ``version`` grows with every change, so statements compiled against an older set are
    not reused; ``shadows`` is true once a definition has the name of a built-in, after which
    no statement of the shared cache (bound to the built-ins) may be used.
    """

    def __init__(self) -> None:
        self.entries: dict[tuple[str, int], UserFunction | UserAggregate] = {}
        self.names: dict[str, int] = {}  # lower-case name -> number of definitions
        self.collations: dict[str, UserCollation] = {}
        self.version = 0
        self.shadows = False

    def _changed(self) -> None:
        # statements compiled with the old definitions never run again: the connection's
        # own cache is stamped with this version (``Database.prepare_for``)
        self.version += 1

    def __bool__(self) -> bool:
        return bool(self.entries or self.collations)

    def function(self, name: str, narg: int, fn: Callable | None, deterministic: bool) -> None:
        """Add or replace the scalar function ``name``/``narg``; ``fn`` None removes it."""
        if fn is not None and not callable(fn):
            raise ProgrammingError(f"func must be callable, not {type(fn).__name__}")
        self._define(name, narg, fn and UserFunction(name, narg, fn, deterministic))

    def aggregate(self, name: str, narg: int, cls: Callable | None) -> None:
        """Add or replace the aggregate ``name``/``narg``; ``cls`` None removes it."""
        if cls is not None and not callable(cls):
            raise ProgrammingError(
                f"aggregate_class must be a class with step() and finalize(), not {cls!r}"
            )
        self._define(name, narg, cls and UserAggregate(name, narg, cls))

    def window(self, name: str, narg: int, cls: Callable | None) -> None:
        """Add or replace the window function ``name``/``narg``; ``cls`` None removes it."""
        if cls is not None and not callable(cls):
            raise ProgrammingError(
                "aggregate_class must be a class with step(), value(), inverse() and "
                f"finalize(), not {cls!r}"
            )
        self._define(name, narg, cls and UserWindowFunction(name, narg, cls))

    def _define(self, name: str, narg: int, entry: Any) -> None:
        """Add, replace (same name and argument count) or, with ``entry`` None, remove."""
        name = _check_name(name, "function")
        if type(narg) is not int or not -1 <= narg <= MAX_ARGS:
            raise ProgrammingError(
                f"narg must be an integer from -1 (any number) to {MAX_ARGS}, not {narg!r}"
            )
        key = (name, narg)
        had = key in self.entries
        if entry is None:
            if had:
                del self.entries[key]
                self._count(name, -1)
        else:
            entry.name = name
            self.entries[key] = entry
            if not had:
                self._count(name, 1)
        self._changed()

    def _count(self, name: str, d: int) -> None:
        n = self.names.get(name, 0) + d
        if n:
            self.names[name] = n
        else:
            del self.names[name]
        self.shadows = any(n in _BUILTINS for n in self.names)

    def collate(self, name: str, fn: Callable | None) -> None:
        """Add, replace or (``fn`` None) remove a collation."""
        name = _check_name(name, "collation").upper()
        if fn is None:
            self.collations.pop(name, None)
        else:
            if not callable(fn):
                raise ProgrammingError("a collation must be callable as fn(a, b)")
            self.collations[name] = UserCollation(name, fn)
        self._changed()

    def lookup(self, name: str, n: int) -> UserFunction | UserAggregate | None:
        """The definition for ``name`` called with ``n`` arguments: exact count first."""
        if name not in self.names:
            return None
        e = self.entries.get((name, n))
        return e if e is not None else self.entries.get((name, -1))


def _check_name(name: Any, what: str) -> str:
    if type(name) is not str or not name:
        raise ProgrammingError(f"a {what} name must be a non-empty str")
    return name.lower()


#: The connection's counters, read from the transaction's ``session`` (a ``Session``).
SESSION_FUNCTIONS = {
    "changes": "changes",
    "total_changes": "total_changes",
    "last_insert_rowid": "last_rowid",
}
_BUILTINS = frozenset(FUNCTIONS) | frozenset(AGGREGATES) | SPECIAL | frozenset(SESSION_FUNCTIONS)


def builtin_names() -> frozenset[str]:
    """Names of the built-in functions and aggregates (a user definition shadows them)."""
    return _BUILTINS


#: Rows a scan visits between two looks at its connection's interrupt flag (when no progress
#: handler asks for a shorter step): large enough to cost nothing per row, small enough to
#: stop within a millisecond or so.
WATCH_EVERY = 1024


class Session:
    """What the connection-aware SQL functions read: sqlite3's counters for one connection.

    ``changes``: rows the most recent completed INSERT, UPDATE or DELETE changed;
    ``total_changes``: all such rows since the connection opened; ``last_rowid``: the row id
    of the most recent successful INSERT into a table with row ids (0 before any).
    Generated code reads them through the transaction (``tx.session``), which the
    connection that begins a transaction sets.

    The connection's brakes live here too, for the same reason: ``interrupted`` is set by
    ``Connection.interrupt()`` and cleared when a statement ends; ``progress`` is the
    progress handler (a callable, true to stop) called before every ``progress_every`` rows
    a scan visits (see ``plan_runtime.watched``).
    """

    __slots__ = (
        "changes",
        "total_changes",
        "last_rowid",
        "interrupted",
        "progress",
        "progress_every",
    )

    def __init__(self) -> None:
        self.changes = 0
        self.total_changes = 0
        self.last_rowid = 0
        self.interrupted = False
        self.progress: Callable[[], Any] | None = None
        self.progress_every = WATCH_EVERY

    def record(self, count: int, rowid: Any) -> None:
        """A data-changing statement completed: ``count`` rows, and the row id it inserted."""
        self.changes = count
        self.total_changes += count
        if rowid is not None:
            self.last_rowid = rowid


# ---------------------------------------------------------------- preparation context
class Preparation:
    """The connection's registry while one statement is prepared, and whether it used it."""

    __slots__ = ("functions", "used")

    def __init__(self, functions: Functions | None):
        self.functions = functions
        self.used = False


_current: contextvars.ContextVar[Preparation | None] = contextvars.ContextVar(
    "memtables_preparation", default=None
)


@contextlib.contextmanager
def preparing(functions: Functions | None):
    """Bind names through ``functions`` while the block prepares one statement."""
    prep = Preparation(functions if functions else None)
    token = _current.set(prep)
    try:
        yield prep
    finally:
        _current.reset(token)


def current_functions() -> Functions | None:
    """The registry of the statement being prepared now, if any."""
    prep = _current.get()
    return None if prep is None else prep.functions


def lookup(name: str, n: int) -> UserFunction | UserAggregate | None:
    """The user definition ``name`` with ``n`` arguments resolves to now, or None."""
    prep = _current.get()
    if prep is None or prep.functions is None:
        return None
    entry = prep.functions.lookup(name, n)
    if entry is not None:
        prep.used = True
    return entry


def defined(name: str) -> bool:
    """True when the connection defines ``name`` for some argument count."""
    prep = _current.get()
    return prep is not None and prep.functions is not None and name in prep.functions.names


def collation(name: str) -> UserCollation | None:
    """The user collation ``name`` (upper case) resolves to now, or None."""
    prep = _current.get()
    if prep is None or prep.functions is None:
        return None
    c = prep.functions.collations.get(name)
    if c is not None:
        prep.used = True
    return c
