"""The invoice builder: rated charges and adjustments in, an ``InvoiceDraft`` out. Pure.

Each line goes through Orb's pipeline: quantity, subtotal (rated by the price), usage
discounts, amount discounts, percentage discounts, minimums, maximums, prepaid credits
(a hook: none yet), less what earlier threshold invoices already billed, then tax.

Rounding happens at declared points, with the invoice's one :class:`RoundingMode`
(half-up by default), so that the draft adds up exactly as displayed:

1. a line's subtotal is its exact rated amount rounded once; its sub-lines are rounded by
   the largest-remainder method so that they add up to it;
2. each adjustment changes a line by whole minor units: a percentage discount is rounded
   where it is computed, a usage discount is the difference of two rounded ratings, and
   an invoice-level adjustment is rounded once and spread over its lines with
   :func:`orbcore.money.allocate`;
3. tax is whole minor units per line (the calculator's rounding point).

Everything after that is a sum: no total is rounded again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orbcore._errors import Problem, ValidationError
from orbcore.billing._adjust_apply import STAGES, adjustment_changes, usage_discount_change
from orbcore.billing._adjustments import (
    Adjustment,
    AmountDiscount,
    Maximum,
    Minimum,
    UsageDiscount,
)
from orbcore.billing._builder_charge import RatedCharge, charge_problems
from orbcore.billing._builder_draft import AppliedAdjustment, DraftLine, DraftSubLine, InvoiceDraft
from orbcore.billing._builder_rounding import round_money, split_rounded, zero_money
from orbcore.billing._tax import TaxableLine, TaxAmount, TaxCalculator, TaxContext
from orbcore.money import Currency, Money, RoundingMode, get_currency, is_quantized, to_decimal

__all__ = ["build_invoice"]

_MONEY_VALUED = (AmountDiscount, Minimum, Maximum)


def build_invoice(
    charges: Sequence[RatedCharge],
    *,
    currency: Currency | str,
    adjustments: Sequence[Adjustment] = (),
    tax: TaxCalculator | None = None,
    customer_id: str | None = None,
    jurisdiction: str | None = None,
    rounding: RoundingMode | str = RoundingMode.HALF_UP,
) -> InvoiceDraft:
    """Build a draft invoice: one line per charge, adjusted, taxed and rounded.

    Args:
        charges: the rated prices of the period, one per price.
        currency: the invoice's currency; its minor units set every rounding.
        adjustments: discounts, minimums and maximums, price- or invoice-level. Within a
            type, price-level ones apply before invoice-level ones, each in the order given.
        tax: computes each line's taxes (``RateTableTax``, or an adapter); none if omitted.
        customer_id: passed to the tax calculator.
        jurisdiction: where the customer is taxed (``"US-CA"``), for the tax calculator.
        rounding: the rounding mode of every rounding point (half-up by default).

    Returns:
        The draft, immutable, whose figures add up as displayed.

    Raises:
        ValidationError: every problem with the charges and adjustments, each with its
            path (``charges.0.partially_invoiced_amount``), or a tax calculator's answer
            that does not fit the lines.

    >>> from orbcore.pricing import Price
    >>> price = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "2.50"}})
    >>> start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    >>> charge = RatedCharge.from_price(price, 9, price_id="calls", start_date=start, end_date=end)
    >>> commitment = Minimum(minimum_amount="50.00", applies_to_price_ids=["calls"])
    >>> draft = build_invoice([charge], currency="USD", adjustments=[commitment])
    >>> draft.subtotal, draft.total
    (Money('22.50', 'USD'), Money('50.00', 'USD'))
    """
    unit = get_currency(currency)
    mode = _mode(rounding)
    problems = charge_problems(charges, unit) + _adjustment_problems(adjustments, charges, unit)
    if problems:
        raise ValidationError(problems)
    work = [_Work.start(charge, unit, mode) for charge in charges]
    unapplied = _adjust(work, adjustments, mode)
    context = TaxContext(unit, mode, customer_id, jurisdiction)
    taxes = _taxes(tax, work, context)
    lines = tuple(line.finish(line_taxes) for line, line_taxes in zip(work, taxes, strict=True))
    return InvoiceDraft(currency=unit, rounding=mode, lines=lines, unapplied_adjustments=unapplied)


@dataclass(slots=True)
class _Work:
    """A line on its way through the pipeline."""

    charge: RatedCharge
    subtotal: Money
    sub_lines: tuple[DraftSubLine, ...]
    running: Money
    quantity: Decimal
    mode: RoundingMode
    applied: list[AppliedAdjustment] = field(default_factory=list)

    @classmethod
    def start(cls, charge: RatedCharge, currency: Currency, mode: RoundingMode) -> _Work:
        result = charge.result
        subtotal = round_money(result.amount, currency, mode)
        exact = [sub.amount for sub in result.sub_lines]
        amounts = split_rounded(exact, subtotal) if exact else []
        sub_lines = tuple(
            DraftSubLine(sub.name, sub.quantity, amount, sub.unit_amount, sub.grouping)
            for sub, amount in zip(result.sub_lines, amounts, strict=True)
        )
        return cls(charge, subtotal, sub_lines, subtotal, result.quantity, mode)

    def change(self, adjustment: Adjustment, amount: Money) -> None:
        self.running += amount
        self.applied.append(AppliedAdjustment(adjustment, amount))

    @property
    def credits_applied(self) -> Money:
        """Step 4 of Orb's pipeline: prepaid credits drawn from the customer's ledger.

        The credit ledger is a later feature; this hook is where its draw-down will go.
        Until then no credits are applied.
        """
        return zero_money(self.running.currency)

    @property
    def partially_invoiced(self) -> Money:
        # Checked to be whole minor units already: rounding only writes the decimals.
        amount = to_decimal(self.charge.partially_invoiced_amount)
        return round_money(amount, self.running.currency, self.mode)

    @property
    def taxable(self) -> Money:
        """The line's amount before tax: what tax is charged on."""
        return self.running - self.credits_applied - self.partially_invoiced

    def finish(self, taxes: Sequence[TaxAmount]) -> DraftLine:
        charge = self.charge
        return DraftLine(
            price_id=charge.price_id,
            name=charge.name,
            quantity=charge.result.quantity,
            start_date=charge.start_date,
            end_date=charge.end_date,
            subtotal=self.subtotal,
            sub_lines=self.sub_lines,
            adjustments=tuple(self.applied),
            credits_applied=self.credits_applied,
            partially_invoiced_amount=self.partially_invoiced,
            tax_amounts=tuple(taxes),
        )


