"""Time zones and local days: where a customer's day starts, as a UTC instant."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from itertools import repeat
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orbcore._errors import ValidationError

__all__ = ["all_in_utc", "day_of", "ensure_aware", "local_midnight", "resolve_zone"]


def resolve_zone(timezone: str | ZoneInfo) -> ZoneInfo:
    """Return the IANA zone named ``timezone`` (``"America/Los_Angeles"``).

    Raises:
        ValidationError: the name is not an IANA time zone.
    """
    if isinstance(timezone, ZoneInfo):
        return timezone
    if not isinstance(timezone, str) or not timezone or timezone.startswith(("/", ".")):
        raise ValidationError.at(("timezone",), f"{timezone!r} is not an IANA time zone name")
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError.at(
            ("timezone",), f"{timezone!r} is not an IANA time zone name"
        ) from exc


def all_in_utc(instants: Iterable[datetime]) -> bool:
    """Whether every instant's zone is ``UTC`` itself, checked in C. Zones are compared by
    identity: some, dateutil's, cannot be hashed, and an equal zone may be another
    object (the answer is then ``False``, never wrong)."""
    return all(map(operator.is_, map(_zone, instants), repeat(UTC)))


_zone = operator.attrgetter("tzinfo")


def ensure_aware(instant: datetime, field: str = "instant") -> datetime:
    """Return ``instant`` in UTC; naive datetimes are refused.

    Raises:
        ValidationError: ``instant`` is not a timezone-aware ``datetime``.
    """
    if not isinstance(instant, datetime):
        raise ValidationError.at((field,), f"expected a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValidationError.at((field,), f"{instant.isoformat()} has no time zone")
    return instant.astimezone(UTC)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``zone``.

    Where a DST change skips midnight (clocks jump from 00:00 to 01:00), the day begins
    at the moment of the jump; where midnight happens twice, at its first occurrence.

    >>> local_midnight(date(2024, 2, 1), ZoneInfo("America/Los_Angeles")).isoformat()
    '2024-02-01T08:00:00+00:00'
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_of(instant: datetime, zone: ZoneInfo) -> date:
    """The local day that ``instant`` falls in, by the day boundaries of :func:`local_midnight`.

    Unlike ``instant.astimezone(zone).date()``, this never goes backwards when a clock is
    set back across midnight, so day counts between instants are never negative.
    """
    day = instant.astimezone(zone).date()
    if day < date.max and instant >= local_midnight(day + timedelta(days=1), zone):
        return day + timedelta(days=1)
    if day > date.min and instant < local_midnight(day, zone):
        return day - timedelta(days=1)
    return day
