"""Mid-period changes of in-advance fees: exact credits and charges, declared rounding."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import BillingSchedule, Cadence, DayCount, Period, ValidationError
from orbcore.billing import (
    ProrationRounding,
    mid_period_change,
    prorate_amount,
    round_amounts,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


JANUARY = Period(utc(2024, 1, 1), utc(2024, 2, 1))


def test_a_change_on_jan_15_credits_17_of_31_days_of_the_old_fee() -> None:
    change = mid_period_change("50.00", "100.00", JANUARY, utc(2024, 1, 15))
    assert change.remaining == Period(utc(2024, 1, 15), utc(2024, 2, 1))
    assert (change.share, change.credit, change.charge) == (
        Fraction(17, 31),
        Fraction(-850, 31),
        Fraction(1700, 31),
    )


def test_the_day_count_is_chosen_by_name() -> None:
    at_noon = utc(2024, 1, 15, 12)
    shares = {
        convention: mid_period_change(0, 100, JANUARY, at_noon, day_count=convention).share
        for convention in DayCount
    }
    assert shares == {
        DayCount.ACTUAL_DAYS: Fraction(17, 31),
        DayCount.THIRTY_DAY_MONTHS: Fraction(8, 15),
        DayCount.EXACT_SECONDS: Fraction(33, 62),
    }


def test_days_are_counted_in_the_customers_zone() -> None:
    march = BillingSchedule(date(2024, 3, 1), Cadence.monthly(), timezone="America/New_York")
    period = march.period(0)
    change = mid_period_change(31, 62, period, utc(2024, 3, 16, 4), timezone="America/New_York")
    assert change.share == Fraction(16, 31)
    assert change.net == 16


def test_each_side_rounding_adds_up_and_net_rounding_is_closest() -> None:
    # 10.00 -> 20.00 with 1/3 of the period left: credit -3.333..., charge 6.666...
    share = Fraction(1, 3)
    amounts = [-prorate_amount("10.00", share), prorate_amount("20.00", share)]
    each = round_amounts(amounts, "USD", ProrationRounding.EACH_SIDE)
    net = round_amounts(amounts, "USD", "net")
    assert each.amounts == net.amounts == (Decimal("-3.33"), Decimal("6.67"))
    assert (each.net, net.net) == (Decimal("3.34"), Decimal("3.33"))


def test_rounding_uses_the_currencys_minor_units() -> None:
    amounts = [Fraction(12_345, 7)]
    assert round_amounts(amounts, "JPY").net == Decimal("1764")
    assert round_amounts(amounts, "KWD").net == Decimal("1763.571")


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValidationError, match="is not in"):
        mid_period_change(1, 2, JANUARY, utc(2024, 2, 2))
    with pytest.raises(ValidationError, match="unknown rounding"):
        round_amounts([Fraction(1)], "USD", "sideways")
    with pytest.raises(ValidationError, match="expected a Fraction"):
        prorate_amount(1, 0.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="floats are not exact"):
        prorate_amount(0.5, Fraction(1))  # type: ignore[arg-type]


cents = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


@given(
    old=cents,
    new=cents,
    day=st.integers(min_value=1, max_value=31),
    rounding=st.sampled_from(ProrationRounding),
)
def test_rounded_net_is_within_the_documented_bound(
    old: Decimal, new: Decimal, day: int, rounding: ProrationRounding
) -> None:
    change = mid_period_change(old, new, JANUARY, utc(2024, 1, day))
    assert change.net == Fraction(new - old) * change.share
    rounded = round_amounts([change.credit, change.charge], "USD", rounding)
    error = abs(Fraction(rounded.net) - change.net)
    if rounding is ProrationRounding.EACH_SIDE:
        assert rounded.net == sum(rounded.amounts)
        assert error <= Fraction(1, 100)  # half a cent per side
    else:
        assert error <= Fraction(1, 200)
