"""Variants of unit, package and bulk pricing: event filters, a free allocation, a
percentage, and the proration models.

The ``*_with_proration`` models rate a quantity held for a whole billing period, as
their plain counterparts do; scaling the amount to the part of the period a quantity
was held belongs to billing, which applies it afterwards. Volume tiers here are chosen
by *inclusive* lower bounds (Orb's "0-99, 100+").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, PositiveQuantity, Quantity
from orbcore.pricing._groups import event_mappings
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total
from orbcore.pricing._tiers import (
    graduated,
    lower_bound_problems,
    lower_bound_tiers,
    whole_packages,
)

__all__ = [
    "BulkWithFiltersConfig",
    "BulkWithProrationConfig",
    "EventFilter",
    "PackageWithAllocationConfig",
    "ProrationTier",
    "TieredWithProrationConfig",
    "UnitWithPercentConfig",
    "UnitWithProrationConfig",
    "VolumeTier",
]


class VolumeTier(PriceConfig):
    """A volume tier from ``tier_lower_bound`` (inclusive; left out: 0, first tier only)."""

    tier_lower_bound: Quantity | None = None
    unit_amount: NonNegativeAmount


def _volume_tier(quantity: Decimal, tiers: Sequence[VolumeTier]) -> int:
    """The index of the last tier whose lower bound the quantity reaches."""
    bounds = [t.tier_lower_bound or Decimal(0) for t in tiers]
    return max((i for i, bound in enumerate(bounds) if quantity >= bound), default=0)


def _volume_line(name: str, quantity: Decimal, tier: VolumeTier, index: int) -> SubLine:
    return SubLine(
        name=f"{name} (tier {index + 1})",
        quantity=quantity,
        unit_amount=tier.unit_amount,
        amount=exact_mul(quantity, tier.unit_amount),
    )


class EventFilter(PriceConfig):
    """An event matches when its property ``property_key`` equals ``property_value``."""

    property_key: str = Field(min_length=1)
    property_value: str


@price_model("bulk_with_filters")
class BulkWithFiltersConfig(PriceConfig):
    """Volume pricing on events, where every event sets the rate and matching ones pay.

    The tier is chosen by the count of all events in ``Usage.events`` (each event is one
    unit); only the events that match every filter are charged, at that tier's rate.
    Orb's example: tiers 0-99 at 1.00 and 100+ at 0.80, 150 events of which 75 match:
    75 x 0.80 = 60.00. Event values are compared as text (``str(value)``); an event
    without the property does not match; an event that is not a mapping is a
    :class:`ValidationError`. No events cost nothing.
    """

    filters: list[EventFilter] = Field(min_length=1)
    tiers: list[VolumeTier] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        return lower_bound_problems([t.tier_lower_bound for t in self.tiers], "tiers")

    def evaluate(self, usage: Usage) -> PriceResult:
        checked = event_mappings(usage)
        events = Decimal(len(checked))
        matched = Decimal(sum(1 for event in checked if self._matches(event)))
        index = _volume_tier(events, self.tiers)
        name = f"{matched} of {events} events match"
        line = _volume_line(name, matched, self.tiers[index], index)
        return total(self.model_type, matched, [line])

    def _matches(self, event: Mapping[str, object]) -> bool:
        return all(
            event.get(f.property_key) is not None
            and str(event.get(f.property_key)) == f.property_value
            for f in self.filters
        )


@price_model("package_with_allocation")
class PackageWithAllocationConfig(PriceConfig):
    """Package pricing after a free allocation.

    Orb does not document the semantics; the reading here is that the first
    ``allocation`` units of the period are included, and what is left is billed in whole
    packages: ``ceil(max(0, q - allocation) / package_size) x package_amount``. Zero
    usage, or usage within the allocation, costs nothing.
    """

    allocation: Quantity
    package_amount: NonNegativeAmount
    package_size: PositiveQuantity

    def evaluate(self, usage: Usage) -> PriceResult:
        included = min(usage.quantity, self.allocation)
        packages = whole_packages(exact_sub(usage.quantity, included), self.package_size)
        lines = [
            SubLine("allocation", included, Decimal(0)),
            SubLine(
                name=f"packages of {format(self.package_size, 'f')}",
                quantity=packages,
                unit_amount=self.package_amount,
                amount=exact_mul(packages, self.package_amount),
            ),
        ]
        return total(self.model_type, usage.quantity, lines)


@price_model("unit_with_percent")
class UnitWithPercentConfig(PriceConfig):
    """A percentage of a unit price's total: ``q x unit_amount x percent / 100``.

    ``percent`` counts out of 100 (Orb: "what percent, out of 100, of the calculated
    total to charge") and is at most 100. Orb gives no formula; the reading here charges
    that share of the unit total, shown as one line at the reduced rate. Zero usage
    costs nothing.
    """

    percent: Quantity
    unit_amount: NonNegativeAmount

    def problems(self) -> list[Problem]:
        if self.percent > 100:
            return [Problem(("percent",), "must be at most 100 (percent out of 100)")]
        return []

    def evaluate(self, usage: Usage) -> PriceResult:
        rate = exact_mul(self.unit_amount, EXACT.scaleb(self.percent, -2))
        line = SubLine(
            name=f"units at {format(self.percent, 'f')}% of {format(self.unit_amount, 'f')}",
            quantity=usage.quantity,
            unit_amount=rate,
            amount=exact_mul(usage.quantity, rate),
        )
        return total(self.model_type, usage.quantity, [line])


@price_model("unit_with_proration")
class UnitWithProrationConfig(PriceConfig):
    """``q x unit_amount`` for a full period; billing prorates it by time held."""

    unit_amount: NonNegativeAmount

    def evaluate(self, usage: Usage) -> PriceResult:
        line = SubLine(
            name="units",
            quantity=usage.quantity,
            unit_amount=self.unit_amount,
            amount=exact_mul(usage.quantity, self.unit_amount),
        )
        return total(self.model_type, usage.quantity, [line])


class ProrationTier(PriceConfig):
    """A graduated tier starting at ``tier_lower_bound`` (inclusive, says Orb)."""

    tier_lower_bound: Quantity
    unit_amount: NonNegativeAmount


@price_model("tiered_with_proration")
class TieredWithProrationConfig(PriceConfig):
    """Graduated tiers for a full period; billing prorates the amount by time held.

    Orb's lower bounds are inclusive here; for a graduated sum that changes nothing, as
    a tier from ``a`` to ``b`` holds ``min(q, b) - a`` units either way.
    """

    tiers: list[ProrationTier] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        return lower_bound_problems([t.tier_lower_bound for t in self.tiers], "tiers")

    def evaluate(self, usage: Usage) -> PriceResult:
        bands = lower_bound_tiers(self.tiers)
        return total(self.model_type, usage.quantity, graduated(usage.quantity, bands))


@price_model("bulk_with_proration")
class BulkWithProrationConfig(PriceConfig):
    """Volume pricing for a full period: every unit at the rate of the last tier whose
    (inclusive) lower bound the quantity reaches; billing prorates the amount by time
    held. Zero usage costs nothing."""

    tiers: list[VolumeTier] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        return lower_bound_problems([t.tier_lower_bound for t in self.tiers], "tiers")

    def evaluate(self, usage: Usage) -> PriceResult:
        index = _volume_tier(usage.quantity, self.tiers)
        line = _volume_line("units", usage.quantity, self.tiers[index], index)
        return total(self.model_type, usage.quantity, [line])
