"""Accumulator code for aggregate calls (count, sum, avg, min, group_concat, ...).

The plan emitter's ``Aggregate`` keeps one list ``a`` of accumulator slots per group; this
module writes, for each aggregate call of a query block, the slots' initial values, the lines
that fold one row into them and the expression that reads the result out.
"""

from __future__ import annotations

from ..errors import InternalError
from .emit_expr import ExprEmitter
from .fn_json import group_array, group_item, group_member, group_object
from .plan import AggCall, Aggregate, BareColumn


def aggregate_parts(exprs: ExprEmitter, node: Aggregate) -> tuple[list, list, list]:
    """Accumulator initial values, per-row update lines and final expressions."""
    inits: list[str] = []
    updates: list[str] = []
    finals: list[str] = []
    for ex in node.extras:
        i = len(inits)
        if isinstance(ex, BareColumn):  # the group's first row, as SQLite takes it
            inits.append(exprs.expr(ex.expr))
            finals.append(f"a[{i}]")
            continue
        aggregate_code(exprs, ex, i, inits, updates, finals)
    return inits, updates, finals


def slots_of(extras: list) -> list:
    """The extra each accumulator slot belongs to (avg and DISTINCT take two slots)."""
    out = []
    for ex in extras:
        n = 1
        if isinstance(ex, AggCall):
            n += ex.func == "avg"
            n += ex.distinct and not (ex.func == "count" and ex.star)
        out += [ex] * n
    return out


def aggregate_code(exprs: ExprEmitter, agg: AggCall, i: int, inits, updates, finals) -> None:
    """Append the accumulator code of one aggregate call (slot ``i`` onwards)."""
    f = agg.func
    if agg.user is not None:
        _user_aggregate_code(exprs, agg, i, inits, updates, finals)
        return
    x = exprs.expr(agg.args[0]) if agg.args else None
    guard = ""
    if agg.distinct:
        inits.append("set()")
        d = i
        i += 1
        guard = f"v not in a[{d}] and not a[{d}].add(v) and "
    # FILTER (WHERE c): a row failing c counts as a NULL argument, which every aggregate skips
    cond = exprs.truth(agg.filter) if agg.filter is not None else None
    if f == "count" and agg.star:
        inits.append("0")
        updates.append(f"a[{i}] += 1" if cond is None else f"if {cond}: a[{i}] += 1")
        finals.append(f"a[{i}]")
        return
    updates.append(f"v = {x}" if cond is None else f"v = ({x}) if {cond} else None")
    if f == "count":
        inits.append("0")
        updates.append(f"if v is not None and {guard}True: a[{i}] += 1")
        finals.append(f"a[{i}]")
    elif f == "sum":
        inits.append("None")
        updates.append(
            f"if v is not None and {guard}True: a[{i}] = num1(v) if a[{i}] is None else a[{i}] + num1(v)"
        )
        finals.append(f"fit(a[{i}])")
    elif f == "total":
        inits.append("0.0")
        updates.append(f"if v is not None and {guard}True: a[{i}] += num1(v)")
        finals.append(f"fit(float(a[{i}]))")
    elif f == "avg":
        inits += ["0", "0"]
        updates.append(f"if v is not None and {guard}True: a[{i}] += num1(v); a[{i + 1}] += 1")
        finals.append(f"(fit(a[{i}] / a[{i + 1}]) if a[{i + 1}] else None)")
    elif f in ("min", "max"):
        inits.append("None")
        better = "lt" if f == "min" else "gt"
        updates.append(
            f"if v is not None and (a[{i}] is None or {better}(v, a[{i}])) and {guard}True: a[{i}] = v"
        )
        finals.append(f"a[{i}]")
    elif f in ("group_concat", "string_agg"):
        inits.append("[]")
        sep = exprs.expr(agg.args[1]) if len(agg.args) > 1 else exprs.prog.const(",")
        updates.append(f"if v is not None and {guard}True: a[{i}].append(to_text(v))")
        # a NULL separator joins with nothing, as in SQLite
        finals.append(f"((to_text({sep}) or '').join(a[{i}]) if a[{i}] else None)")
    elif f == "json_group_array":  # NULLs too: they become null
        inits.append("[]")
        item = exprs.prog.const(group_item)
        kept = f"({cond}) and " if cond is not None else ""  # a NULL here is kept: test c
        updates.append(f"if {kept}{guard}True: a[{i}].append({item}(v))")
        finals.append(f"{exprs.prog.const(group_array)}(a[{i}])")
    elif f == "json_group_object":
        inits.append("[]")
        member = exprs.prog.const(group_member)
        when = f"if {cond}: " if cond is not None else ""
        updates.append(f"{when}a[{i}].append({member}(v, {exprs.expr(agg.args[1])}))")
        finals.append(f"{exprs.prog.const(group_object)}(a[{i}])")
    else:
        raise InternalError(f"unknown aggregate {f}")


def _user_aggregate_code(exprs: ExprEmitter, agg: AggCall, i: int, inits, updates, finals):
    """A user-defined aggregate: its instance in slot ``i`` (None until the first row), every
    row's arguments handed to ``step`` (NULLs too, as sqlite3 does)."""
    u = exprs.prog.const(agg.user)
    args = [exprs.expr(a) for a in agg.args]
    # FILTER (WHERE c): a row failing c is not handed to step() at all
    cond = exprs.truth(agg.filter) if agg.filter is not None else None
    when = f"if {cond}: " if cond is not None else ""
    if agg.distinct:  # one argument: a set of the values seen, then the instance
        inits += ["set()", "None"]
        updates.append(f"v = {args[0]}")
        also = f"({cond}) and " if cond is not None else ""
        updates.append(
            f"if {also}v not in a[{i}]: a[{i}].add(v); a[{i + 1}] = {u}.step(a[{i + 1}], v)"
        )
        finals.append(f"{u}.finish(a[{i + 1}])")
        return
    inits.append("None")
    updates.append(f"{when}a[{i}] = {u}.step(a[{i}]{''.join(', ' + x for x in args)})")
    finals.append(f"{u}.finish(a[{i}])")
