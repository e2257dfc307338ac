"""The legacy basis-point models: bps, bulk_bps and tiered_bps.

They charge a share of each event's value, in basis points (1 bps = 0.01%), capped per
event by ``per_unit_maximum``. Each event in ``Usage.events`` carries its value under
the key ``"amount"`` (a decimal string, ``int`` or ``Decimal``; a payment's amount, say),
whatever the price's configuration. An event that is not a mapping, or without a value,
or with a negative one, is a :class:`ValidationError` naming the event: a fee on a
missing value is not guessable. Orb removed these models from its SDK; the formulas
below are orbcore's reading of their old descriptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT, exact_add, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, Number
from orbcore.pricing._groups import event_numbers, sum_of
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total

__all__ = ["BpsConfig", "BpsTier", "BulkBpsConfig", "BulkBpsTier", "TieredBpsConfig"]

EVENT_VALUE_KEY = "amount"
"""The event property that holds the value basis points apply to."""


def event_values(usage: Usage) -> list[Decimal]:
    """Each event's value under ``"amount"``, exactly.

    Raises:
        ValidationError: an event that is not a mapping, or without a value, or with a
            negative or inexact one.
    """
    return event_numbers(usage, EVENT_VALUE_KEY, "is required by basis-point prices")


def bps_lines(
    label: str, values: Sequence[Decimal], bps: Decimal, cap: Decimal | None
) -> list[SubLine]:
    """``value x bps / 10000`` for each value, then a negative line for what the cap
    takes off, whose quantity is the number of events it caps."""
    rate = EXACT.scaleb(bps, -4)
    volume = sum_of(values)
    lines = [SubLine(f"{label} at {format(bps, 'f')} bps", volume, exact_mul(volume, rate), rate)]
    if cap is not None:
        over = [exact_sub(exact_mul(v, rate), cap) for v in values if exact_mul(v, rate) > cap]
        if over:
            name = f"{label} capped at {format(cap, 'f')}"
            lines.append(SubLine(name, Decimal(len(over)), EXACT.minus(sum_of(over))))
    return lines


@price_model("bps")
class BpsConfig(PriceConfig):
    """``sum over events of min(value x bps / 10000, per_unit_maximum)``.

    No events cost nothing.
    """

    bps: Number
    per_unit_maximum: NonNegativeAmount | None = None

    def evaluate(self, usage: Usage) -> PriceResult:
        values = event_values(usage)
        lines = bps_lines("events", values, self.bps, self.per_unit_maximum)
        return total(self.model_type, sum_of(values), lines)


class BulkBpsTier(PriceConfig):
    """A volume tier for period totals up to ``maximum_amount`` (inclusive; ``None``:
    no limit)."""

    maximum_amount: NonNegativeAmount | None = None
    bps: Number
    per_unit_maximum: NonNegativeAmount | None = None


@price_model("bulk_bps")
class BulkBpsConfig(PriceConfig):
    """The period's total value picks one tier, whose bps and per-event cap apply to
    every event: the first tier with ``total <= maximum_amount``. No events cost nothing.
    """

    tiers: list[BulkBpsTier] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        problems = []
        previous: Decimal | None = None
        for index, tier in enumerate(self.tiers):
            where = ("tiers", index, "maximum_amount")
            limit = tier.maximum_amount
            if limit is None and index != len(self.tiers) - 1:
                problems.append(Problem(where, "only the last tier is open"))
            if limit is not None and previous is not None and limit <= previous:
                problems.append(Problem(where, "must increase from tier to tier"))
            previous = limit if limit is not None else previous
        return problems

    def evaluate(self, usage: Usage) -> PriceResult:
        values = event_values(usage)
        volume = sum_of(values)
        index, tier = next(
            (
                (i, t)
                for i, t in enumerate(self.tiers)
                if t.maximum_amount is None or volume <= t.maximum_amount
            ),
            (len(self.tiers) - 1, self.tiers[-1]),
        )
        lines = bps_lines(f"tier {index + 1}", values, tier.bps, tier.per_unit_maximum)
        return total(self.model_type, volume, lines)


class BpsTier(PriceConfig):
    """A graduated tier of period volume above ``minimum_amount`` (exclusive) up to
    ``maximum_amount`` (inclusive; ``None``: no limit)."""

    minimum_amount: NonNegativeAmount
    maximum_amount: NonNegativeAmount | None = None
    bps: Number
    per_unit_maximum: NonNegativeAmount | None = None


@price_model("tiered_bps")
class TieredBpsConfig(PriceConfig):
    """Graduated basis points over the period's running total.

    Events are taken in order; each adds its value to the period total, and the part
    of that addition falling in a tier pays that tier's bps, capped per event at the
    tier's ``per_unit_maximum`` (the cap applies to the event's part in the tier). No
    events cost nothing.
    """

    tiers: list[BpsTier] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        problems = []
        expected = Decimal(0)
        for index, tier in enumerate(self.tiers):
            if tier.minimum_amount != expected:
                where = ("tiers", index, "minimum_amount")
                problems.append(Problem(where, f"must be {expected}, where the tier before ends"))
            if tier.maximum_amount is None:
                if index != len(self.tiers) - 1:
                    where = ("tiers", index, "maximum_amount")
                    problems.append(Problem(where, "only the last tier is open"))
                break
            if tier.maximum_amount <= tier.minimum_amount:
                where = ("tiers", index, "maximum_amount")
                problems.append(Problem(where, "must be above minimum_amount"))
            expected = tier.maximum_amount
        return problems

    def evaluate(self, usage: Usage) -> PriceResult:
        values = event_values(usage)
        parts: list[list[Decimal]] = [[] for _ in self.tiers]
        running = Decimal(0)
        for value in values:
            after = exact_add(running, value)
            for index, tier in enumerate(self.tiers):
                top = after if tier.maximum_amount is None else min(after, tier.maximum_amount)
                part = exact_sub(top, max(running, tier.minimum_amount))
                if part > 0:
                    parts[index].append(part)
            running = after
        lines = []
        for index, tier in enumerate(self.tiers):
            if index and not parts[index]:
                break
            label = f"tier {index + 1}"
            lines += bps_lines(label, parts[index], tier.bps, tier.per_unit_maximum)
        return total(self.model_type, running, lines)
