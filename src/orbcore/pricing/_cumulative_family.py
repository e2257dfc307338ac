"""Grouped models whose groups share something cumulative across the period."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import exact_add, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, Quantity
from orbcore.pricing._groups import GroupKey, group_quantities, label, sum_of, within
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total

__all__ = [
    "CumulativeBulkRate",
    "CumulativeGroupedAllocationConfig",
    "CumulativeGroupedBulkConfig",
]


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


class CumulativeBulkRate(PriceConfig):
    """The rate of one group value once the total reaches ``tier_lower_bound``.
    ``grouping_key`` holds the group's *value* (``"eu"``), as in Orb."""

    grouping_key: str
    tier_lower_bound: Quantity
    unit_amount: NonNegativeAmount


@price_model("cumulative_grouped_bulk")
class CumulativeGroupedBulkConfig(PriceConfig):
    """Volume pricing per group, with the tier chosen by all groups together.

    The rows form a table: for each ``tier_lower_bound``, one ``unit_amount`` per group
    value (Orb: "each tier lower bound must have the same group of values"). The tier
    is the one whose (exclusive) lower bound is the highest below the total quantity of
    all groups; zero usage falls in the first tier. As in ``bulk``, that tier prices
    every unit: each group pays ``q_group x`` its rate in the tier. Orb does not
    publish the formula; this reads "cumulative" as the total across groups and "bulk"
    as Orb's bulk. A group value with no row is not charged and shows as a zero
    sub-line marked "no price".
    """

    group: str = Field(min_length=1)
    dimension_values: list[CumulativeBulkRate] = Field(min_length=1)

    def problems(self) -> list[Problem]:
        problems = []
        seen: dict[tuple[str, Decimal], int] = {}
        for index, row in enumerate(self.dimension_values):
            key = (row.grouping_key, row.tier_lower_bound)
            if key in seen:
                problems.append(Problem(("dimension_values", index), f"repeats row {seen[key]}"))
            seen.setdefault(key, index)
        return problems + self._table_problems()

    def _table_problems(self) -> list[Problem]:
        """The lowest bound is 0, and every bound has a row for every group value."""
        problems = []
        rows = {(row.grouping_key, row.tier_lower_bound) for row in self.dimension_values}
        bounds = sorted({bound for _, bound in rows})
        values = {value for value, _ in rows}
        if bounds[0] != 0:
            lowest = next(
                i for i, r in enumerate(self.dimension_values) if r.tier_lower_bound == bounds[0]
            )
            problems.append(
                Problem(
                    ("dimension_values", lowest, "tier_lower_bound"),
                    "leaves a gap: the lowest tier must start at 0",
                )
            )
        for bound in bounds:
            missing = sorted(values - {value for value, b in rows if b == bound})
            if missing:
                problems.append(
                    Problem(
                        ("dimension_values",),
                        f"the tier from {format(bound, 'f')} has no row for " + ", ".join(missing),
                    )
                )
        return problems

    def evaluate(self, usage: Usage) -> PriceResult:
        quantity = sum_of(usage.groups.values())
        bounds = sorted({row.tier_lower_bound for row in self.dimension_values})
        # Lower bounds are exclusive: a total of exactly 100 stays in the tier below 100.
        reached = max((b for b in bounds if quantity > b), default=bounds[0])
        tier = bounds.index(reached) + 1
        rates: dict[GroupKey, Decimal] = {
            (row.grouping_key,): row.unit_amount
            for row in self.dimension_values
            if row.tier_lower_bound == reached
        }
        lines = []
        for group, group_quantity in group_quantities(usage.groups):
            rate = rates.get(group)
            if rate is None:
                name = f"{label(group)} (no price)"
                lines.append(SubLine(name, group_quantity, Decimal(0), None, group))
                continue
            line = SubLine(
                f"tier {tier} (from {format(reached, 'f')})",
                group_quantity,
                exact_mul(group_quantity, rate),
                rate,
            )
            lines.extend(within(group, [line]))
        return total(self.model_type, quantity, lines)
