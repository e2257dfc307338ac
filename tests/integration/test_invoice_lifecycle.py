"""Invoices through their lifecycle on every store: draft, issued, paid, void."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orbcore import ConflictError, NotFoundError, ValidationError, VirtualClock
from orbcore.billing import Invoice, InvoiceLine
from orbcore.services import Invoicing
from orbcore.storage import Store

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
START = datetime(2024, 2, 1, tzinfo=UTC)


def draft(invoice_id: str, amount: str = "12.50") -> Invoice:
    line = InvoiceLine(
        id=f"{invoice_id}-1",
        invoice_id=invoice_id,
        position=1,
        name="API calls",
        quantity=Decimal(1000),
        amount=Decimal(amount),
        start_date=START,
        end_date=NOW,
    )
    return Invoice(
        id=invoice_id,
        customer_id="cus_1",
        currency="USD",
        kind="one_off",
        period_start=START,
        period_end=NOW,
        invoice_date=NOW,
        created_at=NOW,
        subtotal=Decimal(amount),
        total=Decimal(amount),
        amount_due=Decimal(amount),
        lines=(line,),
    )


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def invoicing(store: Store, clock: VirtualClock) -> Invoicing:
    return Invoicing(store, clock)


def add(store: Store, *invoices: Invoice) -> None:
    with store.unit_of_work() as uow:
        for invoice in invoices:
            uow.invoices.add(invoice)
        uow.commit()


def stored(store: Store, invoice_id: str) -> Invoice:
    with store.unit_of_work() as uow:
        return uow.invoices.get(invoice_id)


def test_issuing_a_draft_numbers_dates_and_sets_the_due_date(
    store: Store, invoicing: Invoicing
) -> None:
    add(store, draft("inv_1"))
    issued = invoicing.issue("inv_1", prefix="ACME", net_terms=30)
    assert (issued.status, issued.number, issued.issued_at) == ("issued", "ACME-000001", NOW)
    assert issued.due_date == date(2024, 3, 31)
    assert issued.paid_at is None
    assert stored(store, "inv_1") == issued


def test_net_terms_zero_is_due_on_the_day_of_issue(store: Store, invoicing: Invoicing) -> None:
    add(store, draft("inv_1"))
    assert invoicing.issue("inv_1", prefix="ACME").due_date == date(2024, 3, 1)


def test_the_due_date_counts_from_the_customers_day(store: Store, clock: VirtualClock) -> None:
    with store.unit_of_work() as uow:
        customer = uow.customers.get("cus_1")
        uow.customers.update(dataclasses.replace(customer, timezone="Pacific/Auckland"))
        uow.commit()
    add(store, draft("inv_1"))
    # 12:00 UTC on 1 March is already 2 March in Auckland.
    issued = Invoicing(store, clock).issue("inv_1", prefix="ACME", net_terms=1)
    assert issued.due_date == date(2024, 3, 3)


def test_a_zero_invoice_is_paid_on_issuance(store: Store, invoicing: Invoicing) -> None:
    add(store, draft("inv_0", amount="0.00"))
    issued = invoicing.issue("inv_0", prefix="ACME")
    assert (issued.status, issued.paid_at, issued.number) == ("paid", NOW, "ACME-000001")


def test_issuing_again_returns_the_invoice_without_a_second_number(
    store: Store, invoicing: Invoicing, clock: VirtualClock
) -> None:
    add(store, draft("inv_1"), draft("inv_0", amount="0"))
    first = invoicing.issue("inv_1", prefix="ACME")
    paid = invoicing.issue("inv_0", prefix="ACME")
    clock.advance(timedelta(days=1))
    assert invoicing.issue("inv_1", prefix="ACME") == first
    assert invoicing.issue("inv_1", prefix="OTHER") == first
    assert invoicing.issue("inv_0", prefix="ACME") == paid
    add(store, draft("inv_2"))
    assert invoicing.issue("inv_2", prefix="ACME").number == "ACME-000003"


def test_numbers_are_per_prefix(store: Store, invoicing: Invoicing) -> None:
    add(store, draft("inv_1"), draft("inv_2"), draft("inv_3"))
    numbers = [
        invoicing.issue("inv_1", prefix="AAA").number,
        invoicing.issue("inv_2", prefix="BBB").number,
        invoicing.issue("inv_3", prefix="AAA").number,
    ]
    assert numbers == ["AAA-000001", "BBB-000001", "AAA-000002"]


class _FailingUpdates:
    """A store whose invoice updates fail after numbering, as a concurrent writer would."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def unit_of_work(self) -> Any:
        uow = self.store.unit_of_work()

        def refuse(invoice: Invoice) -> Invoice:
            raise ConflictError("changed meanwhile")

        uow.invoices.update = refuse  # type: ignore[method-assign,assignment]
        return uow


