"""Metering: usage events, billable metrics and their aggregation. Pure domain code."""

from orbcore._api import publish
from orbcore.events._records import Event, PropertyValue, UsageRollup, merge_rollups

__all__ = ["Event", "PropertyValue", "UsageRollup", "merge_rollups"]

publish(globals(), __name__)
