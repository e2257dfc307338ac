"""Column types that keep values exact on every backend.

* ``ExactDecimal``: ``NUMERIC`` on PostgreSQL; text on SQLite, whose numeric affinity would
  otherwise turn ``0.1`` into a binary float.
* ``UtcDateTime``: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL; fixed-width UTC text on
  SQLite, so that text order is time order. Values go in aware and come out aware, in UTC.
* ``Document``: ``JSONB`` on PostgreSQL, text on SQLite, written by ``dumps_exact`` and
  read by ``loads_exact`` (the engine passes both to the driver for PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Dialect, Numeric, Text
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlalchemy.types import TypeDecorator, TypeEngine

from orbcore._errors import ValidationError
from orbcore._json import dumps_exact, loads_exact

__all__ = ["Document", "ExactDecimal", "UtcDateTime"]


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` stored without rounding or floats."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValidationError.at((), f"expected a finite Decimal, got {value!r}")
        return value if dialect.name == "postgresql" else format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC."""

    impl = TIMESTAMP
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValidationError.at((), f"expected an aware datetime, got {value!r}")
        utc = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return utc
        return utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        instant: datetime = value
        if instant.tzinfo is None:
            return instant.replace(tzinfo=UTC)
        return instant.astimezone(UTC)


class Document(TypeDecorator[Any]):
    """A JSON document whose numbers stay exact."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = dumps_exact(value)
        # On PostgreSQL the engine's json_serializer (dumps_exact) writes the value.
        return value if dialect.name == "postgresql" else text

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or not isinstance(value, str | bytes):
            return value
        return loads_exact(value)
