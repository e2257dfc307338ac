"""The draft as text and as storage records."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orbcore import Money, ValidationError
from orbcore.billing import (
    Invoice,
    InvoiceDraft,
    Minimum,
    PercentageDiscount,
    RatedCharge,
    RateTableTax,
    build_invoice,
    invoice_record,
    parse_adjustment,
)
from orbcore.pricing import Price

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)

TIERED = {
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
HOURS = {"model_type": "unit", "name": "Compute hours", "unit_config": {"unit_amount": "0.10"}}


def two_line_draft() -> InvoiceDraft:
    """Calls (40.00 already invoiced this period) and compute hours under a minimum, with a
    10% invoice-level discount and 8% sales tax."""
    charges = [
        RatedCharge.from_price(
            Price.from_orb(TIERED),
            150_000,
            price_id="price_calls",
            start_date=START,
            end_date=END,
            partially_invoiced_amount="40.00",
        ),
        RatedCharge.from_price(
            Price.from_orb(HOURS), 200, price_id="price_compute", start_date=START, end_date=END
        ),
    ]
    adjustments = [
        PercentageDiscount(percentage_discount="0.1", is_invoice_level=True, applies_to_all=True),
        Minimum(minimum_amount="50.00", applies_to_price_ids=["price_compute"]),
    ]
    tax = RateTableTax.flat("0.08", name="Sales tax")
    return build_invoice(charges, currency="USD", adjustments=adjustments, tax=tax)


def test_a_draft_prints_like_an_invoice() -> None:
    assert str(two_line_draft()) == "\n".join(
        [
            "Invoice draft in USD",
            "",
            "API calls [price_calls], 2024-01-01 to 2024-02-01",
            "  quantity 150000",
            "  tier 1 (0-10000): 10000 x 0.001         10.00",
            "  tier 2 (10000-100000): 90000 x 0.0008   72.00",
            "  tier 3 (100000-): 50000 x 0.0005        25.00",
            "  subtotal                               107.00",
            "  10% discount (invoice)                 -10.70",
            "  adjusted subtotal                       96.30",
            "  already invoiced                       -40.00",
            "  amount                                  56.30",
            "  Sales tax 8%                             4.50",
            "",
            "Compute hours [price_compute], 2024-01-01 to 2024-02-01",
            "  quantity 200",
            "  units: 200 x 0.10                       20.00",
            "  subtotal                                20.00",
            "  10% discount (invoice)                  -2.00",
            "  minimum 50.00                           32.00",
            "  adjusted subtotal                       50.00",
            "  amount                                  50.00",
            "  Sales tax 8%                             4.00",
            "",
            "Subtotal                                 127.00",
            "Discounts                                -12.70",
            "Minimums                                  32.00",
            "Already invoiced                         -40.00",
            "Tax                                        8.50",
            "Total                                    114.80",
        ]
    )


def test_a_zero_invoice_says_it_is_paid_on_issue() -> None:
    free = parse_adjustment(
        {
            "adjustment_type": "percentage_discount",
            "percentage_discount": "1",
            "is_invoice_level": True,
            "applies_to_all": True,
        }
    )
    charge = RatedCharge.from_price(
        Price.from_orb(HOURS), 10, price_id="price_compute", start_date=START, end_date=END
    )
    draft = build_invoice([charge], currency="USD", adjustments=[free])
    assert draft.paid_on_issue
    *_, total, flag = draft.explain().splitlines()
    assert total.split() == ["Total", "0.00"]
    assert flag == "Paid on issue (the total is zero)"


def test_a_draft_is_immutable() -> None:
    draft = two_line_draft()
    with pytest.raises(dataclasses.FrozenInstanceError):
        draft.total = Money("0", "USD")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        draft.lines[0].amount = Money("0", "USD")  # type: ignore[misc]


def test_the_storage_record_keeps_the_totals_and_every_step_as_decimal_strings() -> None:
    record = invoice_record(
        two_line_draft(),
        invoice_id="inv_1",
        customer_id="cus_1",
        invoice_date=END,
        created_at=END,
        subscription_id="sub_1",
    )
    assert isinstance(record, Invoice)
    assert (record.status, record.currency, record.period_start, record.period_end) == (
        "draft",
        "USD",
        START,
        END,
    )
    assert (record.subtotal, record.tax, record.total, record.amount_due) == (
        Decimal("127.00"),
        Decimal("8.50"),
        Decimal("114.80"),
        Decimal("114.80"),
    )
    calls = record.lines[0]
    assert (calls.id, calls.position, calls.price_id, calls.amount) == (
        "inv_1-1",
        1,
        "price_calls",
        Decimal("56.30"),
    )
    assert calls.sub_lines[1] == {
        "name": "tier 2 (10000-100000)",
        "quantity": "90000",
        "amount": "72.00",
        "unit_amount": "0.0008",
    }
    assert calls.adjustments == [
        {
            "step": "adjustment",
            "adjustment_type": "percentage_discount",
            "percentage_discount": "0.1",
            "applies_to_price_ids": [],
            "is_invoice_level": True,
            "applies_to_all": True,
            "amount": "-10.70",
        },
        {"step": "partially_invoiced", "amount": "-40.00"},
        {
            "step": "tax",
            "tax_rate_description": "Sales tax 8%",
            "tax_rate_percentage": "8.00",
            "amount": "4.50",
        },
    ]


def test_a_stored_line_gives_back_its_subtotal_and_tax() -> None:
    draft = two_line_draft()
    record = invoice_record(
        draft, invoice_id="inv_1", customer_id="cus_1", invoice_date=END, created_at=END
    )
    for line, stored in zip(draft.lines, record.lines, strict=True):
        steps = [Decimal(step["amount"]) for step in stored.adjustments if step["step"] != "tax"]
        taxes = [Decimal(step["amount"]) for step in stored.adjustments if step["step"] == "tax"]
        assert stored.amount - sum(steps) == line.subtotal.amount
        assert sum(taxes) == line.tax.amount
        assert sum(Decimal(sub["amount"]) for sub in stored.sub_lines) == line.subtotal.amount


def test_a_draft_without_lines_needs_a_period_to_be_stored() -> None:
    draft = build_invoice([], currency="USD")
    with pytest.raises(ValidationError, match=r"^period_start: a draft without lines"):
        invoice_record(draft, invoice_id="i", customer_id="c", invoice_date=END, created_at=END)
    record = invoice_record(
        draft,
        invoice_id="i",
        customer_id="c",
        invoice_date=END,
        created_at=END,
        period_start=START,
        period_end=END,
    )
    assert (record.lines, record.total) == ((), Decimal("0.00"))
