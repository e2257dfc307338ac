"""``grouped_with_metered_minimum``: per-unit rates chosen by one event property and
scaled by another, with a minimum per group that grows with the group's usage."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, Quantity
from orbcore.pricing._groups import GroupKey, group_quantities, repeats, sum_of, within
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total

__all__ = ["GroupedWithMeteredMinimumConfig", "PricingValueAmount", "ScalingFactor"]


class ScalingFactor(PriceConfig):
    """The factor that multiplies the unit rate of usage whose scaling property is
    ``scaling_value``."""

    scaling_value: str
    scaling_factor: Quantity


class PricingValueAmount(PriceConfig):
    """The unit rate of usage whose pricing property is ``pricing_value``."""

    pricing_value: str
    unit_amount: NonNegativeAmount


@price_model("grouped_with_metered_minimum")
class GroupedWithMeteredMinimumConfig(PriceConfig):
    """Per-unit pricing in groups, each group raised to a minimum of
    ``minimum_unit_amount`` per unit it used.

    Usage arrives in ``Usage.groups`` keyed ``(group, pricing value, scaling value)``:
    the values of ``grouping_key``, ``pricing_key`` and ``scaling_key`` (a shorter key
    leaves the rest unset). Each part is charged ``q x unit_amount x scaling_factor``;
    a pricing value without a ``unit_amounts`` row is charged ``minimum_unit_amount``
    instead (Orb: "the minimum amount is applied [to] any unmatched usage"), and a
    scaling value without a factor counts at 1. Each group then pays at least
    ``q_group x minimum_unit_amount``, counted on its unscaled quantity. Orb documents
    the fields but not the formula; this reads "the minimum amount to charge per group
    per unit" as a floor on the group's total, not on each unit.
    """

    grouping_key: str = Field(min_length=1)
    pricing_key: str = Field(min_length=1)
    scaling_key: str = Field(min_length=1)
    scaling_factors: list[ScalingFactor]
    unit_amounts: list[PricingValueAmount]
    minimum_unit_amount: NonNegativeAmount

    def problems(self) -> list[Problem]:
        problems = repeats([f.scaling_value for f in self.scaling_factors], "scaling_factors")
        problems += repeats([a.pricing_value for a in self.unit_amounts], "unit_amounts")
        return problems

    @cached_property
    def _rates(self) -> tuple[dict[str | None, Decimal], dict[str | None, Decimal]]:
        amounts: dict[str | None, Decimal] = {
            a.pricing_value: a.unit_amount for a in self.unit_amounts
        }
        factors: dict[str | None, Decimal] = {
            f.scaling_value: f.scaling_factor for f in self.scaling_factors
        }
        return amounts, factors

    def evaluate(self, usage: Usage) -> PriceResult:
        parts: dict[GroupKey, list[tuple[GroupKey, Decimal]]] = {}
        for key, quantity in group_quantities(usage.groups):
            full = (*key, None, None, None)[:3]
            parts.setdefault(full[:1], []).append((full, quantity))
        lines = []
        for group, group_parts in parts.items():
            group_lines = [self._part(key, quantity) for key, quantity in group_parts]
            lines.extend(group_lines)
            floor_line = self._floor(group, group_parts, group_lines)
            if floor_line is not None:
                lines.append(floor_line)
        return total(self.model_type, sum_of(usage.groups.values()), lines)

    def _part(self, key: GroupKey, quantity: Decimal) -> SubLine:
        amounts, factors = self._rates
        _, pricing, scaling = key
        base = amounts.get(pricing)
        name = "unit amount" if base is not None else "no unit amount: the minimum"
        if base is None:
            base = self.minimum_unit_amount
        factor = factors.get(scaling, Decimal(1))
        if factor != 1:
            name += f" x {format(factor, 'f')}"
        rate = exact_mul(base, factor)
        return within(key, [SubLine(name, quantity, exact_mul(quantity, rate), rate)])[0]

    def _floor(
        self, group: GroupKey, parts: list[tuple[GroupKey, Decimal]], lines: list[SubLine]
    ) -> SubLine | None:
        quantity = sum_of(q for _, q in parts)
        minimum = exact_mul(quantity, self.minimum_unit_amount)
        charged = sum_of(line.amount for line in lines)
        if charged >= minimum:
            return None
        name = (
            f"raised to the metered minimum "
            f"({format(quantity, 'f')} x {format(self.minimum_unit_amount, 'f')})"
        )
        return within(group, [SubLine(name, Decimal(0), exact_sub(minimum, charged))])[0]
