"""Usage queries in SQL: a metric's aggregation pushed down into the database.

The database selects the metric's events (status, name, customer, period and filter) and
groups and aggregates them; Python only turns the rows into quantities. Results equal the
pure engine's (:func:`orbcore.events.aggregate`) on both databases:

* PostgreSQL reads a property with ``properties -> :name`` (the name is a bound
  parameter), its kind with ``jsonb_typeof`` and a number as ``NUMERIC``, which is exact.
  Group values are ``trim_scale(number)::text``; strings order with ``COLLATE "C"``, code
  point by code point.
* SQLite's ``json_extract`` reads numbers as binary floats, so numbers are read as their
  JSON text (``properties -> '$."name"'``) and compared, added, normalised and multiplied
  by the ``orbcore_*`` functions that :func:`register_sqlite_functions` installs on each
  connection: Python code over ``Decimal``, exact like the pure engine.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Numeric,
    Row,
    String,
    Subquery,
    Text,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import Select

from orbcore.events import (
    Aggregation,
    AllOf,
    AnyOf,
    BillableMetric,
    Filter,
    GroupKey,
    Operator,
    Partial,
    Quantities,
    UsageRollup,
    customer_ref,
    finish,
    merge_partials,
)
from orbcore.events._aggregate import (
    check_customer,
    check_period,
    require_decomposable,
    rollup,
)
from orbcore.events._metrics import group_value
from orbcore.money._numbers import EXACT, exact_add, exact_mul
from orbcore.storage.sql._tables import events
from orbcore.storage.sql._translate import translated
from orbcore.storage.sql._types import UtcDateTime

__all__ = ["Pushdown", "SqlUsageQueries", "pushdown", "register_sqlite_functions", "to_decimal"]

Expr = ColumnElement[Any]
_ORDER: dict[Operator, Callable[[Any, Any], Any]] = {
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
}


class Pushdown:
    """How one database reads event properties and handles decimals exactly: this one
    is PostgreSQL's (from version 14, whose ``EXTRACT`` is exact)."""

    def _doc(self) -> Expr:
        return type_coerce(events.c.properties, JSONB)

    def present(self, name: str) -> Expr:
        """True where the event has the property (never NULL)."""
        value = self._doc().op("->", return_type=JSONB)(literal(name, Text))
        return value.is_not(None)

    def kind(self, name: str) -> Expr:
        """``number``, ``string``, ``boolean`` or NULL where the property is missing."""
        value = self._doc().op("->", return_type=JSONB)(literal(name, Text))
        return func.jsonb_typeof(value, type_=Text)

    def is_kind(self, name: str, kind: str) -> Expr:
        """The property is a ``kind``: false for other kinds, NULL where missing."""
        return self.kind(name) == kind

    def text(self, name: str) -> Expr:
        """A string property's text."""
        return self._doc().op("->>", return_type=Text)(literal(name, Text))

    def number(self, name: str) -> Expr:
        """A numeric property's exact value; NULL for other kinds."""
        return case((self.is_kind(name, "number"), cast(self.text(name), Numeric)))

    def group(self, name: str) -> Expr:
        """The property as :func:`orbcore.events._metrics.group_value` writes it."""
        normal = cast(func.trim_scale(self.number(name)), Text)
        return case((self.is_kind(name, "number"), normal), else_=self.text(name))

    def is_boolean(self, name: str, value: bool) -> Expr:
        return and_(self.is_kind(name, "boolean"), self.text(name) == str(value).lower())

    def compare(self, name: str, how: Callable[[Any, Any], Any], value: Decimal) -> Expr:
        """``how(property, value)`` for a number, exactly; false for other kinds."""
        exact = how(self.number(name), literal(value, Numeric))
        return and_(self.is_kind(name, "number"), exact)

    def ordered_text(self, name: str) -> Expr:
        """A string property's text, ordered code point by code point."""
        return self.text(name).collate("C")

    def fold(self, how: str, expr: Expr) -> Expr:
        """The exact ``sum``, ``min`` or ``max`` of the decimals ``expr`` (an aggregate)."""
        return getattr(func, how)(expr)  # type: ignore[no-any-return]

    def later(self, a: Expr, b: Expr) -> Expr:
        return func.greatest(a, b)

    def weighted(self, level: Expr, since: Expr, until: Expr) -> Expr:
        """``level`` times the seconds from ``since`` to ``until``."""
        return level * extract("epoch", until - since)

    def hour(self, instant: Expr) -> Expr:
        """The start of ``instant``'s UTC hour."""
        hour = func.date_trunc(literal_column("'hour'"), instant, literal_column("'UTC'"))
        return type_coerce(hour, UtcDateTime())


