"""A draft as storage records: an ``Invoice`` with its ``InvoiceLine`` s.

An ``InvoiceLine`` keeps the line's ``amount`` (before tax). The rest of the line's detail
goes in its two JSON lists, every number a decimal string:

- ``sub_lines``: ``{"name", "quantity", "amount", "unit_amount"?, "grouping"?}`` each;
- ``adjustments``: the steps after the subtotal, in order, each with its signed
  ``amount``. ``{"step": "adjustment", ...Orb's adjustment fields}`` for each adjustment,
  then ``{"step": "credits"}`` and ``{"step": "partially_invoiced"}`` when not zero, then
  ``{"step": "tax", "tax_rate_description", "tax_rate_percentage"}`` for each tax.

So a stored line's subtotal is its ``amount`` less the amounts of its non-tax steps, and
its tax is the sum of its tax steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from orbcore._errors import ValidationError
from orbcore.billing._builder_draft import DraftLine, DraftSubLine, InvoiceDraft
from orbcore.billing._records import Invoice, InvoiceLine
from orbcore.money import Money

__all__ = ["invoice_record"]


def invoice_record(
    draft: InvoiceDraft,
    *,
    invoice_id: str,
    customer_id: str,
    invoice_date: datetime,
    created_at: datetime,
    kind: str = "subscription",
    subscription_id: str | None = None,
    plan_id: str | None = None,
    reissue: int = 0,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Invoice:
    """The storage record of ``draft``: a ``draft`` invoice, lines numbered from 1.

    Line ids are ``<invoice_id>-<position>``. ``amount_due`` is the total: the customer
    balance is applied later, when the invoice is issued.

    Args:
        draft: the built draft.
        invoice_id: the invoice's id.
        customer_id: the customer billed.
        invoice_date: the invoice's date.
        created_at: when the record is made (the caller's clock).
        kind: ``subscription``, ``partial`` (a threshold invoice) or ``one_off``.
        subscription_id: the subscription billed, if any.
        plan_id: the plan whose prices it bills, if any.
        reissue: 0 for a first invoice; ``n`` for the ``n``-th replacement of one voided
            by a retroactive change.
        period_start: the period billed; by default, the earliest line start.
        period_end: by default, the latest line end.
        metadata: the invoice's metadata.

    Raises:
        ValidationError: the draft has no lines and the period is not given.
    """
    lines = draft.lines
    if period_start is None or period_end is None:
        if not lines:
            raise ValidationError.at(("period_start",), "a draft without lines needs a period")
        period_start = period_start or min(line.start_date for line in lines)
        period_end = period_end or max(line.end_date for line in lines)
    return Invoice(
        id=invoice_id,
        customer_id=customer_id,
        currency=draft.currency.code,
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        invoice_date=invoice_date,
        created_at=created_at,
        subscription_id=subscription_id,
        plan_id=plan_id,
        reissue=reissue,
        subtotal=draft.subtotal.amount,
        tax=draft.tax.amount,
        total=draft.total.amount,
        amount_due=draft.total.amount,
        lines=tuple(
            _line(line, invoice_id, position) for position, line in enumerate(lines, start=1)
        ),
        metadata=dict(metadata or {}),
    )


def _line(line: DraftLine, invoice_id: str, position: int) -> InvoiceLine:
    return InvoiceLine(
        id=f"{invoice_id}-{position}",
        invoice_id=invoice_id,
        position=position,
        name=line.name,
        quantity=line.quantity,
        amount=line.amount.amount,
        start_date=line.start_date,
        end_date=line.end_date,
        price_id=line.price_id,
        sub_lines=[_sub_line(sub) for sub in line.sub_lines],
        adjustments=_steps(line),
    )


def _sub_line(sub: DraftSubLine) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": sub.name,
        "quantity": _text(sub.quantity),
        "amount": _text(sub.amount),
    }
    if sub.unit_amount is not None:
        record["unit_amount"] = _text(sub.unit_amount)
    if sub.grouping is not None:
        record["grouping"] = list(sub.grouping)
    return record


def _steps(line: DraftLine) -> list[dict[str, Any]]:
    steps = [
        {"step": "adjustment", **_strings(a.adjustment.to_orb()), "amount": _text(a.amount)}
        for a in line.adjustments
    ]
    if line.credits_applied:
        steps.append({"step": "credits", "amount": _text(-line.credits_applied)})
    if line.partially_invoiced_amount:
        steps.append(
            {"step": "partially_invoiced", "amount": _text(-line.partially_invoiced_amount)}
        )
    steps += [
        {
            "step": "tax",
            "tax_rate_description": tax.description,
            "tax_rate_percentage": None if tax.percentage is None else _text(tax.percentage),
            "amount": _text(tax.amount),
        }
        for tax in line.tax_amounts
    ]
    return steps


def _strings(orb: dict[str, Any]) -> dict[str, Any]:
    """Orb's adjustment JSON with its numbers (``Decimal`` or ``int``) as decimal strings."""
    return {key: _text(value) if _is_number(value) else value for key, value in orb.items()}


def _is_number(value: object) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool)


def _text(value: Money | Decimal | int) -> str:
    if isinstance(value, Money):
        return value.to_decimal_string()
    return format(value, "f") if isinstance(value, Decimal) else str(value)
