"""Grouped models whose groups share something cumulative across the period."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from orbcore.money._numbers import exact_add, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, Quantity
from orbcore.pricing._groups import group_quantities, sum_of, within
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total

__all__ = ["CumulativeGroupedAllocationConfig"]


@price_model("cumulative_grouped_allocation")
class CumulativeGroupedAllocationConfig(PriceConfig):
    """Each group has ``group_allocation`` free units and all groups together
    ``cumulative_allocation``. As Orb documents it, the groups are taken in order of
    their value, and each is charged the larger of its own overage
    (``q_group - group_allocation``) and the overage its usage adds to the running total
    above ``cumulative_allocation``; the units charged pay ``unit_amount``."""

    grouping_key: str = Field(min_length=1)
    group_allocation: Quantity
    cumulative_allocation: Quantity
    unit_amount: NonNegativeAmount

    def evaluate(self, usage: Usage) -> PriceResult:
        lines = []
        running = Decimal(0)
        for group, quantity in group_quantities(usage.groups):
            after = exact_add(running, quantity)
            added = exact_sub(self._over(after), self._over(running))
            own = max(exact_sub(quantity, self.group_allocation), Decimal(0))
            billed = max(own, added)
            line = SubLine("overage", billed, exact_mul(billed, self.unit_amount), self.unit_amount)
            lines.extend(within(group, [line]))
            running = after
        return total(self.model_type, sum_of(usage.groups.values()), lines)

    def _over(self, running: Decimal) -> Decimal:
        return max(exact_sub(running, self.cumulative_allocation), Decimal(0))
