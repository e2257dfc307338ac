"""The demonstration printed by ``orbcore demo``: money and the billing calendar."""

from __future__ import annotations

from datetime import date

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

__all__ = ["run_demo"]


def run_demo(locale: str = "de_DE") -> str:
    """Return the demonstration as text; amounts are formatted for ``locale``."""
    return "\n".join([*_money_lines(locale), "", *_calendar_lines()])


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
