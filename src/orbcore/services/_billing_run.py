"""The billing run: every invoice that is due, built once, numbered and issued.

The run pages through the stored subscriptions. For each page it reads, in one unit of
work, the invoices already there, the customers, and the prices, metrics and plan
adjustments it has not read yet (:class:`~orbcore.services._billing_rate.Catalog`). For
each subscription it finds, from the stored timeline, the invoice dates up to ``as_of``
that are due: at once for fixed fees only, once the grace period has passed for dates
that bill usage (events may arrive late until then). It rates and builds each missing
invoice, then adds the page's invoices in one unit of work, numbered gap-free and issued
(:meth:`~orbcore.storage.InvoiceRepository.add_numbered`).

An invoice's id is derived from its subscription, date and plan, and invoices are unique
per (subscription, invoice date, plan, kind, reissue). When another worker added some of a
page's invoices first, the page's unit of work adds nothing; the run reads which are there,
counts them as already present and adds the rest. Re-running, resuming after a crash, or
running workers side by side therefore never bills a date twice and never skips one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orbcore._clock import Clock
from orbcore._errors import ConflictError, NotFoundError, ValidationError
from orbcore.billing import (
    BillableCharge,
    ChargeRole,
    Customer,
    Invoice,
    PriceKind,
    Subscription,
    SubscriptionTimeline,
    TaxCalculator,
    billable_charges,
    build_invoice,
    invoice_record,
)
from orbcore.billing._records import check_number_prefix
from orbcore.calendar._zone import ensure_aware
from orbcore.money import RoundingMode
from orbcore.services._billing_rate import (
    Catalog,
    PageUsage,
    distinct_lines,
    page_usage,
    rate,
    settle_credits,
)
from orbcore.services._invoicing import SUBSCRIPTION_CHANGED, VOID_REASON, Invoicing, issued
from orbcore.storage import In, Query, Store, UnitOfWork, each

__all__ = ["DEFAULT_GRACE", "BillingRun", "RunFailure", "RunSummary"]

DEFAULT_GRACE = timedelta(hours=12)
_PAGE = 200
_ATTEMPTS = 3
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A subscription the run could not bill, and why (``<error type>: <message>``)."""

    subscription_id: str
    error: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a billing run did.

    Attributes:
        as_of: the run's cut-off: invoice dates up to it, included, are billed.
        subscriptions: the subscriptions seen.
        created: the invoices this run created (and issued).
        already_present: the due invoices found already stored (by an earlier run or
            another worker).
        waiting: due invoice dates that bill usage and are still in their grace period;
            a later run bills them.
        failures: one per subscription that failed; its invoices are not created, but
            for those another invoice's unique values stopped after some were stored
            one by one (those are counted in ``created``).
    """

    as_of: datetime
    subscriptions: int = 0
    created: int = 0
    already_present: int = 0
    waiting: int = 0
    failures: tuple[RunFailure, ...] = ()


Progress = Callable[[str, RunSummary], None]


@dataclass(frozen=True, slots=True)
class _Due:
    """One invoice a subscription owes: its id, date, plan and charges."""

    invoice_id: str
    invoice_date: datetime
    plan_id: str | None
    charges: tuple[BillableCharge, ...]
    reissue: int = 0

    def reissued(self, subscription_id: str) -> _Due:
        """The invoice that replaces this one once a retroactive change voided it."""
        reissue = self.reissue + 1
        invoice_id = invoice_id_of(
            subscription_id, self.invoice_date, self.plan_id or "", reissue=reissue
        )
        return dataclasses.replace(self, invoice_id=invoice_id, reissue=reissue)


@dataclass
class _Plan:
    """What the run does for one subscription of a page."""

    record: Subscription
    timeline: SubscriptionTimeline | None = None
    due: list[_Due] = dataclasses.field(default_factory=list)
    waiting: int = 0
    present: int = 0
    built: list[Invoice] = dataclasses.field(default_factory=list)
    drafts: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None

    def fail(self, error: Exception, *, stored: Sequence[Invoice] = ()) -> None:
        """Report ``error``; ``stored`` are the invoices already committed, if any."""
        self.error = f"{type(error).__name__}: {error}"
        self.built = list(stored)


@dataclass(frozen=True)
class BillingRun:
    """Create and issue the invoices due on stored subscriptions.

    Args:
        store: where the subscriptions, plans, metrics, events and invoices are.
        clock: when invoices are created and issued.
        prefix: the invoice number prefix.
        tax: computes each line's taxes (``RateTableTax`` or an adapter); none if
            omitted. The jurisdiction is the customer's billing address ``country``,
            with ``-<state>`` when it has a state (``"US-CA"``).
        grace: how long after an invoice date that bills usage the run waits before
            billing it (the ingestion's grace period, 12 hours by default).
        rounding: the rounding mode of every invoice's rounding points.
        page_size: subscriptions read, billed and stored per unit of work.
    """

    store: Store
    clock: Clock
    _: dataclasses.KW_ONLY
    prefix: str = "INV"
    tax: TaxCalculator | None = None
    grace: timedelta = DEFAULT_GRACE
    rounding: RoundingMode = RoundingMode.HALF_UP
    page_size: int = _PAGE

    def run(
        self,
        as_of: datetime,
        *,
        progress: Progress | None = None,
        shard: tuple[int, int] | None = None,
    ) -> RunSummary:
        """Bill every invoice date up to ``as_of`` (included) not billed yet.

        A subscription that fails is reported in the summary, not raised; the run goes
        on with the next. ``progress(subscription_id, summary_so_far)`` is called once
        per subscription, after its page is stored.

        ``shard=(k, n)`` bills only the subscriptions of shard ``k`` of ``n`` (by a hash
        of their id), so that ``n`` workers, each given its own ``k``, share the work
        instead of repeating it. Workers without a shard, or with overlapping ones, are
        still safe: each invoice is created once.

        Raises:
            ValidationError: ``as_of`` is not an aware datetime, the prefix is empty, or
                ``shard`` is not ``(k, n)`` with ``0 <= k < n``.
        """
        as_of = ensure_aware(as_of, "as_of")
        check_number_prefix(self.prefix)
        mine = _shard_filter(shard)
        summary = RunSummary(as_of=as_of)
        catalog = Catalog()
        query = Query(limit=self.page_size)
        while True:
            with self.store.unit_of_work() as uow:
                page = uow.subscriptions.list(query)
            plans = [_Plan(record) for record in page.items if mine(record.id)]
            plans = self._bill_page(plans, as_of, catalog)
            for plan in plans:
                self._after(plan, catalog)
                summary = _counted(summary, plan)
                if progress is not None:
                    progress(plan.record.id, summary)
            if page.next_cursor is None:
                return summary
            query = dataclasses.replace(query, after=page.next_cursor)

    def _bill_page(self, plans: list[_Plan], as_of: datetime, catalog: Catalog) -> list[_Plan]:
        """Build and store a page's invoices. A subscription changed meanwhile (a
        backdated cancellation, say) is read again and billed from its new timeline."""
        pending = plans
        for _ in range(_ATTEMPTS):
            self._prepare(pending, as_of, catalog)
            changed = self._store(pending)
            if not changed:
                return plans
            with self.store.unit_of_work() as uow:
                fresh = uow.subscriptions.find_many(sorted(changed))
            again = {key: _Plan(record) for key, record in fresh.items()}
            plans = [
                again.get(plan.record.id, plan)
                for plan in plans
                if plan.record.id not in changed or plan.record.id in again
            ]
            pending = list(again.values())
        for plan in pending:
            plan.fail(ConflictError(f"subscription {plan.record.id!r} kept changing"))
        return plans

    def _prepare(self, plans: Sequence[_Plan], as_of: datetime, catalog: Catalog) -> None:
        """Find each subscription's due dates and build the invoices not stored yet."""
        for plan in plans:
            try:
                self._find_due(plan, as_of)
            except Exception as error:  # reported, and the run goes on
                plan.fail(error)
        billing = [plan for plan in plans if plan.error is None and plan.due]
        if not billing:
            return
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            existing = _stored_invoices(uow, billing)
            customers = uow.customers.find_many(sorted({p.record.customer_id for p in billing}))
            catalog.load(uow, {c.price_id for p in billing for d in p.due for c in d.charges})
            missing = self._unbilled(billing, customers, existing)
            usage = page_usage(uow, catalog, [(c, d.charges) for _, c, d in missing])
            for plan, customer, due in missing:
                if plan.error is not None:
                    continue
                try:
                    plan.built.append(self._build(catalog, plan, customer, due, now, usage))
                except Exception as error:  # reported, and the run goes on
                    plan.fail(error)

    def _unbilled(
        self,
        billing: Sequence[_Plan],
        customers: Mapping[str, Customer],
        existing: Mapping[tuple[str, datetime], Sequence[Invoice]],
    ) -> list[tuple[_Plan, Customer, _Due]]:
        """The page's due invoices not stored yet, with their subscription and customer."""
        missing: list[tuple[_Plan, Customer, _Due]] = []
        for plan in billing:
            try:
                customer = customers.get(plan.record.customer_id)
                if customer is None:
                    raise NotFoundError(f"no customers record {plan.record.customer_id!r}")
                for due in plan.due:
                    if (found := self._missing(plan, due, existing)) is not None:
                        missing.append((plan, customer, found))
            except Exception as error:  # reported, and the run goes on
                plan.fail(error)
        return missing

    def _missing(
        self,
        plan: _Plan,
        due: _Due,
        existing: Mapping[tuple[str, datetime], Sequence[Invoice]],
    ) -> _Due | None:
        """``due``, or the reissue that replaces its voided invoice, if not stored yet.

        An invoice stored before invoices named their plan (``plan_id`` empty) stands
        for every plan of its date.
        """
        same_date = existing.get((plan.record.id, due.invoice_date), ())

        def stored(reissue: int) -> Invoice | None:
            return next(
                (
                    invoice
                    for invoice in same_date
                    if invoice.kind == "subscription"
                    and invoice.reissue == reissue
                    and invoice.plan_id in (due.plan_id, None)
                ),
                None,
            )

        found = stored(0)
        while found is not None and _replaced(found):
            due = due.reissued(plan.record.id)
            found = stored(due.reissue)
        if found is None:
            return due
        plan.present += 1
        if found.status == "draft":  # left by an earlier version's run
            plan.drafts.append(found.id)
        return None

    def _find_due(self, plan: _Plan, as_of: datetime) -> None:
        if not plan.record.timeline:
            return
        timeline = SubscriptionTimeline.from_json(plan.record.timeline)
        plan.timeline = timeline
        grouped: dict[tuple[datetime, str], list[BillableCharge]] = {}
        by_date: dict[datetime, list[BillableCharge]] = {}
        for charge in billable_charges(timeline, as_of + _TICK):
            by_date.setdefault(charge.invoice_date, []).append(charge)
        for invoice_date, charges in by_date.items():
            for charge in charges:
                key = (invoice_date, _invoice_plan(charge, charges))
                grouped.setdefault(key, []).append(charge)
        for (invoice_date, plan_id), charges in sorted(grouped.items()):
            bills_usage = any(c.price.kind is PriceKind.USAGE for c in charges)
            if bills_usage and invoice_date + self.grace > as_of:
                plan.waiting += 1
                continue
            invoice_id = invoice_id_of(plan.record.id, invoice_date, plan_id)
            plan.due.append(_Due(invoice_id, invoice_date, plan_id or None, tuple(charges)))

    def _build(
        self,
        catalog: Catalog,
        plan: _Plan,
        customer: Customer,
        due: _Due,
        now: datetime,
        usage: PageUsage,
    ) -> Invoice:
        rated, trial = rate(catalog, customer, due.charges, plan.timeline, usage)
        rated, adjustments, aliases = distinct_lines(
            rated, [*trial, *catalog.adjustments_for(due.charges, plan.timeline)]
        )
        rated, adjustments = settle_credits(rated, adjustments)
        currency = catalog.rows[due.charges[0].price_id].currency
        draft = build_invoice(
            rated,
            currency=currency,
            adjustments=adjustments,
            tax=self.tax,
            customer_id=customer.id,
            jurisdiction=_jurisdiction(customer),
            rounding=self.rounding,
        )
        record = invoice_record(
            draft,
            invoice_id=due.invoice_id,
            customer_id=customer.id,
            invoice_date=due.invoice_date,
            created_at=now,
            subscription_id=plan.record.id,
            plan_id=due.plan_id,
            reissue=due.reissue,
        )
        if aliases:
            lines = tuple(
                dataclasses.replace(line, price_id=aliases.get(line.price_id or "", line.price_id))
                for line in record.lines
            )
            record = dataclasses.replace(record, lines=lines)
        return issued(record, now, customer.timezone, plan.record.net_terms or 0)

    def _store(self, plans: Sequence[_Plan]) -> set[str]:
        """Add the page's new invoices in one unit of work; return the subscriptions that
        changed since they were read, whose invoices are not added.

        After the insert, the unit of work holds the subscriptions' rows and compares
        their revisions with the ones the invoices were built from, so that a change
        (a backdated cancellation voiding invoices, say) either comes before and is
        seen, or waits for this commit and then finds these invoices.

        When another worker added some of the invoices first, the insert adds nothing;
        the run reads which are there now, counts them as present and adds the rest,
        until none is left. A conflict with an invoice that is not there (another invoice
        holding the same unique values) falls back to one invoice at a time, so that
        only its subscription fails.
        """
        stale: set[str] = set()
        while built := [invoice for plan in plans for invoice in plan.built]:
            try:
                with self.store.unit_of_work() as uow:
                    uow.invoices.add_numbered(built, self.prefix)
                    changed = _changed(uow, plans)
                    if not changed:
                        uow.commit()
                        return stale
                stale |= changed  # rolled back: billed again from their new timelines
                for plan in plans:
                    if plan.record.id in changed:
                        plan.built = []
                continue
            except ConflictError:  # another worker added some of them
                with self.store.unit_of_work() as uow:
                    there = uow.invoices.find_many([invoice.id for invoice in built])
            if not there:
                self._store_one_by_one(plans)
                return stale
            for plan in plans:
                plan.present += sum(1 for invoice in plan.built if invoice.id in there)
                plan.built = [invoice for invoice in plan.built if invoice.id not in there]
        return stale

    def _store_one_by_one(self, plans: Sequence[_Plan]) -> None:
        for plan in plans:
            kept: list[Invoice] = []
            for invoice in plan.built:
                try:
                    with self.store.unit_of_work() as uow:
                        uow.invoices.add_numbered([invoice], self.prefix)
                        uow.commit()
                except ConflictError as error:
                    with self.store.unit_of_work() as uow:
                        there = uow.invoices.find(invoice.id)
                    if there is None:  # another invoice holds its unique values
                        plan.fail(error, stored=kept)
                        break
                    plan.present += 1
                else:
                    kept.append(invoice)
            else:
                plan.built = kept

    def _after(self, plan: _Plan, catalog: Catalog) -> None:
        """Issue drafts left by an earlier run; bring the record's status and plan up to
        date with its timeline."""
        for invoice_id in plan.drafts:
            with contextlib.suppress(ConflictError):  # issued meanwhile by another worker
                Invoicing(self.store, self.clock).issue(
                    invoice_id, prefix=self.prefix, net_terms=plan.record.net_terms or 0
                )
        if plan.timeline is not None and plan.error is None:
            self._refresh(plan.record, plan.timeline, catalog)

    def _refresh(
        self, record: Subscription, timeline: SubscriptionTimeline, catalog: Catalog
    ) -> None:
        now = self.clock.now()
        fields: dict[str, Any] = {}
        status = timeline.status(now).value
        if status != record.status:
            fields["status"] = status
        in_force = timeline.intervals_at(max(now, timeline.start))
        if in_force and in_force[0].plan_id not in (None, record.plan_id):
            row = catalog.rows.get(in_force[0].price.price_id)
            if row is not None:
                fields |= {"plan_id": row.plan_id, "plan_version": row.plan_version}
        if not fields:
            return
        try:
            with self.store.unit_of_work() as uow:
                uow.subscriptions.update(dataclasses.replace(record, **fields))
                uow.commit()
        except ConflictError:  # changed meanwhile: the change refreshed it
            pass