_SQLITE_TYPES = {"number": ("integer", "real"), "string": ("text",), "boolean": ("true", "false")}


class _SqlitePushdown(Pushdown):
    """SQLite: numbers travel as their JSON text into the ``orbcore_*`` functions."""

    def _path(self, name: str) -> Expr:
        # Metric property names hold no quotes, backslashes or controls (see
        # check_property_name), so the quoted label addresses exactly that key.
        return literal(f'$."{name}"', String)

    def _doc(self) -> Expr:
        return type_coerce(events.c.properties, Text)

    def _raw(self, name: str) -> Expr:
        return self._doc().op("->", return_type=Text)(self._path(name))

    def _type(self, name: str) -> Expr:
        return func.json_type(self._doc(), self._path(name))

    def present(self, name: str) -> Expr:
        return self._type(name).is_not(None)

    def kind(self, name: str) -> Expr:
        return case(*((self.is_kind(name, kind), kind) for kind in _SQLITE_TYPES))

    def is_kind(self, name: str, kind: str) -> Expr:
        return self._type(name).in_(_SQLITE_TYPES[kind])

    def text(self, name: str) -> Expr:
        return self._doc().op("->>", return_type=Text)(self._path(name))

    def number(self, name: str) -> Expr:
        return case((self.is_kind(name, "number"), self._raw(name)))

    def group(self, name: str) -> Expr:
        return func.orbcore_group(self._raw(name), type_=Text)

    def is_boolean(self, name: str, value: bool) -> Expr:
        return self._type(name) == str(value).lower()

    def compare(self, name: str, how: Callable[[Any, Any], Any], value: Decimal) -> Expr:
        order = func.orbcore_compare(self.number(name), literal(str(value), String))
        return and_(self.is_kind(name, "number"), how(order, 0))

    def ordered_text(self, name: str) -> Expr:
        return self.text(name)  # BINARY collation: UTF-8 bytes, so code point order

    def fold(self, how: str, expr: Expr) -> Expr:
        return getattr(func, f"orbcore_{how}")(expr, type_=Text)  # type: ignore[no-any-return]

    def later(self, a: Expr, b: Expr) -> Expr:
        return func.max(a, b)  # of fixed-width UTC text, whose order is time order

    def weighted(self, level: Expr, since: Expr, until: Expr) -> Expr:
        return func.orbcore_weighted(level, since, until, type_=Text)

    def hour(self, instant: Expr) -> Expr:
        hour = func.substr(instant, 1, 13).op("||")(literal(":00:00.000000", String))
        return type_coerce(hour, UtcDateTime())


_FOLDS = ("sum", "min", "max")
NEEDS: dict[Aggregation | None, tuple[str, ...]] = {
    Aggregation.COUNT: (),
    Aggregation.SUM: ("sum",),
    Aggregation.AVERAGE: ("sum",),
    Aggregation.MIN: ("min",),
    Aggregation.MAX: ("max",),
}
"""What each decomposable aggregation reads of a partial besides its count: the other
folds are left out (on SQLite each is a Python call per row)."""


def pushdown(connection: Connection) -> Pushdown:
    """The :class:`Pushdown` of ``connection``'s database."""
    return _SqlitePushdown() if connection.dialect.name == "sqlite" else Pushdown()


