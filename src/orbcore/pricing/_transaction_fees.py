"""A percentage of each transaction with a fixed fee: a convention from other billing
systems (Lago's percentage charge, card-style "2.9% + 0.30"), as an orbcore model type.

Each event in ``Usage.events`` is a transaction whose amount is the property named by
``amount_key``. Transactions are rated one by one, in the order given.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from orbcore._errors import Problem
from orbcore.money._numbers import EXACT, exact_add, exact_mul, exact_sub
from orbcore.pricing._fields import NonNegativeAmount, Number
from orbcore.pricing._groups import event_numbers, sum_of
from orbcore.pricing._model import PriceConfig, price_model
from orbcore.pricing._result import PriceResult, SubLine, Usage, total

__all__ = ["OrbcorePercentageConfig"]

_ZERO = Decimal(0)
_ONE = Decimal(1)


class _Tally:
    """Running totals over the transactions, one per sub-line."""

    def __init__(self) -> None:
        self.charged = self.free_value = self.raised = self.capped = _ZERO
        self.fixed_count = self.free_count = self.raised_count = self.capped_count = 0


@price_model("orbcore_percentage")
class OrbcorePercentageConfig(PriceConfig):
    """``percent`` (out of 100) of each transaction's amount, plus ``fixed_amount`` per
    transaction, within a per-transaction minimum and maximum, after a free allowance.

    The allowance is ``free_transactions`` transactions and ``free_amount`` of amount;
    either may be left out (no limit of that kind), and it ends when either runs out.
    A transaction that starts inside the allowance is one of the free transactions: it
    pays no fixed fee, and the part of its amount beyond what is left of ``free_amount``
    pays the percentage. Per-transaction minimum and maximum apply to every transaction
    that pays something, the fixed fee included; wholly free ones stay free.
    """

    amount_key: str = Field(min_length=1)
    percent: NonNegativeAmount
    fixed_amount: NonNegativeAmount = _ZERO
    free_transactions: Number | None = None
    free_amount: NonNegativeAmount | None = None
    per_transaction_min_amount: NonNegativeAmount | None = None
    per_transaction_max_amount: NonNegativeAmount | None = None

    def problems(self) -> list[Problem]:
        problems = []
        if self.percent > 100:
            problems.append(Problem(("percent",), "must be at most 100 (1.5 is 1.5%)"))
        count = self.free_transactions
        if count is not None and count != count.to_integral_value():
            problems.append(Problem(("free_transactions",), "must be a whole number"))
        low, high = self.per_transaction_min_amount, self.per_transaction_max_amount
        if low is not None and high is not None and low > high:
            problems.append(
                Problem(("per_transaction_max_amount",), "must not be below the minimum")
            )
        return problems

    def evaluate(self, usage: Usage) -> PriceResult:
        values = event_numbers(usage, self.amount_key, "is required: the transaction's amount")
        tally = _Tally()
        count_left, value_left = self.free_transactions, self.free_amount
        allowance = count_left is not None or value_left is not None
        for value in values:
            fee = None
            if allowance and (count_left is None or count_left > 0) and value_left != 0:
                covered = value if value_left is None else min(value, value_left)
                tally.free_count += 1
                tally.free_value = exact_add(tally.free_value, covered)
                count_left = None if count_left is None else exact_sub(count_left, _ONE)
                value_left = None if value_left is None else exact_sub(value_left, covered)
                value = exact_sub(value, covered)
                if value:
                    fee = self._fee(value, tally, fixed=False)
            else:
                fee = self._fee(value, tally, fixed=True)
            if fee is not None:
                self._clamp(fee, tally)
        return total(self.model_type, sum_of(values), self._lines(tally, allowance))

    def _fee(self, value: Decimal, tally: _Tally, *, fixed: bool) -> Decimal:
        tally.charged = exact_add(tally.charged, value)
        fee = exact_mul(value, EXACT.scaleb(self.percent, -2))
        if fixed:
            tally.fixed_count += 1
            fee = exact_add(fee, self.fixed_amount)
        return fee

    def _clamp(self, fee: Decimal, tally: _Tally) -> None:
        low, high = self.per_transaction_min_amount, self.per_transaction_max_amount
        if low is not None and fee < low:
            tally.raised = exact_add(tally.raised, exact_sub(low, fee))
            tally.raised_count += 1
        elif high is not None and fee > high:
            tally.capped = exact_add(tally.capped, exact_sub(high, fee))
            tally.capped_count += 1

    def _lines(self, tally: _Tally, allowance: bool) -> list[SubLine]:
        rate = EXACT.scaleb(self.percent, -2)
        lines = []
        if allowance:
            plural = "" if tally.free_count == 1 else "s"
            name = f"free allowance ({tally.free_count} transaction{plural})"
            lines.append(SubLine(name, tally.free_value, _ZERO))
        label = f"{format(self.percent, 'f')}% of {self.amount_key}"
        lines.append(SubLine(label, tally.charged, exact_mul(tally.charged, rate), rate))
        if self.fixed_amount:
            count, fixed = Decimal(tally.fixed_count), self.fixed_amount
            lines.append(
                SubLine("fixed fee per transaction", count, exact_mul(count, fixed), fixed)
            )
        if tally.raised_count:
            name = "raised to the per-transaction minimum"
            lines.append(SubLine(name, Decimal(tally.raised_count), tally.raised))
        if tally.capped_count:
            name = "capped at the per-transaction maximum"
            lines.append(SubLine(name, Decimal(tally.capped_count), tally.capped))
        return lines