def invoice_id_of(
    subscription_id: str, invoice_date: datetime, plan_id: str = "", *, reissue: int = 0
) -> str:
    """The id of a subscription's invoice of ``invoice_date`` for the plan ``plan_id``
    (its ``reissue``-th replacement if not 0): ``inv_`` and 32 hex digits."""
    tail = f"|{reissue}" if reissue else ""
    key = f"{subscription_id}|{invoice_date.isoformat()}|{plan_id}{tail}".encode()
    return f"inv_{hashlib.sha256(key).hexdigest()[:32]}"


def _invoice_plan(charge: BillableCharge, same_date: Sequence[BillableCharge]) -> str:
    """The plan whose invoice ``charge`` goes on, among the charges of its date.

    An invoice corresponds to one plan. A change mid-cycle (a credit for an unused fee,
    or a charge cut short before its cycle ends) bills the old plan's charges and the new
    plan's up-front fees on two invoices of that date. At a cycle boundary (a change at
    the end of the term) the old plan's last usage and the new plan's first fees share
    the regular invoice, which takes the new plan.
    """
    plans = {c.plan_id or "" for c in same_date}
    if len(plans) == 1 or any(_cut_short(c) for c in same_date):
        return charge.plan_id or ""
    starting = [c.plan_id or "" for c in same_date if c.service_period.start >= c.invoice_date]
    return max(starting) if starting else max(plans)


