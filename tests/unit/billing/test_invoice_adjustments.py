"""How the builder applies adjustments: order, scope, allocation, usage discounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orbcore import Money, ValidationError
from orbcore.billing import (
    Adjustment,
    AmountDiscount,
    Maximum,
    Minimum,
    PercentageDiscount,
    RatedCharge,
    RateTableTax,
    UsageDiscount,
    build_invoice,
)
from orbcore.pricing import Price

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)

TIERED = Price.from_orb(
    {
        "model_type": "tiered",
        "tiered_config": {
            "tiers": [
                {"first_unit": 0, "last_unit": 10000, "unit_amount": "0.001"},
                {"first_unit": 10000, "last_unit": 100000, "unit_amount": "0.0008"},
                {"first_unit": 100000, "last_unit": None, "unit_amount": "0.0005"},
            ]
        },
    }
)


def flat(price_id: str, amount: str, **fields: Any) -> RatedCharge:
    """A line of ``amount``: one unit at that price."""
    price = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": amount}})
    return RatedCharge.from_price(
        price, 1, price_id=price_id, start_date=START, end_date=END, **fields
    )


def amounts(values: list[Money]) -> list[str]:
    return [value.to_decimal_string() for value in values]


def line_changes(adjustments: list[Adjustment], *charges: RatedCharge) -> list[list[str]]:
    draft = build_invoice(list(charges), currency="USD", adjustments=adjustments)
    return [amounts([a.amount for a in line.adjustments]) for line in draft.lines]


def test_adjustments_apply_in_orbs_order_whatever_the_order_given() -> None:
    given = [
        Maximum(maximum_amount="15.00", applies_to_price_ids=["a"]),
        Minimum(minimum_amount="16.00", applies_to_price_ids=["a"]),
        PercentageDiscount(percentage_discount="0.5", applies_to_price_ids=["a"]),
        AmountDiscount(amount_discount="4.00", applies_to_price_ids=["a"]),
    ]
    draft = build_invoice([flat("a", "20.00")], currency="USD", adjustments=given)
    [line] = draft.lines
    kinds = [type(a.adjustment).__name__ for a in line.adjustments]
    assert kinds == ["AmountDiscount", "PercentageDiscount", "Minimum", "Maximum"]
    # 20.00 -> 16.00 -> 8.00 -> 16.00 -> 15.00: the maximum, applied last, wins.
    assert amounts([a.amount for a in line.adjustments]) == ["-4.00", "-8.00", "8.00", "-1.00"]
    assert line.adjusted_subtotal == Money("15.00", "USD")


def test_price_level_adjustments_apply_before_invoice_level_ones_of_the_same_type() -> None:
    given = [
        PercentageDiscount(percentage_discount="0.5", is_invoice_level=True, applies_to_all=True),
        AmountDiscount(amount_discount="10.00", applies_to_price_ids=["a"]),
    ]
    assert line_changes(given, flat("a", "30.00")) == [["-10.00", "-10.00"]]


def test_an_amount_discount_never_takes_a_line_below_zero() -> None:
    given = [AmountDiscount(amount_discount="30.00", applies_to_price_ids=["a"])]
    draft = build_invoice([flat("a", "20.00")], currency="USD", adjustments=given)
    assert draft.lines[0].adjustments[0].amount == Money("-20.00", "USD")
    assert draft.total == Money("0.00", "USD")
    assert draft.paid_on_issue


def test_an_invoice_level_amount_discount_is_allocated_so_the_shares_add_up() -> None:
    given = [AmountDiscount(amount_discount="10.00", is_invoice_level=True, applies_to_all=True)]
    lines = flat("a", "19.99"), flat("b", "5.01"), flat("c", "45.00")
    assert line_changes(given, *lines) == [["-2.86"], ["-0.71"], ["-6.43"]]


def test_an_invoice_level_percentage_is_rounded_once_and_spread_proportionally() -> None:
    invoice_level = [
        PercentageDiscount(percentage_discount="0.1", is_invoice_level=True, applies_to_all=True)
    ]
    lines = flat("a", "0.05"), flat("b", "0.05"), flat("c", "0.05")
    # 10% of 0.15 is 0.015, rounded once to 0.02 and spread: 0.01 + 0.01 + 0.00.
    assert line_changes(invoice_level, *lines) == [["-0.01"], ["-0.01"], ["0.00"]]
    price_level = [
        PercentageDiscount(percentage_discount="0.1", applies_to_price_ids=[line.price_id])
        for line in lines
    ]
    # On each line separately, each 0.005 rounds up on its own: 0.03 in all.
    assert line_changes(price_level, *lines) == [["-0.01"], ["-0.01"], ["-0.01"]]


def test_an_invoice_level_adjustment_covers_only_the_prices_it_lists() -> None:
    given = [
        AmountDiscount(
            amount_discount="3.00", is_invoice_level=True, applies_to_price_ids=["a", "c"]
        )
    ]
    lines = flat("a", "10.00"), flat("b", "10.00"), flat("c", "20.00")
    assert line_changes(given, *lines) == [["-1.00"], [], ["-2.00"]]


def test_an_invoice_level_minimum_tops_up_in_proportion_to_the_lines() -> None:
    given = [Minimum(minimum_amount="100.00", is_invoice_level=True, applies_to_all=True)]
    lines = flat("a", "10.00"), flat("b", "30.00")
    assert line_changes(given, *lines) == [["15.00"], ["45.00"]]


def test_an_invoice_level_minimum_over_empty_lines_is_split_evenly() -> None:
    given = [Minimum(minimum_amount="100.00", is_invoice_level=True, applies_to_all=True)]
    lines = flat("a", "0"), flat("b", "0"), flat("c", "0")
    assert line_changes(given, *lines) == [["33.34"], ["33.33"], ["33.33"]]


def test_an_invoice_level_maximum_caps_the_sum_exactly() -> None:
    given = [Maximum(maximum_amount="100.00", is_invoice_level=True, applies_to_all=True)]
    lines = flat("a", "70.00"), flat("b", "50.00"), flat("c", "0.01")
    draft = build_invoice(list(lines), currency="USD", adjustments=given)
    # 20.01 too much, split as 70 : 50 : 0.01 -> 1167.15, 833.68 and 0.17 cents.
    assert amounts([line.adjustments[0].amount for line in draft.lines]) == [
        "-11.67",
        "-8.34",
        "0.00",
    ]
    assert draft.adjusted_subtotal == Money("100.00", "USD")


def test_a_credit_line_is_not_discounted() -> None:
    given = [
        PercentageDiscount(percentage_discount="0.5", is_invoice_level=True, applies_to_all=True)
    ]
    lines = [flat("a", "10.00"), flat("b", "-4.00")]
    draft = build_invoice(lines, currency="USD", adjustments=given)
    # Half of the positive 10.00 comes off; the -4.00 credit stays whole.
    assert [line.adjusted_subtotal for line in draft.lines] == [
        Money("5.00", "USD"),
        Money("-4.00", "USD"),
    ]
    assert draft.total == Money("1.00", "USD")


def test_adjustments_whose_prices_have_no_line_are_reported_not_applied() -> None:
    absent = Minimum(minimum_amount="10.00", applies_to_price_ids=["gone"])
    draft = build_invoice([flat("a", "1.00")], currency="USD", adjustments=[absent])
    assert draft.unapplied_adjustments == (absent,)
    assert draft.total == Money("1.00", "USD")
    assert "Not applied: minimum 10.00" in draft.explain()


def test_a_usage_discount_re_rates_the_quantity_so_units_come_off_the_top_tier() -> None:
    charge = RatedCharge.from_price(
        TIERED, 150_000, price_id="calls", start_date=START, end_date=END
    )
    discount = UsageDiscount(usage_discount=60_000, applies_to_price_ids=["calls"])
    draft = build_invoice([charge], currency="USD", adjustments=[discount])
    # 90,000 calls: 10.00 + 64.00 = 74.00, against 107.00 for 150,000.
    assert draft.lines[0].adjustments[0].amount == Money("-33.00", "USD")
    assert draft.lines[0].quantity == Decimal(150_000)
    assert draft.total == Money("74.00", "USD")


def test_a_usage_discount_larger_than_the_usage_zeroes_the_line() -> None:
    charge = RatedCharge.from_price(TIERED, 5, price_id="calls", start_date=START, end_date=END)
    discount = UsageDiscount(usage_discount=100, applies_to_price_ids=["calls"])
    assert build_invoice([charge], currency="USD", adjustments=[discount]).total.amount == 0


def test_a_usage_discount_never_raises_a_line() -> None:
    bulk = Price.from_orb(
        {
            "model_type": "bulk",
            "bulk_config": {
                "tiers": [
                    {"maximum_units": 10, "unit_amount": "0.50"},
                    {"maximum_units": 1000, "unit_amount": "0.40"},
                ]
            },
        }
    )
    charge = RatedCharge.from_price(bulk, 11, price_id="bulk", start_date=START, end_date=END)
    discount = UsageDiscount(usage_discount=1, applies_to_price_ids=["bulk"])
    # 10 units would cost 5.00, more than the 4.40 of 11 units: no change.
    draft = build_invoice([charge], currency="USD", adjustments=[discount])
    assert draft.lines[0].adjustments[0].amount == Money("0.00", "USD")


def test_a_usage_discount_needs_a_charge_that_can_be_re_rated() -> None:
    charge = RatedCharge(
        price_id="calls",
        name="Calls",
        result=TIERED.evaluate(10),
        start_date=START,
        end_date=END,
    )
    discount = UsageDiscount(usage_discount=1, applies_to_price_ids=["calls"])
    with pytest.raises(
        ValidationError, match=r"^adjustments\.0: the charge of 'calls' has no rerate"
    ):
        build_invoice([charge], currency="USD", adjustments=[discount])


def test_what_was_already_invoiced_comes_off_after_the_minimum_and_before_tax() -> None:
    charge = flat("calls", "22.50", partially_invoiced_amount="20.00")
    draft = build_invoice(
        [charge],
        currency="USD",
        adjustments=[Minimum(minimum_amount="50.00", applies_to_price_ids=["calls"])],
        tax=RateTableTax.flat("0.08"),
    )
    [line] = draft.lines
    assert (line.adjusted_subtotal, line.partially_invoiced_amount, line.amount) == (
        Money("50.00", "USD"),
        Money("20.00", "USD"),
        Money("30.00", "USD"),
    )
    assert (line.tax, draft.total) == (Money("2.40", "USD"), Money("32.40", "USD"))
    assert line.credits_applied == Money("0.00", "USD")


def test_having_invoiced_more_than_the_period_now_comes_to_is_a_credit() -> None:
    draft = build_invoice(
        [flat("calls", "15.00", partially_invoiced_amount="20.00")], currency="USD"
    )
    assert draft.total == Money("-5.00", "USD")
    assert not draft.paid_on_issue


def test_an_already_invoiced_amount_may_be_text_but_never_a_float() -> None:
    def charge(partial: Any) -> RatedCharge:
        return RatedCharge(
            price_id="calls",
            name="Calls",
            result=TIERED.evaluate(150_000),
            start_date=START,
            end_date=END,
            partially_invoiced_amount=partial,
        )

    assert build_invoice([charge("7.00")], currency="USD").total == Money("100.00", "USD")
    with pytest.raises(ValidationError, match=r"^charges\.0\.partially_invoiced_amount: floats"):
        build_invoice([charge(7.0)], currency="USD")


def test_every_input_problem_is_reported_at_once_with_its_path() -> None:
    charges = [
        flat("a", "1.00", partially_invoiced_amount="0.001"),
        RatedCharge(
            price_id="a", name="", result=TIERED.evaluate(1), start_date=END, end_date=START
        ),
    ]
    given = [
        AmountDiscount(amount_discount="0.5", applies_to_price_ids=["a"]),
        Minimum(minimum_amount="1", applies_to_price_ids=["a", "b"]),
    ]
    with pytest.raises(ValidationError) as caught:
        build_invoice(charges, currency="JPY", adjustments=given)
    paths = [".".join(map(str, problem.path)) for problem in caught.value.problems]
    assert paths == [
        "charges.0.partially_invoiced_amount",
        "charges.1.name",
        "charges.1.end_date",
        "charges.1.price_id",
        "adjustments.0.amount_discount",
        "adjustments.1.applies_to_price_ids",
    ]
