"""Matrix models whose cells are priced by more than one rate: tiers per dimension value
(``grouped_tiered_matrix``) and discounts on the spend of groups of cells
(``matrix_with_threshold_discounts``). Usage arrives per cell in ``Usage.groups``."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, Quantity
from orbcore.pricing._groups import GroupKey, cell_of, group_quantities, label, sum_of, within
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total
from orbcore.pricing._tiers import Band, graduated, lower_bound_tiers

__all__ = [
    "GroupedTieredMatrixConfig",
    "MatrixValueTier",
    "MatrixWithThresholdDiscountsConfig",
    "ThresholdDiscountGroup",
    "ThresholdMatrixValue",
]


class MatrixValueTier(PriceConfig):
    """A graduated tier of one value of the dimension, from ``tier_lower_bound``
    (exclusive) to the bound of that value's next tier."""

    dimension_value: str
    tier_lower_bound: Quantity
    unit_amount: NonNegativeAmount


@price_model("grouped_tiered_matrix")
class GroupedTieredMatrixConfig(PriceConfig):
    """Graduated tiers per value of ``dimension``: each value's usage is tiered only
    against its own rows, starting again at its first tier; a value without rows pays
    ``default_unit_amount`` per unit. Orb describes the fields but no formula; tiers are
    read as in ``grouped_tiered`` (graduated, lower bounds exclusive). A value's rows are
    listed in order, its first bound ``"0"``, each next bound higher."""

    dimension: str = Field(min_length=1)
    default_unit_amount: NonNegativeAmount
    tiers: list[MatrixValueTier] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        problems = []
        previous: dict[str, Decimal] = {}
        for index, tier in enumerate(self.tiers):
            where = ("tiers", index, "tier_lower_bound")
            before = previous.get(tier.dimension_value)
            if before is None and tier.tier_lower_bound != 0:
                problems.append(
                    Problem(where, "leaves a gap: a value's first tier must start at 0")
                )
            if before is not None and tier.tier_lower_bound <= before:
                problems.append(
                    Problem(where, "leaves an overlap: must be above the value's previous bound")
                )
            previous[tier.dimension_value] = tier.tier_lower_bound
        return problems

    @cached_property
    def _bands(self) -> dict[GroupKey, list[Band]]:
        rows: dict[GroupKey, list[MatrixValueTier]] = {}
        for tier in self.tiers:
            rows.setdefault((tier.dimension_value,), []).append(tier)
        return {value: lower_bound_tiers(tiers) for value, tiers in rows.items()}

    def evaluate(self, usage: Usage) -> PriceResult:
        bands = self._bands
        lines = []
        for value, quantity in group_quantities(usage.groups):
            own = bands.get(value)
            if own is None:
                rate = self.default_unit_amount
                value_lines = [SubLine("default rate", quantity, exact_mul(quantity, rate), rate)]
            else:
                value_lines = graduated(quantity, own)
            lines.extend(within(value, value_lines))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


class ThresholdMatrixValue(PriceConfig):
    """The rate of one cell; ``second_dimension_value`` only with a second dimension."""

    first_dimension_value: str
    second_dimension_value: str | None = None
    unit_amount: NonNegativeAmount


class ThresholdDiscountGroup(PriceConfig):
    """A discount on the spend of some cells, written ``"blue,circle;green,triangle"``
    (``"blue;green"`` with one dimension). Percentages count out of 100."""

    cell_coordinates: str = Field(min_length=1)
    threshold_amount: NonNegativeAmount
    below_threshold_discount_percentage: Quantity
    above_threshold_discount_percentage: Quantity
    description: str | None = None

    def cells(self) -> list[GroupKey]:
        """The cells named by ``cell_coordinates``, spaces around values removed."""
        return [
            tuple(part.strip() for part in coordinate.split(","))
            for coordinate in self.cell_coordinates.split(";")
        ]