def test_a_failed_issue_gives_its_number_back(store: Store, clock: VirtualClock) -> None:
    add(store, draft("inv_1"), draft("inv_2"))
    failing = Invoicing(_FailingUpdates(store), clock)  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        failing.issue("inv_1", prefix="ACME")
    assert stored(store, "inv_1") == draft("inv_1")
    invoicing = Invoicing(store, clock)
    assert invoicing.issue("inv_2", prefix="ACME").number == "ACME-000001"
    assert invoicing.issue("inv_1", prefix="ACME").number == "ACME-000002"


def test_paying_an_issued_invoice(store: Store, invoicing: Invoicing) -> None:
    add(store, draft("inv_1"))
    invoicing.issue("inv_1", prefix="ACME")
    when = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    paid = invoicing.pay("inv_1", paid_at=when)
    assert (paid.status, paid.paid_at) == ("paid", when)
    assert invoicing.pay("inv_1") == paid
    assert stored(store, "inv_1") == paid


def test_paying_defaults_to_now(store: Store, invoicing: Invoicing) -> None:
    add(store, draft("inv_1"))
    invoicing.issue("inv_1", prefix="ACME")
    assert invoicing.pay("inv_1").paid_at == NOW


def test_voiding_an_issued_invoice(store: Store, invoicing: Invoicing, clock: VirtualClock) -> None:
    add(store, draft("inv_1"))
    invoicing.issue("inv_1", prefix="ACME")
    later = clock.advance(timedelta(hours=2))
    voided = invoicing.void("inv_1")
    assert (voided.status, voided.voided_at, voided.number) == ("void", later, "ACME-000001")
    assert invoicing.void("inv_1") == voided
    with pytest.raises(ConflictError):
        invoicing.issue("inv_1", prefix="ACME")
    with pytest.raises(ConflictError):
        invoicing.pay("inv_1")
    assert stored(store, "inv_1") == voided


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (lambda s: s.pay("inv_1"), "draft"),
        (lambda s: s.void("inv_1"), "draft"),
        (lambda s: s.void("inv_1"), "paid"),
        (lambda s: s.update_draft(draft("inv_1")), "issued"),
        (lambda s: s.update_draft(draft("inv_1")), "paid"),
    ],
    ids=["pay-draft", "void-draft", "void-paid", "edit-issued", "edit-paid"],
)
def test_transitions_out_of_order_conflict_and_change_nothing(
    store: Store, invoicing: Invoicing, action: Callable[[Invoicing], object], status: str
) -> None:
    add(store, draft("inv_1"))
    if status != "draft":
        invoicing.issue("inv_1", prefix="ACME")
    if status == "paid":
        invoicing.pay("inv_1")
    before = stored(store, "inv_1")
    with pytest.raises(ConflictError):
        action(invoicing)
    assert stored(store, "inv_1") == before


