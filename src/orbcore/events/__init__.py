"""Metering: usage events, billable metrics and their aggregation. Pure domain code."""

__all__: list[str] = []