def to_decimal(value: object) -> Decimal:
    """A decimal read back from the database: ``Decimal`` on PostgreSQL, text on SQLite."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str | int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"expected a decimal from the database, got {value!r}")


class SqlUsageQueries:
    """A metric's quantities, computed by the database from the stored events."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection

    def aggregate(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
    ) -> Quantities:
        check_customer(customer_id, external_customer_id)
        check_period(start, end)
        query = _Query(pushdown(self._connection()), metric, customer_id, external_customer_id)
        aggregation = metric.aggregation
        if aggregation is Aggregation.TIME_WEIGHTED_SUM:
            return self._values(query.time_weighted(start, end))
        if aggregation is Aggregation.UNIQUE_COUNT:
            return self._values(query.unique(start, end))
        if aggregation is Aggregation.LATEST:
            return self._values(query.latest(start, end))
        partials = self._partials(query, start, end, NEEDS[metric.aggregation])
        return {
            group: value
            for group, p in partials.items()
            if (value := finish(metric, p)) is not None
        }

    def partials(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
        only_for: Aggregation | None = None,
    ) -> dict[GroupKey, Partial]:
        check_customer(customer_id, external_customer_id)
        check_period(start, end)
        require_decomposable(metric)
        query = _Query(pushdown(self._connection()), metric, customer_id, external_customer_id)
        return self._partials(query, start, end, NEEDS.get(only_for, _FOLDS))

    def rollups(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
    ) -> list[UsageRollup]:
        check_period(start, end)
        require_decomposable(metric)
        query = _Query(pushdown(self._connection()), metric, customer_id, external_customer_id)
        merged: dict[tuple[str, datetime, GroupKey], Partial] = {}
        for row in self._rows(query.rollups(start, end)):
            cid, xid, hour, *rest = tuple(row)
            # Several (customer_id, external id) pairs may share one reference.
            where = (customer_ref(cid, xid), hour, _group(rest[:-4]))
            part = query.partial(rest[-4:])
            merged[where] = merge_partials(merged[where], part) if where in merged else part
        records = [rollup(metric.id, *where, part) for where, part in merged.items()]
        return sorted(records, key=lambda r: (r.customer_id, r.bucket_start, r.group_key))

    def _partials(
        self, query: _Query, start: datetime, end: datetime, wanted: Sequence[str] = _FOLDS
    ) -> dict[GroupKey, Partial]:
        rows = self._rows(query.partials(start, end, wanted))
        return {_group(row[:-4]): query.partial(row[-4:]) for row in rows}

    def _values(self, statement: Any) -> Quantities:
        return {_group(row[:-1]): to_decimal(row[-1]) for row in self._rows(statement)}

    def _rows(self, statement: Any) -> Sequence[Row[Any]]:
        with translated("aggregate usage"):
            return self._connection().execute(statement).all()


