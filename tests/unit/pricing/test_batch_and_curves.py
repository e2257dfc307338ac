"""Batch evaluation equals scalar evaluation; price curves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import FloatNotAllowedError
from orbcore.pricing import Price, evaluate_batch, price_curve

D = Decimal
rates = st.decimals(min_value=0, max_value=1000, places=5).map(lambda d: format(d, "f"))


@st.composite
def prices(draw: st.DrawFn) -> Price:
    kind = draw(st.sampled_from(["unit", "package", "tiered", "bulk", "matrix"]))
    if kind == "unit":
        return Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": draw(rates)}})
    if kind == "package":
        size: Any = draw(
            st.integers(1, 1000) | st.decimals(min_value=D("0.5"), max_value=50, places=1)
        )
        return Price.from_orb(
            {
                "model_type": "package",
                "package_config": {"package_amount": draw(rates), "package_size": size},
            }
        )
    bounds = sorted(set(draw(st.lists(st.integers(1, 10**6), max_size=5))))
    if kind == "tiered":
        edges = [0, *bounds]
        tiers = [
            {
                "first_unit": edges[i],
                "last_unit": edges[i + 1] if i + 1 < len(edges) else None,
                "unit_amount": draw(rates),
            }
            for i in range(len(edges))
        ]
        return Price.from_orb({"model_type": "tiered", "tiered_config": {"tiers": tiers}})
    if kind == "bulk":
        limits: list[Any] = [*bounds, draw(st.sampled_from([None, 10**7]))]
        tiers = [{"maximum_units": limit, "unit_amount": draw(rates)} for limit in limits]
        return Price.from_orb({"model_type": "bulk", "bulk_config": {"tiers": tiers}})
    return Price.from_orb(
        {
            "model_type": "matrix",
            "matrix_config": {
                "dimensions": ["region"],
                "default_unit_amount": draw(rates),
                "matrix_values": [{"dimension_values": ["eu"], "unit_amount": draw(rates)}],
            },
        }
    )


quantities = st.lists(st.integers(min_value=0, max_value=2 * 10**7), max_size=40)


@given(prices(), quantities)
def test_batch_equals_scalar_for_arrays_and_lists(price: Price, values: list[int]) -> None:
    expected = [price.evaluate(q).amount for q in values]
    assert evaluate_batch(price, np.array(values, dtype=np.int64)).amounts() == expected
    assert evaluate_batch(price, values).amounts() == expected


def test_the_fast_path_returns_fixed_point_integers() -> None:
    tiered = Price.from_orb(
        {
            "model_type": "tiered",
            "tiered_config": {
                "tiers": [
                    {"first_unit": 0, "last_unit": 10000, "unit_amount": "0.001"},
                    {"first_unit": 10000, "last_unit": None, "unit_amount": "0.0005"},
                ]
            },
        }
    )
    result = evaluate_batch(tiered, np.array([0, 10000, 150000]))
    assert isinstance(result.units, np.ndarray)
    assert result.exponent == -4
    assert result.amounts() == [D(0), D(10), D("80")]


def test_results_that_would_overflow_64_bits_are_still_exact() -> None:
    unit = Price.from_orb(
        {"model_type": "unit", "unit_config": {"unit_amount": "123456789.123456789"}}
    )
    big = np.array([9 * 10**17], dtype=np.int64)
    assert evaluate_batch(unit, big).amounts() == [unit.evaluate(9 * 10**17).amount]


def test_float_arrays_are_refused() -> None:
    unit = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "1"}})
    with pytest.raises(FloatNotAllowedError):
        evaluate_batch(unit, np.array([1.5]))
    with pytest.raises(FloatNotAllowedError):
        evaluate_batch(unit, [1.5])


def test_price_curve_shows_marginal_and_average_unit_prices() -> None:
    tiered = Price.from_orb(
        {
            "model_type": "tiered",
            "tiered_config": {
                "tiers": [
                    {"first_unit": 0, "last_unit": 100, "unit_amount": "1.00"},
                    {"first_unit": 100, "last_unit": None, "unit_amount": "0.50"},
                ]
            },
        }
    )
    points = price_curve(tiered, [300, 0, 100])
    assert [p.quantity for p in points] == [0, 100, 300]
    assert [p.amount for p in points] == [0, 100, 200]
    assert points[0].average is None
    assert points[2].marginal == D("0.5")
    assert points[2].average == D("0.666666666667")
