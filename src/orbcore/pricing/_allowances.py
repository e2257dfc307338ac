"""Models with a free allowance: credits that reset each day (``daily_credit_allowance``)
and a credit metered from usage itself (``metered_allowance``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import exact_mul, exact_sub
from orbcore.pricing._core import MatrixConfig
from orbcore.pricing._fields import NonNegativeAmount
from orbcore.pricing._groups import GroupKey, group_quantities, sum_of, within
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total

__all__ = ["DailyCreditAllowanceConfig", "MeteredAllowanceConfig"]


@price_model("daily_credit_allowance")
class DailyCreditAllowanceConfig(MatrixConfig):
    """A matrix of credit rates with ``daily_allowance`` credits free each day.

    Usage arrives in ``Usage.groups`` keyed by the day first, then the cell:
    ``("2026-03-01", "gpt")``; the day is the value of ``event_day_property``. Each cell
    costs ``q x`` its rate (``matrix_values``, else ``default_unit_amount``). Within a
    day, the first ``daily_allowance`` credits are free and the rest is charged in full:
    ``sum over days of max(0, credits_day - daily_allowance)``. An unused allowance is
    lost at the end of its day. The free credits show as one negative sub-line per day,
    since Orb does not say which cells they come from.
    """

    event_day_property: str = Field(min_length=1)
    daily_allowance: NonNegativeAmount

    def evaluate(self, usage: Usage) -> PriceResult:
        days: dict[str | None, list[tuple[GroupKey, Decimal]]] = {}
        for key, quantity in group_quantities(usage.groups):
            days.setdefault(key[0] if key else None, []).append((key, quantity))
        lines = []
        for day, cells in days.items():
            day_lines = [self._cell_line(key, quantity) for key, quantity in cells]
            lines.extend(day_lines)
            free = min(sum_of(line.amount for line in day_lines), self.daily_allowance)
            if free:
                name = f"daily allowance of {format(self.daily_allowance, 'f')}"
                credit = SubLine(name, Decimal(0), exact_sub(Decimal(0), free))
                lines.extend(within((day,), [credit]))
        return total(self.model_type, sum_of(usage.groups.values()), lines)

    def _cell_line(self, key: GroupKey, quantity: Decimal) -> SubLine:
        rate = self._rates.get(key[1:])
        name = "cell rate"
        if rate is None:
            rate, name = self.default_unit_amount, "default rate"
        return within(key, [SubLine(name, quantity, exact_mul(quantity, rate), rate)])[0]


@price_model("metered_allowance")
class MeteredAllowanceConfig(PriceConfig):
    """Consumption charged at ``unit_amount``, less a credit metered from usage too.

    The metric is split by ``grouping_key``: the group ``consumption_grouping_value`` is
    the consumption, ``allowance_grouping_value`` the allowance (``Usage.groups``
    ``("download",)`` and ``("storage_snapshot",)``, say); other groups are ignored.
    ``amount = q_consumption x unit_amount - min(q_allowance, q_consumption) x
    unit_amount``: the credit is capped at consumption, so the amount is never
    negative. Both sub-lines are always shown, named by the display names when given.
    """

    grouping_key: str = Field(min_length=1)
    consumption_grouping_value: str
    allowance_grouping_value: str
    unit_amount: NonNegativeAmount
    consumption_display_name: str | None = None
    allowance_display_name: str | None = None

    def problems(self) -> list[Problem]:
        if self.allowance_grouping_value == self.consumption_grouping_value:
            return [
                Problem(
                    ("allowance_grouping_value",), "must differ from consumption_grouping_value"
                )
            ]
        return []

    def evaluate(self, usage: Usage) -> PriceResult:
        consumption_key = (self.consumption_grouping_value,)
        allowance_key = (self.allowance_grouping_value,)
        consumed = usage.groups.get(consumption_key, Decimal(0))
        credited = min(usage.groups.get(allowance_key, Decimal(0)), consumed)
        credit_rate = exact_sub(Decimal(0), self.unit_amount)
        lines = [
            SubLine(
                self.consumption_display_name or "consumption",
                consumed,
                exact_mul(consumed, self.unit_amount),
                self.unit_amount,
                consumption_key,
            ),
            SubLine(
                self.allowance_display_name or "allowance",
                credited,
                # 0 - x rather than x times a negative rate: no "-0.00" at zero usage.
                exact_sub(Decimal(0), exact_mul(credited, self.unit_amount)),
                credit_rate,
                allowance_key,
            ),
        ]
        return total(self.model_type, consumed, lines)