class _Query:
    """The statements that aggregate one metric's events of one customer (or everyone)."""

    def __init__(
        self, sql: Pushdown, metric: BillableMetric, customer_id: str | None, external: str | None
    ) -> None:
        self.sql = sql
        self.metric = metric
        self._who: list[Expr] = []
        if customer_id is not None:
            self._who.append(events.c.customer_id == customer_id)
        if external is not None:
            self._who.append(events.c.external_customer_id == external)

    def _selected(self, *columns: Expr, since: datetime | None, end: datetime) -> Subquery:
        """The metric's events before ``end`` (from ``since``): one row each with its
        group values ``g0``, ``g1``, ... and ``columns``."""
        metric, sql = self.metric, self.sql
        groups = [sql.group(name).label(f"g{i}") for i, name in enumerate(metric.group_by)]
        conditions = [
            events.c.status == "active",
            events.c.event_name == metric.event_name,
            events.c.timestamp < end,
            _compile(sql, metric.filter),
        ]
        if since is not None:
            conditions.append(events.c.timestamp >= since)
        if self._who:
            conditions.append(or_(*self._who))
        if metric.property is not None and metric.aggregation is not Aggregation.UNIQUE_COUNT:
            conditions.append(sql.number(metric.property).is_not(None))
        return select(*groups, *columns).where(*conditions).subquery("selected")

    def _groups(self, selected: Subquery) -> list[Expr]:
        return [selected.c[f"g{i}"] for i in range(len(self.metric.group_by))]

    def _value(self) -> Expr:
        name = self.metric.property
        if name is None:
            return literal(1).label("value")
        return self.sql.number(name).label("value")

    def _aggregates(self, selected: Subquery, wanted: Sequence[str] = _FOLDS) -> list[Expr]:
        value = selected.c.value
        folds = [self.sql.fold(how, value) if how in wanted else null() for how in _FOLDS]
        return [func.count(), *folds]

    def partial(self, values: Sequence[Any]) -> Partial:
        """A partial from a row's count, sum, min and max."""
        count = int(values[0])
        if self.metric.property is None:  # count: every event is worth one
            return Partial(count, Decimal(count), Decimal(1), Decimal(1))
        low, high = (None if v is None else to_decimal(v) for v in values[2:4])
        total = Decimal(0) if values[1] is None else to_decimal(values[1])
        return Partial(count, total, low, high)

    def partials(self, start: datetime, end: datetime, wanted: Sequence[str] = _FOLDS) -> Any:
        selected = self._selected(self._value(), since=start, end=end)
        groups = self._groups(selected)
        statement = select(*groups, *self._aggregates(selected, wanted)).select_from(selected)
        return _per_group(statement, groups)

    def rollups(self, start: datetime, end: datetime) -> Any:
        hour = self.sql.hour(events.c.timestamp).label("hour")
        who = (events.c.customer_id, events.c.external_customer_id, hour)
        selected = self._selected(*who, self._value(), since=start, end=end)
        keys: list[Expr] = [selected.c.customer_id, selected.c.external_customer_id]
        keys += [selected.c.hour, *self._groups(selected)]
        return select(*keys, *self._aggregates(selected)).group_by(*keys)

    def unique(self, start: datetime, end: datetime) -> Any:
        name = self.metric.property
        assert name is not None  # a validated unique_count metric has one
        sql = self.sql
        # Values of different kinds are distinct ("1" is not 1); numbers by value.
        canonical = (sql.kind(name) + ":" + sql.group(name)).label("value")
        selected = self._selected(canonical, since=start, end=end)
        groups = self._groups(selected)
        count = func.count(selected.c.value.distinct())
        return _per_group(select(*groups, count).where(selected.c.value.is_not(None)), groups)

    def latest(self, start: datetime, end: datetime) -> Any:
        stamp, key = events.c.timestamp.label("at"), events.c.idempotency_key.label("key")
        selected = self._selected(stamp, key, self._value(), since=start, end=end)
        groups = self._groups(selected)
        rank = func.row_number().over(
            partition_by=groups, order_by=(selected.c.at.desc(), selected.c.key.desc())
        )
        ranked = select(*groups, selected.c.value, rank.label("rank")).subquery("ranked")
        return select(*self._groups(ranked), ranked.c.value).where(ranked.c.rank == 1)

    def time_weighted(self, start: datetime, end: datetime) -> Any:
        stamp, key = events.c.timestamp.label("at"), events.c.idempotency_key.label("key")
        # Every selected event before the end: the latest one before the start sets the
        # level the period starts with; earlier ones hold for no time within it.
        selected = self._selected(stamp, key, self._value(), since=None, end=end)
        groups = self._groups(selected)
        following = func.lead(selected.c.at, type_=UtcDateTime()).over(
            partition_by=groups, order_by=(selected.c.at, selected.c.key)
        )
        since = self.sql.later(selected.c.at, literal(start, UtcDateTime()))
        until = func.coalesce(following, literal(end, UtcDateTime()))
        steps = select(
            *groups, selected.c.value, since.label("since"), until.label("until")
        ).subquery("steps")
        held = self.sql.weighted(steps.c.value, steps.c.since, steps.c.until)
        outer_groups = self._groups(steps)
        statement = select(*outer_groups, self.sql.fold("sum", held))
        return _per_group(statement.where(steps.c.until > steps.c.since), outer_groups)


def _per_group(statement: Select[Any], groups: Sequence[Expr]) -> Select[Any]:
    """``statement`` grouped by ``groups``; with none, its one row only if rows matched
    (a group with no event is absent, as in the pure engine)."""
    if groups:
        return statement.group_by(*groups)
    return statement.having(func.count() > 0)


