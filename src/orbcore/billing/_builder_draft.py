"""``InvoiceDraft``: what the invoice builder returns, immutable and adding up as shown.

Every amount is ``Money`` rounded to the currency's minor unit. The derived figures (a
line's adjusted subtotal, amount and tax; the invoice's totals) are computed from their
parts when a draft is made, so a draft cannot disagree with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from orbcore.billing._adjustments import (
    Adjustment,
    AmountDiscount,
    Maximum,
    Minimum,
    PercentageDiscount,
    UsageDiscount,
)
from orbcore.billing._builder_explain import explain
from orbcore.billing._builder_rounding import sum_money
from orbcore.billing._tax import TaxAmount
from orbcore.money import Currency, Money, RoundingMode

__all__ = ["AppliedAdjustment", "DraftLine", "DraftSubLine", "InvoiceDraft"]

_DISCOUNTS = (UsageDiscount, AmountDiscount, PercentageDiscount)


@dataclass(frozen=True, slots=True)
class DraftSubLine:
    """One part of a line's subtotal (a tier, a cell, a group), rounded for display.

    ``quantity`` and ``unit_amount`` are shown exactly as rated; ``amount`` is rounded so
    that a line's sub-lines add up to its subtotal.
    """

    name: str
    quantity: Decimal
    amount: Money
    unit_amount: Decimal | None = None
    grouping: tuple[str | None, ...] | None = None


@dataclass(frozen=True, slots=True)
class AppliedAdjustment:
    """An adjustment as applied to one line, with the change it made to the line.

    ``amount`` is signed: negative for discounts and maximums, positive for minimums.
    """

    adjustment: Adjustment
    amount: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftLine:
    """One line of a draft invoice, in Orb's line-item shape.

    ``adjusted_subtotal`` (subtotal plus the adjustments' changes), ``amount`` (adjusted
    subtotal less credits and what was already invoiced; before tax) and ``tax`` are
    derived from the other fields.
    """

    price_id: str
    name: str
    quantity: Decimal
    start_date: datetime
    end_date: datetime
    subtotal: Money
    sub_lines: tuple[DraftSubLine, ...] = ()
    adjustments: tuple[AppliedAdjustment, ...] = ()
    credits_applied: Money
    partially_invoiced_amount: Money
    tax_amounts: tuple[TaxAmount, ...] = ()
    adjusted_subtotal: Money = field(init=False)
    amount: Money = field(init=False)
    tax: Money = field(init=False)

    def __post_init__(self) -> None:
        currency = self.subtotal.currency
        changes = sum_money((applied.amount for applied in self.adjustments), currency)
        adjusted = self.subtotal + changes
        amount = adjusted - self.credits_applied - self.partially_invoiced_amount
        tax = sum_money((tax.amount for tax in self.tax_amounts), currency)
        object.__setattr__(self, "adjusted_subtotal", adjusted)
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "tax", tax)

    def changes_by(self, *kinds: type[Adjustment]) -> Money:
        """The sum of the changes made by adjustments of the given types."""
        found = (a.amount for a in self.adjustments if isinstance(a.adjustment, kinds))
        return sum_money(found, self.subtotal.currency)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDraft:
    """A draft invoice: lines and totals in one currency, every figure as displayed.

    Totals: ``subtotal`` (lines' subtotals, before adjustments), ``total_discounts``,
    ``total_minimums`` and ``total_maximums`` (what discounts took off, minimums added and
    maximums capped, each as a positive amount), ``adjusted_subtotal``, ``credits_applied``,
    ``partially_invoiced_amount``, ``tax`` and ``total`` (the lines' amounts plus tax).
    ``unapplied_adjustments`` lists adjustments none of whose prices has a line here.
    """

    currency: Currency
    rounding: RoundingMode
    lines: tuple[DraftLine, ...]
    unapplied_adjustments: tuple[Adjustment, ...] = ()
    subtotal: Money = field(init=False)
    total_discounts: Money = field(init=False)
    total_minimums: Money = field(init=False)
    total_maximums: Money = field(init=False)
    adjusted_subtotal: Money = field(init=False)
    credits_applied: Money = field(init=False)
    partially_invoiced_amount: Money = field(init=False)
    tax: Money = field(init=False)
    total: Money = field(init=False)

    def __post_init__(self) -> None:
        def total(name: str) -> Money:
            return sum_money((getattr(line, name) for line in self.lines), self.currency)

        def changes(*kinds: type[Adjustment]) -> Money:
            return sum_money((line.changes_by(*kinds) for line in self.lines), self.currency)

        values = {
            "subtotal": total("subtotal"),
            "total_discounts": -changes(*_DISCOUNTS),
            "total_minimums": changes(Minimum),
            "total_maximums": -changes(Maximum),
            "adjusted_subtotal": total("adjusted_subtotal"),
            "credits_applied": total("credits_applied"),
            "partially_invoiced_amount": total("partially_invoiced_amount"),
            "tax": total("tax"),
        }
        values["total"] = total("amount") + values["tax"]
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def paid_on_issue(self) -> bool:
        """Whether the invoice totals zero, so that issuing it marks it paid (Orb: "$0
        invoices are automatically marked as paid upon issuance")."""
        return not self.total

    def explain(self) -> str:
        """The draft printed like an invoice: lines, sub-lines, adjustments, tax, totals."""
        return explain(self)

    def __str__(self) -> str:
        return self.explain()
