"""``Period``: a half-open interval of time, ``[start, end)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orbcore._errors import ValidationError
from orbcore.calendar._zone import ensure_aware

__all__ = ["Period"]


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval ``[start, end)`` of timezone-aware instants, kept in UTC.

    ``start`` belongs to the period and ``end`` does not, so consecutive periods share a
    boundary without overlapping. ``start == end`` is an empty period.

    Raises:
        ValidationError: a naive datetime, or ``end`` before ``start``.

    >>> from datetime import UTC
    >>> january = Period(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    >>> datetime(2024, 2, 1, tzinfo=UTC) in january
    False
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start = ensure_aware(self.start, "start")
        end = ensure_aware(self.end, "end")
        if end < start:
            raise ValidationError.at(
                ("end",), f"{end.isoformat()} is before start {start.isoformat()}"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def duration(self) -> timedelta:
        """``end - start``."""
        return self.end - self.start

    @property
    def is_empty(self) -> bool:
        """Whether the period contains no instant."""
        return self.start == self.end

    def __contains__(self, instant: object) -> bool:
        if not isinstance(instant, datetime):
            return False
        return self.start <= ensure_aware(instant) < self.end

    def contains_period(self, other: Period) -> bool:
        """Whether ``other`` lies entirely within this period."""
        return self.start <= other.start and other.end <= self.end

    def intersection(self, other: Period) -> Period | None:
        """The overlap of two periods, or ``None`` if they do not overlap."""
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        return Period(start, end) if start < end else None

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"
