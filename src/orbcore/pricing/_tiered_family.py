"""Tiers with a twist: threshold totals, package tiers, and tiers with a minimum.

Orb writes the bounds and sizes of these models as decimal strings (``"100"``), so they
are read and written back as strings; only ``tiered_package_with_minimum`` takes its
``package_size`` as a JSON number. Tier lower bounds are exclusive: a tier holds the
units above its ``tier_lower_bound`` up to the next tier's.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT, exact_mul, exact_sub
from orbcore.pricing._fields import (
    NonNegativeAmount,
    PositiveNumber,
    PositiveQuantity,
    Quantity,
)
from orbcore.pricing._groups import package_bound_problems
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total
from orbcore.pricing._tiers import (
    graduated,
    lower_bound_problems,
    lower_bound_tiers,
    whole_packages,
)

__all__ = [
    "ConsumptionThreshold",
    "PackageTier",
    "PackageTierWithMinimum",
    "ThresholdTotalAmountConfig",
    "TierWithMinimum",
    "TieredPackageConfig",
    "TieredPackageWithMinimumConfig",
    "TieredWithMinimumConfig",
]


def reached_tier(quantity: Decimal, bounds: Sequence[Decimal]) -> int:
    """The index of the highest tier that ``quantity`` is inside (bounds exclusive)."""
    return max((i for i, bound in enumerate(bounds) if quantity > bound), default=0)


class ConsumptionThreshold(PriceConfig):
    """One row of a consumption table: the total charged once usage passes ``threshold``."""

    threshold: Quantity
    total_amount: NonNegativeAmount


@price_model("threshold_total_amount")
class ThresholdTotalAmountConfig(PriceConfig):
    """A flat total chosen by how far usage went.

    The amount is the ``total_amount`` of the highest ``threshold`` that the quantity
    *passes*, read as strictly exceeds (like Orb's exclusive tier lower bounds); the
    totals are not added up. Below every threshold, and so at zero usage, the amount is 0.
    Orb does not publish the formula; this reading follows its description, "when the
    quantity consumed passes a provided threshold, the configured total will be charged".
    ``prorate`` is kept for billing, which prorates partial periods.
    """

    consumption_table: list[ConsumptionThreshold] = Field(min_length=2)
    prorate: bool | None = None

    def problems(self) -> list[Problem]:
        rows = self.consumption_table
        return [
            Problem(("consumption_table", i, "threshold"), "must be above the previous row's")
            for i in range(1, len(rows))
            if rows[i].threshold <= rows[i - 1].threshold
        ]

    def evaluate(self, usage: Usage) -> PriceResult:
        passed = [row for row in self.consumption_table if usage.quantity > row.threshold]
        if not passed:
            line = SubLine("below every threshold", usage.quantity, Decimal(0))
        else:
            row = passed[-1]
            line = SubLine(
                f"past threshold {format(row.threshold, 'f')}", usage.quantity, row.total_amount
            )
        return total(self.model_type, usage.quantity, [line])


class PackageTier(PriceConfig):
    """A tier of a tiered package price: ``per_unit`` is the price of one package."""

    tier_lower_bound: Quantity
    per_unit: NonNegativeAmount


class PackageTierWithMinimum(PackageTier):
    """A package tier with the least the price charges once usage reaches it."""

    minimum_amount: NonNegativeAmount


def _package_tier_problems(size: Decimal, tiers: Sequence[PackageTier]) -> list[Problem]:
    return package_bound_problems([tier.tier_lower_bound for tier in tiers], size)


def _package_tier_lines(
    quantity: Decimal, size: Decimal, tiers: Sequence[PackageTier]
) -> list[SubLine]:
    """Round up to whole packages, then charge each tier's packages at its ``per_unit``.

    Bounds are multiples of the size, so every tier holds a whole number of packages.
    """
    rounded = exact_mul(whole_packages(quantity, size), size)
    bands = lower_bound_tiers(tiers, "per_unit")
    lines = []
    for line in graduated(rounded, bands):
        packages = EXACT.divide(line.quantity, size)
        rate = line.unit_amount if line.unit_amount is not None else Decimal(0)
        lines.append(
            SubLine(
                name=f"{line.name}, packages of {format(size, 'f')}",
                quantity=packages,
                unit_amount=rate,
                amount=exact_mul(packages, rate),
            )
        )
    return lines


@price_model("tiered_package")
class TieredPackageConfig(PriceConfig):
    """Graduated tiers over the quantity rounded up to whole packages.

    ``q' = ceil(q / package_size) x package_size``; each tier's share of ``q'`` is
    billed as packages, ``units_in_tier / package_size x per_unit``. The bounds count
    units, not packages, and must be multiples of ``package_size`` (Orb's rule), so each
    tier holds whole packages. Zero usage rounds to zero packages and costs nothing.
    """

    package_size: PositiveQuantity
    tiers: list[PackageTier] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        return _package_tier_problems(self.package_size, self.tiers)

    def evaluate(self, usage: Usage) -> PriceResult:
        lines = _package_tier_lines(usage.quantity, self.package_size, self.tiers)
        return total(self.model_type, usage.quantity, lines)


def _raise_to_minimum(lines: list[SubLine], minimum: Decimal, tier: int) -> list[SubLine]:
    """Add the difference between the tier's minimum and the tiers' sum, when positive."""
    charged = total("", Decimal(0), lines).amount
    if charged >= minimum:
        return lines
    top_up = SubLine(
        f"raised to the minimum of tier {tier}", Decimal(0), exact_sub(minimum, charged)
    )
    return [*lines, top_up]


class TierWithMinimum(PriceConfig):
    """A graduated tier with the least the price charges once usage reaches it."""

    tier_lower_bound: Quantity
    unit_amount: NonNegativeAmount
    minimum_amount: NonNegativeAmount


@price_model("tiered_with_minimum")
class TieredWithMinimumConfig(PriceConfig):
    """Graduated tiers, raised to the ``minimum_amount`` of the tier the quantity reaches.

    ``amount = max(sum of graduated tiers, minimum_amount of the highest tier whose lower
    bound the quantity exceeds)``; the first tier counts as reached at zero usage, so zero
    usage costs the first tier's minimum (a minimum is a commitment, owed without usage).
    Orb does not publish the formula; this follows "tiered pricing with a minimum amount
    dependent on the volume tier". ``hide_zero_amount_tiers`` leaves tier sub-lines of
    amount 0 out; ``prorate`` is kept for billing.
    """

    tiers: list[TierWithMinimum] = Field(min_length=2)
    hide_zero_amount_tiers: bool | None = None
    prorate: bool | None = None

    def problems(self) -> list[Problem]:
        return lower_bound_problems([t.tier_lower_bound for t in self.tiers], "tiers")

    def evaluate(self, usage: Usage) -> PriceResult:
        bands = lower_bound_tiers(self.tiers)
        lines = graduated(usage.quantity, bands)
        if self.hide_zero_amount_tiers:
            lines = [line for line in lines if line.amount]
        reached = reached_tier(usage.quantity, [t.tier_lower_bound for t in self.tiers])
        lines = _raise_to_minimum(lines, self.tiers[reached].minimum_amount, reached + 1)
        return total(self.model_type, usage.quantity, lines)


@price_model("tiered_package_with_minimum")
class TieredPackageWithMinimumConfig(PriceConfig):
    """:class:`TieredPackageConfig`'s amount, raised to the ``minimum_amount`` of the tier
    the quantity reaches, as in :class:`TieredWithMinimumConfig` (zero usage costs the
    first tier's minimum). ``package_size`` is a JSON number here, as in Orb."""

    package_size: PositiveNumber
    tiers: list[PackageTierWithMinimum] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        return _package_tier_problems(self.package_size, self.tiers)

    def evaluate(self, usage: Usage) -> PriceResult:
        lines = _package_tier_lines(usage.quantity, self.package_size, self.tiers)
        reached = reached_tier(usage.quantity, [t.tier_lower_bound for t in self.tiers])
        lines = _raise_to_minimum(lines, self.tiers[reached].minimum_amount, reached + 1)
        return total(self.model_type, usage.quantity, lines)
