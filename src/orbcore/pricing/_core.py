"""The core models: unit, package, tiered, bulk and matrix."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT, exact_mul
from orbcore.pricing._fields import Amount, NonNegativeAmount, Number, PositiveNumber
from orbcore.pricing._groups import label, ordered
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import (
    PriceResult,
    SubLine,
    Usage,
    quick_line,
    quick_result,
    total,
)
from orbcore.pricing._tiers import TierTable, band_problems, graduate, tier_table, whole_packages

__all__ = [
    "BulkConfig",
    "BulkTier",
    "MatrixConfig",
    "MatrixValue",
    "PackageConfig",
    "Tier",
    "TieredConfig",
    "UnitConfig",
]


@price_model("unit")
class UnitConfig(PriceConfig):
    """``quantity x unit_amount``. Fixed fees use it too, with the fee's quantity."""

    unit_amount: Amount
    prorated: bool = False

    def evaluate(self, usage: Usage) -> PriceResult:
        return self.evaluate_quantity(usage.quantity)

    def evaluate_quantity(self, quantity: Decimal) -> PriceResult:
        rate = self.unit_amount
        amount = exact_mul(quantity, rate)
        return quick_result(
            self.model_type, quantity, amount, (quick_line("units", quantity, amount, rate),)
        )


@price_model("package")
class PackageConfig(PriceConfig):
    """``ceil(quantity / package_size) x package_amount``: started packages are billed
    whole; zero usage bills zero packages."""

    package_amount: NonNegativeAmount
    package_size: PositiveNumber

    def evaluate(self, usage: Usage) -> PriceResult:
        # Started packages count whole: ceil(quantity / size), in exact rationals.
        packages = whole_packages(usage.quantity, self.package_size)
        line = SubLine(
            name=f"packages of {format(self.package_size, 'f')}",
            quantity=packages,
            unit_amount=self.package_amount,
            amount=exact_mul(packages, self.package_amount),
        )
        return total(self.model_type, usage.quantity, [line])


class Tier(PriceConfig):
    """A graduated tier: units above ``first_unit`` up to ``last_unit`` (inclusive)."""

    first_unit: Number
    last_unit: Number | None = None
    unit_amount: NonNegativeAmount


@price_model("tiered")
class TieredConfig(PriceConfig):
    """Graduated tiers: each unit at the rate of the tier it falls in (Orb's tiered)."""

    tiers: list[Tier] = Field(min_length=1)
    prorated: bool = False

    def problems(self) -> list[Problem]:
        return band_problems([(t.first_unit, t.last_unit) for t in self.tiers], "tiers")

    @cached_property
    def _table(self) -> TierTable:
        return tier_table([(t.first_unit, t.last_unit, t.unit_amount) for t in self.tiers])

    def evaluate(self, usage: Usage) -> PriceResult:
        return self.evaluate_quantity(usage.quantity)

    def evaluate_quantity(self, quantity: Decimal) -> PriceResult:
        lines, amount = graduate(quantity, self._table)
        return quick_result(self.model_type, quantity, amount, lines)


class BulkTier(PriceConfig):
    """A volume tier: applies to all units when the quantity is at most
    ``maximum_units`` (``None``: no limit)."""

    maximum_units: Number | None = None
    unit_amount: NonNegativeAmount


@price_model("bulk")
class BulkConfig(PriceConfig):
    """Volume pricing: the tier the whole quantity falls in prices every unit."""

    tiers: list[BulkTier] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        problems = []
        previous = Decimal(-1)
        for index, tier in enumerate(self.tiers):
            limit = tier.maximum_units
            if limit is None and index != len(self.tiers) - 1:
                problems.append(Problem(("tiers", index, "maximum_units"), "only the last is open"))
            if limit is not None and limit <= previous:
                problems.append(
                    Problem(("tiers", index, "maximum_units"), "must increase from tier to tier")
                )
            previous = limit if limit is not None else previous
        return problems

    def evaluate(self, usage: Usage) -> PriceResult:
        quantity = usage.quantity
        chosen = next(
            (
                (index, tier)
                for index, tier in enumerate(self.tiers, start=1)
                if tier.maximum_units is None or quantity <= tier.maximum_units
            ),
            (len(self.tiers), self.tiers[-1]),
        )
        index, tier = chosen
        line = SubLine(
            name=f"tier {index}",
            quantity=quantity,
            unit_amount=tier.unit_amount,
            amount=exact_mul(quantity, tier.unit_amount),
        )
        return total(self.model_type, quantity, [line])


class MatrixValue(PriceConfig):
    """The rate of one cell, named by its dimension values (``None`` for an unused
    second dimension)."""

    dimension_values: list[str | None] = Field(min_length=1, max_length=2)
    unit_amount: NonNegativeAmount


@price_model("matrix")
class MatrixConfig(PriceConfig):
    """Each cell's quantity at the cell's rate; cells without a rate at
    ``default_unit_amount``. Usage comes per cell in ``Usage.groups``."""

    dimensions: list[str | None] = Field(min_length=1, max_length=2)
    default_unit_amount: NonNegativeAmount
    matrix_values: list[MatrixValue] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        problems = []
        seen: set[tuple[str | None, ...]] = set()
        for index, value in enumerate(self.matrix_values):
            cell = tuple(value.dimension_values)
            if len(cell) != len(self.dimensions):
                problems.append(
                    Problem(
                        ("matrix_values", index, "dimension_values"),
                        f"needs {len(self.dimensions)} values, one per dimension",
                    )
                )
            if cell in seen:
                problems.append(
                    Problem(("matrix_values", index, "dimension_values"), "repeats a cell")
                )
            seen.add(cell)
        return problems

    @cached_property
    def _rates(self) -> dict[tuple[str | None, ...], Decimal]:
        return {tuple(v.dimension_values): v.unit_amount for v in self.matrix_values}

    def evaluate(self, usage: Usage) -> PriceResult:
        rates, default = self._rates, self.default_unit_amount
        add, multiply = EXACT.add, EXACT.multiply
        lines = []
        quantity = amount = Decimal(0)
        for cell in ordered(usage.groups):
            cell_quantity = usage.groups[cell]
            rate = rates.get(cell)
            name = label(cell)
            if rate is None:
                rate, name = default, name + " (default)"
            line_amount = multiply(cell_quantity, rate)
            lines.append(SubLine(name, cell_quantity, line_amount, rate, cell))
            quantity = add(quantity, cell_quantity)
            amount = add(amount, line_amount)
        return PriceResult(self.model_type, quantity, amount, tuple(lines))
