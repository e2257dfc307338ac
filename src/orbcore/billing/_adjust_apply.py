"""How one adjustment changes the running amounts of the lines it applies to.

The amounts are rounded ``Money`` and every change is a whole number of minor units, so
the changes add up exactly to what is displayed. An adjustment that covers several lines
(an invoice-level one) is worked out on their sum, then spread over them with
:func:`orbcore.money.allocate`, in proportion to their positive amounts. Discounts only
take off what is there: a line's negative amount (a credit) is never discounted, and no
discount takes a line below zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from orbcore.billing._adjustments import (
    Adjustment,
    AmountDiscount,
    Maximum,
    Minimum,
    PercentageDiscount,
    UsageDiscount,
)
from orbcore.billing._builder_rounding import round_money, sum_money, zero_money
from orbcore.money import Money, RoundingMode, allocate
from orbcore.money._numbers import exact_mul, exact_sub
from orbcore.pricing import PriceResult

__all__ = ["STAGES", "adjustment_changes", "usage_discount_change"]

STAGES: tuple[type[Adjustment], ...] = (
    UsageDiscount,
    AmountDiscount,
    PercentageDiscount,
    Minimum,
    Maximum,
)
"""The adjustment types in the order Orb applies them to a line."""

Rate = Callable[[Decimal], PriceResult]
"""Rates a quantity: a price's ``evaluate``."""


def adjustment_changes(
    adjustment: Adjustment, amounts: Sequence[Money], mode: RoundingMode
) -> list[Money]:
    """The change the adjustment makes to each of ``amounts``, in order.

    Args:
        adjustment: an amount or percentage discount, a minimum or a maximum (usage
            discounts re-rate the quantity: see :func:`usage_discount_change`).
        amounts: the running amounts of the lines it applies to, rounded, at least one.
        mode: how the percentage discount is rounded.

    Returns:
        One signed change per amount: negative for discounts and maximums, positive for
        minimums, zero where the adjustment changes nothing.
    """
    currency = amounts[0].currency
    # The figures are whole minor units (the builder checks): rounding them only writes
    # the currency's decimals.
    zero = zero_money(currency)
    positive = [max(amount, zero) for amount in amounts]
    base = sum_money(positive, currency)
    if isinstance(adjustment, AmountDiscount):
        off = min(round_money(adjustment.amount_discount, currency, mode), base)
        return [-share for share in _spread(off, positive)]
    if isinstance(adjustment, PercentageDiscount):
        exact = exact_mul(base.amount, adjustment.percentage_discount)
        return [-share for share in _spread(round_money(exact, currency, mode), positive)]
    current = sum_money(amounts, currency)
    if isinstance(adjustment, Minimum):
        shortfall = round_money(adjustment.minimum_amount, currency, mode) - current
        return _spread(max(shortfall, zero), positive)
    if isinstance(adjustment, Maximum):
        excess = current - round_money(adjustment.maximum_amount, currency, mode)
        return [-share for share in _spread(max(excess, zero), positive)]
    raise TypeError(f"no rule for {type(adjustment).__name__}")


def usage_discount_change(
    discount: UsageDiscount,
    quantity: Decimal,
    amount: Money,
    rerate: Rate,
    mode: RoundingMode,
) -> tuple[Money, Decimal]:
    """Take the discount's units off ``quantity`` and re-rate it.

    Args:
        discount: the usage discount.
        quantity: the line's quantity, less any usage discount already applied.
        amount: the line's running amount.
        rerate: rates a quantity with the line's price.
        mode: how the re-rated amount is rounded.

    Returns:
        The change, ``rounded(rerate(quantity - units)) - amount``, kept from raising the
        line (some models, such as bulk, can charge more for fewer units) or taking it
        below zero; and the quantity left, never below zero.
    """
    left = max(exact_sub(quantity, discount.usage_discount), Decimal(0))
    rated = round_money(rerate(left).amount, amount.currency, mode)
    zero = zero_money(amount.currency)
    change = max(min(rated - amount, zero), -max(amount, zero))
    return change, left


def _spread(total: Money, weights: Sequence[Money]) -> list[Money]:
    """``total`` split over the lines in proportion to ``weights``, evenly if all are 0."""
    if not total:
        return [total for _ in weights]
    if not any(weights):
        return allocate(total, [1] * len(weights))
    return allocate(total, [weight.amount for weight in weights])
