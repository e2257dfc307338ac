"""A realistic catalog: read from Orb's JSON, written back as given, billed through a
subscription timeline and the invoice builder."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from orbcore import Cadence, Money
from orbcore.billing import (
    BillableCharge,
    BillingMode,
    PlanDefinition,
    PriceKind,
    PriceRef,
    RatedCharge,
    SubscriptionTimeline,
    build_invoice,
    charges_on,
    invoice_dates,
)
from orbcore.pricing import Usage

# Orb's tiers of invoice-calculation Example 1, the other prices in the catalog's style.
CATALOG_JSON = """{
  "name": "Growth",
  "currency": "USD",
  "external_plan_id": "growth-2024",
  "default_invoice_memo": "Thank you for building with us.",
  "metadata": {"segment": "smb"},
  "net_terms": 30,
  "version": 1,
  "prices": [
    {"id": "platform", "name": "Platform fee", "model_type": "unit",
     "unit_config": {"unit_amount": "50.00"}, "cadence": "monthly",
     "billing_mode": "in_advance", "price_type": "fixed_price", "item_id": "item_platform"},
    {"id": "api_calls", "name": "API calls", "model_type": "tiered",
     "tiered_config": {"tiers": [
       {"first_unit": 0, "last_unit": 10000, "unit_amount": "0.001"},
       {"first_unit": 10000, "last_unit": 100000, "unit_amount": "0.0008"},
       {"first_unit": 100000, "last_unit": null, "unit_amount": "0.0005"}]},
     "cadence": "monthly", "billing_mode": "in_arrear", "price_type": "usage_price",
     "billable_metric_id": "met_api_calls"},
    {"id": "compute", "name": "Compute hours", "model_type": "matrix",
     "matrix_config": {"dimensions": ["region"], "default_unit_amount": "0.02",
       "matrix_values": [{"dimension_values": ["us"], "unit_amount": "0.01"},
                         {"dimension_values": ["eu"], "unit_amount": "0.015"}]},
     "cadence": "monthly", "billing_mode": "in_arrear", "price_type": "usage_price",
     "billable_metric_id": "met_compute_hours"},
    {"id": "support", "name": "Premium support", "model_type": "unit",
     "unit_config": {"unit_amount": "1200.00"}, "cadence": "annual",
     "billing_mode": "in_advance", "price_type": "fixed_price",
     "item": {"id": "item_support", "name": "Support"}}
  ]
}"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def catalog() -> PlanDefinition:
    return PlanDefinition.from_orb(CATALOG_JSON)


def test_the_catalog_reads_and_exports_exactly_as_written() -> None:
    written = json.loads(CATALOG_JSON, parse_float=Decimal)
    assert catalog().to_orb() == written
    assert json.loads(catalog().to_json(), parse_float=Decimal) == written


def test_the_catalog_bills_monthly_on_an_annual_term() -> None:
    plan = catalog()
    assert plan.billing_cadence == Cadence.monthly()
    assert plan.term_cadence == Cadence.annual()


def test_each_price_is_a_timeline_price_ref_with_its_kind_and_mode() -> None:
    refs = catalog().price_refs()
    assert refs == (
        PriceRef.fixed_fee("platform", Cadence.monthly()),
        PriceRef.usage("api_calls", Cadence.monthly()),
        PriceRef.usage("compute", Cadence.monthly()),
        PriceRef.fixed_fee("support", Cadence.annual()),
    )
    assert [(r.kind, r.billing_mode) for r in refs[:2]] == [
        (PriceKind.FIXED, BillingMode.IN_ADVANCE),
        (PriceKind.USAGE, BillingMode.IN_ARREAR),
    ]


def test_price_refs_under_a_plan_id_name_the_stored_rows() -> None:
    refs = catalog().price_refs(plan_id="pln_growth")
    assert [r.price_id for r in refs][:2] == ["pln_growth:v1:platform", "pln_growth:v1:api_calls"]


def subscribe(plan: PlanDefinition) -> SubscriptionTimeline:
    return SubscriptionTimeline.create(
        date(2024, 1, 1), plan.price_refs(), trial_days=plan.trial_days, plan_id="pln_growth"
    )


def test_the_first_invoice_bills_the_platform_fee_and_a_year_of_support() -> None:
    lines = [
        (c.price_id, c.service_period.end.date())
        for c in charges_on(subscribe(catalog()), utc(2024, 1, 1))
    ]
    assert lines == [("platform", date(2024, 2, 1)), ("support", date(2025, 1, 1))]


def rate(plan: PlanDefinition, charge: BillableCharge, usage: dict[str, Any]) -> RatedCharge:
    price = plan.price(charge.price_id)
    quantity = usage[charge.price_id] if price.kind is PriceKind.USAGE else charge.quantity
    return RatedCharge.from_price(
        price.price,
        quantity,
        price_id=charge.price_id,
        start_date=charge.service_period.start,
        end_date=charge.service_period.end,
    )


