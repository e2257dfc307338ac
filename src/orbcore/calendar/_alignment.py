"""Alignments: which dates a subscription's billing periods start on."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from orbcore._checks import require_int
from orbcore._errors import ValidationError

__all__ = [
    "Alignment",
    "Anniversary",
    "BeginningOfMonth",
    "BillingCycleDay",
    "CycleAnchor",
    "clamp_day",
    "month_index",
    "resolve_anchor",
]


@dataclass(frozen=True, slots=True)
class BeginningOfMonth:
    """Periods start on the 1st; a subscription starting mid-month gets a short first
    period that ends on the next 1st. Orb's default."""


@dataclass(frozen=True, slots=True)
class Anniversary:
    """Periods start on the subscription's start day (Jan 31 -> Feb 29 -> Mar 31)."""


@dataclass(frozen=True, slots=True)
class BillingCycleDay:
    """Periods start on ``day`` of the month, or the month's last day if it is shorter
    (day 31 in April is the 30th). A first period before the first such day is short."""

    day: int

    def __post_init__(self) -> None:
        _check_day(self.day)


@dataclass(frozen=True, slots=True)
class CycleAnchor:
    """Orb's ``billing_cycle_anchor_configuration``: a day, and for quarterly or longer
    cadences the month (and for multi-year ones the year) that a period starts in.

    A quarterly cadence anchored in February starts periods in Feb, May, Aug and Nov; a
    two-year cadence anchored in 2021 starts them in 2021, 2023, 2025.
    """

    day: int
    month: int | None = None
    year: int | None = None

    def __post_init__(self) -> None:
        _check_day(self.day)
        if self.month is not None:
            require_int(self.month, 1, 12, "month")
        if self.year is not None:
            if self.month is None:
                raise ValidationError.at(("month",), "is required when a year is given")
            require_int(self.year, 1, 9999, "year")


Alignment = BeginningOfMonth | Anniversary | BillingCycleDay | CycleAnchor
"""Any of the ways to align billing periods."""


def _check_day(day: int) -> None:
    require_int(day, 1, 31, "day")


def month_index(day: date) -> int:
    """Months since year 0: a single number for (year, month)."""
    return day.year * 12 + day.month - 1


def clamp_day(index: int, day: int) -> date:
    """``day`` of the month ``index`` (see :func:`month_index`), capped at its last day."""
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValidationError.at((), f"billing dates in the year {year} are not supported")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day, last))


def resolve_anchor(alignment: Alignment, start: date) -> tuple[int, int]:
    """The reference month (a :func:`month_index`) and anchor day of a schedule.

    Boundaries are then ``clamp_day(reference + k * months_per_period, day)`` for every
    integer ``k`` (or, for day cadences, every N days from the reference date).
    """
    first = month_index(start)
    if isinstance(alignment, Anniversary):
        return first, start.day
    if isinstance(alignment, BeginningOfMonth):
        day, month, year = 1, None, None
    elif isinstance(alignment, BillingCycleDay):
        day, month, year = alignment.day, None, None
    elif isinstance(alignment, CycleAnchor):
        day, month, year = alignment.day, alignment.month, alignment.year
    else:
        raise ValidationError.at(("alignment",), f"unknown alignment {alignment!r}")
    if year is not None and month is not None:
        return year * 12 + month - 1, day
    reference = first if clamp_day(first, day) >= start else first + 1
    if month is not None:
        reference += (month - 1 - reference) % 12
    return reference, day
