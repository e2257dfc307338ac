"""The kernel agrees with PostgreSQL: time zone rules, numeric rounding, exact decimals."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Date, Numeric

from orbcore import BillingSchedule, Cadence, CycleAnchor, Money, RoundingMode
from orbcore.calendar import local_midnight
from orbcore.money import quantize

pytestmark = pytest.mark.postgres

# Zones with DST, with DST changes at midnight, with half- and quarter-hour offsets.
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "America/Asuncion",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Beirut",
    "Asia/Tehran",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Africa/Casablanca",
]
DAYS = [date(2016, 1, 1) + timedelta(days=offset) for offset in range(366 * 10)]


@pytest.mark.parametrize("zone", ZONES)
def test_local_midnights_match_postgres_for_every_day_of_ten_years(
    postgres_engine: Engine, zone: str
) -> None:
    query = text("SELECT d, (d::timestamp AT TIME ZONE :zone) FROM unnest(:days) AS d").bindparams(
        bindparam("days", type_=ARRAY(Date))
    )
    with postgres_engine.connect() as connection:
        rows = connection.execute(query, {"zone": zone, "days": DAYS}).all()
    assert len(rows) == len(DAYS)
    tz = ZoneInfo(zone)
    for day, theirs in rows:
        ours = local_midnight(day, tz)
        if ours == theirs:
            continue
        # Where clocks fall back at 01:00 (Havana), midnight happens twice. PostgreSQL
        # reads an ambiguous time as standard time, the later one; the day begins at the
        # earlier one, which is what orbcore returns.
        assert ours < theirs, day
        assert ours.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, time(0))
        assert theirs.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, time(0))
        assert (ours - timedelta(microseconds=1)).astimezone(tz).date() < day


@pytest.mark.parametrize("zone", ZONES)
def test_quarterly_boundaries_match_postgres_calendar_arithmetic(
    postgres_engine: Engine, zone: str
) -> None:
    schedule = BillingSchedule(
        date(2016, 1, 20), Cadence.quarterly(), CycleAnchor(31, month=2), zone
    )
    ours = [schedule.period(n).end for n in range(40)]
    # PostgreSQL clamps "date + n months" to the month's end, from the base each time.
    query = text(
        "SELECT (DATE '2015-05-31' + k * interval '3 months')::date::timestamp AT TIME ZONE :zone"
        " FROM generate_series(3, 42) AS k ORDER BY k"
    )
    with postgres_engine.connect() as connection:
        theirs = [row[0] for row in connection.execute(query, {"zone": zone})]
    assert ours == theirs


def random_decimals(count: int, seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    values = []
    for _ in range(count):
        whole = rng.randrange(0, 10 ** rng.randrange(1, 13))
        digits = rng.randrange(1, 9)
        fraction = rng.randrange(0, 10**digits)
        sign = rng.choice(["", "-"])
        values.append(Decimal(f"{sign}{whole}.{fraction:0{digits}d}"))
    # Exact halves, the cases where rounding modes disagree.
    values += [Decimal(f"{sign}{n}.{d}5") for n in range(3) for d in range(10) for sign in "+-"]
    return values


def test_rounding_matches_postgres_numeric_functions(postgres_engine: Engine) -> None:
    values = random_decimals(3000, seed=20261125)
    query = text(
        "SELECT v, round(v, 2), trunc(v, 2), floor(v * 100) / 100, ceil(v * 100) / 100"
        " FROM unnest(:values) WITH ORDINALITY AS t(v, i) ORDER BY i"
    ).bindparams(bindparam("values", type_=ARRAY(Numeric(asdecimal=True))))
    with postgres_engine.connect() as connection:
        rows = connection.execute(query, {"values": values}).all()
    assert [row[0] for row in rows] == values
    for value, half_up, down, floor, ceiling in rows:
        assert quantize(value, 2, RoundingMode.HALF_UP) == half_up, value
        assert quantize(value, 2, RoundingMode.DOWN) == down, value
        assert quantize(value, 2, RoundingMode.FLOOR) == floor, value
        assert quantize(value, 2, RoundingMode.CEILING) == ceiling, value


def test_amounts_with_many_significant_digits_round_trip_through_numeric(
    postgres_engine: Engine,
) -> None:
    amounts = [
        Money("123456789012.345678901234", "USD"),
        Money("-0.000000000001", "KWD"),
        Money("99999999999999999999.9999", "CLF"),
        Money("1E+3", "JPY"),
    ]
    query = text("SELECT CAST(:amount AS numeric)")
    with postgres_engine.connect() as connection:
        for money in amounts:
            stored = connection.execute(query, {"amount": money.to_decimal_string()}).scalar_one()
            assert isinstance(stored, Decimal)
            assert Money(stored, money.currency) == money
            assert format(stored, "f") == money.to_decimal_string()
