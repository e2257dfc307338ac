"""Invariants of every invoice: it adds up as displayed, discounts never overshoot,
maximums hold, minimums are met, and bad adjustment JSON names the bad field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import Money, RoundingMode, ValidationError
from orbcore.billing import (
    Adjustment,
    InvoiceDraft,
    Maximum,
    Minimum,
    RatedCharge,
    RateTableTax,
    build_invoice,
    parse_adjustment,
)
from orbcore.money import get_currency, quantize
from orbcore.pricing import Price

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)
KINDS = {
    "usage_discount": "usage_discount",
    "amount_discount": "amount_discount",
    "percentage_discount": "percentage_discount",
    "minimum": "minimum_amount",
    "maximum": "maximum_amount",
}


def decimals(places: int, largest: int) -> st.SearchStrategy[Decimal]:
    """Decimals from 0 to ``largest`` with up to ``places`` decimals."""
    return st.integers(0, largest * 10**places).map(lambda n: Decimal(n).scaleb(-places))


def text(value: Decimal) -> str:
    return format(value, "f")


@st.composite
def prices(draw: st.DrawFn) -> dict[str, Any]:
    """A unit price or a graduated (tiered) price, rates with up to 5 decimals."""
    if draw(st.booleans()):
        return {"model_type": "unit", "unit_config": {"unit_amount": text(draw(decimals(5, 50)))}}
    bounds = sorted(draw(st.lists(st.integers(1, 5000), min_size=1, max_size=3, unique=True)))
    tiers = [
        {"first_unit": low, "last_unit": high, "unit_amount": text(draw(decimals(5, 5)))}
        for low, high in zip([0, *bounds], [*bounds, None], strict=True)
    ]
    return {"model_type": "tiered", "tiered_config": {"tiers": tiers}}


@st.composite
def adjustment_json(draw: st.DrawFn, price_ids: list[str], places: int) -> dict[str, Any]:
    """An adjustment in Orb's JSON over some of ``price_ids`` (or a price with no line)."""
    kind = draw(st.sampled_from(sorted(KINDS)))
    targets = st.sampled_from([*price_ids, "price_absent"])
    scope: dict[str, Any] = {"applies_to_price_ids": [draw(targets)]}
    if kind != "usage_discount" and draw(st.booleans()):
        ids = draw(st.lists(targets, min_size=1, max_size=3, unique=True))
        everything = draw(st.booleans())
        scope = {"is_invoice_level": True, "applies_to_price_ids": [] if everything else ids}
        scope |= {"applies_to_all": True} if everything else {}
    if kind == "usage_discount":
        value = draw(decimals(2, 5000))
    elif kind == "percentage_discount":
        value = draw(decimals(3, 1))
    else:
        value = draw(decimals(places, 200))
    return {"adjustment_type": kind, KINDS[kind]: text(value), **scope}


@st.composite
def invoices(draw: st.DrawFn, partial: bool = True) -> tuple[InvoiceDraft, list[Any], Decimal]:
    """A built draft with its inputs: the exact price results and the tax rate."""
    currency = get_currency(draw(st.sampled_from(["USD", "JPY", "IQD"])))
    places = currency.minor_units
    count = draw(st.integers(1, 4))
    price_ids = [f"price_{n}" for n in range(count)]
    charges = [
        RatedCharge.from_price(
            Price.from_orb(draw(prices())),
            draw(decimals(2, 20000)),
            price_id=price_id,
            start_date=START,
            end_date=END,
            partially_invoiced_amount=draw(decimals(places, 30)) if partial else 0,
        )
        for price_id in price_ids
    ]
    bodies = draw(st.lists(adjustment_json(price_ids, places), max_size=5))
    adjustments = [parse_adjustment(body) for body in bodies]
    rate = draw(decimals(4, 1).filter(lambda r: r <= Decimal("0.25")))
    draft = build_invoice(
        charges,
        currency=currency,
        adjustments=adjustments,
        tax=RateTableTax.flat(rate),
        rounding=draw(st.sampled_from(list(RoundingMode))),
    )
    return draft, charges, rate


def shown(money: Money) -> str:
    """Check ``money`` is displayed with exactly the currency's decimals; return its text."""
    places = money.currency.minor_units
    digits = money.to_decimal_string().partition(".")[2]
    assert len(digits) == places, money
    return money.to_decimal_string()


def total(values: list[Money], like: Money) -> Money:
    return Money.sum(values, like.currency)


