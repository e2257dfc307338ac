"""Models that rate each group of usage apart: the group's value comes from the event
property ``grouping_key``, and usage arrives per group in ``Usage.groups`` (``("eu",)``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, PositiveQuantity, Quantity
from orbcore.pricing._groups import group_quantities, package_bound_problems, sum_of, within
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total
from orbcore.pricing._tiers import (
    graduated,
    lower_bound_bands,
    lower_bound_problems,
    lower_bound_tiers,
    whole_packages,
)

__all__ = [
    "GroupedAllocationConfig",
    "GroupedTier",
    "GroupedTieredPackageConfig",
    "GroupedTieredConfig",
    "GroupedWithMinMaxThresholdsConfig",
    "GroupedWithProratedMinimumConfig",
    "MaxGroupTieredPackageConfig",
    "PerPackageTier",
]


class GroupedTier(PriceConfig):
    """A graduated tier from ``tier_lower_bound`` (exclusive) to the next tier's bound."""

    tier_lower_bound: Quantity
    unit_amount: NonNegativeAmount


@price_model("grouped_tiered")
class GroupedTieredConfig(PriceConfig):
    """Graduated tiers applied to each group on its own: ``sum over groups of
    tiered(q_group)``. Each group starts again at the first tier. One sub-line per tier
    a group reaches."""

    grouping_key: str = Field(min_length=1)
    tiers: list[GroupedTier] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        return lower_bound_problems([t.tier_lower_bound for t in self.tiers], "tiers")

    def evaluate(self, usage: Usage) -> PriceResult:
        bands = lower_bound_tiers(self.tiers)
        lines = []
        for group, quantity in group_quantities(usage.groups):
            lines.extend(within(group, graduated(quantity, bands)))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


@price_model("grouped_allocation")
class GroupedAllocationConfig(PriceConfig):
    """Each group gets ``allocation`` units free; the rest pay ``overage_unit_rate``:
    ``sum over groups of max(0, q_group - allocation) x overage_unit_rate``. An unused
    allocation does not carry over to other groups."""

    grouping_key: str = Field(min_length=1)
    allocation: Quantity
    overage_unit_rate: NonNegativeAmount

    def evaluate(self, usage: Usage) -> PriceResult:
        lines = []
        for group, quantity in group_quantities(usage.groups):
            overage = max(exact_sub(quantity, self.allocation), Decimal(0))
            line = SubLine(
                name=f"overage above {format(self.allocation, 'f')}",
                quantity=overage,
                unit_amount=self.overage_unit_rate,
                amount=exact_mul(overage, self.overage_unit_rate),
            )
            lines.extend(within(group, [line]))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


@price_model("grouped_with_min_max_thresholds")
class GroupedWithMinMaxThresholdsConfig(PriceConfig):
    """Each group pays ``q_group x per_unit_rate``, raised to ``minimum_charge`` and capped
    at ``maximum_charge``. The minimum applies to every group that has usage in the
    period, even a zero quantity; a group with no entry in ``Usage.groups`` is unknown
    and pays nothing."""

    grouping_key: str = Field(min_length=1)
    per_unit_rate: NonNegativeAmount
    minimum_charge: NonNegativeAmount
    maximum_charge: NonNegativeAmount

    def problems(self) -> list[Problem]:
        if self.maximum_charge < self.minimum_charge:
            return [Problem(("maximum_charge",), "must not be below minimum_charge")]
        return []

    def evaluate(self, usage: Usage) -> PriceResult:
        lines = []
        for group, quantity in group_quantities(usage.groups):
            charge = exact_mul(quantity, self.per_unit_rate)
            group_lines = [SubLine("usage", quantity, charge, self.per_unit_rate)]
            if charge < self.minimum_charge:
                missing = exact_sub(self.minimum_charge, charge)
                group_lines.append(SubLine("raised to the minimum", Decimal(0), missing))
            elif charge > self.maximum_charge:
                excess = exact_sub(self.maximum_charge, charge)
                group_lines.append(SubLine("capped at the maximum", Decimal(0), excess))
            lines.extend(within(group, group_lines))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


