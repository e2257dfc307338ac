"""Billable metrics in SQL: the filter and grouping kept as JSON documents."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Row

from orbcore.events import Aggregation, BillableMetric, filter_from_json, filter_to_json
from orbcore.storage._collections import COLLECTIONS
from orbcore.storage.sql._repository import SqlRepository
from orbcore.storage.sql._tables import billable_metrics

__all__ = ["SqlMetricRepository"]


class SqlMetricRepository(SqlRepository[BillableMetric]):
    """Billable metrics; a metric reads back equal to the one stored."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        super().__init__(COLLECTIONS["billable_metrics"], billable_metrics, connection)

    def to_row(self, record: BillableMetric) -> dict[str, Any]:
        row = super().to_row(record)
        row["aggregation"] = record.aggregation.value
        row["filter"] = None if record.filter is None else filter_to_json(record.filter)
        row["group_by"] = list(record.group_by)
        return row

    def from_row(self, row: Row[Any] | Mapping[str, Any]) -> BillableMetric:
        values = dict(row._mapping if isinstance(row, Row) else row)
        values["aggregation"] = Aggregation(values["aggregation"])
        stored = values["filter"]
        values["filter"] = None if stored is None else filter_from_json(stored)
        values["group_by"] = tuple(values["group_by"])
        return BillableMetric(**{name: values[name] for name in self._fields})