def _cut_short(charge: BillableCharge) -> bool:
    period = charge.service_period
    return charge.role is ChargeRole.UNUSED_CREDIT or (
        period.end < charge.cycle.end and period.end <= charge.invoice_date
    )


def _changed(uow: UnitOfWork, plans: Sequence[_Plan]) -> set[str]:
    """The subscriptions with invoices to add whose stored revision is no longer the
    one they were billed from (read with :meth:`~orbcore.storage.Repository.hold`)."""
    billed = {plan.record.id: plan.record.revision for plan in plans if plan.built}
    held = uow.subscriptions.hold(sorted(billed))
    return {
        key for key, revision in billed.items() if key not in held or held[key].revision != revision
    }


def _stored_invoices(
    uow: UnitOfWork, billing: Sequence[_Plan]
) -> dict[tuple[str, datetime], list[Invoice]]:
    """The stored invoices of the page's subscriptions on their due dates, by both."""
    subscriptions = sorted({plan.record.id for plan in billing})
    dates = sorted({due.invoice_date for plan in billing for due in plan.due})
    query = Query(
        where={"subscription_id": In(*subscriptions), "invoice_date": In(*dates)}, limit=500
    )
    found: dict[tuple[str, datetime], list[Invoice]] = {}
    for invoice in each(uow.invoices, query):
        found.setdefault((invoice.subscription_id or "", invoice.invoice_date), []).append(invoice)
    return found


