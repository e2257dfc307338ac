"""Tax on invoices: ``RateTableTax`` and the ``TaxCalculator`` port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orbcore import Money, ValidationError
from orbcore.billing import (
    InvoiceDraft,
    RatedCharge,
    RateTableTax,
    TaxableLine,
    TaxAmount,
    TaxCalculator,
    TaxContext,
    build_invoice,
)
from orbcore.pricing import Price

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)
TABLE = RateTableTax({"US-CA": "0.0725", "US": "0.05", "de": "0.19"}, name="Tax")


def flat(price_id: str, amount: str) -> RatedCharge:
    price = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": amount}})
    return RatedCharge.from_price(price, 1, price_id=price_id, start_date=START, end_date=END)


def taxes(draft: InvoiceDraft) -> list[str]:
    return [line.tax.to_decimal_string() for line in draft.lines]


@pytest.mark.parametrize(
    ("jurisdiction", "description", "rate"),
    [
        ("US-CA", "Tax US-CA 7.25%", "0.0725"),
        ("us-ny", "Tax US 5%", "0.05"),
        ("DE", "Tax DE 19%", "0.19"),
        ("DE-BY", "Tax DE 19%", "0.19"),
    ],
)
def test_rates_are_found_by_subdivision_then_country(
    jurisdiction: str, description: str, rate: str
) -> None:
    assert TABLE.rate_for(jurisdiction) == (description, Decimal(rate))


def test_an_unknown_jurisdiction_needs_a_default_rate() -> None:
    with pytest.raises(ValidationError, match=r"^jurisdiction: no tax rate for 'FR'"):
        build_invoice([flat("a", "1.00")], currency="EUR", tax=TABLE, jurisdiction="FR")
    exempt = RateTableTax({"DE": "0.19"}, default="0")
    draft = build_invoice([flat("a", "1.00")], currency="EUR", tax=exempt, jurisdiction="FR")
    assert draft.lines[0].tax_amounts == (TaxAmount("Tax 0%", Decimal(0), Money("0.00", "EUR")),)


def test_bad_rates_are_all_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        RateTableTax({"US": "8", "DE": "x"}, default="-0.1")
    assert [str(problem) for problem in caught.value.problems] == [
        "rates.US: 8 is not a rate from 0 to 1 (0.08 is 8%)",
        "rates.DE: 'x' is not a decimal number",
        "default: -0.1 is not a rate from 0 to 1 (0.08 is 8%)",
    ]
    with pytest.raises(ValidationError, match="give rates by jurisdiction or a default"):
        RateTableTax()


def test_tax_is_rounded_once_on_the_invoice_and_spread_over_the_lines() -> None:
    lines = [flat("a", "0.10"), flat("b", "0.10"), flat("c", "0.10")]
    draft = build_invoice(lines, currency="USD", tax=RateTableTax.flat("0.05"))
    # 5% of 0.30 is 0.015, rounded to 0.02; rounding each line's 0.005 would charge 0.03.
    assert draft.tax == Money("0.02", "USD")
    assert taxes(draft) == ["0.01", "0.01", "0.00"]


def test_a_credit_line_carries_negative_tax() -> None:
    draft = build_invoice(
        [flat("a", "100.00"), flat("b", "-25.00")], currency="USD", tax=RateTableTax.flat("0.08")
    )
    assert taxes(draft) == ["8.00", "-2.00"]
    assert draft.total == Money("81.00", "USD")


class StateAndCity:
    """A fake tax service: two taxes per line, state and city, rounded per line."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[TaxableLine], TaxContext]] = []

    def calculate(self, lines: Sequence[TaxableLine], context: TaxContext) -> list[list[TaxAmount]]:
        self.seen.append((list(lines), context))
        return [
            [
                TaxAmount(name, rate, (line.amount * rate).rounded(context.rounding))
                for name, rate in (("State", Decimal("0.06")), ("City", Decimal("0.0125")))
            ]
            for line in lines
        ]


def test_a_calculator_sees_the_taxable_lines_and_the_context() -> None:
    service = StateAndCity()
    calculator: TaxCalculator = service
    draft = build_invoice(
        [flat("a", "10.00")],
        currency="USD",
        tax=calculator,
        customer_id="cus_1",
        jurisdiction="US-WA",
    )
    [(lines, context)] = service.seen
    assert lines == [TaxableLine(1, "a", "a", Money("10.00", "USD"))]
    assert (context.currency.code, context.customer_id, context.jurisdiction) == (
        "USD",
        "cus_1",
        "US-WA",
    )
    assert [tax.amount.to_decimal_string() for tax in draft.lines[0].tax_amounts] == [
        "0.60",
        "0.13",
    ]
    assert draft.tax == Money("0.73", "USD")


class Unrounded:
    def calculate(self, lines: Sequence[TaxableLine], context: TaxContext) -> list[list[TaxAmount]]:
        return [[TaxAmount("Tax", None, line.amount * Decimal("0.0725"))] for line in lines]


class Short:
    def calculate(self, lines: Sequence[TaxableLine], context: TaxContext) -> list[list[TaxAmount]]:
        return []


def test_a_calculator_answer_that_does_not_fit_the_lines_is_refused() -> None:
    with pytest.raises(
        ValidationError, match=r"^tax.0.0: expected a TaxAmount in whole USD minor units"
    ):
        build_invoice([flat("a", "10.00")], currency="USD", tax=Unrounded())
    with pytest.raises(ValidationError, match=r"^tax: expected taxes for 1 lines, got 0"):
        build_invoice([flat("a", "10.00")], currency="USD", tax=Short())


def test_tax_percentage_is_the_rate_out_of_100() -> None:
    assert TaxAmount("VAT", Decimal("0.19"), Money("1.90", "EUR")).percentage == Decimal("19.00")
    assert TaxAmount("Mixed", None, Money("1.90", "EUR")).percentage is None
