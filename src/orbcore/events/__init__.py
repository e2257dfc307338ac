"""Metering: usage events, billable metrics and their aggregation. Pure domain code."""

from orbcore._api import publish
from orbcore.events._records import Event, PropertyValue, UsageRollup, merge_rollups
from orbcore.events._validation import EventLimits, ValidEvent, body_hash, validate_event

__all__ = [
    "Event",
    "EventLimits",
    "PropertyValue",
    "UsageRollup",
    "ValidEvent",
    "body_hash",
    "merge_rollups",
    "validate_event",
]

publish(globals(), __name__)
