"""Matrix models beyond the core ``matrix``: usage arrives per cell in ``Usage.groups``,
keyed by the tuple of dimension values (``("alpha", "west")``; ``("alpha",)`` with one
dimension)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import exact_add, exact_mul, exact_sub
from orbcore.pricing._core import MatrixConfig
from orbcore.pricing._fields import NonNegativeAmount, Quantity
from orbcore.pricing._grouped_family import GroupedTier
from orbcore.pricing._groups import (
    GroupKey,
    cell_of,
    graduated_slice,
    group_quantities,
    label,
    repeats,
    sum_of,
    within,
)
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total
from orbcore.pricing._tiers import lower_bound_problems, lower_bound_tiers

__all__ = [
    "DisplayNameAmount",
    "MatrixScalingFactor",
    "MatrixWithAllocationConfig",
    "MatrixWithDisplayNameConfig",
    "ScalableMatrixWithTieredPricingConfig",
    "ScalableMatrixWithUnitPricingConfig",
]


@price_model("matrix_with_allocation")
class MatrixWithAllocationConfig(MatrixConfig):
    """A matrix whose first ``allocation`` units, over all cells together, are free.

    Orb does not say which cells the free units come from. Here they are taken from the
    cells in their sorted order (by dimension values, the order of the sub-lines), so the
    result does not depend on the order usage arrives in; the rest of each cell is
    charged at the cell's rate, or ``default_unit_amount``.
    """

    allocation: Quantity

    def evaluate(self, usage: Usage) -> PriceResult:
        rates = {tuple(v.dimension_values): v.unit_amount for v in self.matrix_values}
        left = self.allocation
        lines = []
        for cell, quantity in group_quantities(usage.groups):
            free = min(left, quantity)
            left = exact_sub(left, free)
            billed = exact_sub(quantity, free)
            rate = rates.get(cell, self.default_unit_amount)
            name = "default rate" if cell not in rates else "cell rate"
            if free:
                name += f", {format(free, 'f')} allocated free"
            line = SubLine(name, billed, exact_mul(billed, rate), rate)
            lines.extend(within(cell, [line]))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


class DisplayNameAmount(PriceConfig):
    """The rate of one value of the dimension, and the name its sub-line shows."""

    dimension_value: str | None
    display_name: str
    unit_amount: NonNegativeAmount


@price_model("matrix_with_display_name")
class MatrixWithDisplayNameConfig(PriceConfig):
    """Each value of ``dimension`` at its own ``unit_amount``, on a sub-line named by its
    ``display_name``. Orb configures no default rate, so usage of a value without a row
    is not charged; it still shows, as a zero sub-line marked "no price"."""

    dimension: str = Field(min_length=1)
    unit_amounts: list[DisplayNameAmount] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        return repeats([(row.dimension_value,) for row in self.unit_amounts], "unit_amounts", label)

    def evaluate(self, usage: Usage) -> PriceResult:
        rows: dict[GroupKey, DisplayNameAmount] = {
            (row.dimension_value,): row for row in self.unit_amounts
        }
        lines = []
        for cell, quantity in group_quantities(usage.groups):
            row = rows.get(cell)
            if row is None:
                line = SubLine(f"{label(cell)} (no price)", quantity, Decimal(0), None, cell)
            else:
                amount = exact_mul(quantity, row.unit_amount)
                line = SubLine(row.display_name, quantity, amount, row.unit_amount, cell)
            lines.append(line)
        return total(self.model_type, sum_of(usage.groups.values()), lines)


class MatrixScalingFactor(PriceConfig):
    """The factor a cell's quantity is multiplied by before it is priced."""

    first_dimension_value: str
    second_dimension_value: str | None = None
    scaling_factor: Quantity


class _ScalableMatrix(PriceConfig):
    first_dimension: str = Field(min_length=1)
    second_dimension: str | None = None
    matrix_scaling_factors: list[MatrixScalingFactor] = Field(min_length=1)
    grouping_key: str | None = None
    prorate: bool | None = None

    def problems(self) -> list[Problem]:
        cells = [self._cell(f) for f in self.matrix_scaling_factors]
        problems = repeats(cells, "matrix_scaling_factors", label)
        if self.second_dimension is None:
            problems.extend(
                Problem(
                    ("matrix_scaling_factors", index, "second_dimension_value"),
                    "is set but the price has no second_dimension",
                )
                for index, factor in enumerate(self.matrix_scaling_factors)
                if factor.second_dimension_value is not None
            )
        return problems

    def _cell(self, factor: MatrixScalingFactor) -> GroupKey:
        return cell_of(
            factor.first_dimension_value,
            factor.second_dimension_value,
            self.second_dimension is not None,
        )

    def scaled(self, usage: Usage) -> list[tuple[GroupKey, Decimal, Decimal]]:
        """``(cell, factor, scaled quantity)`` per cell; cells without a factor keep
        theirs at 1."""
        factors = {self._cell(f): f.scaling_factor for f in self.matrix_scaling_factors}
        cells = []
        for cell, quantity in group_quantities(usage.groups):
            factor = factors.get(cell, Decimal(1))
            cells.append((cell, factor, exact_mul(quantity, factor)))
        return cells


@price_model("scalable_matrix_with_unit_pricing")
class ScalableMatrixWithUnitPricingConfig(_ScalableMatrix):
    """``sum over cells of q_cell x scaling_factor x unit_price``; a cell without a
    scaling factor counts at 1. Each sub-line's quantity is the scaled quantity."""

    unit_price: NonNegativeAmount

    def evaluate(self, usage: Usage) -> PriceResult:
        lines = []
        for cell, factor, quantity in self.scaled(usage):
            line = SubLine(
                f"scaled x {format(factor, 'f')}",
                quantity,
                exact_mul(quantity, self.unit_price),
                self.unit_price,
            )
            lines.extend(within(cell, [line]))
        return total(self.model_type, sum_of(usage.groups.values()), lines)


@price_model("scalable_matrix_with_tiered_pricing")
class ScalableMatrixWithTieredPricingConfig(_ScalableMatrix):
    """Graduated ``tiers`` on the total scaled quantity (``sum of q_cell x
    scaling_factor``): the price tiers on volume across the matrix, not per cell.

    To show each cell's share, the cells fill the tiers one after another in their
    sorted order; a cell that straddles a bound gets one sub-line per tier. The amount
    is the same as tiering the total in one piece.
    """

    tiers: list[GroupedTier] = Field(min_length=2)

    def problems(self) -> list[Problem]:
        bounds = [t.tier_lower_bound for t in self.tiers]
        return [*super().problems(), *lower_bound_problems(bounds, "tiers")]

    def evaluate(self, usage: Usage) -> PriceResult:
        bands = lower_bound_tiers(self.tiers)
        lines = []
        filled = Decimal(0)
        for cell, _, quantity in self.scaled(usage):
            end = exact_add(filled, quantity)
            lines.extend(within(cell, graduated_slice(filled, end, bands)))
            filled = end
        return total(self.model_type, sum_of(usage.groups.values()), lines)
