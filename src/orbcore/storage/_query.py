"""Queries for list operations: filters, sorting and cursor pagination."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from orbcore._checks import require_int
from orbcore._errors import ValidationError

__all__ = [
    "Cursor",
    "In",
    "Listing",
    "Page",
    "Query",
    "Range",
    "decode_cursor",
    "each",
    "encode_cursor",
]

R = TypeVar("R")
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class In:
    """Matches a field equal to any of ``values``."""

    values: tuple[object, ...]

    def __init__(self, *values: object) -> None:
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True, slots=True)
class Range:
    """Matches ``start <= field < end``; either bound may be left open."""

    start: object | None = None
    end: object | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """What a list call returns: filters, an order, a page size and where to resume.

    ``where`` maps field names to a value (equality; ``None`` matches a missing value), an
    :class:`In` or a :class:`Range`. Results are ordered by ``order_by`` and then by the
    record's key, so pages are stable. Pass a page's ``next_cursor`` as ``after`` for the
    next page.

    >>> Query(where={"status": In("draft", "issued")}, order_by="invoice_date", limit=50)
    ... # doctest: +ELLIPSIS
    Query(where={'status': In(values=('draft', 'issued'))}, order_by='invoice_date', ...)
    """

    where: Mapping[str, object] = field(default_factory=dict)
    order_by: str | None = None
    descending: bool = False
    limit: int = 100
    after: str | None = None

    def __post_init__(self) -> None:
        require_int(self.limit, 1, MAX_LIMIT, "limit")


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    """One page of results and the cursor of the next page (``None`` on the last)."""

    items: tuple[R, ...]
    next_cursor: str | None = None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ended: the order, and the sort value and key of its last item."""

    order_by: str
    descending: bool
    value: object
    key: str


def _tag(value: object) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    raise ValidationError.at(("order_by",), f"cannot page on a {type(value).__name__}")


def _untag(value: Any) -> object:
    if isinstance(value, dict):
        kind, text = next(iter(value.items()))
        converters: dict[str, Callable[[str], object]] = {
            "dt": datetime.fromisoformat,
            "d": date.fromisoformat,
            "n": Decimal,
        }
        return converters[kind](text)
    return value


def encode_cursor(cursor: Cursor) -> str:
    """An opaque, URL-safe text for ``cursor``."""
    body = [cursor.order_by, cursor.descending, _tag(cursor.value), cursor.key]
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def decode_cursor(text: str, query: Query, order_by: str) -> Cursor:
    """Read a cursor back, checking that it belongs to a query with the same order.

    Raises:
        ValidationError: the text is not a cursor, or one from another order.
    """
    try:
        padded = text + "=" * (-len(text) % 4)
        order, descending, value, key = json.loads(base64.urlsafe_b64decode(padded))
        cursor = Cursor(order, bool(descending), _untag(value), str(key))
    except (ValueError, TypeError, KeyError, StopIteration, binascii.Error) as exc:
        raise ValidationError.at(("after",), "not a cursor returned by a list call") from exc
    if cursor.order_by != order_by or cursor.descending != query.descending:
        raise ValidationError.at(("after",), "the cursor belongs to a list in another order")
    return cursor


def each(repository: Listing[R], query: Query) -> Iterator[R]:
    """Every record matching ``query``, page after page (``query.limit`` per page)."""
    while True:
        page = repository.list(query)
        yield from page.items
        if page.next_cursor is None:
            return
        query = dataclasses.replace(query, after=page.next_cursor)


class Listing(Protocol[R]):
    """Anything that lists records in pages: every repository."""

    def list(self, query: Query | None = None) -> Page[R]: ...