def test_the_february_invoice_bills_january_usage_and_the_february_fee() -> None:
    plan = catalog()
    timeline = subscribe(plan)
    assert invoice_dates(timeline, utc(2024, 3, 2)) == [
        utc(2024, 1, 1),
        utc(2024, 2, 1),
        utc(2024, 3, 1),
    ]
    january = {
        "api_calls": 150_000,
        "compute": Usage(Decimal(3000), groups={("us",): Decimal(1000), ("eu",): Decimal(2000)}),
    }
    charges = charges_on(timeline, utc(2024, 2, 1))
    assert [(c.price_id, c.service_period.start.date()) for c in charges] == [
        ("api_calls", date(2024, 1, 1)),
        ("compute", date(2024, 1, 1)),
        ("platform", date(2024, 2, 1)),
    ]
    draft = build_invoice(
        [rate(plan, c, january) for c in charges],
        currency=plan.currency,
        adjustments=plan.all_adjustments,
    )
    # Orb's Example 1: 10,000 x $0.001 + 90,000 x $0.0008 + 50,000 x $0.0005 = $107.00.
    assert [line.subtotal for line in draft.lines] == [
        Money("107.00", "USD"),
        Money("40.00", "USD"),  # 1,000 x $0.01 + 2,000 x $0.015
        Money("50.00", "USD"),
    ]
    assert draft.total == Money("197.00", "USD")


@pytest.mark.parametrize(
    ("cadences", "billing", "term"),
    [
        (["monthly", "monthly"], Cadence.monthly(), Cadence.monthly()),
        (["monthly", "annual"], Cadence.monthly(), Cadence.annual()),
        (["monthly", "quarterly", "annual"], Cadence.monthly(), Cadence.annual()),
        (["quarterly", "annual"], Cadence.quarterly(), Cadence.annual()),
        (["one_time", "semi_annual"], Cadence.semi_annual(), Cadence.semi_annual()),
    ],
)
def test_billing_and_term_cadences_follow_orbs_examples(
    cadences: list[str], billing: Cadence, term: Cadence
) -> None:
    prices = [
        {
            "name": f"Fee {n}",
            "model_type": "unit",
            "unit_config": {"unit_amount": "1"},
            "cadence": c,
        }
        for n, c in enumerate(cadences)
    ]
    plan = PlanDefinition.from_orb({"name": "P", "currency": "USD", "prices": prices})
    assert (plan.billing_cadence, plan.term_cadence) == (billing, term)


def test_a_plan_minimum_lifts_the_usage_line_as_in_orbs_commitment_example() -> None:
    # Orb: $2.50 per call, a monthly minimum of $50: 9 calls -> $22.50 billed as $50.00.
    plan = PlanDefinition.from_orb(
        {
            "name": "Commit",
            "currency": "USD",
            "prices": [
                {
                    "id": "calls",
                    "name": "Calls",
                    "model_type": "unit",
                    "cadence": "monthly",
                    "billable_metric_id": "met_calls",
                    "unit_config": {"unit_amount": "2.50"},
                },
            ],
            "adjustments": [
                {
                    "adjustment_type": "minimum",
                    "minimum_amount": "50.00",
                    "applies_to_price_ids": ["calls"],
                    "is_invoice_level": False,
                },
            ],
        }
    )
    timeline = subscribe(plan)
    totals = []
    for calls in (9, 28):
        charges = charges_on(timeline, utc(2024, 2, 1))
        rated = [rate(plan, c, {"calls": calls}) for c in charges]
        draft = build_invoice(rated, currency="USD", adjustments=plan.all_adjustments)
        totals.append((draft.subtotal, draft.total))
    assert totals == [
        (Money("22.50", "USD"), Money("50.00", "USD")),
        (Money("70.00", "USD"), Money("70.00", "USD")),
    ]


def test_a_fixed_fee_quantity_is_the_timeline_quantity_and_rates_without_usage() -> None:
    # Orb's fixed fee example: unit_amount 2.00, fixed_price_quantity 3 -> 6.00.
    plan = PlanDefinition.from_orb(
        {
            "name": "Seats",
            "currency": "USD",
            "prices": [
                {
                    "name": "Seats",
                    "model_type": "unit",
                    "cadence": "monthly",
                    "fixed_price_quantity": 3,
                    "unit_config": {"unit_amount": "2.00"},
                },
            ],
        }
    )
    seats = plan.prices[0]
    assert seats.ref() == PriceRef.fixed_fee("seats", Cadence.monthly(), quantity=3)
    assert seats.price.evaluate().amount == Decimal("6.00")


def test_a_trial_feeds_the_timeline() -> None:
    raw = {**catalog().to_orb(), "trial_config": {"trial_period": 14, "trial_period_unit": "days"}}
    plan = PlanDefinition.from_orb(raw)
    assert plan.trial_days == 14
    assert subscribe(plan).trial_end == utc(2024, 1, 15)
