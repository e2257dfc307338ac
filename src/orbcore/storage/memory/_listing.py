"""List queries over records in memory, with the semantics every adapter shares.

* ``where`` holds on a field only if the field is declared in ``collection.filters``.
  A plain value matches by equality, ``None`` matching a missing value; ``In`` matches
  any of its values (``None`` among them matches a missing value); ``Range`` matches
  ``start <= value < end`` and never a missing value.
* Filter values are exact: a ``float`` or a naive ``datetime`` is refused.
* Records are ordered by ``order_by`` (``collection.sorts[0]`` by default) and then by
  key, compared as text code point by code point; a missing sort value comes first.
  ``descending`` reverses both.
* A page ends with a cursor holding the last item's sort value and key; the next page
  starts strictly after that pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from orbcore._errors import ValidationError
from orbcore.storage._collections import Collection
from orbcore.storage._query import Cursor, In, Page, Query, Range, decode_cursor, encode_cursor
from orbcore.storage._values import check_query

__all__ = ["select"]

R = TypeVar("R")
Rank = tuple[bool, Any, str]
Test = Callable[[Any], bool]


def select(records: Iterable[R], collection: Collection[R], query: Query) -> Page[R]:
    """One page of the ``records`` that match ``query``, in the query's order.

    Args:
        records: every record of ``collection``, in any order.
        collection: declares the fields that may be filtered and sorted on.
        query: filters, order, page size and cursor.

    Returns:
        Up to ``query.limit`` records and the cursor of the next page, if there is one.

    Raises:
        ValidationError: an undeclared filter or order field, an inexact or naive filter
            value, a value that cannot be compared with the field, or a bad cursor.
    """
    order_by = check_query(collection, query)
    tests = [_condition(field, wanted) for field, wanted in query.where.items()]
    found = [record for record in records if all(test(record) for test in tests)]

    def rank(record: R) -> Rank:
        return _rank(getattr(record, order_by), collection.key_of(record))

    ranked = sorted(found, key=rank, reverse=query.descending)
    if query.after is not None:
        cursor = decode_cursor(query.after, query, order_by)
        ranked = _after(ranked, rank, _rank(cursor.value, cursor.key), query.descending)
    items = ranked[: query.limit]
    if len(ranked) <= query.limit:
        return Page(tuple(items))
    last = items[-1]
    cursor = Cursor(order_by, query.descending, getattr(last, order_by), collection.key_of(last))
    return Page(tuple(items), encode_cursor(cursor))


def _condition(field: str, wanted: object) -> Test:
    """A test of a record's ``field`` against what a ``where`` entry asks for."""
    if isinstance(wanted, In):
        return _guarded(field, lambda value: _is_in(value, wanted.values))
    if isinstance(wanted, Range):
        return _guarded(field, lambda value: _in_range(value, wanted))
    return _guarded(field, lambda value: _equals(value, wanted))


def _guarded(field: str, test: Test) -> Test:
    def check(record: Any) -> bool:
        try:
            return test(getattr(record, field))
        except TypeError as exc:
            raise ValidationError.at(
                ("where", field), f"the filter value cannot be compared with {field}"
            ) from exc

    return check


def _equals(value: object, wanted: object) -> bool:
    if wanted is None or value is None:
        return value is wanted
    return value == wanted


def _is_in(value: object, choices: tuple[object, ...]) -> bool:
    return any(_equals(value, choice) for choice in choices)


def _in_range(value: Any, bounds: Range) -> bool:
    if value is None:
        return False
    start: Any = bounds.start
    end: Any = bounds.end
    return (start is None or start <= value) and (end is None or value < end)


def _rank(value: object, key: str) -> Rank:
    # A missing value ranks before any present one; ties fall to the key.
    return (value is not None, value, key)


def _after(ranked: list[R], rank: Callable[[R], Rank], mark: Rank, descending: bool) -> list[R]:
    """The records of ``ranked`` strictly beyond ``mark`` in the listing's direction."""
    try:
        if descending:
            return [record for record in ranked if rank(record) < mark]
        return [record for record in ranked if rank(record) > mark]
    except TypeError as exc:
        raise ValidationError.at(("after",), "the cursor does not fit this order") from exc