def _adjust(
    work: list[_Work], adjustments: Sequence[Adjustment], mode: RoundingMode
) -> tuple[Adjustment, ...]:
    """Apply ``adjustments`` in Orb's order; return those that found no line."""
    unapplied: set[int] = set()
    for stage in STAGES:
        indexed = [(i, a) for i, a in enumerate(adjustments) if type(a) is stage]
        indexed.sort(key=lambda pair: pair[1].is_invoice_level)
        for index, adjustment in indexed:
            targets = [line for line in work if adjustment.applies_to(line.charge.price_id)]
            if not targets:
                unapplied.add(index)
            elif isinstance(adjustment, UsageDiscount):
                _usage_discount(adjustment, targets[0], mode)
            else:
                changes = adjustment_changes(adjustment, [t.running for t in targets], mode)
                for target, change in zip(targets, changes, strict=True):
                    target.change(adjustment, change)
    return tuple(adjustments[i] for i in sorted(unapplied))


def _usage_discount(discount: UsageDiscount, line: _Work, mode: RoundingMode) -> None:
    rerate = line.charge.rerate
    if rerate is None:  # reported by _adjustment_problems before any line is built
        raise ValidationError.at(("adjustments",), "a usage discount needs a charge's rerate")
    change, line.quantity = usage_discount_change(
        discount, line.quantity, line.running, rerate, mode
    )
    line.change(discount, change)


def _taxes(
    calculator: TaxCalculator | None, work: list[_Work], context: TaxContext
) -> list[tuple[TaxAmount, ...]]:
    if calculator is None:
        return [() for _ in work]
    taxable = [
        TaxableLine(position, line.charge.price_id, line.charge.name, line.taxable)
        for position, line in enumerate(work, start=1)
    ]
    found = [tuple(taxes) for taxes in calculator.calculate(taxable, context)]
    if len(found) != len(work):
        raise ValidationError.at(
            ("tax",), f"expected taxes for {len(work)} lines, got {len(found)}"
        )
    expected = f"expected a TaxAmount in whole {context.currency.code} minor units"
    problems = [
        Problem(("tax", index, position), f"{expected}, got {tax!r}")
        for index, taxes in enumerate(found)
        for position, tax in enumerate(taxes)
        if not isinstance(tax, TaxAmount)
        or tax.amount.currency != context.currency
        or not tax.amount.is_rounded
    ]
    if problems:
        raise ValidationError(problems)
    return found


def _adjustment_problems(
    adjustments: Sequence[object], charges: Sequence[object], currency: Currency
) -> list[Problem]:
    """Every problem with ``adjustments`` (callers may pass anything), each path starting
    with ``("adjustments", i)``."""
    problems: list[Problem] = []
    unrated = {c.price_id for c in charges if isinstance(c, RatedCharge) and c.rerate is None}
    for index, adjustment in enumerate(adjustments):
        path = ("adjustments", index)
        if not isinstance(adjustment, Adjustment):
            problems.append(
                Problem(path, f"expected an Adjustment, got {type(adjustment).__name__}")
            )
            continue
        problems += [Problem((*path, *p.path), p.message) for p in adjustment.problems()]
        if isinstance(adjustment, _MONEY_VALUED) and not is_quantized(
            adjustment.value, currency.minor_units
        ):
            message = f"{adjustment.value} is not a whole number of {currency.code} minor units"
            problems.append(Problem((*path, adjustment.value_field), message))
        if isinstance(adjustment, UsageDiscount):
            problems += [
                Problem(path, f"the charge of {price_id!r} has no rerate to re-rate its usage")
                for price_id in adjustment.applies_to_price_ids
                if price_id in unrated
            ]
    return problems


def _mode(rounding: RoundingMode | str) -> RoundingMode:
    try:
        return RoundingMode(rounding)
    except ValueError:
        known = ", ".join(mode.value for mode in RoundingMode)
        raise ValidationError.at(
            ("rounding",), f"unknown rounding {rounding!r} ({known})"
        ) from None
