"""Billing scenarios end to end: plans, subscriptions and usage in the store, the billing
run on a virtual clock, and every invoice checked line by line against Orb's rules.

Each scenario runs on memory, SQLite and PostgreSQL, and ends with "nothing more is due":
a later run (a year after the end of an ended subscription, the same ``as_of`` again for an
active one) creates nothing and changes no stored invoice.

Conventions the expected values follow:

* in-advance fees are prorated by actual days in the customer's zone (Orb's day-based
  proration); a prorated fixed fee's line quantity is ``quantity x days / days in the
  period`` to 12 places (docs/invoices.md) and its amount that times the unit price,
  rounded half-up to cents;
* the unused part of an in-advance fee ended mid-period (plan change, cancellation) is a
  credit line on the invoice of that date, with a negative quantity (docs/subscriptions.md,
  ``UNUSED_CREDIT``; Orb books it to the customer balance);
* an invoice corresponds to one plan: a plan change mid-period gives an old-plan invoice
  and an up-front new-plan invoice on the change date;
* an invoice that bills usage is issued once its date plus the 12-hour grace period has
  passed; one of fixed fees only, at once (Orb's grace period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from orbcore import Anniversary, VirtualClock
from orbcore.billing import Customer, Invoice
from orbcore.services import (
    BillingRun,
    EventStatus,
    Ingestion,
    Metering,
    RunSummary,
    Subscriptions,
)
from orbcore.storage import Query, Store, each

NEW_YORK = ZoneInfo("America/New_York")
GRACE = timedelta(hours=12)
D = Decimal

BASIC_FEE, BASIC_API = "pln_basic:v1:platform", "pln_basic:v1:api"
PRO_FEE, PRO_API = "pln_pro:v1:platform", "pln_pro:v1:api"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ny(year: int, month: int, day: int) -> datetime:
    """Local midnight in New York."""
    return datetime(year, month, day, tzinfo=NEW_YORK)


def orb_plan(name: str, fee: str, per_call: str, **terms: Any) -> dict[str, Any]:
    """A monthly plan: a platform fee in advance and API calls in arrears."""
    return {
        "name": name,
        "currency": "USD",
        "prices": [
            {"id": "platform", "name": "Platform fee", "model_type": "unit",
             "cadence": "monthly", "unit_config": {"unit_amount": fee}},
            {"id": "api", "name": "API calls", "model_type": "unit", "cadence": "monthly",
             "billable_metric_id": "met_api", "unit_config": {"unit_amount": per_call}},
        ],
        **terms,
    }  # fmt: skip


class Line(NamedTuple):
    name: str
    price_id: str
    start: datetime
    end: datetime
    quantity: Decimal
    amount: Decimal


class Bill(NamedTuple):
    invoice_date: datetime
    status: str
    subtotal: Decimal
    total: Decimal
    lines: tuple[Line, ...]


def bill(
    invoice_date: datetime, subtotal: str, total: str, *lines: Line, status: str = "issued"
) -> Bill:
    return Bill(invoice_date, status, D(subtotal), D(total), tuple(sorted(lines)))


def fee(price_id: str, start: datetime, end: datetime, quantity: str, amount: str) -> Line:
    return Line("Platform fee", price_id, start, end, D(quantity), D(amount))


def calls(price_id: str, start: datetime, end: datetime, count: int, amount: str) -> Line:
    return Line("API calls", price_id, start, end, D(count), D(amount))


def stored_bill(invoice: Invoice) -> Bill:
    lines = (
        Line(line.name, line.price_id or "", line.start_date, line.end_date, line.quantity,
             line.amount)
        for line in invoice.lines
    )  # fmt: skip
    return Bill(
        invoice.invoice_date, invoice.status, invoice.subtotal, invoice.total, tuple(sorted(lines))
    )


@dataclass
class Scenario:
    """A store, a virtual clock, and the services on them."""

    store: Store
    clock: VirtualClock
    customer_id: str = "cus_1"

    @classmethod
    def on(cls, store: Store, start: datetime, *, timezone: str = "UTC") -> Scenario:
        scenario = cls(store, VirtualClock(start))
        if timezone != "UTC":
            scenario.customer_id = "cus_tz"
            with store.unit_of_work() as uow:
                uow.customers.add(
                    Customer(id="cus_tz", name="Empire", created_at=start, timezone=timezone)
                )
                uow.commit()
        scenario.subscriptions.add_plan(orb_plan("Basic", "50.00", "0.50"), plan_id="pln_basic")
        scenario.subscriptions.add_plan(orb_plan("Pro", "100.00", "0.40"), plan_id="pln_pro")
        Metering(store, scenario.clock).define_metric(
            {"id": "met_api", "name": "API calls", "event_name": "api_call", "aggregation": "count"}
        )
        return scenario

    @property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.store, self.clock)

    @property
    def billing(self) -> BillingRun:
        return BillingRun(self.store, self.clock)

    def at(self, instant: datetime) -> None:
        self.clock.move_to(instant)

    def subscribe(self, plan_id: str, start: date, **options: Any) -> str:
        record = self.subscriptions.create(
            self.customer_id, plan_id, start_date=start, subscription_id="sub_1", **options
        )
        return record.id

    def use(self, *timestamps: datetime) -> None:
        """One API call at each instant, all accepted."""
        report = Ingestion(self.store, self.clock).ingest(
            {
                "idempotency_key": f"call-{when.isoformat()}",
                "event_name": "api_call",
                "customer_id": self.customer_id,
                "timestamp": when.isoformat(),
                "properties": {},
            }
            for when in timestamps
        )
        assert report.count(EventStatus.ACCEPTED) == len(timestamps), report

    def run(self, as_of: datetime, *, created: int) -> RunSummary:
        """Run the billing at ``as_of`` (the clock moved there if behind), expecting
        ``created`` new invoices and no failure."""
        self.at(max(as_of, self.clock.now()))
        summary = self.billing.run(as_of)
        assert (summary.created, summary.failures) == (created, ()), summary
        return summary

    def invoices(self) -> list[Invoice]:
        with self.store.unit_of_work() as uow:
            return list(each(uow.invoices, Query(order_by="invoice_date", limit=50)))

    def assert_invoices(self, *expected: Bill) -> None:
        """Exactly these invoices, numbered INV-000001.. in the order of their dates."""
        stored = self.invoices()
        assert sorted(stored_bill(invoice) for invoice in stored) == sorted(expected)
        by_number = sorted(stored, key=lambda invoice: invoice.number or "")
        assert [invoice.number for invoice in by_number] == [
            f"INV-{n:06d}" for n in range(1, len(stored) + 1)
        ]
        dates = [invoice.invoice_date for invoice in by_number]
        assert dates == sorted(dates)

    def assert_nothing_more_due(self, as_of: datetime) -> None:
        before = self.invoices()
        self.run(as_of, created=0)
        assert self.invoices() == before


# 1. Anniversary alignment on January 31 through a leap-year February.


def test_jan_31_anniversary_bills_on_feb_29_then_mar_31(store: Store) -> None:
    world = Scenario.on(store, utc(2024, 1, 30))
    world.subscriptions.add_plan(orb_plan("Monthly", "30.00", "0.50"), plan_id="pln_monthly")
    world.subscribe("pln_monthly", date(2024, 1, 31), alignment=Anniversary())
    fee_id, api_id = "pln_monthly:v1:platform", "pln_monthly:v1:api"

    world.run(utc(2024, 1, 31), created=1)
    # The anchor day 31 is clamped to February's last day, the 29th, not chained to the
    # 28th: nothing is due on Feb 28, even past its grace period.
    world.run(utc(2024, 2, 28, 23, 59), created=0)
    world.at(utc(2024, 2, 29, 1))
    world.use(utc(2024, 1, 31), utc(2024, 2, 28, 23, 59, 59), utc(2024, 2, 29))
    world.run(utc(2024, 2, 29) + GRACE, created=1)
    world.at(utc(2024, 3, 31, 1))
    world.use(utc(2024, 3, 30, 23, 59, 59))
    world.run(utc(2024, 3, 31) + GRACE, created=1)

    world.assert_invoices(
        # Jan 31: the fee for [Jan 31, Feb 29), a whole period: 1 x 30.00.
        bill(utc(2024, 1, 31), "30.00", "30.00",
             fee(fee_id, utc(2024, 1, 31), utc(2024, 2, 29), "1", "30.00")),
        # Feb 29: 2 calls in [Jan 31, Feb 29) x 0.50 = 1.00; March's fee 30.00; 31.00.
        bill(utc(2024, 2, 29), "31.00", "31.00",
             calls(api_id, utc(2024, 1, 31), utc(2024, 2, 29), 2, "1.00"),
             fee(fee_id, utc(2024, 2, 29), utc(2024, 3, 31), "1", "30.00")),
        # Mar 31: 2 calls in [Feb 29, Mar 31) = 1.00; the fee to Apr 30 (clamped) 30.00.
        bill(utc(2024, 3, 31), "31.00", "31.00",
             calls(api_id, utc(2024, 2, 29), utc(2024, 3, 31), 2, "1.00"),
             fee(fee_id, utc(2024, 3, 31), utc(2024, 4, 30), "1", "30.00")),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2024, 3, 31) + GRACE)


# 2. A New York customer across the switch to daylight time (March 10, 2024).


def test_new_york_periods_end_at_local_midnight_across_the_dst_change(store: Store) -> None:
    world = Scenario.on(store, utc(2024, 3, 1), timezone="America/New_York")
    world.subscribe("pln_basic", date(2024, 3, 5))  # Mar 5 00:00 EST = 05:00 UTC

    world.run(utc(2024, 3, 5), created=0)  # UTC midnight: still March 4 in New York
    world.run(ny(2024, 3, 5), created=1)  # fixed fee only: no grace period
    world.at(utc(2024, 4, 1, 4, 30))
    world.use(
        utc(2024, 3, 5, 4, 59),  # Mar 4 23:59 EST: before the start, never billed
        utc(2024, 3, 5, 5, 0),  # Mar 5 00:00 EST: the first instant
        utc(2024, 3, 10, 7, 30),  # Mar 10 03:30 EDT: just after the clocks jump
        utc(2024, 4, 1, 3, 59),  # Mar 31 23:59 EDT: still March
        utc(2024, 4, 1, 4, 0),  # Apr 1 00:00 EDT: April's, billed on May 1
    )
    # Apr 1 12:00 UTC is the grace's end of a UTC-midnight boundary, not of the local one
    world.run(utc(2024, 4, 1) + GRACE, created=0)
    world.run(ny(2024, 4, 1) + GRACE, created=1)  # Apr 1 00:00 EDT = 04:00 UTC, + 12 h

    world.assert_invoices(
        # Mar 5: the fee for [Mar 5, Apr 1): 27 of March's 31 local days, whatever the
        # 23-hour March 10: 27/31 = 0.870967741935; 50 x 27/31 = 43.548.. = 43.55.
        bill(ny(2024, 3, 5), "43.55", "43.55",
             fee(BASIC_FEE, ny(2024, 3, 5), ny(2024, 4, 1), "0.870967741935", "43.55")),
        # Apr 1: 3 calls in [Mar 5 EST, Apr 1 EDT) x 0.50 = 1.50; April's fee 50.00.
        bill(ny(2024, 4, 1), "51.50", "51.50",
             calls(BASIC_API, ny(2024, 3, 5), ny(2024, 4, 1), 3, "1.50"),
             fee(BASIC_FEE, ny(2024, 4, 1), ny(2024, 5, 1), "1", "50.00")),
    )  # fmt: skip
    world.assert_nothing_more_due(ny(2024, 4, 1) + GRACE)


# 3. Plan changes mid-period: an immediate upgrade, a downgrade on a requested date.


def test_immediate_upgrade_credits_the_old_fee_and_charges_the_new_by_days(
    store: Store,
) -> None:
    world = Scenario.on(store, utc(2024, 1, 1))
    world.subscribe("pln_basic", date(2024, 1, 1))
    world.run(utc(2024, 1, 1), created=1)

    world.at(utc(2024, 1, 15))
    world.use(utc(2024, 1, 3), utc(2024, 1, 14, 23))
    world.subscriptions.change_plan("sub_1", "pln_pro", "immediate")
    world.run(utc(2024, 1, 15), created=1)  # the new plan's fee, up front
    world.run(utc(2024, 1, 15) + GRACE, created=1)  # the old plan's usage and credit
    world.at(utc(2024, 2, 1, 1))
    world.use(utc(2024, 1, 15), utc(2024, 1, 20), utc(2024, 1, 31, 23))
    world.run(utc(2024, 2, 1) + GRACE, created=1)

    world.assert_invoices(
        # Jan 1 (Basic): January's fee in advance, 50.00.
        bill(utc(2024, 1, 1), "50.00", "50.00",
             fee(BASIC_FEE, utc(2024, 1, 1), utc(2024, 2, 1), "1", "50.00")),
        # Jan 15 (Basic, old plan): 2 calls in [Jan 1, Jan 15) x 0.50 = 1.00; the unused
        # 17 of 31 days credited: -17/31 = -0.548387096774; -50 x 17/31 = -27.42.
        # 1.00 - 27.42 = -26.42.
        bill(utc(2024, 1, 15), "-26.42", "-26.42",
             calls(BASIC_API, utc(2024, 1, 1), utc(2024, 1, 15), 2, "1.00"),
             fee(BASIC_FEE, utc(2024, 1, 15), utc(2024, 2, 1), "-0.548387096774", "-27.42")),
        # Jan 15 (Pro, new plan, up front): 100 x 17/31 = 54.838.. = 54.84.
        bill(utc(2024, 1, 15), "54.84", "54.84",
             fee(PRO_FEE, utc(2024, 1, 15), utc(2024, 2, 1), "0.548387096774", "54.84")),
        # Feb 1 (Pro): 3 calls in [Jan 15, Feb 1) x 0.40 = 1.20; February's fee 100.00.
        bill(utc(2024, 2, 1), "101.20", "101.20",
             calls(PRO_API, utc(2024, 1, 15), utc(2024, 2, 1), 3, "1.20"),
             fee(PRO_FEE, utc(2024, 2, 1), utc(2024, 3, 1), "1", "100.00")),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2024, 2, 1) + GRACE)


def test_downgrade_on_a_requested_date_bills_the_regular_invoice_then_the_change(
    store: Store,
) -> None:
    world = Scenario.on(store, utc(2024, 1, 1))
    world.subscribe("pln_pro", date(2024, 1, 1))
    world.run(utc(2024, 1, 1), created=1)

    world.at(utc(2024, 1, 20))
    world.subscriptions.change_plan(
        "sub_1", "pln_basic", "requested_date", change_date=date(2024, 2, 15)
    )
    world.use(utc(2024, 1, 10))
    world.run(utc(2024, 2, 1) + GRACE, created=1)
    world.at(utc(2024, 2, 15, 1))
    world.use(utc(2024, 2, 10), utc(2024, 2, 14, 23))
    world.run(utc(2024, 2, 15) + GRACE, created=2)
    world.at(utc(2024, 3, 1, 1))
    world.use(utc(2024, 2, 15), utc(2024, 2, 29, 23))
    world.run(utc(2024, 3, 1) + GRACE, created=1)

    world.assert_invoices(
        # Jan 1 (Pro): 100.00. Feb 1 (Pro): 1 January call x 0.40; February's fee 100.00.
        bill(utc(2024, 1, 1), "100.00", "100.00",
             fee(PRO_FEE, utc(2024, 1, 1), utc(2024, 2, 1), "1", "100.00")),
        bill(utc(2024, 2, 1), "100.40", "100.40",
             calls(PRO_API, utc(2024, 1, 1), utc(2024, 2, 1), 1, "0.40"),
             fee(PRO_FEE, utc(2024, 2, 1), utc(2024, 3, 1), "1", "100.00")),
        # Feb 15 (Pro, old plan): 2 calls in [Feb 1, Feb 15) x 0.40 = 0.80; the unused
        # Feb 15..29, 15 of 29 days: -15/29 = -0.517241379310; -100 x 15/29 = -51.72.
        # 0.80 - 51.72 = -50.92.
        bill(utc(2024, 2, 15), "-50.92", "-50.92",
             calls(PRO_API, utc(2024, 2, 1), utc(2024, 2, 15), 2, "0.80"),
             fee(PRO_FEE, utc(2024, 2, 15), utc(2024, 3, 1), "-0.517241379310", "-51.72")),
        # Feb 15 (Basic, new plan, up front): 50 x 15/29 = 25.862.. = 25.86.
        bill(utc(2024, 2, 15), "25.86", "25.86",
             fee(BASIC_FEE, utc(2024, 2, 15), utc(2024, 3, 1), "0.517241379310", "25.86")),
        # Mar 1 (Basic): 2 calls in [Feb 15, Mar 1) x 0.50 = 1.00; March's fee 50.00.
        bill(utc(2024, 3, 1), "51.00", "51.00",
             calls(BASIC_API, utc(2024, 2, 15), utc(2024, 3, 1), 2, "1.00"),
             fee(BASIC_FEE, utc(2024, 3, 1), utc(2024, 4, 1), "1", "50.00")),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2024, 3, 1) + GRACE)


# 4. A 14-day trial, then paid periods.


def test_trial_charges_no_fixed_fee_and_discounts_its_usage_then_bills_paid_periods(
    store: Store,
) -> None:
    world = Scenario.on(store, utc(2024, 1, 1))
    trial = {"trial_config": {"trial_period": 14, "trial_period_unit": "days"}}
    world.subscriptions.add_plan(orb_plan("Trial", "50.00", "0.50", **trial), plan_id="pln_trial")
    fee_id, api_id = "pln_trial:v1:platform", "pln_trial:v1:api"
    world.subscribe("pln_trial", date(2024, 1, 1))

    world.run(utc(2024, 1, 1), created=0)  # no fee in advance for the trial
    world.at(utc(2024, 1, 14, 23))
    world.use(utc(2024, 1, 3), utc(2024, 1, 14, 22))
    world.run(utc(2024, 1, 14, 23), created=0)
    world.run(utc(2024, 1, 15), created=0)  # the trial's usage is on it: it waits
    world.run(utc(2024, 1, 15) + GRACE, created=1)
    world.at(utc(2024, 2, 1, 1))
    world.use(utc(2024, 1, 15), utc(2024, 1, 31))
    world.run(utc(2024, 2, 1) + GRACE, created=1)
    world.at(utc(2024, 3, 1, 1))
    world.use(utc(2024, 2, 2), utc(2024, 2, 3), utc(2024, 2, 29, 23))
    world.run(utc(2024, 3, 1) + GRACE, created=1)

    world.assert_invoices(
        # Jan 15, the trial's end: its 2 calls (1.00 before discounts) carry the 100% trial
        # discount (no trial maximum): 0.00. The fee from the trial's end, 17 of January's
        # 31 days: 50 x 17/31 = 27.42. Subtotal 1.00 + 27.42 = 28.42, total 27.42.
        bill(utc(2024, 1, 15), "28.42", "27.42",
             calls(api_id, utc(2024, 1, 1), utc(2024, 1, 15), 2, "0.00"),
             fee(fee_id, utc(2024, 1, 15), utc(2024, 2, 1), "0.548387096774", "27.42")),
        # Feb 1: 2 calls in [Jan 15, Feb 1) x 0.50 = 1.00; February's fee 50.00.
        bill(utc(2024, 2, 1), "51.00", "51.00",
             calls(api_id, utc(2024, 1, 15), utc(2024, 2, 1), 2, "1.00"),
             fee(fee_id, utc(2024, 2, 1), utc(2024, 3, 1), "1", "50.00")),
        # Mar 1: 3 February calls = 1.50; March's fee 50.00.
        bill(utc(2024, 3, 1), "51.50", "51.50",
             calls(api_id, utc(2024, 2, 1), utc(2024, 3, 1), 3, "1.50"),
             fee(fee_id, utc(2024, 3, 1), utc(2024, 4, 1), "1", "50.00")),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2024, 3, 1) + GRACE)


# 5. More seats mid-period.


def test_seat_increase_mid_period_bills_the_prorated_difference_at_once(store: Store) -> None:
    world = Scenario.on(store, utc(2024, 1, 1))
    team = orb_plan("Team", "5.00", "0.50")
    team["prices"][0] |= {"name": "Seats", "fixed_price_quantity": "10"}
    world.subscriptions.add_plan(team, plan_id="pln_team")
    seats_id, api_id = "pln_team:v1:platform", "pln_team:v1:api"
    world.subscribe("pln_team", date(2024, 1, 1))
    world.run(utc(2024, 1, 1), created=1)

    world.at(utc(2024, 1, 20, 10))  # requested in the morning, effective from midnight
    world.use(utc(2024, 1, 10))
    world.subscriptions.set_quantity("sub_1", seats_id, 15, effective_date=date(2024, 1, 20))
    world.run(utc(2024, 1, 20, 10), created=1)  # fixed fee only: at once
    world.at(utc(2024, 2, 1, 1))
    world.use(utc(2024, 1, 25))
    world.run(utc(2024, 2, 1) + GRACE, created=1)

    seats = "Seats"
    world.assert_invoices(
        # Jan 1: 10 seats x 5.00 = 50.00.
        bill(utc(2024, 1, 1), "50.00", "50.00",
             Line(seats, seats_id, utc(2024, 1, 1), utc(2024, 2, 1), D(10), D("50.00"))),
        # Jan 20: the 5 more seats for the 12 days left of 31: 5 x 12/31 = 60/31 =
        # 1.935483870968; x 5.00 = 300/31 = 9.677.. = 9.68. No usage on it.
        bill(utc(2024, 1, 20), "9.68", "9.68",
             Line(seats, seats_id, utc(2024, 1, 20), utc(2024, 2, 1), D("1.935483870968"),
                  D("9.68"))),
        # Feb 1: 2 January calls x 0.50 = 1.00 (usage is not cut at the change);
        # 15 seats x 5.00 = 75.00.
        bill(utc(2024, 2, 1), "76.00", "76.00",
             calls(api_id, utc(2024, 1, 1), utc(2024, 2, 1), 2, "1.00"),
             Line(seats, seats_id, utc(2024, 2, 1), utc(2024, 3, 1), D(15), D("75.00"))),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2024, 2, 1) + GRACE)


# 6. Cancellations: immediate, and backdated (Orb's table of three cases).


def test_immediate_cancellation_bills_usage_to_date_and_credits_the_unused_fee(
    store: Store,
) -> None:
    world = Scenario.on(store, utc(2024, 1, 1))
    world.subscribe("pln_basic", date(2024, 1, 1))
    world.run(utc(2024, 1, 1), created=1)

    world.at(utc(2024, 1, 20))
    world.use(utc(2024, 1, 3), utc(2024, 1, 19, 23))
    world.subscriptions.cancel("sub_1", "immediate")
    world.run(utc(2024, 1, 20), created=0)  # it bills usage: it waits
    world.run(utc(2024, 1, 20) + GRACE, created=1)

    world.assert_invoices(
        bill(utc(2024, 1, 1), "50.00", "50.00",
             fee(BASIC_FEE, utc(2024, 1, 1), utc(2024, 2, 1), "1", "50.00")),
        # Jan 20: 2 calls in [Jan 1, Jan 20) x 0.50 = 1.00; the unused 12 of 31 days
        # credited: -12/31 = -0.387096774194; -50 x 12/31 = -19.354.. = -19.35.
        # 1.00 - 19.35 = -18.35.
        bill(utc(2024, 1, 20), "-18.35", "-18.35",
             calls(BASIC_API, utc(2024, 1, 1), utc(2024, 1, 20), 2, "1.00"),
             fee(BASIC_FEE, utc(2024, 1, 20), utc(2024, 2, 1), "-0.387096774194", "-19.35")),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2025, 1, 20))


def test_cancellation_backdated_mid_period_credits_from_the_effective_date(
    store: Store,
) -> None:
    world = Scenario.on(store, utc(2022, 1, 1))
    world.subscribe("pln_basic", date(2022, 1, 1))
    world.run(utc(2022, 1, 1), created=1)

    world.at(utc(2022, 1, 15))
    world.use(utc(2022, 1, 3), utc(2022, 1, 12, 23), utc(2022, 1, 13, 1))
    world.subscriptions.cancel("sub_1", "requested_date", cancellation_date=date(2022, 1, 13))
    world.run(utc(2022, 1, 15), created=1)

    world.assert_invoices(
        bill(utc(2022, 1, 1), "50.00", "50.00",
             fee(BASIC_FEE, utc(2022, 1, 1), utc(2022, 2, 1), "1", "50.00")),
        # Jan 13 (requested Jan 15): in arrears, the 2 calls before Jan 13 x 0.50 = 1.00
        # (the Jan 13 01:00 call is after the end); the unused 19 of 31 days credited:
        # -19/31 = -0.612903225806; -50 x 19/31 = -30.645.. = -30.65. 1.00 - 30.65 = -29.65.
        bill(utc(2022, 1, 13), "-29.65", "-29.65",
             calls(BASIC_API, utc(2022, 1, 1), utc(2022, 1, 13), 2, "1.00"),
             fee(BASIC_FEE, utc(2022, 1, 13), utc(2022, 2, 1), "-0.612903225806", "-30.65")),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2023, 1, 13))


def test_cancellation_backdated_to_the_start_voids_the_only_invoice(store: Store) -> None:
    world = Scenario.on(store, utc(2022, 1, 1))
    world.subscribe("pln_basic", date(2022, 1, 1))
    world.run(utc(2022, 1, 1), created=1)

    world.at(utc(2022, 1, 15))
    world.use(utc(2022, 1, 3))
    world.subscriptions.cancel("sub_1", "requested_date", cancellation_date=date(2022, 1, 1))
    world.run(utc(2022, 1, 15), created=0)

    world.assert_invoices(
        # The Jan 1 invoice is voided, nothing else is billed (not the Jan 3 call).
        bill(utc(2022, 1, 1), "50.00", "50.00",
             fee(BASIC_FEE, utc(2022, 1, 1), utc(2022, 2, 1), "1", "50.00"), status="void"),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2023, 1, 1))


def test_cancellation_backdated_to_an_invoiced_period_voids_and_reissues_its_invoice(
    store: Store,
) -> None:
    world = Scenario.on(store, utc(2022, 1, 1))
    world.subscribe("pln_basic", date(2022, 1, 1))
    world.run(utc(2022, 1, 1), created=1)
    world.at(utc(2022, 2, 1, 1))
    world.use(utc(2022, 1, 3), utc(2022, 1, 31, 23))
    world.run(utc(2022, 2, 1) + GRACE, created=1)

    world.at(utc(2022, 2, 15))
    world.use(utc(2022, 2, 3))
    world.subscriptions.cancel("sub_1", "requested_date", cancellation_date=date(2022, 2, 1))
    world.run(utc(2022, 2, 15), created=1)

    world.assert_invoices(
        bill(utc(2022, 1, 1), "50.00", "50.00",
             fee(BASIC_FEE, utc(2022, 1, 1), utc(2022, 2, 1), "1", "50.00")),
        # The Feb 1 invoice as first issued: 2 January calls = 1.00 + February's fee 50.00;
        # voided by the cancellation effective Feb 1 (requested Feb 15) ...
        bill(utc(2022, 2, 1), "51.00", "51.00",
             calls(BASIC_API, utc(2022, 1, 1), utc(2022, 2, 1), 2, "1.00"),
             fee(BASIC_FEE, utc(2022, 2, 1), utc(2022, 3, 1), "1", "50.00"), status="void"),
        # ... and issued again with January's usage only, 1.00 (no fee, no February call).
        bill(utc(2022, 2, 1), "1.00", "1.00",
             calls(BASIC_API, utc(2022, 1, 1), utc(2022, 2, 1), 2, "1.00")),
    )  # fmt: skip
    world.assert_nothing_more_due(utc(2023, 2, 1))
