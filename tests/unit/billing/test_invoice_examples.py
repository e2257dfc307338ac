"""Orb's worked invoice examples, built end to end: price JSON, usage, adjustments, tax."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orbcore import Money
from orbcore.billing import (
    RatedCharge,
    RateTableTax,
    TaxAmount,
    build_invoice,
    parse_adjustment,
    parse_adjustments,
)
from orbcore.pricing import Price

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)

ORB_TIERED = {
    "model_type": "tiered",
    "name": "API calls",
    "tiered_config": {
        "tiers": [
            {"first_unit": 0, "last_unit": 10000, "unit_amount": "0.001"},
            {"first_unit": 10000, "last_unit": 100000, "unit_amount": "0.0008"},
            {"first_unit": 100000, "last_unit": None, "unit_amount": "0.0005"},
        ]
    },
}


def unit_price(amount: str, name: str) -> dict[str, Any]:
    return {"model_type": "unit", "name": name, "unit_config": {"unit_amount": amount}}


def charge(price: dict[str, Any], quantity: int, price_id: str) -> RatedCharge:
    return RatedCharge.from_price(
        Price.from_orb(price), quantity, price_id=price_id, start_date=START, end_date=END
    )


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def test_tiered_150000_calls_cost_107_plus_8_percent_tax_is_115_56() -> None:
    draft = build_invoice(
        [charge(ORB_TIERED, 150_000, "price_calls")],
        currency="USD",
        tax=RateTableTax.flat("0.08", name="Sales tax"),
    )
    [line] = draft.lines
    assert [sub.amount for sub in line.sub_lines] == [usd("10.00"), usd("72.00"), usd("25.00")]
    assert line.subtotal == line.adjusted_subtotal == line.amount == usd("107.00")
    assert line.tax_amounts == (TaxAmount("Sales tax 8%", Decimal("0.08"), usd("8.56")),)
    assert (draft.subtotal, draft.tax, draft.total) == (usd("107.00"), usd("8.56"), usd("115.56"))
    assert not draft.paid_on_issue


@pytest.mark.parametrize(
    ("calls", "subtotal", "total"),
    [
        (9, "22.50", "50.00"),
        (19, "47.50", "50.00"),
        (20, "50.00", "50.00"),
        (28, "70.00", "70.00"),
        (36, "90.00", "90.00"),
    ],
)
def test_a_50_dollar_minimum_commitment_on_calls_at_2_50(
    calls: int, subtotal: str, total: str
) -> None:
    commitment = parse_adjustment(
        {
            "adjustment_type": "minimum",
            "minimum_amount": "50.00",
            "applies_to_price_ids": ["price_calls"],
            "is_invoice_level": False,
        }
    )
    draft = build_invoice(
        [charge(unit_price("2.50", "Calls"), calls, "price_calls")],
        currency="USD",
        adjustments=[commitment],
    )
    assert (draft.subtotal, draft.total) == (usd(subtotal), usd(total))
    [applied] = draft.lines[0].adjustments
    assert applied.amount == usd(total) - usd(subtotal)
    assert draft.total_minimums == applied.amount


def test_200_compute_hours_at_0_10_less_10_percent_are_raised_to_the_50_minimum() -> None:
    adjustments = parse_adjustments(
        """[
        {"adjustment_type": "maximum", "maximum_amount": "500.00",
         "applies_to_price_ids": ["price_compute"]},
        {"adjustment_type": "minimum", "minimum_amount": "50.00",
         "applies_to_price_ids": ["price_compute"]},
        {"adjustment_type": "percentage_discount", "percentage_discount": 0.1,
         "applies_to_price_ids": ["price_compute"]}
        ]"""
    )
    draft = build_invoice(
        [charge(unit_price("0.10", "Compute hours"), 200, "price_compute")],
        currency="USD",
        adjustments=adjustments,
    )
    [line] = draft.lines
    steps = [(a.adjustment.adjustment_type.value, a.amount) for a in line.adjustments]
    # Orb's order, whatever the order given: 20.00 -> 18.00 -> 50.00, under the maximum.
    assert steps == [
        ("percentage_discount", usd("-2.00")),
        ("minimum", usd("32.00")),
        ("maximum", usd("0.00")),
    ]
    assert (line.subtotal, line.adjusted_subtotal, draft.total) == (
        usd("20.00"),
        usd("50.00"),
        usd("50.00"),
    )
    assert (draft.total_discounts, draft.total_minimums) == (usd("2.00"), usd("32.00"))


def test_6000_compute_hours_less_10_percent_are_capped_at_the_500_maximum() -> None:
    adjustments = parse_adjustments(
        [
            {
                "adjustment_type": kind,
                field: value,
                "applies_to_price_ids": ["price_compute"],
            }
            for kind, field, value in [
                ("percentage_discount", "percentage_discount", "0.1"),
                ("minimum", "minimum_amount", "50.00"),
                ("maximum", "maximum_amount", "500.00"),
            ]
        ]
    )
    draft = build_invoice(
        [charge(unit_price("0.10", "Compute hours"), 6000, "price_compute")],
        currency="USD",
        adjustments=adjustments,
    )
    # 600.00 -> 540.00 -> (minimum met) -> 500.00
    assert [a.amount for a in draft.lines[0].adjustments] == [
        usd("-60.00"),
        usd("0.00"),
        usd("-40.00"),
    ]
    assert draft.total == usd("500.00")
    assert draft.total_maximums == usd("40.00")
