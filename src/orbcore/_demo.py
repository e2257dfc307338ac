"""The demonstration printed by ``orbcore demo``: money, the billing calendar, a billing run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from orbcore._clock import VirtualClock
from orbcore._engine import Engine, connect
from orbcore._errors import NotFoundError
from orbcore.calendar import (
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    BillingSchedule,
    Cadence,
    CycleAnchor,
    DayCount,
)
from orbcore.money import CurrencyRegistry, Money, RoundingMode, allocate
from orbcore.services import EventStatus
from orbcore.storage import DEFAULT_URL, Query, each

__all__ = ["run_demo"]


def run_demo(locale: str = "de_DE", database: str = DEFAULT_URL) -> str:
    """Return the demonstration as text; amounts are formatted for ``locale``.

    The last part is a billing run on ``database`` (a SQLite file by default): a catalog,
    two customers and their subscriptions, sample usage events, two periods billed and
    the invoices printed; running the demonstration again finds it all and changes
    nothing.
    """
    return "\n".join(
        [*_money_lines(locale), "", *_calendar_lines(), "", *_billing_lines(database, locale)]
    )


def _money_lines(locale: str) -> list[str]:
    registry = CurrencyRegistry()
    credits = registry.register("credits", 4)
    ten_cents = Money("0.10", "USD")
    lines = [
        "Exact money",
        f"  0.10 USD x 3 = {ten_cents * 3} (no float drift: 0.1 * 3 = {0.1 * 3!r} in floats)",
    ]
    for code in ("USD", "JPY", "KWD", "CLF"):
        currency = registry.get(code)
        amount = Money("1234.56789", currency)
        lines.append(
            f"  {code}: {currency.minor_units} minor units; 1234.56789 -> "
            f"{amount.rounded()}, shown in {locale} as {amount.format(locale)}"
        )
    lines.append(f"  custom unit: {Money('2.5', credits).format(locale)}")
    half = Money("2.345", "USD")
    modes = ", ".join(f"{mode.value} {half.rounded(mode).amount}" for mode in RoundingMode)
    lines.append(f"  2.345 USD rounded: {modes}")
    tax = allocate(Money("10.00", "USD"), [3, 3, 3])
    lines.append(
        f"  10.00 USD of tax over three equal lines: {', '.join(str(p.amount) for p in tax)}"
    )
    return lines


def _calendar_lines() -> list[str]:
    def starts(schedule: BillingSchedule, count: int) -> str:
        local = (schedule.period(n).start.astimezone(schedule.timezone) for n in range(count))
        return " -> ".join(str(instant.date()) for instant in local)

    anniversary = BillingSchedule(date(2024, 1, 31), Cadence.monthly(), Anniversary())
    cycle_day = BillingSchedule(date(2024, 3, 31), Cadence.monthly(), BillingCycleDay(31))
    quarterly = BillingSchedule(date(2024, 1, 15), Cadence.quarterly(), CycleAnchor(1, month=2))
    los_angeles = BillingSchedule(
        date(2024, 1, 15), Cadence.monthly(), BeginningOfMonth(), "America/Los_Angeles"
    )
    first, second = los_angeles.period(0), los_angeles.period(1)
    lines = [
        "Billing calendar",
        f"  anniversary from 2024-01-31: {starts(anniversary, 4)}",
        f"  billing-cycle day 31: {starts(cycle_day, 3)}",
        f"  quarterly anchored in February, from 2024-01-15: {starts(quarterly, 4)}",
        "  Los Angeles customer starting 2024-01-15, aligned to the 1st:",
        f"    period 0 {first} (short: its nominal month is {los_angeles.nominal_period(0)})",
        f"    period 1 {second}",
    ]
    for convention in DayCount:
        share = los_angeles.proration(0, convention)
        lines.append(
            f"    {convention.value}: period 0 is {share} of a month; a 50.00 USD fee "
            f"prorates to {Money('50.00', 'USD').prorated(share)}"
        )
    return lines


def _billing_lines(database: str, locale: str) -> list[str]:
    """A catalog, two customers, their usage and two periods billed, on ``database``."""
    clock = VirtualClock(datetime(2024, 1, 10, tzinfo=UTC))
    with connect(database, clock=clock, invoice_prefix="DEMO") as engine:
        lines = ["Billing", f"  store: {engine.store.url}"]
        created = _catalog(engine)
        lines.append(
            "  catalog: plan Basic (USD 50.00 a month in advance, API calls in arrears, "
            "the first 50 free, then 0.05), plan Pro (EUR 40.00 a month, 0.02 per GB)"
            + ("" if created else "; found from an earlier run")
        )
        lines.append(
            "  customers: Acme Corp (America/Los_Angeles, USD) from Jan 15, "
            "Berg GmbH (Europe/Berlin, EUR) from Jan 1"
        )
        events = _sample_events()
        for month in (2, 3):
            # the month's events arrive as they happen, then the month is billed
            clock.move_to(datetime(2024, month, 1, 7, tzinfo=UTC))
            sent = [e for e in events if e["timestamp"] < clock.now().isoformat()]
            events = events[len(sent) :]
            report = engine.events.ingest(sent)
            lines.append(
                f"  {clock.now():%b %d %H:%M} UTC: {len(sent)} events sent, "
                f"{report.count(EventStatus.ACCEPTED)} accepted, "
                f"{report.count(EventStatus.DUPLICATE)} duplicates of an earlier run"
            )
            clock.move_to(datetime(2024, month, 2, 12, tzinfo=UTC))
            summary = engine.billing.run()
            lines.append(
                f"  {clock.now():%b %d %H:%M} UTC: billing run, {summary.created} invoices "
                f"created, {summary.already_present} already there"
            )
        lines += _invoice_lines(engine, locale)
        again = engine.billing.run()
        lines.append(
            f"  running again: {again.created} created, {again.already_present} already "
            "there: nothing changed"
        )
    return lines


def _catalog(engine: Engine) -> bool:
    """Create the demo's catalog, customers and subscriptions; ``False`` if they exist."""
    try:
        engine.subscriptions.fetch("sub_demo_berg")
    except NotFoundError:
        pass
    else:
        return False
    engine.metrics.create(
        {"id": "met_demo_calls", "name": "API calls", "event_name": "api_call",
         "aggregation": "count"}
    )  # fmt: skip
    engine.metrics.create(
        {"id": "met_demo_gb", "name": "Storage", "event_name": "storage",
         "aggregation": "sum", "property": "gb"}
    )  # fmt: skip
    engine.plans.create(_BASIC, plan_id="pln_demo_basic")
    engine.plans.create(_PRO, plan_id="pln_demo_pro")
    try:
        engine.customers.fetch("cus_demo_acme")  # stored by an earlier release's demo
    except NotFoundError:
        engine.customers.create(
            "Acme Corp", customer_id="cus_demo_acme", external_customer_id="demo-acme",
            currency="USD", timezone="America/Los_Angeles",
        )  # fmt: skip
    engine.customers.create(
        "Berg GmbH", customer_id="cus_demo_berg", external_customer_id="demo-berg",
        currency="EUR", timezone="Europe/Berlin",
    )  # fmt: skip
    engine.subscriptions.create(
        customer_id="cus_demo_acme", plan_id="pln_demo_basic",
        start_date=date(2024, 1, 15), subscription_id="sub_demo_acme",
    )  # fmt: skip
    engine.subscriptions.create(
        customer_id="cus_demo_berg", plan_id="pln_demo_pro",
        start_date=date(2024, 1, 1), subscription_id="sub_demo_berg",
    )  # fmt: skip
    return True


