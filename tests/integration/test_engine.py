"""End to end through ``orbcore.connect``, on memory, a SQLite file and PostgreSQL.

Acme, in Los Angeles, subscribes on 2024-01-01 to Basic: a 50.00 USD platform fee billed
monthly in advance and API calls at 0.25 USD each, billed in arrears. Its local midnights
are 08:00 UTC (no daylight saving time before March 10).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import orbcore
from orbcore import ConflictError, Engine, NotFoundError, ValidationError, VirtualClock, connect
from orbcore.billing import Invoice, PlanDefinition, RateTableTax
from orbcore.services import EventStatus
from orbcore.storage import Query, each

JAN_1 = datetime(2024, 1, 1, 8, tzinfo=UTC)
FEB_1 = datetime(2024, 2, 1, 8, tzinfo=UTC)
MAR_1 = datetime(2024, 3, 1, 8, tzinfo=UTC)
APR_1 = datetime(2024, 4, 1, 7, tzinfo=UTC)  # daylight saving time since March 10

PLAN = {
    "name": "Basic",
    "currency": "USD",
    "external_plan_id": "basic",
    "net_terms": 30,
    "prices": [
        {"id": "platform", "name": "Platform fee", "model_type": "unit",
         "cadence": "monthly", "unit_config": {"unit_amount": "50.00"}},
        {"id": "api", "name": "API calls", "model_type": "unit", "cadence": "monthly",
         "billable_metric_id": "met_api", "unit_config": {"unit_amount": "0.25"}},
    ],
}  # fmt: skip
METRIC = {"id": "met_api", "name": "API calls", "event_name": "api_call", "aggregation": "count"}
PLATFORM, API = "pln_basic:v1:platform", "pln_basic:v1:api"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/engine.db"
    fresh: str = request.getfixturevalue("fresh_postgres_url")
    return fresh


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(JAN_1 + timedelta(days=19))


@pytest.fixture
def engine(url: str, clock: VirtualClock) -> Iterator[Engine]:
    with connect(url, clock=clock, invoice_prefix="ACME") as opened:
        yield opened


def call(key: str, when: datetime, **who: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "event_name": "api_call",
        **(who or {"customer_id": "cus_acme"}),
        "timestamp": when.isoformat(),
        "properties": {"path": "/v1/things"},
    }


def set_up(engine: Engine) -> None:
    """Acme, the plan, its metric and the subscription, as of January 20."""
    engine.customers.create(
        "Acme",
        external_customer_id="acme",
        currency="USD",
        timezone="America/Los_Angeles",
        customer_id="cus_acme",
    )
    engine.metrics.create(METRIC)
    engine.plans.create(PLAN, plan_id="pln_basic")
    engine.subscriptions.create(
        external_customer_id="acme",
        external_plan_id="basic",
        start_date=date(2024, 1, 1),
        subscription_id="sub_acme",
    )


def all_invoices(engine: Engine) -> list[Invoice]:
    return list(each(engine.invoices, Query(order_by="invoice_date", limit=2)))


def lines(invoice: Invoice) -> list[tuple[str | None, Decimal, Decimal]]:
    return [(line.price_id, line.quantity, line.amount) for line in invoice.lines]


def test_usage_is_billed_once_with_exact_amounts_and_a_second_run_changes_nothing(
    engine: Engine, clock: VirtualClock
) -> None:
    set_up(engine)
    january = [call(f"jan_{n}", JAN_1 + timedelta(days=n, hours=5)) for n in range(3)]
    january += [
        call("jan_ext", JAN_1 + timedelta(days=9), external_customer_id="acme"),
        call("jan_0", JAN_1 + timedelta(hours=5)),  # a retry: same key, same body
        {"idempotency_key": "bad", "event_name": "api_call", "customer_id": "cus_acme"},
    ]
    report = engine.events.ingest(january)
    clock.move_to(FEB_1 + timedelta(days=14))
    engine.events.ingest([call(f"feb_{n}", FEB_1 + timedelta(days=n)) for n in range(2)])
    engine.events.ingest([call("feb_late", FEB_1 - timedelta(seconds=1))])  # still January
    clock.move_to(MAR_1 + timedelta(hours=20))  # past the 12-hour grace for late usage

    summary = engine.billing.run()
    first = all_invoices(engine)
    again = engine.billing.run()

    assert [r.status for r in report.results] == [EventStatus.ACCEPTED] * 4 + [
        EventStatus.DUPLICATE,
        EventStatus.REJECTED,
    ]
    assert (summary.as_of, summary.subscriptions, summary.created, summary.failures) == (
        MAR_1 + timedelta(hours=20),
        1,
        3,
        (),
    )
    assert [(i.invoice_date, i.number, i.status, i.total) for i in first] == [
        (JAN_1, "ACME-000001", "issued", Decimal("50.00")),
        (FEB_1, "ACME-000002", "issued", Decimal("51.25")),
        (MAR_1, "ACME-000003", "issued", Decimal("50.50")),
    ]
    assert [lines(i) for i in first] == [
        [(PLATFORM, Decimal(1), Decimal("50.00"))],
        [(API, Decimal(5), Decimal("1.25")), (PLATFORM, Decimal(1), Decimal("50.00"))],
        [(API, Decimal(2), Decimal("0.50")), (PLATFORM, Decimal(1), Decimal("50.00"))],
    ]
    assert {(i.customer_id, i.subscription_id, i.currency) for i in first} == {
        ("cus_acme", "sub_acme", "USD")
    }
    assert [i.due_date for i in first] == [date(2024, 3, 31)] * 3  # issued Mar 1, net 30
    assert (again.created, again.already_present, again.failures) == (0, 3, ())
    assert all_invoices(engine) == first
    assert engine.invoices.fetch(first[1].id) == first[1]


def test_nothing_more_is_due_after_a_cancellation_at_the_end_of_the_term(
    engine: Engine, clock: VirtualClock
) -> None:
    set_up(engine)
    engine.events.ingest([call("jan_0", JAN_1 + timedelta(days=2))])
    cancelled = engine.subscriptions.cancel("sub_acme", cancel_option="end_of_subscription_term")
    clock.move_to(APR_1 + timedelta(days=1))

    engine.billing.run()
    engine.billing.run()

    assert cancelled.end_date == FEB_1
    assert engine.subscriptions.fetch("sub_acme").end_date == FEB_1
    assert [(i.invoice_date, lines(i)) for i in all_invoices(engine)] == [
        (JAN_1, [(PLATFORM, Decimal(1), Decimal("50.00"))]),
        (FEB_1, [(API, Decimal(1), Decimal("0.25"))]),
    ]


def test_seats_set_from_february_are_billed_from_february(
    engine: Engine, clock: VirtualClock
) -> None:
    set_up(engine)

    engine.subscriptions.update_fixed_fee_quantity(
        "sub_acme", price_id=PLATFORM, quantity=3, effective_date=date(2024, 2, 1)
    )
    clock.move_to(FEB_1 + timedelta(hours=20))
    engine.billing.run()

    assert [(i.invoice_date, i.total) for i in all_invoices(engine)] == [
        (JAN_1, Decimal("50.00")),
        (FEB_1, Decimal("150.00")),
    ]


def test_a_deprecated_event_no_longer_counts_and_an_amended_one_counts_once(
    engine: Engine, clock: VirtualClock
) -> None:
    set_up(engine)
    engine.events.ingest([call(f"jan_{n}", JAN_1 + timedelta(days=n)) for n in range(3)])

    engine.events.deprecate("jan_0")
    engine.events.amend("jan_1", {**call("jan_1", JAN_1 + timedelta(days=1)), "properties": {}})
    clock.move_to(FEB_1 + timedelta(hours=20))
    engine.billing.run()

    february = all_invoices(engine)[-1]
    assert lines(february)[0] == (API, Decimal(2), Decimal("0.50"))
    assert engine.events.fetch("jan_0").status == "deprecated"


def test_invoices_are_paid_or_voided_through_the_engine(
    engine: Engine, clock: VirtualClock
) -> None:
    set_up(engine)
    clock.move_to(FEB_1 + timedelta(hours=20))
    engine.billing.run()
    january, february = all_invoices(engine)

    paid = engine.invoices.mark_paid(january.id)
    voided = engine.invoices.void(february.id)
    reissued = engine.invoices.issue(january.id)

    assert (paid.status, paid.paid_at) == ("paid", FEB_1 + timedelta(hours=20))
    assert (voided.status, voided.voided_at) == ("void", FEB_1 + timedelta(hours=20))
    assert reissued == paid
    with pytest.raises(ConflictError):
        engine.invoices.mark_paid(february.id)
    assert [i.status for i in engine.invoices.list(Query(where={"customer_id": "cus_acme"}))] == [
        "paid",
        "void",
    ]


def test_the_catalog_reads_back_as_it_was_given(engine: Engine) -> None:
    set_up(engine)

    plan = engine.plans.fetch_by_external_id("basic")
    prices = engine.prices.list(Query(where={"plan_id": "pln_basic"}))

    assert (plan.id, plan.currency, plan.net_terms, plan.plan_version) == (
        "pln_basic",
        "USD",
        30,
        1,
    )
    assert engine.plans.definition("pln_basic") == PlanDefinition.from_orb(PLAN)
    assert sorted(p.id for p in prices) == [API, PLATFORM]
    assert engine.prices.fetch(API).billable_metric_id == "met_api"
    assert engine.metrics.fetch("met_api").event_name == "api_call"
    assert [m.id for m in engine.metrics.list()] == ["met_api"]
    assert [p.id for p in engine.plans.list()] == ["pln_basic"]
    assert [s.id for s in engine.subscriptions.list(Query(where={"customer_id": "cus_acme"}))] == [
        "sub_acme"
    ]


def test_a_subscription_names_exactly_one_customer_and_one_plan(engine: Engine) -> None:
    set_up(engine)

    with pytest.raises(ValidationError) as error:
        engine.subscriptions.create(customer_id="cus_acme", external_customer_id="acme")
    with pytest.raises(NotFoundError, match="nobody"):
        engine.subscriptions.create(external_customer_id="nobody", plan_id="pln_basic")

    assert {p.path for p in error.value.problems} == {("customer_id",), ("plan_id",)}
    assert len(engine.subscriptions.list()) == 1


def test_a_sqlite_file_keeps_everything_for_the_next_connection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/kept.db"
    clock = VirtualClock(FEB_1 + timedelta(hours=20))
    with connect(url, clock=VirtualClock(JAN_1 + timedelta(days=19))) as engine:
        set_up(engine)

    with connect(url, clock=clock) as engine:
        created = engine.billing.run().created
    with connect(url, clock=clock) as engine:
        second = engine.billing.run()
        numbers = [i.number for i in all_invoices(engine)]

    assert (created, second.created, second.already_present) == (2, 0, 2)
    assert numbers == ["INV-000001", "INV-000002"]


def test_connect_opens_orbcore_db_in_the_working_directory_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with connect() as engine:
        engine.customers.create("Acme", customer_id="cus_acme")
        assert repr(engine) == "Engine('sqlite:///orbcore.db')"

    assert (tmp_path / "orbcore.db").exists()
    with connect(f"sqlite:///{tmp_path}/orbcore.db") as engine:
        assert engine.customers.fetch("cus_acme").name == "Acme"


def test_bad_settings_are_refused_before_anything_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ValidationError, match="url"):
        connect("mysql://localhost/billing")
    with pytest.raises(ValidationError, match="invoice_prefix"):
        connect(invoice_prefix="")
    with pytest.raises(ValidationError, match="clock"):
        connect(clock="2024-01-01")  # type: ignore[arg-type]

    assert list(tmp_path.iterdir()) == []


def test_the_engine_reads_the_system_clock_unless_given_one() -> None:
    before = datetime.now(UTC)
    with connect("memory://") as engine:
        created = engine.customers.create("Acme").created_at

    assert isinstance(engine.clock, orbcore.SystemClock)
    assert before <= created <= datetime.now(UTC)


def test_a_plan_change_at_the_end_of_the_term_bills_the_new_fee_from_then(
    engine: Engine, clock: VirtualClock
) -> None:
    set_up(engine)
    pro = {**PLAN, "name": "Pro", "external_plan_id": "pro", "prices": [
        {"id": "platform", "name": "Platform fee", "model_type": "unit",
         "cadence": "monthly", "unit_config": {"unit_amount": "100.00"}},
    ]}  # fmt: skip
    engine.plans.create(pro, plan_id="pln_pro")
    engine.events.ingest([call("jan_0", JAN_1 + timedelta(days=2))])

    engine.subscriptions.schedule_plan_change(
        "sub_acme", external_plan_id="pro", change_option="end_of_subscription_term"
    )
    clock.move_to(FEB_1 + timedelta(hours=20))
    engine.billing.run()

    assert [(i.invoice_date, lines(i)) for i in all_invoices(engine)] == [
        (JAN_1, [(PLATFORM, Decimal(1), Decimal("50.00"))]),
        (
            FEB_1,
            [
                (API, Decimal(1), Decimal("0.25")),
                ("pln_pro:v1:platform", Decimal(1), Decimal("100.00")),
            ],
        ),
    ]


def test_the_engines_tax_calculator_taxes_the_billing_runs_invoices(tmp_path: Path) -> None:
    clock = VirtualClock(JAN_1 + timedelta(days=10))
    tax = RateTableTax({"US-NY": "0.08"})
    with connect(f"sqlite:///{tmp_path}/tax.db", clock=clock, tax=tax) as engine:
        engine.customers.create(
            "Acme", customer_id="cus_ny", currency="USD",
            billing_address={"country": "US", "state": "NY"},
        )  # fmt: skip
        engine.plans.create({"name": "Fee", "currency": "USD", "prices": [
            {"id": "fee", "name": "Fee", "model_type": "unit", "cadence": "monthly",
             "unit_config": {"unit_amount": "10.00"}}]}, plan_id="pln_fee")  # fmt: skip
        engine.subscriptions.create(
            customer_id="cus_ny", plan_id="pln_fee", start_date=date(2024, 1, 1)
        )
        engine.billing.run(JAN_1 + timedelta(days=10))
        (invoice,) = engine.invoices.list().items
    assert (invoice.tax, invoice.total) == (Decimal("0.80"), Decimal("10.80"))


def test_a_coupon_redeemed_through_the_engine_discounts_the_next_invoice(
    tmp_path: Path,
) -> None:
    clock = VirtualClock(JAN_1 + timedelta(days=10))
    with connect(f"sqlite:///{tmp_path}/coupon.db", clock=clock) as engine:
        engine.customers.create("Acme", customer_id="cus_c", currency="USD")
        engine.plans.create({"name": "Fee", "currency": "USD", "prices": [
            {"id": "fee", "name": "Fee", "model_type": "unit", "cadence": "monthly",
             "unit_config": {"unit_amount": "40.00"}}]}, plan_id="pln_fee")  # fmt: skip
        engine.subscriptions.create(
            customer_id="cus_c", plan_id="pln_fee", start_date=date(2024, 1, 1),
            subscription_id="sub_c",
        )  # fmt: skip
        engine.subscriptions.apply_coupon(
            "sub_c", coupon_id="TEN", duration_in_months=1,
            discount={"discount_type": "amount", "amount_discount": "10.00"},
        )  # fmt: skip
        clock.move_to(datetime(2024, 3, 2, tzinfo=UTC))
        engine.billing.run()
        totals = [i.total for i in each(engine.invoices, Query(order_by="invoice_date"))]
    # January before the coupon, February 10.00 off, March after its month
    assert totals == [Decimal("40.00"), Decimal("30.00"), Decimal("40.00")]
