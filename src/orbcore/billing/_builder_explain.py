"""A draft invoice as text: one row per figure, amounts in a right-aligned column."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from orbcore.money import Money

if TYPE_CHECKING:
    from orbcore.billing._builder_draft import DraftLine, DraftSubLine, InvoiceDraft

__all__ = ["explain"]

Row = tuple[str, str]


def explain(draft: InvoiceDraft) -> str:
    """``draft`` printed like an invoice; rows whose figure is zero and optional are left out."""
    rows: list[Row] = [(f"Invoice draft in {draft.currency.code}", "")]
    for line in draft.lines:
        rows += _line_rows(line)
    rows.append(("", ""))
    rows.append(("Subtotal", _money(draft.subtotal)))
    optional = [
        ("Discounts", -draft.total_discounts),
        ("Minimums", draft.total_minimums),
        ("Maximums", -draft.total_maximums),
        ("Credits", -draft.credits_applied),
        ("Already invoiced", -draft.partially_invoiced_amount),
    ]
    rows += [(label, _money(value)) for label, value in optional if value]
    rows.append(("Tax", _money(draft.tax)))
    rows.append(("Total", _money(draft.total)))
    if draft.paid_on_issue:
        rows.append(("Paid on issue (the total is zero)", ""))
    rows += [(f"Not applied: {a.describe()}", "") for a in draft.unapplied_adjustments]
    return _table(rows)


def _line_rows(line: DraftLine) -> list[Row]:
    period = f"{_when(line.start_date)} to {_when(line.end_date)}"
    rows: list[Row] = [
        ("", ""),
        (f"{line.name} [{line.price_id}], {period}", ""),
        (f"  quantity {_plain(line.quantity)}", ""),
    ]
    rows += [(f"  {_sub_line(sub)}", _money(sub.amount)) for sub in line.sub_lines]
    rows.append(("  subtotal", _money(line.subtotal)))
    for applied in line.adjustments:
        scope = " (invoice)" if applied.adjustment.is_invoice_level else ""
        rows.append((f"  {applied.adjustment.describe()}{scope}", _money(applied.amount)))
    if line.adjustments:
        rows.append(("  adjusted subtotal", _money(line.adjusted_subtotal)))
    if line.credits_applied:
        rows.append(("  credits", _money(-line.credits_applied)))
    if line.partially_invoiced_amount:
        rows.append(("  already invoiced", _money(-line.partially_invoiced_amount)))
    rows.append(("  amount", _money(line.amount)))
    rows += [(f"  {tax.description}", _money(tax.amount)) for tax in line.tax_amounts]
    return rows


def _sub_line(sub: DraftSubLine) -> str:
    if sub.unit_amount is None:
        return f"{sub.name}: {_plain(sub.quantity)}"
    return f"{sub.name}: {_plain(sub.quantity)} x {_plain(sub.unit_amount)}"


def _table(rows: list[Row]) -> str:
    width = max((len(label) for label, amount in rows if amount), default=0)
    figures = max((len(amount) for _, amount in rows), default=0)
    text = [f"{label:<{width}}  {amount:>{figures}}" if amount else label for label, amount in rows]
    return "\n".join(row.rstrip() for row in text)


def _when(instant: datetime) -> str:
    if instant.time() == time(0):
        return instant.date().isoformat()
    return instant.isoformat()


def _money(value: Money) -> str:
    return value.to_decimal_string()


def _plain(value: Decimal) -> str:
    return format(value, "f")
