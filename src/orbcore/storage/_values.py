"""What a store can keep: the value checks a SQL column would make, made in memory.

A record is storable when its instants are timezone-aware, its amounts are finite
``Decimal`` values, and its dicts and lists hold JSON values only (text keys; ``None``,
booleans, text, integers, finite ``Decimal`` values, lists and dicts). A ``float`` is
refused anywhere. The memory store refuses what the SQL stores would, so code tested
against it does not fail later on a database.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from orbcore._checks import require_int
from orbcore._errors import FloatNotAllowedError, Problem, ValidationError
from orbcore.storage._collections import Collection
from orbcore.storage._query import In, Query, Range

__all__ = ["MAX_CLAIM", "check_claim", "check_query", "check_storable", "detached"]

R = TypeVar("R")

MAX_CLAIM = 10_000
"""The most messages one ``claim_due`` call may lock."""

Path = tuple[str | int, ...]


def check_storable(record: Any, path: Path = ()) -> None:
    """Check every field of the dataclass ``record``.

    Raises:
        FloatNotAllowedError: a ``float`` anywhere in the record.
        ValidationError: a naive ``datetime``, a non-finite ``Decimal``, or a dict or list
            holding something JSON cannot.
    """
    for name in _field_names(type(record)):
        _check_field(getattr(record, name), (*path, name))


def _check_field(value: object, path: Path) -> None:
    # Scalars first: they are most fields of most records.
    if value is None or isinstance(value, str | int):
        return
    if isinstance(value, dict | list):
        _check_json(value, path)
    elif isinstance(value, tuple) and all(dataclasses.is_dataclass(item) for item in value):
        for index, item in enumerate(value):
            check_storable(item, (*path, index))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        check_storable(value, path)
    else:
        _check_scalar(value, path)


def _check_scalar(value: object, path: Path) -> None:
    if isinstance(value, float):
        raise FloatNotAllowedError.at(path, f"refusing to store the float {value!r}")
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValidationError.at(path, f"expected an aware datetime, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValidationError.at(path, f"expected a finite Decimal, got {value!r}")


def _check_json(value: object, path: Path) -> None:
    # Text and null leaves, most of a document, are skipped without a call.
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError.at(path, f"JSON object keys must be text, got {key!r}")
            if item is not None and type(item) is not str:
                _check_json(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if item is not None and type(item) is not str:
                _check_json(item, (*path, index))
    elif value is None or isinstance(value, bool | str | int | Decimal | float):
        _check_scalar(value, path)
    else:
        kind = "a datetime" if isinstance(value, date) else f"a {type(value).__name__}"
        raise ValidationError.at(path, f"cannot store {kind} in a JSON field")


def check_query(collection: Collection[Any], query: Query) -> str:
    """Check ``query`` against what ``collection`` declares; return the field to order by.

    Raises:
        ValidationError: one problem per undeclared filter field, an undeclared order,
            and a ``float`` or naive ``datetime`` among the filter values.
    """
    order_by = query.order_by or collection.sorts[0]
    problems = [
        Problem(("query",), f"cannot filter {collection.name} on {name!r}")
        for name in query.where
        if name not in collection.filters
    ]
    if order_by not in collection.sorts:
        problems.append(Problem(("query",), f"cannot order {collection.name} by {order_by!r}"))
    if problems:
        raise ValidationError(problems)
    for name, wanted in query.where.items():
        if isinstance(wanted, In):
            values: tuple[object, ...] = wanted.values
        elif isinstance(wanted, Range):
            values = (wanted.start, wanted.end)
        else:
            values = (wanted,)
        for value in values:
            if isinstance(value, float):
                raise FloatNotAllowedError.at(("where", name), "filter with a Decimal, not a float")
            if isinstance(value, datetime) and value.utcoffset() is None:
                raise ValidationError.at(("where", name), "filter with a timezone-aware datetime")
    return order_by


def check_claim(now: datetime, limit: int, lease: timedelta) -> None:
    """Check the arguments of ``claim_due``.

    Raises:
        ValidationError: a naive ``now``, a ``limit`` outside 1 to :data:`MAX_CLAIM`, or a
            lease that is not a positive ``timedelta``.
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValidationError.at(("now",), "claim with a timezone-aware datetime")
    require_int(limit, 1, MAX_CLAIM, "limit")
    if not isinstance(lease, timedelta) or lease <= timedelta(0):
        raise ValidationError.at(("lease",), "a lease is a positive timedelta")


def detached(record: R) -> R:
    """A copy of the frozen ``record`` that shares no dict or list with it.

    Only containers are copied; a record without any is returned as is, since frozen
    records and their scalar values cannot change.
    """
    changes = {}
    for name in _field_names(type(record)):
        value = getattr(record, name)
        if isinstance(value, dict | list):
            changes[name] = _copy_json(value)
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            changes[name] = tuple(detached(item) for item in value)
    return dataclasses.replace(record, **changes) if changes else record  # type: ignore[type-var]


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value
