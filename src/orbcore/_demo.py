"""The demonstration printed by ``orbcore demo``: money, the billing calendar, storage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from orbcore.billing import Customer, Invoice, InvoiceLine
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
from orbcore.storage import DEFAULT_URL, open_store

__all__ = ["run_demo"]


def run_demo(locale: str = "de_DE", database: str = DEFAULT_URL) -> str:
    """Return the demonstration as text; amounts are formatted for ``locale``.

    The last part stores a customer and a numbered invoice in ``database`` (a SQLite file
    by default); running the demonstration again finds them and changes nothing.
    """
    return "\n".join(
        [*_money_lines(locale), "", *_calendar_lines(), "", *_storage_lines(database, locale)]
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


def _storage_lines(database: str, locale: str) -> list[str]:
    schedule = BillingSchedule(
        date(2024, 1, 15), Cadence.monthly(), BeginningOfMonth(), "America/Los_Angeles"
    )
    first = schedule.period(0)
    fee = Money("50.00", "USD").prorated(schedule.proration(0))
    store = open_store(database)
    lines = ["Storage", f"  store: {store.url}"]
    with store.unit_of_work() as uow:
        customer = uow.customers.find_by(external_customer_id="demo-acme")
        if customer is None:
            customer = uow.customers.add(
                Customer(
                    id="cus_demo_acme",
                    external_customer_id="demo-acme",
                    name="Acme Corp",
                    currency="USD",
                    timezone="America/Los_Angeles",
                    created_at=first.start,
                )
            )
        invoice = uow.invoices.find("inv_demo_2024_01")
        if invoice is None:
            invoice = uow.invoices.add(_demo_invoice(customer.id, first.start, first.end, fee))
            lines.append("  stored customer Acme Corp and its first invoice")
        else:
            lines.append("  found the customer and invoice stored by an earlier run: no change")
        invoice = uow.invoices.assign_number(invoice.id, "DEMO")
        uow.commit()
    store.close()
    total = Money(invoice.total, invoice.currency).format(locale)
    lines.append(f"  invoice {invoice.number}: {invoice.lines[0].name}, total {total}")
    return lines


def _demo_invoice(customer_id: str, start: datetime, end: datetime, fee: Money) -> Invoice:
    return Invoice(
        id="inv_demo_2024_01",
        customer_id=customer_id,
        currency="USD",
        kind="subscription",
        period_start=start,
        period_end=end,
        invoice_date=start,
        created_at=datetime(2024, 1, 15, tzinfo=UTC),
        subtotal=fee.amount,
        total=fee.amount,
        amount_due=fee.amount,
        lines=(
            InvoiceLine(
                id="line_demo_platform_fee",
                invoice_id="inv_demo_2024_01",
                position=0,
                name="Platform fee, Jan 15 - Feb 1 (17/31 of a month)",
                quantity=Decimal(1),
                amount=fee.amount,
                start_date=start,
                end_date=end,
            ),
        ),
    )