@given(invoices())
def test_every_invoice_adds_up_exactly_as_displayed(built: tuple[InvoiceDraft, Any, Any]) -> None:
    draft, charges, _ = built
    read = {name: Decimal(shown(getattr(draft, name))) for name in ("subtotal", "tax", "total")}
    lines = draft.lines
    assert read["subtotal"] == sum(Decimal(shown(line.subtotal)) for line in lines)
    assert read["tax"] == sum(Decimal(shown(t.amount)) for line in lines for t in line.tax_amounts)
    assert read["total"] == sum(Decimal(shown(line.amount)) for line in lines) + read["tax"]
    for line, charge in zip(lines, charges, strict=True):
        subs = [Decimal(shown(sub.amount)) for sub in line.sub_lines]
        assert sum(subs) == Decimal(shown(line.subtotal))
        changes = [Decimal(shown(applied.amount)) for applied in line.adjustments]
        assert line.subtotal.amount + sum(changes) == Decimal(shown(line.adjusted_subtotal))
        assert line.adjusted_subtotal - line.partially_invoiced_amount == line.amount
        # Each displayed figure is its exact value rounded: within one minor unit.
        unit = line.subtotal.currency.quantum
        assert abs(line.subtotal.amount - charge.result.amount) < unit
        for sub, exact in zip(line.sub_lines, charge.result.sub_lines, strict=True):
            assert abs(sub.amount.amount - exact.amount) < unit
    adjusted = draft.subtotal - draft.total_discounts + draft.total_minimums - draft.total_maximums
    assert adjusted == draft.adjusted_subtotal


@given(invoices())
def test_tax_is_the_rate_on_the_invoice_rounded_once(
    built: tuple[InvoiceDraft, Any, Decimal],
) -> None:
    draft, _, rate = built
    exact = sum(line.amount.amount for line in draft.lines) * rate
    assert draft.tax.amount == quantize(exact, draft.currency.minor_units, draft.rounding)
    for line in draft.lines:
        share = Fraction(line.amount.amount) * Fraction(rate)
        assert abs(Fraction(line.tax.amount) - share) < Fraction(draft.currency.quantum)


@given(invoices(partial=False))
def test_adjustments_never_make_a_line_negative(built: tuple[InvoiceDraft, Any, Any]) -> None:
    draft, _, _ = built
    for line in draft.lines:
        running = line.subtotal
        for applied in line.adjustments:
            if isinstance(applied.adjustment, Minimum):
                assert applied.amount.amount >= 0
            else:
                assert applied.amount.amount <= 0
            running += applied.amount
            assert running.amount >= 0
        assert line.amount.amount >= 0


def lines_of(adjustment: Adjustment, draft: InvoiceDraft) -> list[Money]:
    return [line.adjusted_subtotal for line in draft.lines if adjustment.applies_to(line.price_id)]


@given(invoices())
def test_a_maximum_is_never_exceeded(built: tuple[InvoiceDraft, Any, Any]) -> None:
    draft, _, _ = built
    applied = {a.adjustment for line in draft.lines for a in line.adjustments}
    for maximum in (a for a in applied if isinstance(a, Maximum)):
        amounts = lines_of(maximum, draft)
        assert total(amounts, amounts[0]).amount <= maximum.maximum_amount


@given(invoices())
def test_a_minimum_is_met_unless_a_maximum_caps_the_same_prices(
    built: tuple[InvoiceDraft, Any, Any],
) -> None:
    draft, _, _ = built
    applied = [a.adjustment for line in draft.lines for a in line.adjustments]
    capped = {
        line.price_id
        for line in draft.lines
        for a in applied
        if isinstance(a, Maximum) and a.applies_to(line.price_id)
    }
    for minimum in (a for a in applied if isinstance(a, Minimum)):
        covered = {line.price_id for line in draft.lines if minimum.applies_to(line.price_id)}
        if covered & capped:
            continue
        amounts = lines_of(minimum, draft)
        assert total(amounts, amounts[0]).amount >= minimum.minimum_amount


BAD_VALUES: dict[str, list[Any]] = {
    "value": ["-1", "x", 0.5, True, None, [], "NaN"],
    "applies_to_price_ids": ["price_0", [1], None, 3],
    "is_invoice_level": ["yes", 1, None],
    "applies_to_all": ["no", 0],
    "id": [7, ["a"]],
    "reason": [1.5, {}],
}


@given(st.data())
def test_invalid_adjustment_json_always_names_the_field(data: st.DataObject) -> None:
    body = data.draw(adjustment_json(["price_0", "price_1"], 2))
    field = data.draw(st.sampled_from(sorted(BAD_VALUES)))
    bad = data.draw(st.sampled_from(BAD_VALUES[field]))
    name = KINDS[body["adjustment_type"]] if field == "value" else field
    broken = {**body, name: bad}
    with pytest.raises(ValidationError) as caught:
        parse_adjustment(broken)
    assert any(problem.path[:1] == (name,) for problem in caught.value.problems)


@given(st.data())
def test_unknown_fields_and_types_are_named(data: st.DataObject) -> None:
    body = data.draw(adjustment_json(["price_0"], 2))
    extra = data.draw(st.sampled_from(["filters", "amount", "applies_to_item_ids", "currency"]))
    with pytest.raises(ValidationError) as caught:
        parse_adjustment({**body, extra: "x"})
    assert (extra,) in [problem.path for problem in caught.value.problems]
    with pytest.raises(ValidationError, match=r"^adjustment_type: unknown"):
        parse_adjustment({**body, "adjustment_type": data.draw(st.sampled_from(["trial", 1]))})