@price_model("grouped_with_prorated_minimum")
class GroupedWithProratedMinimumConfig(PriceConfig):
    """Each group pays ``max(q_group x unit_rate, minimum)``. The minimum is per group
    and, like Orb's, prorated for a partial period; proration belongs to billing, which
    rates with a copy of the config whose ``minimum`` is already prorated. As with
    min/max thresholds, only groups present in ``Usage.groups`` pay the minimum."""

    grouping_key: str = Field(min_length=1)
    minimum: NonNegativeAmount
    unit_rate: NonNegativeAmount

    def evaluate(self, usage: Usage) -> PriceResult:
        lines = []
        for group, quantity in group_quantities(usage.groups):
            charge = exact_mul(quantity, self.unit_rate)
            group_lines = [SubLine("usage", quantity, charge, self.unit_rate)]
            if charge < self.minimum:
                missing = exact_sub(self.minimum, charge)
                group_lines.append(SubLine("raised to the minimum", Decimal(0), missing))
            lines.extend(within(group, group_lines))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


class PerPackageTier(PriceConfig):
    """A tier of ``grouped_tiered_package``: ``per_unit`` is the price of one package."""

    tier_lower_bound: Quantity
    per_unit: NonNegativeAmount


@price_model("grouped_tiered_package")
class GroupedTieredPackageConfig(PriceConfig):
    """Per group, the quantity is rounded up to whole packages of ``package_size``, then
    graduated tiers price the packages: a tier's packages times its ``per_unit`` ("per
    package"). Tier bounds count units, so they must be multiples of the package size;
    each group starts again at the first tier. Sub-lines count packages."""

    grouping_key: str = Field(min_length=1)
    package_size: PositiveQuantity
    tiers: list[PerPackageTier] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        bounds = [t.tier_lower_bound for t in self.tiers]
        return package_bound_problems(bounds, self.package_size)

    def evaluate(self, usage: Usage) -> PriceResult:
        size = self.package_size
        # Bounds are multiples of the size (checked), so counting them in packages is exact.
        bounds = [EXACT.divide(t.tier_lower_bound, size) for t in self.tiers]
        bands = lower_bound_bands(bounds, [t.per_unit for t in self.tiers])
        lines = []
        for group, quantity in group_quantities(usage.groups):
            lines.extend(
                within(group, graduated(whole_packages(quantity, size), bands, "packages"))
            )
        return total(self.model_type, sum_of(usage.groups.values()), lines)


@price_model("max_group_tiered_package")
class MaxGroupTieredPackageConfig(PriceConfig):
    """Only the largest group is charged: its quantity is rounded up to whole packages of
    ``package_size`` and graduated ``tiers`` price those units at ``unit_amount`` each.

    Orb does not say whether ``unit_amount`` prices a unit or a package here; the name
    is read literally (per unit, after rounding up to packages). Tier bounds must be
    multiples of the package size. On a tie the first group in sorted order is charged;
    other groups get no sub-lines.
    """

    grouping_key: str = Field(min_length=1)
    package_size: PositiveQuantity
    tiers: list[GroupedTier] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        bounds = [t.tier_lower_bound for t in self.tiers]
        return package_bound_problems(bounds, self.package_size)

    def evaluate(self, usage: Usage) -> PriceResult:
        groups = group_quantities(usage.groups)
        if not groups:
            return total(self.model_type, Decimal(0), [])
        group, quantity = max(groups, key=lambda pair: pair[1])
        rounded = exact_mul(whole_packages(quantity, self.package_size), self.package_size)
        bands = lower_bound_tiers(self.tiers)
        lines = within(group, graduated(rounded, bands))
        return total(self.model_type, sum_of(usage.groups.values()), lines)
