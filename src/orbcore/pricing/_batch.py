"""Rating many quantities at once, with results identical to rating each one.

With numpy installed (the ``numpy`` extra), an integer array of quantities is rated in
exact fixed-point arithmetic: rates are scaled to integers, amounts come out as int64
counts of ``10**exponent``. Unit, package, tiered and bulk prices take that path; other
models, non-integer quantities, and results that could overflow 64 bits are rated one by
one with ``Decimal``. Either way the amounts are exact and equal the scalar path's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from orbcore._errors import FloatNotAllowedError
from orbcore.money._numbers import EXACT, to_decimal
from orbcore.money._rounding import round_rational
from orbcore.pricing._core import BulkConfig, PackageConfig, TieredConfig, UnitConfig
from orbcore.pricing._model import PriceConfig
from orbcore.pricing._price import Price

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["BatchResult", "CurvePoint", "evaluate_batch", "price_curve"]

_LIMIT = 2**62  # headroom below int64's 2**63 for the sums of tiers


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Amounts of a batch as integers ``units`` times ``10**exponent``.

    ``units`` is a numpy int64 array on the fast path, else a list of Python ints.
    """

    units: Any
    exponent: int

    def amounts(self) -> list[Decimal]:
        """The amounts as ``Decimal`` values."""
        return [EXACT.scaleb(Decimal(int(unit)), self.exponent) for unit in self.units]

    def __len__(self) -> int:
        return len(self.units)


def evaluate_batch(price: Price, quantities: Iterable[object]) -> BatchResult:
    """Rate every quantity in ``quantities`` (a sequence, numpy array or pandas Series).

    Raises:
        FloatNotAllowedError: a float array or float quantity.
        ValidationError: a quantity that is not an exact number.
    """
    array = _integer_array(quantities)
    if array is not None:
        vectorised = _VECTORISED.get(type(price.config))
        if vectorised is not None:
            found = vectorised(price.config, array)
            if found is not None:
                return BatchResult(*found)
    amounts = [price.evaluate(to_decimal(_plain(q), field="quantity")).amount for q in quantities]
    exponent = min((_exponent(a) for a in amounts), default=0)
    units = [int(EXACT.scaleb(amount, -exponent)) for amount in amounts]
    return BatchResult(units, exponent)


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One row of a price curve: the amount at ``quantity``, the price per unit since the
    previous point (``marginal``) and the price per unit overall (``average``); the unit
    prices are rounded to 12 decimal places."""

    quantity: Decimal
    amount: Decimal
    marginal: Decimal | None
    average: Decimal | None


def price_curve(price: Price, quantities: Sequence[object]) -> list[CurvePoint]:
    """Amount, marginal and average unit price at each quantity, for comparing prices.

    >>> unit = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "2"}})
    >>> [str(p.average) for p in price_curve(unit, [1, 10])]
    ['2.000000000000', '2.000000000000']
    """
    ordered = sorted(to_decimal(_plain(q), field="quantity") for q in quantities)
    points: list[CurvePoint] = []
    previous: tuple[Decimal, Decimal] | None = None
    for quantity in ordered:
        amount = price.evaluate(quantity).amount
        marginal = None
        if previous is not None and quantity != previous[0]:
            marginal = _ratio(
                EXACT.subtract(amount, previous[1]), EXACT.subtract(quantity, previous[0])
            )
        average = _ratio(amount, quantity) if quantity else None
        points.append(CurvePoint(quantity, amount, marginal, average))
        previous = (quantity, amount)
    return points


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return round_rational(Fraction(numerator) / Fraction(denominator), 12)


def _plain(value: object) -> object:
    """numpy and pandas scalars as Python numbers; floats stay floats (and are refused)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _integer_array(quantities: Iterable[object]) -> NDArray[np.int64] | None:
    try:
        import numpy as np
    except ImportError:
        return None
    values = getattr(quantities, "to_numpy", lambda: quantities)()
    if not isinstance(values, np.ndarray):
        return None
    if values.dtype.kind == "f":
        raise FloatNotAllowedError.at(("quantities",), "a float array is not exact; use integers")
    if values.dtype.kind not in "iu" or not values.size:
        return None
    if int(values.min()) < 0 or int(values.max()) >= _LIMIT:
        return None  # negative or too large for int64 arithmetic: rated one by one
    return values.astype(np.int64, copy=False)


def _scaled(values: Sequence[Decimal]) -> tuple[list[int], int]:
    """Integers and one exponent such that ``values[i] == ints[i] * 10**exponent``."""
    exponent = min((_exponent(v) for v in values), default=0)
    return [int(EXACT.scaleb(v, -exponent)) for v in values], exponent


def _fits(quantities: NDArray[np.int64], *factors: int) -> bool:
    """Whether ``max(quantities) * factors`` (each at least 1) stays within int64."""
    product = max(int(quantities.max()), 1)
    for factor in factors:
        product *= max(abs(factor), 1)
    return product < _LIMIT


def _small(*values: Decimal | None) -> bool:
    """Whether bounds and sizes are whole numbers that int64 arithmetic can hold."""
    return all(
        value is None or (value == value.to_integral_value() and abs(value) < _LIMIT)
        for value in values
    )


def _unit(raw: PriceConfig, q: NDArray[np.int64]) -> tuple[Any, int] | None:
    config = cast(UnitConfig, raw)
    (rate,), exponent = _scaled([config.unit_amount])
    return (q * rate, exponent) if _fits(q, rate) else None


def _package(raw: PriceConfig, q: NDArray[np.int64]) -> tuple[Any, int] | None:
    config = cast(PackageConfig, raw)
    size = config.package_size
    if not _small(size):
        return None
    (amount,), exponent = _scaled([config.package_amount])
    packages = -(-q // int(size))
    return (packages * amount, exponent) if _fits(q, amount) else None


def _tiered(raw: PriceConfig, q: NDArray[np.int64]) -> tuple[Any, int] | None:
    config = cast(TieredConfig, raw)
    bounds = [t.first_unit for t in config.tiers] + [
        t.last_unit for t in config.tiers if t.last_unit is not None
    ]
    if not _small(*bounds):
        return None
    rates, exponent = _scaled([t.unit_amount for t in config.tiers])
    if not _fits(q, max(rates, default=1), len(rates)):
        return None
    total = q * 0
    for tier, rate in zip(config.tiers, rates, strict=True):
        first = int(tier.first_unit)
        inside = q - first if tier.last_unit is None else q.clip(max=int(tier.last_unit)) - first
        total += inside.clip(min=0) * rate
    return total, exponent


def _bulk(raw: PriceConfig, q: NDArray[np.int64]) -> tuple[Any, int] | None:
    import numpy as np

    config = cast(BulkConfig, raw)
    limits = [t.maximum_units for t in config.tiers]
    if not _small(*limits):
        return None
    rates, exponent = _scaled([t.unit_amount for t in config.tiers])
    if not _fits(q, max(rates, default=1)):
        return None
    rate = np.full(q.shape, rates[-1], dtype=np.int64)
    for limit, tier_rate in reversed(list(zip(limits, rates, strict=True))):
        if limit is not None:
            rate = np.where(q <= int(limit), tier_rate, rate)
    return q * rate, exponent


_VECTORISED: dict[type[PriceConfig], Callable[[PriceConfig, Any], tuple[Any, int] | None]] = {
    UnitConfig: _unit,
    PackageConfig: _package,
    TieredConfig: _tiered,
    BulkConfig: _bulk,
}
