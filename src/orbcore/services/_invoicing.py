"""The invoice lifecycle: edit a draft, issue it, mark it paid or void it.

Statuses move ``draft -> issued -> paid`` or ``issued -> void``, as in Orb. Issuing numbers
the invoice ``<prefix>-<sequence>`` gap-free per prefix, in the same unit of work as the
status change, so a failed issue gives its number back. A $0 invoice is paid on issuance.
Every change is a revision-checked update: two callers racing on one invoice cannot both
win, and the loser changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from orbcore._clock import Clock
from orbcore._errors import ConflictError, ValidationError
from orbcore.billing import Invoice
from orbcore.billing._records import check_number_prefix
from orbcore.calendar._zone import ensure_aware
from orbcore.storage import Query, Range, Store, UnitOfWork, each

_PAGE = 200

__all__ = ["SUBSCRIPTION_CHANGED", "VOID_REASON", "Invoicing", "issued", "void_replaced"]

VOID_REASON = "void_reason"
"""The metadata key that says why an invoice was voided."""
SUBSCRIPTION_CHANGED = "subscription_changed"
"""The reason of a void by a retroactive subscription change: the billing run bills the
invoice's date again, under the next ``reissue``."""


@dataclass(frozen=True)
class Invoicing:
    """Move stored invoices through their statuses.

    Args:
        store: where the invoices are.
        clock: the time invoices are issued, paid and voided at.
    """

    store: Store
    clock: Clock

    def issue(self, invoice_id: str, *, prefix: str, net_terms: int = 0) -> Invoice:
        """Issue a draft: number it, date it and set its due date.

        The invoice gets the next number of ``prefix``, ``issued_at`` now, and the due
        date ``net_terms`` days after the day it is issued in its customer's time zone
        (the record holds no net terms: the caller passes the plan's or subscription's).
        An invoice whose total is zero is paid at once. Issuing an invoice that is
        already issued or paid returns it unchanged.

        Raises:
            NotFoundError: there is no such invoice.
            ConflictError: the invoice is void, or changed meanwhile.
            ValidationError: ``prefix`` is empty or ``net_terms`` is not a whole number
                of days from 0.
        """
        check_number_prefix(prefix)
        if isinstance(net_terms, bool) or not isinstance(net_terms, int) or net_terms < 0:
            raise ValidationError.at(("net_terms",), "net terms are a whole number of days >= 0")
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            current = uow.invoices.get(invoice_id)
            if current.status in ("issued", "paid"):
                return current
            _require(current, "draft", "issued")
            numbered = uow.invoices.assign_number(invoice_id, prefix)
            if numbered.status != "draft":  # issued meanwhile by another unit of work
                return numbered
            zone = uow.customers.get(numbered.customer_id).timezone
            return _store(uow, issued(numbered, now, zone, net_terms))

    def pay(self, invoice_id: str, *, paid_at: datetime | None = None) -> Invoice:
        """Mark an issued invoice paid, at ``paid_at`` (aware; now if not given).

        Paying a paid invoice returns it unchanged.

        Raises:
            NotFoundError: there is no such invoice.
            ConflictError: the invoice is a draft or void, or changed meanwhile.
            ValidationError: ``paid_at`` is not an aware datetime.
        """
        when = self.clock.now() if paid_at is None else ensure_aware(paid_at, "paid_at")
        with self.store.unit_of_work() as uow:
            current = uow.invoices.get(invoice_id)
            if current.status == "paid":
                return current
            _require(current, "issued", "paid")
            return _store(uow, dataclasses.replace(current, status="paid", paid_at=when))

    def void(self, invoice_id: str) -> Invoice:
        """Void an issued invoice. Voiding a void invoice returns it unchanged.

        A draft is not voided (delete or replace it instead); a paid invoice is corrected
        with a credit note. Ledger and balance effects are not reversed yet.

        Raises:
            NotFoundError: there is no such invoice.
            ConflictError: the invoice is a draft or paid, or changed meanwhile.
        """
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            current = uow.invoices.get(invoice_id)
            if current.status == "void":
                return current
            _require(current, "issued", "void")
            return _store(uow, dataclasses.replace(current, status="void", voided_at=now))

    def update_draft(self, invoice: Invoice) -> Invoice:
        """Replace a stored draft (its lines, dates, amounts, metadata) by ``invoice``.

        ``invoice.revision`` must be the stored one: read, change, then update.

        Raises:
            NotFoundError: there is no such invoice.
            ConflictError: the stored invoice is not a draft (edits only on drafts), or
                it changed since ``invoice`` was read.
            ValidationError: ``invoice`` is not a draft, changes the customer or the
                currency, or holds lines of another invoice.
        """
        with self.store.unit_of_work() as uow:
            current = uow.invoices.get(invoice.id)
            _require(current, "draft", "edited (edits only on drafts)")
            _check_draft(current, invoice)
            return _store(uow, invoice)


def issued(invoice: Invoice, now: datetime, timezone: str, net_terms: int) -> Invoice:
    """``invoice`` issued at ``now``: due ``net_terms`` days after that day in the
    customer's ``timezone``, and paid at once if its total is zero."""
    free = invoice.total == 0
    return dataclasses.replace(
        invoice,
        status="paid" if free else "issued",
        issued_at=now,
        due_date=now.astimezone(ZoneInfo(timezone)).date() + timedelta(days=net_terms),
        paid_at=now if free else None,
    )


def void_replaced(uow: UnitOfWork, subscription_id: str, since: datetime, now: datetime) -> int:
    """Void, in ``uow``, the subscription's issued invoices dated ``since`` or later, for
    the billing run to bill their dates again; return how many.

    Raises:
        ConflictError: one of them is paid (a retroactive change needs no paid invoice
            after its date; correct a paid invoice with a credit note).
    """
    query = Query(
        where={"subscription_id": subscription_id, "invoice_date": Range(start=since)},
        limit=_PAGE,
    )
    voided = 0
    for invoice in list(each(uow.invoices, query)):
        if invoice.status == "paid":
            raise ConflictError(
                f"invoice {invoice.id!r} of {invoice.invoice_date.isoformat()} is paid; "
                "a retroactive change needs no paid invoice after its date"
            )
        if invoice.status in ("issued", "draft"):
            metadata = {**invoice.metadata, VOID_REASON: SUBSCRIPTION_CHANGED}
            uow.invoices.update(
                dataclasses.replace(invoice, status="void", voided_at=now, metadata=metadata)
            )
            voided += 1
    return voided


def _require(invoice: Invoice, status: str, becoming: str) -> None:
    if invoice.status != status:
        raise ConflictError(f"invoice {invoice.id!r} is {invoice.status}; it cannot be {becoming}")


def _check_draft(current: Invoice, new: Invoice) -> None:
    if new.status != "draft" or new.number is not None or new.issued_at is not None:
        raise ValidationError.at(("status",), "a draft stays a draft, unnumbered and unissued")
    if new.paid_at is not None or new.voided_at is not None:
        raise ValidationError.at(("status",), "a draft is neither paid nor void")
    for name in ("customer_id", "currency"):
        if getattr(new, name) != getattr(current, name):
            raise ValidationError.at((name,), f"a draft's {name} cannot change")
    for index, line in enumerate(new.lines):
        if line.invoice_id != new.id:
            raise ValidationError.at(("lines", index, "invoice_id"), f"must be {new.id!r}")


def _store(uow: UnitOfWork, invoice: Invoice) -> Invoice:
    stored = uow.invoices.update(invoice)
    uow.commit()
    return stored
