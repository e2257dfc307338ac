"""Where an invoice rounds, and how: once per figure, in the currency's minor units."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orbcore import Money, RoundingMode, ValidationError
from orbcore.billing import RatedCharge, build_invoice
from orbcore.pricing import Price, PriceResult, SubLine

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)


def rated(result: PriceResult, price_id: str = "p") -> RatedCharge:
    return RatedCharge(
        price_id=price_id, name=price_id, result=result, start_date=START, end_date=END
    )


def three_half_cents() -> PriceResult:
    lines = tuple(
        SubLine(f"cell {n}", Decimal(1), Decimal("0.005"), Decimal("0.005")) for n in (1, 2, 3)
    )
    return PriceResult("matrix", Decimal(3), Decimal("0.015"), lines)


def test_the_subtotal_is_rounded_once_and_sub_lines_are_allocated_to_add_up_to_it() -> None:
    [line] = build_invoice([rated(three_half_cents())], currency="USD").lines
    assert line.subtotal == Money("0.02", "USD")
    # Each 0.005 rounded alone would show 0.01 three times: 0.03 under a 0.02 subtotal.
    assert [sub.amount.to_decimal_string() for sub in line.sub_lines] == ["0.01", "0.01", "0.00"]
    assert [sub.unit_amount for sub in line.sub_lines] == [Decimal("0.005")] * 3


def test_sub_lines_with_credits_still_add_up_to_the_subtotal() -> None:
    lines = (
        SubLine("usage", Decimal(7), Decimal("10.006")),
        SubLine("allowance", Decimal(-1), Decimal("-1.4293")),
        SubLine("fee", Decimal(1), Decimal("0.0047")),
    )
    result = PriceResult("custom", Decimal(7), Decimal("8.5814"), lines)
    [line] = build_invoice([rated(result)], currency="USD").lines
    assert line.subtotal == Money("8.58", "USD")
    # In cents 1000.6, -142.93 and 0.47 round down to 1000, -143 and 0: 857 of 858. The
    # missing cent goes to the largest remainder, the first line's 0.6.
    assert [sub.amount.to_decimal_string() for sub in line.sub_lines] == ["10.01", "-1.43", "0.00"]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (RoundingMode.HALF_UP, "0.13"),
        (RoundingMode.HALF_EVEN, "0.12"),
        ("half_down", "0.12"),
        (RoundingMode.UP, "0.13"),
        (RoundingMode.DOWN, "0.12"),
    ],
)
def test_the_rounding_mode_is_a_named_option_half_up_by_default(
    mode: RoundingMode | str, expected: str
) -> None:
    result = PriceResult("unit", Decimal(1), Decimal("0.125"))
    draft = build_invoice([rated(result)], currency="USD", rounding=mode)
    assert draft.total.to_decimal_string() == expected
    assert build_invoice([rated(result)], currency="USD").total == Money("0.13", "USD")


def test_an_unknown_rounding_mode_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"^rounding: unknown rounding 'bankers'"):
        build_invoice([], currency="USD", rounding="bankers")


@pytest.mark.parametrize(
    ("currency", "subtotal"),
    [("JPY", "1235"), ("USD", "1234.57"), ("IQD", "1234.568"), ("KWD", "1234.568")],
)
def test_figures_have_exactly_the_currencys_minor_units(currency: str, subtotal: str) -> None:
    price = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "0.1234568"}})
    charge = RatedCharge.from_price(price, 10_000, price_id="p", start_date=START, end_date=END)
    draft = build_invoice([charge], currency=currency)
    assert draft.subtotal.to_decimal_string() == subtotal
    assert draft.tax.to_decimal_string() == ("0." + "0" * draft.currency.minor_units).rstrip(".")


def test_an_empty_invoice_totals_zero_in_minor_units_and_is_paid_on_issue() -> None:
    draft = build_invoice([], currency="IQD")
    assert draft.total.to_decimal_string() == "0.000"
    assert draft.paid_on_issue
