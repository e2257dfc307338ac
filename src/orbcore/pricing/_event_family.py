"""Composite prices (percent, minimum_composite) and per-event rates (event_output)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem, ValidationError
from orbcore.money._numbers import exact_add, exact_mul, exact_sub, to_decimal
from orbcore.pricing._fields import Amount, NonNegativeAmount, Number
from orbcore.pricing._groups import sum_of
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total

__all__ = ["EventOutputConfig", "MinimumCompositeConfig", "PercentConfig"]


@price_model("percent")
class PercentConfig(PriceConfig):
    """A percentage of the upstream amount (``Usage.upstream``), at least
    ``minimum_amount`` (default 0) and at most ``maximum_amount`` (no cap by default).

    ``percent`` is a fraction: 0.08 is 8%. Orb prorates the minimum for partial periods
    and never the maximum; proration belongs to billing, which passes the prorated
    minimum in a copy of the config.
    """

    percent: Number = Field()
    minimum_amount: NonNegativeAmount | None = None
    maximum_amount: NonNegativeAmount | None = None
    prorated: bool = False

    def problems(self) -> list[Problem]:
        problems = []
        if not 0 < self.percent <= 1:
            problems.append(Problem(("percent",), "must be above 0 and at most 1 (0.08 is 8%)"))
        low, high = self.minimum_amount, self.maximum_amount
        if low is not None and high is not None and low > high:
            problems.append(Problem(("maximum_amount",), "must not be below minimum_amount"))
        return problems

    def evaluate(self, usage: Usage) -> PriceResult:
        share = exact_mul(usage.upstream, self.percent)
        lines = [SubLine("percent of upstream", usage.upstream, share, self.percent)]
        if self.minimum_amount is not None and share < self.minimum_amount:
            lines.append(
                SubLine("raised to the minimum", Decimal(0), exact_sub(self.minimum_amount, share))
            )
        elif self.maximum_amount is not None and share > self.maximum_amount:
            lines.append(
                SubLine("capped at the maximum", Decimal(0), exact_sub(self.maximum_amount, share))
            )
        return total(self.model_type, usage.upstream, lines)


@price_model("minimum_composite")
class MinimumCompositeConfig(PriceConfig):
    """Tops the upstream amount up to ``minimum_amount``: the amount is what is missing
    (``max(0, minimum - upstream)``), so upstream plus this price is at least the minimum."""

    minimum_amount: NonNegativeAmount
    prorated: bool = False

    def evaluate(self, usage: Usage) -> PriceResult:
        missing = max(exact_sub(self.minimum_amount, usage.upstream), Decimal(0))
        line = SubLine("minimum top-up", usage.upstream, missing)
        return total(self.model_type, usage.upstream, [line])


@price_model("event_output")
class EventOutputConfig(PriceConfig):
    """Each event pays its own rate, read from the property ``unit_rating_key``; events
    without one pay ``default_unit_rate`` or, with none, are ignored. With a
    ``grouping_key`` there is one sub-line per group value.

    Each event's quantity is 1: an event is one unit at its own rate.
    """

    unit_rating_key: str = Field(min_length=1)
    default_unit_rate: Amount | None = None
    grouping_key: str | None = None

    def evaluate(self, usage: Usage) -> PriceResult:
        counts: dict[str | None, Decimal] = {}
        amounts: dict[str | None, Decimal] = {}
        for index, event in enumerate(usage.events):
            rate = self._rate(event, index)
            if rate is None:
                continue
            group = None if self.grouping_key is None else _text(event.get(self.grouping_key))
            counts[group] = exact_add(counts.get(group, Decimal(0)), Decimal(1))
            amounts[group] = exact_add(amounts.get(group, Decimal(0)), rate)
        lines = [
            SubLine(
                name="events" if group is None else f"{self.grouping_key} {group}",
                quantity=counts[group],
                amount=amounts[group],
                grouping=None if self.grouping_key is None else (group,),
            )
            for group in sorted(counts, key=lambda g: "" if g is None else g)
        ]
        return total(self.model_type, sum_of(counts.values()), lines)

    def _rate(self, event: object, index: int) -> Decimal | None:
        raw = event.get(self.unit_rating_key) if isinstance(event, Mapping) else None
        if raw is None:
            return self.default_unit_rate
        try:
            return to_decimal(raw, field=self.unit_rating_key)
        except ValidationError as exc:
            raise ValidationError.at(
                ("events", index, self.unit_rating_key), exc.problems[0].message
            ) from None


def _text(value: object) -> str | None:
    return None if value is None else str(value)