_BASIC = {
    "name": "Basic", "currency": "USD", "net_terms": 30,
    "prices": [
        {"id": "platform", "name": "Platform fee", "model_type": "unit", "cadence": "monthly",
         "unit_config": {"unit_amount": "50.00"}},
        {"id": "api", "name": "API calls", "model_type": "tiered", "cadence": "monthly",
         "billable_metric_id": "met_demo_calls",
         "tiered_config": {"tiers": [
             {"first_unit": "0", "last_unit": "50", "unit_amount": "0.00"},
             {"first_unit": "50", "unit_amount": "0.05"}]}},
    ],
}  # fmt: skip

_PRO = {
    "name": "Pro", "currency": "EUR", "net_terms": 14,
    "prices": [
        {"id": "platform", "name": "Plattformgebühr", "model_type": "unit", "cadence": "monthly",
         "unit_config": {"unit_amount": "40.00"}},
        {"id": "storage", "name": "Speicher (GB)", "model_type": "unit", "cadence": "monthly",
         "billable_metric_id": "met_demo_gb", "unit_config": {"unit_amount": "0.02"}},
    ],
}  # fmt: skip


def _sample_events() -> list[dict[str, Any]]:
    """Fixed keys, so a second run sends duplicates: 180 calls and 60 storage readings,
    oldest first."""
    events: list[dict[str, Any]] = []
    for n in range(180):
        day = datetime(2024, 1, 16, tzinfo=UTC) + timedelta(hours=4 * n)  # Jan 16 - Feb 15
        events.append(
            {"idempotency_key": f"demo-call-{n}", "event_name": "api_call",
             "external_customer_id": "demo-acme", "timestamp": day.isoformat(),
             "properties": {}}
        )  # fmt: skip
    for n in range(60):
        day = datetime(2024, 1, 1, 6, tzinfo=UTC) + timedelta(hours=12 * n)  # Jan 1 - Jan 30
        events.append(
            {"idempotency_key": f"demo-gb-{n}", "event_name": "storage",
             "customer_id": "cus_demo_berg", "timestamp": day.isoformat(),
             "properties": {"gb": Decimal(f"{100 + 7 * n}.5")}}
        )  # fmt: skip
    return sorted(events, key=lambda event: str(event["timestamp"]))


def _invoice_lines(engine: Engine, locale: str) -> list[str]:
    lines = [f"  invoices, amounts in {locale}:"]
    customers = {c.id: c for c in engine.customers.list().items}
    invoices = each(engine.invoices, Query(order_by="invoice_date", limit=100))
    for invoice in sorted(invoices, key=lambda invoice: invoice.number or ""):
        customer = customers[invoice.customer_id]
        zone = ZoneInfo(customer.timezone)
        day = invoice.invoice_date.astimezone(zone).date()
        total = Money(invoice.total, invoice.currency).format(locale)
        lines.append(
            f"    {invoice.number}  {day}  {customer.name:<10} {invoice.status:<7} "
            f"total {total}, due {invoice.due_date}"
        )
        for line in invoice.lines:
            start = line.start_date.astimezone(zone).date()
            end = line.end_date.astimezone(zone).date()
            amount = Money(line.amount, invoice.currency).format(locale)
            lines.append(
                f"      {line.name:<18} {start} .. {end}  {_plain(line.quantity):>8}  {amount}"
            )
    return lines


def _plain(quantity: Decimal) -> str:
    """A quantity as written: whole numbers without a decimal point, fractions to 4 places."""
    if quantity == quantity.to_integral_value():
        return str(quantity.quantize(Decimal(1)))
    return str(quantity.quantize(Decimal("0.0001")))