def test_missing_invoices_are_not_found(invoicing: Invoicing) -> None:
    actions: list[Callable[[], Invoice]] = [
        lambda: invoicing.issue("nope", prefix="ACME"),
        lambda: invoicing.pay("nope"),
        lambda: invoicing.void("nope"),
        lambda: invoicing.update_draft(draft("nope")),
    ]
    for action in actions:
        with pytest.raises(NotFoundError):
            action()


def test_bad_arguments_are_refused(store: Store, invoicing: Invoicing) -> None:
    add(store, draft("inv_1"))
    with pytest.raises(ValidationError):
        invoicing.issue("inv_1", prefix="")
    with pytest.raises(ValidationError):
        invoicing.issue("inv_1", prefix="ACME", net_terms=-1)
    with pytest.raises(ValidationError):
        invoicing.issue("inv_1", prefix="ACME", net_terms=True)
    invoicing.issue("inv_1", prefix="ACME")
    with pytest.raises(ValidationError):
        invoicing.pay("inv_1", paid_at=datetime(2024, 3, 5))  # naive
    assert stored(store, "inv_1").status == "issued"


def test_a_draft_can_be_replaced(store: Store, invoicing: Invoicing) -> None:
    add(store, draft("inv_1"))
    current = stored(store, "inv_1")
    line = dataclasses.replace(current.lines[0], id="inv_1-2", position=2, name="Seats")
    edited = dataclasses.replace(
        current,
        lines=(*current.lines, line),
        total=Decimal("25.00"),
        metadata={"memo": "Thanks"},
        invoice_date=NOW + timedelta(days=1),
    )
    replaced = invoicing.update_draft(edited)
    assert replaced.revision == current.revision + 1
    assert stored(store, "inv_1") == replaced
    assert [line.name for line in replaced.lines] == ["API calls", "Seats"]
    with pytest.raises(ConflictError):
        invoicing.update_draft(edited)  # stale revision


def test_a_replacement_must_stay_a_draft_of_the_same_customer(
    store: Store, invoicing: Invoicing
) -> None:
    add(store, draft("inv_1"))
    current = stored(store, "inv_1")
    for change in (
        {"status": "issued"},
        {"number_prefix": "ACME", "number_sequence": 9},
        {"customer_id": "cus_2"},
        {"lines": (dataclasses.replace(current.lines[0], invoice_id="inv_9"),)},
    ):
        with pytest.raises(ValidationError):
            invoicing.update_draft(dataclasses.replace(current, **change))
    assert stored(store, "inv_1") == current


WORKERS = 8


def run_together(works: list[Callable[[], None]]) -> None:
    barrier = threading.Barrier(len(works))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.postgres
def test_concurrent_issues_give_one_number_per_invoice_gap_free(
    fresh_postgres_url: str, clock: VirtualClock
) -> None:
    from orbcore.billing import Customer
    from orbcore.storage import open_store

    store = open_store(fresh_postgres_url)
    try:
        add_customer = Customer(id="cus_1", name="Acme", created_at=NOW)
        with store.unit_of_work() as uow:
            uow.customers.add(add_customer)
            uow.commit()
        others = [f"inv_{n}" for n in range(WORKERS)]
        add(store, draft("shared"), *(draft(i) for i in others))
        invoicing = Invoicing(store, clock)
        results: dict[str, list[Invoice]] = {}

        def issue(invoice_id: str) -> Callable[[], None]:
            def work() -> None:
                issued = invoicing.issue(invoice_id, prefix="ACME")
                results.setdefault(invoice_id, []).append(issued)

            return work

        run_together([issue("shared") for _ in range(WORKERS)] + [issue(i) for i in others])
        shared = {invoice.number for invoice in results["shared"]}
        assert len(results["shared"]) == WORKERS
        assert len(shared) == 1
        numbers = sorted(stored(store, i).number_sequence or 0 for i in ["shared", *others])
        assert numbers == list(range(1, WORKERS + 2))
    finally:
        store.close()