def _shard_filter(shard: tuple[int, int] | None) -> Callable[[str], bool]:
    """Whether a subscription id is in ``shard`` (every id when it is ``None``)."""
    if shard is None:
        return lambda _: True
    k, n = shard if isinstance(shard, tuple) and len(shard) == 2 else (-1, 0)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (k, n)) or not 0 <= k < n:
        raise ValidationError.at(("shard",), f"expected (k, n) with 0 <= k < n, got {shard!r}")
    return lambda subscription_id: shard_of(subscription_id, n) == k


def shard_of(subscription_id: str, shards: int) -> int:
    """The shard, of ``shards``, that a subscription belongs to: stable across processes."""
    digest = hashlib.sha256(subscription_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def _replaced(invoice: Invoice) -> bool:
    """Whether ``invoice`` was voided by a retroactive change, to be billed again."""
    return invoice.status == "void" and invoice.metadata.get(VOID_REASON) == SUBSCRIPTION_CHANGED


def _counted(summary: RunSummary, plan: _Plan) -> RunSummary:
    if plan.error is not None:
        failure = RunFailure(plan.record.id, plan.error)
        return dataclasses.replace(
            summary,
            subscriptions=summary.subscriptions + 1,
            created=summary.created + len(plan.built),
            failures=(*summary.failures, failure),
        )
    return dataclasses.replace(
        summary,
        subscriptions=summary.subscriptions + 1,
        created=summary.created + len(plan.built),
        already_present=summary.already_present + plan.present,
        waiting=summary.waiting + plan.waiting,
    )


def _jurisdiction(customer: Customer) -> str | None:
    address = customer.billing_address or {}
    country, state = address.get("country"), address.get("state")
    if not isinstance(country, str) or not country:
        return None
    return f"{country}-{state}" if isinstance(state, str) and state else country
