"""Proration of in-advance fees: exact amounts, and one declared place where they round.

A mid-period change of an in-advance fee (a plan change, a seat change) credits the
unused part of the old fee and charges the new fee for the rest of the period, both
measured by a :class:`~orbcore.calendar.DayCount` in the customer's zone. Amounts stay
exact ``Fraction``s; :func:`round_amounts` rounds them to a currency's minor units,
either each side on its own (``EACH_SIDE``) or only the net (``NET``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from orbcore._errors import ValidationError
from orbcore.calendar import DayCount, Period, period_fraction
from orbcore.calendar._zone import ensure_aware
from orbcore.money import Currency, RoundingMode, get_currency, round_rational, to_decimal
from orbcore.money._numbers import exact_sum

__all__ = [
    "MidPeriodChange",
    "ProrationRounding",
    "RoundedAmounts",
    "mid_period_change",
    "prorate_amount",
    "round_amounts",
]


class ProrationRounding(StrEnum):
    """Where prorated amounts are rounded to the currency's minor unit.

    * ``EACH_SIDE`` (the default): every amount (the credit, the charge) is rounded on its
      own and the net is their sum, so the lines shown always add up to the net. The net
      can be off the exact net by up to half a minor unit per amount.
    * ``NET``: only the net is rounded, so it is the exact net to within half a minor
      unit. The amounts are rounded for display and may not add up to it.
    """

    EACH_SIDE = "each_side"
    NET = "net"


def prorate_amount(amount: Decimal | int | str, share: Fraction) -> Fraction:
    """``amount * share`` exactly.

    >>> prorate_amount("100.00", Fraction(17, 31))
    Fraction(1700, 31)
    """
    checked: object = share  # callers may pass a float despite the annotation
    if isinstance(checked, bool) or not isinstance(checked, Fraction | int):
        raise ValidationError.at(("share",), f"expected a Fraction, got {share!r}")
    return Fraction(to_decimal(amount, field="amount")) * share


@dataclass(frozen=True, slots=True)
class MidPeriodChange:
    """The exact effect of changing an in-advance fee part-way through a period.

    Attributes:
        remaining: the rest of the period, from the change to its end.
        share: the exact share of the period that ``remaining`` is.
        credit: the unused part of the old fee, negative (or zero).
        charge: the new fee for ``remaining``.
    """

    remaining: Period
    share: Fraction
    credit: Fraction
    charge: Fraction

    @property
    def net(self) -> Fraction:
        """``credit + charge``: positive means the customer owes more."""
        return self.credit + self.charge


def mid_period_change(
    old_fee: Decimal | int | str,
    new_fee: Decimal | int | str,
    period: Period,
    change_at: datetime,
    *,
    day_count: DayCount = DayCount.ACTUAL_DAYS,
    timezone: str | ZoneInfo = "UTC",
) -> MidPeriodChange:
    """Credit the unused part of ``old_fee`` and charge ``new_fee`` for the rest.

    Both fees are for the whole ``period`` (for a seat change, price times seats). A
    cancellation is a change to a new fee of 0.

    Args:
        old_fee: the fee charged in advance for ``period``.
        new_fee: the fee that applies from ``change_at``.
        period: the full billing period (the cycle the fees are for).
        change_at: an instant inside ``period``.
        day_count: Orb's default counts actual local days.
        timezone: the customer's zone, whose days are counted.

    Raises:
        ValidationError: ``change_at`` is outside ``period``.

    >>> from orbcore import Period
    >>> january = Period(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    >>> change = mid_period_change("50", "100", january, datetime(2024, 1, 15, tzinfo=UTC))
    >>> change.share, change.credit, change.charge, change.net
    (Fraction(17, 31), Fraction(-850, 31), Fraction(1700, 31), Fraction(850, 31))
    """
    change_at = ensure_aware(change_at, "change_at")
    if not period.start <= change_at <= period.end:
        raise ValidationError.at(("change_at",), f"{change_at.isoformat()} is not in {period}")
    remaining = Period(change_at, period.end)
    share = period_fraction(remaining, period, day_count=day_count, timezone=timezone)
    return MidPeriodChange(
        remaining=remaining,
        share=share,
        credit=-prorate_amount(old_fee, share),
        charge=prorate_amount(new_fee, share),
    )


@dataclass(frozen=True, slots=True)
class RoundedAmounts:
    """Amounts rounded to a currency's minor unit, and what is posted.

    Attributes:
        amounts: each amount rounded, in the order given.
        net: the amount to post; see :class:`ProrationRounding`.
        rounding: the rule that produced ``net``.
    """

    amounts: tuple[Decimal, ...]
    net: Decimal
    rounding: ProrationRounding


def round_amounts(
    amounts: Sequence[Fraction],
    currency: str | Currency,
    rounding: ProrationRounding | str = ProrationRounding.EACH_SIDE,
    mode: RoundingMode = RoundingMode.HALF_UP,
) -> RoundedAmounts:
    """Round exact amounts to ``currency``'s minor units by ``rounding``.

    >>> credit, charge = Fraction(-850, 31), Fraction(1700, 31)
    >>> rounded = round_amounts([credit, charge], "USD")
    >>> rounded.amounts, rounded.net
    ((Decimal('-27.42'), Decimal('54.84')), Decimal('27.42'))
    >>> round_amounts([credit, charge], "USD", ProrationRounding.NET).net
    Decimal('27.42')

    Raises:
        ValidationError: an unknown rounding rule or currency.
    """
    try:
        rule = ProrationRounding(rounding)
    except ValueError:
        raise ValidationError.at(("rounding",), f"unknown rounding {rounding!r}") from None
    places = get_currency(currency).minor_units
    rounded = tuple(round_rational(amount, places, mode) for amount in amounts)
    if rule is ProrationRounding.EACH_SIDE:
        net = exact_sum(rounded)
    else:
        net = round_rational(sum(amounts, Fraction(0)), places, mode)
    return RoundedAmounts(rounded, net, rule)
