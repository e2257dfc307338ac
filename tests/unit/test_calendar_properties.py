"""Invariants of billing schedules over every cadence, alignment and IANA zone."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import assume, given
from hypothesis import strategies as st

from orbcore import (
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    BillingSchedule,
    Cadence,
    CycleAnchor,
    DayCount,
    Period,
    ValidationError,
    period_fraction,
)
from orbcore.calendar import CadenceUnit, day_of, local_midnight

ZONES = sorted(name for name in available_timezones() if not name.startswith(("posix/", "right/")))
zones = st.sampled_from(ZONES).map(ZoneInfo)
dates = st.dates(min_value=date(1971, 1, 1), max_value=date(2090, 12, 31))
cadences = st.one_of(
    st.sampled_from(
        [Cadence.monthly(), Cadence.quarterly(), Cadence.semi_annual(), Cadence.annual()]
    ),
    st.integers(min_value=1, max_value=36).map(Cadence.every_months),
    st.integers(min_value=1, max_value=400).map(Cadence.every_days),
)
days = st.integers(min_value=1, max_value=31)
alignments = st.one_of(
    st.just(BeginningOfMonth()),
    st.just(Anniversary()),
    days.map(BillingCycleDay),
    st.builds(CycleAnchor, days, st.none() | st.integers(min_value=1, max_value=12)),
    st.builds(
        CycleAnchor,
        days,
        st.integers(min_value=1, max_value=12),
        st.integers(min_value=1971, max_value=2090),
    ),
)


@st.composite
def schedules(draw: st.DrawFn) -> BillingSchedule:
    zone = draw(zones)
    start: date | datetime = draw(dates)
    if draw(st.booleans()):
        offset = timedelta(seconds=draw(st.integers(min_value=0, max_value=86_399)))
        start = local_midnight(start, zone) + offset  # type: ignore[arg-type]
    return BillingSchedule(start, draw(cadences), draw(alignments), zone)


def anchor_day(schedule: BillingSchedule) -> int:
    alignment = schedule.alignment
    if isinstance(alignment, Anniversary):
        return day_of(schedule.start, schedule.timezone).day
    if isinstance(alignment, BeginningOfMonth):
        return 1
    return alignment.day


@given(schedules())
def test_consecutive_periods_tile_time_without_gap_or_overlap(schedule: BillingSchedule) -> None:
    previous = schedule.period(0)
    assert previous.start == schedule.start
    for n in range(1, 25):
        current = schedule.period(n)
        assert current.start == previous.end
        assert current.start <= current.end
        if schedule.cadence != Cadence.every_days(1):
            assert current.start < current.end
        previous = current


@given(schedules())
def test_month_boundaries_are_re_clamped_from_the_anchor_every_time(
    schedule: BillingSchedule,
) -> None:
    assume(schedule.cadence.unit is CadenceUnit.MONTH)
    wanted = anchor_day(schedule)
    for n in range(1, 25):
        boundary = schedule.period(n).start
        day = day_of(boundary, schedule.timezone)
        assert boundary == local_midnight(day, schedule.timezone)
        assert day.day == min(wanted, calendar.monthrange(day.year, day.month)[1])


@given(schedules(), st.integers(min_value=1, max_value=40))
def test_the_nth_period_computed_directly_equals_walking_n_periods(
    schedule: BillingSchedule, n: int
) -> None:
    walked = schedule.period(0)
    for _ in range(n):
        walked = schedule.next_period(walked)
    assert walked == schedule.period(n)
    assert schedule.index_of(walked.start) == n


@given(schedules(), st.integers(min_value=0, max_value=30), st.floats(0, 1))
def test_every_instant_falls_in_the_period_that_contains_it(
    schedule: BillingSchedule, n: int, position: float
) -> None:
    period = schedule.period(n)
    assume(not period.is_empty)
    micros = int(period.duration / timedelta(microseconds=1) * position)
    instant = min(
        period.start + timedelta(microseconds=micros), period.end - timedelta(microseconds=1)
    )
    assert instant in schedule.period_containing(instant)
    assert schedule.index_of(instant) == n


@st.composite
def partitions(draw: st.DrawFn) -> tuple[BillingSchedule, Period, list[Period]]:
    schedule = draw(schedules())
    whole = schedule.nominal_period(draw(st.integers(min_value=0, max_value=12)))
    micros = whole.duration // timedelta(microseconds=1)
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=micros), max_size=8)))
    points = [whole.start, *(whole.start + timedelta(microseconds=c) for c in cuts), whole.end]
    return schedule, whole, [Period(a, b) for a, b in pairwise(points)]


@given(partitions(), st.sampled_from(list(DayCount)))
def test_proration_fractions_of_any_partition_sum_to_exactly_one(
    case: tuple[BillingSchedule, Period, list[Period]], day_count: DayCount
) -> None:
    schedule, whole, parts = case
    try:
        shares = [
            period_fraction(part, whole, day_count=day_count, timezone=schedule.timezone)
            for part in parts
        ]
    except ValidationError:
        # Only a period that measures zero (a one-day period on the 31st in 30E/360,
        # or a day a zone skipped) has no fractions.
        assume(False)
        raise
    assert sum(shares, Fraction(0)) == 1
    assert all(0 <= share <= 1 for share in shares)
