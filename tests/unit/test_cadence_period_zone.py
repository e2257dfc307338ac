"""Cadences, periods and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from orbcore import Cadence, Period, ValidationError
from orbcore.calendar import CadenceUnit, day_of, local_midnight, resolve_zone


@pytest.mark.parametrize(
    ("orb", "cadence", "name"),
    [
        ({"cadence": "monthly"}, Cadence.monthly(), "monthly"),
        ({"cadence": "quarterly"}, Cadence.quarterly(), "quarterly"),
        ({"cadence": "semi_annual"}, Cadence.semi_annual(), "semi_annual"),
        ({"cadence": "annual"}, Cadence.annual(), "annual"),
        ({"cadence": "one_time"}, Cadence.one_time(), "one_time"),
        (
            {
                "cadence": "custom",
                "billing_cycle_configuration": {"duration": 14, "duration_unit": "day"},
            },
            Cadence.every_days(14),
            "every 14 days",
        ),
        (
            {
                "cadence": "custom",
                "billing_cycle_configuration": {"duration": 2, "duration_unit": "month"},
            },
            Cadence.every_months(2),
            "every 2 months",
        ),
    ],
)
def test_orb_cadences_round_trip(orb: dict[str, object], cadence: Cadence, name: str) -> None:
    assert Cadence.from_orb(**orb) == cadence  # type: ignore[arg-type]
    assert cadence.to_orb() == orb
    assert cadence.name == name


def test_every_twelve_months_is_annual() -> None:
    assert Cadence.every_months(12) == Cadence.annual()
    assert Cadence.every_months(12).to_orb() == {"cadence": "annual"}


def test_only_one_time_is_not_recurring() -> None:
    assert not Cadence.one_time().is_recurring
    assert Cadence.every_days(1).is_recurring
    assert Cadence.one_time().unit is CadenceUnit.ONE_TIME


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("weekly",), "unknown cadence 'weekly'"),
        (("custom",), "billing_cycle_configuration: required"),
        (("custom", {"duration": 3, "duration_unit": "week"}), "duration_unit"),
        (
            ("custom", {"duration": 0, "duration_unit": "day"}),
            "billing_cycle_configuration.duration",
        ),
        (("custom", {"duration": "3", "duration_unit": "day"}), "duration"),
    ],
)
def test_bad_orb_cadences_are_refused(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Cadence.from_orb(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [0, -1, 1201, True])
def test_month_counts_are_bounded(count: int) -> None:
    with pytest.raises(ValidationError, match="count"):
        Cadence.every_months(count)


def test_periods_are_half_open_and_kept_in_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    period = Period(datetime(2024, 1, 1, 9, tzinfo=tokyo), datetime(2024, 2, 1, tzinfo=UTC))
    assert period.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert period.start.tzinfo is UTC
    assert period.start in period
    assert period.end not in period
    assert "2024-01-15" not in period
    assert period.contains_period(period)


def test_period_intersections() -> None:
    a = Period(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 10, tzinfo=UTC))
    b = Period(datetime(2024, 1, 5, tzinfo=UTC), datetime(2024, 1, 20, tzinfo=UTC))
    c = Period(datetime(2024, 1, 10, tzinfo=UTC), datetime(2024, 1, 20, tzinfo=UTC))
    assert a.intersection(b) == Period(b.start, a.end)
    assert a.intersection(c) is None


def test_bad_periods_are_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        Period(datetime(2024, 1, 1), datetime(2024, 1, 2, tzinfo=UTC))
    with pytest.raises(ValidationError, match="before start"):
        Period(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("name", ["", "Mars/Base", "../etc/passwd", "/etc/localtime", 5])
def test_unknown_zones_are_refused(name: object) -> None:
    with pytest.raises(ValidationError, match="IANA"):
        resolve_zone(name)  # type: ignore[arg-type]


def test_a_local_day_never_goes_backwards() -> None:
    zone = ZoneInfo("America/Santiago")
    # Clocks went back from 2023-04-02 00:00 -03 to 2023-04-01 23:00 -04.
    instants = [datetime(2023, 4, 2, 2, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(12)]
    local_days = [day_of(instant, zone) for instant in instants]
    assert local_days == sorted(local_days)
    assert local_midnight(date(2023, 4, 2), zone) == datetime(2023, 4, 2, 4, tzinfo=UTC)