def _compile(sql: Pushdown, where: Filter | None) -> Expr:
    """``where`` as a SQL condition that is true or false (never NULL) on every event."""
    if where is None:
        return true()
    if isinstance(where, AllOf):
        return and_(*(_compile(sql, part) for part in where.parts))
    if isinstance(where, AnyOf):
        return or_(*(_compile(sql, part) for part in where.parts))
    name, op = where.property, where.op
    present = sql.present(name)
    if op is Operator.EXISTS:
        return present
    if op in _ORDER:
        operand = where.values[0]
        if isinstance(operand, Decimal):
            return and_(present, sql.compare(name, _ORDER[op], operand))
        if isinstance(operand, str):
            ordered = _ORDER[op](sql.ordered_text(name), literal(operand, String))
            return and_(present, sql.is_kind(name, "string"), ordered)
        return false()  # booleans have no order
    same = or_(*(_same(sql, name, operand) for operand in where.values))
    if op in (Operator.EQ, Operator.IN):
        return and_(present, same)
    return and_(present, not_(same))


def _same(sql: Pushdown, name: str, operand: object) -> Expr:
    """The property has ``operand``'s kind and value; false (not NULL) if present."""
    if isinstance(operand, bool):
        return sql.is_boolean(name, operand)
    if isinstance(operand, Decimal):
        return sql.compare(name, operator.eq, operand)
    return and_(sql.is_kind(name, "string"), sql.text(name) == literal(operand, String))


def _group(values: Sequence[Any]) -> GroupKey:
    return tuple(None if value is None else str(value) for value in values)


# SQLite functions. Arguments are JSON number text (``10E0``, ``-1.50``) or decimal text
# from usage_rollups; results are decimal text, read back with to_decimal.


_NUMBER_STARTS = frozenset("-0123456789")


def _number(raw: object) -> Decimal | None:
    if type(raw) is str and raw[:1] in _NUMBER_STARTS:
        return Decimal(raw)
    return None


def _compare(raw: object, operand: str) -> int | None:
    value = _number(raw)
    if value is None:
        return None
    other = Decimal(operand)
    return (value > other) - (value < other)


def _group_text(raw: str | None) -> str | None:
    if raw is None:
        return None
    return group_value(json.loads(raw, parse_float=Decimal, parse_int=Decimal))


def _weighted(level: str, since: str, until: str) -> str:
    delta = datetime.fromisoformat(until) - datetime.fromisoformat(since)
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return str(exact_mul(Decimal(level), Decimal(micros).scaleb(-6, EXACT)))


def _folding(combine: Callable[[Decimal, Decimal], Decimal]) -> type:
    """A SQLite aggregate that combines the decimals it is given (NULLs skipped)."""

    class Fold:
        def __init__(self) -> None:
            self.value: Decimal | None = None

        def step(self, raw: object) -> None:
            if type(raw) is str and raw[:1] in _NUMBER_STARTS:
                value = Decimal(raw)
                held = self.value
                self.value = value if held is None else combine(held, value)

        def finalize(self) -> str | None:
            return None if self.value is None else str(self.value)

    return Fold


def _pairwise(combine: Callable[[Decimal, Decimal], Decimal]) -> Callable[[object, object], Any]:
    """A SQLite scalar function combining two stored decimals (text, as ``ExactDecimal``
    writes them); a NULL or non-number side gives the other."""

    def both(left: object, right: object) -> str | None:
        a, b = _number(left), _number(right)
        if a is None or b is None:
            kept = a if b is None else b
            return None if kept is None else format(kept, "f")
        return format(combine(a, b), "f")

    return both


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Install the exact decimal functions the SQLite push-down calls (on connect)."""
    for name, arity, function in (
        ("orbcore_compare", 2, _compare),
        ("orbcore_group", 1, _group_text),
        ("orbcore_weighted", 3, _weighted),
        ("orbcore_add", 2, _pairwise(exact_add)),
        ("orbcore_least", 2, _pairwise(min)),
        ("orbcore_greatest", 2, _pairwise(max)),
    ):
        dbapi_connection.create_function(name, arity, function, deterministic=True)
    for name, combine in (("sum", exact_add), ("min", min), ("max", max)):
        dbapi_connection.create_aggregate(f"orbcore_{name}", 1, _folding(combine))
