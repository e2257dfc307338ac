"""Monthly partitions of the events table on PostgreSQL, created when first needed.

A partition is created as a plain table and then attached. Attaching takes a lock that
does not conflict with reads and writes of other partitions, so it can run on its own
connection while units of work are open, including the one that needs the partition.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from orbcore.calendar._zone import all_in_utc

__all__ = ["MonthlyPartitions", "month_of"]

_LOCK_ID = 0x6F7262636F7265  # an advisory lock id for partition creation
_year_month = operator.attrgetter("year", "month")


def month_of(instant: datetime) -> tuple[int, int]:
    """The (year, month) of ``instant`` in UTC."""
    utc = instant.astimezone(UTC)
    return utc.year, utc.month


class MonthlyPartitions:
    """Knows which monthly partitions exist and creates missing ones."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def ensure(self, instants: Iterable[datetime]) -> None:
        """Make sure a partition exists for the month of each instant."""
        instants = list(instants)
        if all_in_utc(instants):  # as events are stored: year and month as they are
            months = set(map(_year_month, instants)) - self._known
        else:
            months = {month_of(instant) for instant in instants} - self._known
        if not months:
            return
        with self._lock, self._engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
            try:
                existing = set(
                    connection.execute(
                        text(
                            "SELECT c.relname FROM pg_inherits i"
                            " JOIN pg_class c ON c.oid = i.inhrelid"
                            " WHERE i.inhparent = 'events'::regclass"
                        )
                    ).scalars()
                )
                for year, month in sorted(months):
                    if _name(year, month) not in existing:
                        _create(connection, year, month)
                    self._known.add((year, month))
                connection.commit()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                connection.commit()


def _name(year: int, month: int) -> str:
    return f"events_{year:04d}_{month:02d}"


def _create(connection: Connection, year: int, month: int) -> None:
    start = f"{year:04d}-{month:02d}-01 00:00:00+00"
    following = (year + (month == 12), month % 12 + 1)
    end = f"{following[0]:04d}-{following[1]:02d}-01 00:00:00+00"
    name = _name(year, month)
    statements = [
        f"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
        # The check lets ATTACH skip scanning the new, empty table.
        (
            f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK"
            f" (timestamp >= '{start}' AND timestamp < '{end}')"
        ),
        f"ALTER TABLE events ATTACH PARTITION {name} FOR VALUES FROM ('{start}') TO ('{end}')",
        f"ALTER TABLE {name} DROP CONSTRAINT {name}_range",
    ]
    for statement in statements:
        connection.execute(text(statement))
