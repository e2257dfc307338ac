"""Roll-ups, the credit ledger and the outbox in SQL."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from orbcore.billing import LedgerEntry
from orbcore.events import Aggregation, GroupKey, Partial, UsageRollup, merge_rollups
from orbcore.storage._collections import COLLECTIONS
from orbcore.storage._values import check_claim, check_storable
from orbcore.storage.sql._repository import SqlRepository
from orbcore.storage.sql._tables import ledger_entries, outbox, usage_rollups
from orbcore.storage.sql._translate import translated
from orbcore.storage.sql._usage import _FOLDS, NEEDS, pushdown, to_decimal
from orbcore.webhooks import OutboxMessage

__all__ = ["SqlLedgerRepository", "SqlOutboxRepository", "SqlUsageRollupRepository"]


class SqlUsageRollupRepository(SqlRepository[UsageRollup]):
    """Hourly roll-ups, accumulated in place."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        super().__init__(COLLECTIONS["usage_rollups"], usage_rollups, connection)

    def accumulate(self, rollups: Sequence[UsageRollup]) -> None:
        for rollup in rollups:
            check_storable(rollup)
        # One row per (metric, customer, hour, group): an upsert may touch a row once.
        combined: dict[tuple[object, ...], UsageRollup] = {}
        for rollup in rollups:
            slot = (rollup.metric_id, rollup.customer_id, rollup.bucket_start, rollup.group_key)
            held = combined.get(slot)
            combined[slot] = rollup if held is None else merge_rollups(held, rollup)
        with translated("accumulate usage roll-ups"):
            # Rows in one order, so concurrent units of work never deadlock on them.
            self._upsert([combined[slot] for slot in sorted(combined)])

    def clear(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str] | None = None,
    ) -> int:
        """Delete the metric's roll-ups of the hours in ``[start, end)``, of the given
        customer references or of everyone; return how many went."""
        table = usage_rollups
        statement = table.delete().where(
            table.c.metric_id == metric_id,
            table.c.bucket_start >= start,
            table.c.bucket_start < end,
        )
        if customer_refs is not None:
            statement = statement.where(table.c.customer_id.in_(list(customer_refs)))
        with translated("clear usage roll-ups"):
            return self.connection.execute(statement).rowcount

    def partials(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str],
        *,
        only_for: Aggregation | None = None,
    ) -> dict[GroupKey, Partial]:
        """The metric's roll-ups of those hours and customers, added up per group by the
        database (exactly on SQLite too, whose decimals are text). ``only_for`` skips the
        parts its aggregation does not read: on SQLite each is a Python call per row."""
        statement = self._sums(metric_id, start, end, customer_refs, only_for, by_customer=False)
        with translated("add up usage roll-ups"):
            rows = self.connection.execute(statement).all()
        return {
            tuple(json.loads(key)) if key else (): _partial(count, total, low, high)
            for key, count, total, low, high in rows
        }

    def partials_by_customer(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str],
        *,
        only_for: Aggregation | None = None,
    ) -> dict[str, dict[GroupKey, Partial]]:
        """:meth:`partials` of many customers, grouped by customer and group in one query."""
        statement = self._sums(metric_id, start, end, customer_refs, only_for, by_customer=True)
        found: dict[str, dict[GroupKey, Partial]] = {}
        with translated("add up usage roll-ups"):
            rows = self.connection.execute(statement).all()
        for ref, key, count, total, low, high in rows:
            found.setdefault(ref, {})[tuple(json.loads(key)) if key else ()] = _partial(
                count, total, low, high
            )
        return found

    def _sums(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str],
        only_for: Aggregation | None,
        *,
        by_customer: bool,
    ) -> Any:
        """The roll-ups of those hours and customers added up per group (and customer)."""
        table, sql = usage_rollups, pushdown(self.connection)
        wanted = NEEDS.get(only_for, _FOLDS)
        folds = [sql.fold(how, table.c[how]) if how in wanted else literal(None) for how in _FOLDS]
        keys = [table.c.customer_id, table.c.group_key] if by_customer else [table.c.group_key]
        return (
            select(*keys, func.sum(table.c.count), *folds)
            .where(
                table.c.metric_id == metric_id,
                table.c.customer_id.in_(sorted(set(customer_refs))),
                table.c.bucket_start >= start,
                table.c.bucket_start < end,
            )
            .group_by(*keys)
        )

    def _upsert(self, rollups: Sequence[UsageRollup]) -> None:
        """Insert each roll-up, or add it to the stored one of its hour and group.

        PostgreSQL adds numerics; SQLite keeps decimals as text and adds them with the
        exact functions :func:`register_sqlite_functions` installs.
        """
        if not rollups:
            return
        table = usage_rollups
        if self.connection.dialect.name == "postgresql":
            statement: Any = postgresql.insert(table)
            add, least, greatest = operator.add, func.least, func.greatest
        else:
            statement = sqlite.insert(table)
            add, least, greatest = func.orbcore_add, func.orbcore_least, func.orbcore_greatest
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["metric_id", "customer_id", "bucket_start", "group_key"],
            set_={
                "count": table.c.count + new.count,
                "sum": add(table.c.sum, new.sum),
                "min": least(table.c.min, new.min),
                "max": greatest(table.c.max, new.max),
            },
        )
        self.connection.execute(statement, [self.to_row(r) for r in rollups])


class SqlLedgerRepository(SqlRepository[LedgerEntry]):
    """Ledger entries; the unique sequence per customer and currency orders them."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        super().__init__(COLLECTIONS["ledger_entries"], ledger_entries, connection)

    def last(self, customer_id: str, currency: str) -> LedgerEntry | None:
        statement = (
            self._select()
            .where(
                ledger_entries.c.customer_id == customer_id,
                ledger_entries.c.currency == currency,
            )
            .order_by(ledger_entries.c.sequence.desc())
            .limit(1)
        )
        with translated("read ledger entries"):
            row = self.connection.execute(statement).first()
        return None if row is None else self.from_row(row)


class SqlOutboxRepository(SqlRepository[OutboxMessage]):
    """The outbox. Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the
    unit of work already holds the database's single write lock."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        super().__init__(COLLECTIONS["outbox"], outbox, connection)

    def claim_due(
        self, now: datetime, limit: int, worker: str, lease: timedelta
    ) -> list[OutboxMessage]:
        check_claim(now, limit, lease)
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.status == "pending",
                outbox.c.available_at <= now,
                or_(outbox.c.locked_until.is_(None), outbox.c.locked_until <= now),
            )
            .order_by(outbox.c.available_at, outbox.c.id)
            .limit(limit)
        )
        if self.connection.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        with translated("claim outbox messages"):
            ids = list(self.connection.execute(due).scalars())
            if not ids:
                return []
            self.connection.execute(
                outbox.update()
                .where(and_(outbox.c.id.in_(ids)))
                .values(locked_by=worker, locked_until=now + lease, revision=outbox.c.revision + 1)
            )
            rows = self.connection.execute(
                self._select()
                .where(outbox.c.id.in_(ids))
                .order_by(outbox.c.available_at, outbox.c.id)
            ).all()
        return [self.from_row(row) for row in rows]


def _partial(count: Any, total: Any, low: Any, high: Any) -> Partial:
    """A partial from the columns a roll-up query adds up."""
    return Partial(
        int(count),
        Decimal(0) if total is None else to_decimal(total),
        None if low is None else to_decimal(low),
        None if high is None else to_decimal(high),
    )