@price_model("matrix_with_threshold_discounts")
class MatrixWithThresholdDiscountsConfig(PriceConfig):
    """A matrix (each cell's quantity at its rate, or ``default_unit_amount``) whose
    groups of cells earn a discount that depends on their spend.

    For each discount group, ``spend`` is the sum of its cells' charges; the part of it
    up to ``threshold_amount`` is discounted by ``below_threshold_discount_percentage``
    and the part above by ``above_threshold_discount_percentage``:
    ``discount = min(spend, T) x below / 100 + max(0, spend - T) x above / 100``. Orb
    does not publish the formula; this reads its field descriptions ("discount rate
    applied to spend at or below the threshold", "... above the threshold") as marginal,
    like graduated tiers, and the percentages as out of 100 (``"10"`` is 10%). A cell
    belongs to at most one group, so no spend is discounted twice.
    """

    first_dimension: str = Field(min_length=1)
    second_dimension: str | None = None
    default_unit_amount: NonNegativeAmount
    matrix_values: list[ThresholdMatrixValue]
    threshold_discount_groups: list[ThresholdDiscountGroup] | None = None

    def problems(self) -> list[Problem]:
        problems = self._value_problems()
        width = 1 if self.second_dimension is None else 2
        owner: dict[GroupKey, int] = {}
        for index, group in enumerate(self.threshold_discount_groups or []):
            where = ("threshold_discount_groups", index)
            for cell in group.cells():
                if len(cell) != width or not all(cell):
                    problems.append(
                        Problem((*where, "cell_coordinates"), f"needs {width} values per cell")
                    )
                elif cell in owner:
                    problems.append(
                        Problem(
                            (*where, "cell_coordinates"),
                            f"{label(cell)} is already in group {owner[cell]}",
                        )
                    )
                owner.setdefault(cell, index)
            for field in (
                "below_threshold_discount_percentage",
                "above_threshold_discount_percentage",
            ):
                if getattr(group, field) > 100:
                    problems.append(Problem((*where, field), "must be at most 100 (out of 100)"))
        return problems

    def _value_problems(self) -> list[Problem]:
        problems = []
        seen: set[GroupKey] = set()
        for index, value in enumerate(self.matrix_values):
            where = ("matrix_values", index, "second_dimension_value")
            has_second = value.second_dimension_value is not None
            if has_second and self.second_dimension is None:
                problems.append(Problem(where, "is set but the price has no second_dimension"))
            if not has_second and self.second_dimension is not None:
                problems.append(Problem(where, "is required with a second_dimension"))
            cell = self._cell(value)
            if cell in seen:
                problems.append(Problem(("matrix_values", index), f"repeats {label(cell)}"))
            seen.add(cell)
        return problems

    def _cell(self, value: ThresholdMatrixValue) -> GroupKey:
        return cell_of(
            value.first_dimension_value,
            value.second_dimension_value,
            self.second_dimension is not None,
        )

    def evaluate(self, usage: Usage) -> PriceResult:
        rates = {self._cell(value): value.unit_amount for value in self.matrix_values}
        lines = []
        spend: dict[GroupKey, Decimal] = {}
        for cell, quantity in group_quantities(usage.groups):
            rate = rates.get(cell, self.default_unit_amount)
            name = "cell rate" if cell in rates else "default rate"
            spend[cell] = exact_mul(quantity, rate)
            lines.extend(within(cell, [SubLine(name, quantity, spend[cell], rate)]))
        for number, group in enumerate(self.threshold_discount_groups or [], start=1):
            group_spend = sum_of(spend.get(cell, Decimal(0)) for cell in group.cells())
            lines.extend(_discounts(group, group_spend, group.description or f"group {number}"))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


def _discounts(group: ThresholdDiscountGroup, spend: Decimal, name: str) -> list[SubLine]:
    """Negative sub-lines for the spend at or below the threshold and above it; a part
    with no spend gets none."""
    below = min(spend, group.threshold_amount)
    above = exact_sub(spend, below)
    threshold = format(group.threshold_amount, "f")
    parts = [
        (below, group.below_threshold_discount_percentage, f"at or below {threshold}"),
        (above, group.above_threshold_discount_percentage, f"above {threshold}"),
    ]
    return [
        SubLine(
            f"{name}: {format(percent, 'f')}% off spend {where}",
            part,
            exact_sub(Decimal(0), exact_mul(part, EXACT.scaleb(percent, -2))),
        )
        for part, percent, where in parts
        if part > 0
    ]
