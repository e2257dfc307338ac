"""Metering: usage events, billable metrics and their aggregation. Pure domain code."""

from orbcore._api import publish
from orbcore.events._aggregate import (
    Partial,
    Quantities,
    aggregate,
    customer_ref,
    finish,
    hour_floor,
    merge_partials,
    partials_from_rollups,
    rollups_from_events,
    selects,
)
from orbcore.events._filters import (
    AllOf,
    AnyOf,
    Condition,
    Filter,
    Operator,
    filter_from_json,
    filter_to_json,
    matches,
)
from orbcore.events._metrics import AVERAGE_PLACES, Aggregation, BillableMetric, GroupKey, group_of
from orbcore.events._records import (
    Backfill,
    Event,
    EventState,
    PropertyValue,
    UsageRollup,
    merge_rollups,
)
from orbcore.events._validation import EventLimits, ValidEvent, body_hash, validate_event

__all__ = [
    "AVERAGE_PLACES",
    "Aggregation",
    "AllOf",
    "AnyOf",
    "Backfill",
    "BillableMetric",
    "Condition",
    "Event",
    "EventLimits",
    "EventState",
    "Filter",
    "GroupKey",
    "Operator",
    "Partial",
    "PropertyValue",
    "Quantities",
    "UsageRollup",
    "ValidEvent",
    "aggregate",
    "body_hash",
    "customer_ref",
    "filter_from_json",
    "filter_to_json",
    "finish",
    "group_of",
    "hour_floor",
    "matches",
    "merge_partials",
    "merge_rollups",
    "partials_from_rollups",
    "rollups_from_events",
    "selects",
    "validate_event",
]

publish(globals(), __name__)
