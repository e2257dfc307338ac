"""Regression tests: the pricing models stay exact beyond the default 28 digits, reject
what they cannot rate with a ValidationError naming the field, and share one exact sum,
one event reader and one package-bound check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orbcore import ValidationError
from orbcore.money._numbers import EXACT
from orbcore.pricing import Price, Usage, _bps, _groups, _transaction_fees

D = Decimal

# 31 significant digits: more than the default context's 28.
THIRD = "33.33333333333333333333333333333"
NEARLY_ONE = D("0.9999999999999999999999999999999")


def price(model_type: str, **config: Any) -> Price:
    return Price.from_orb({"model_type": model_type, f"{model_type}_config": config})


def error_of(body: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Price.from_orb(body)
    return caught.value


def paths(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in problem.path) for problem in error.problems]


# 1. percent: the minimum and maximum lines are exact differences.


def test_percent_raised_to_the_minimum_is_exactly_the_minimum() -> None:
    body = price("percent", percent=D("0.08"), minimum_amount="50000")
    result = body.evaluate(Usage(upstream=D("123456.789012345678901234567891")))
    assert result.amount == D(50000)
    assert result.amount.as_tuple() == D("50000.00000000000000000000000000").as_tuple()
    assert EXACT.add(result.sub_lines[0].amount, result.sub_lines[1].amount) == 50000


def test_percent_capped_at_the_maximum_is_exactly_the_maximum() -> None:
    body = price("percent", percent=D("0.08"), maximum_amount="1")
    result = body.evaluate(Usage(upstream=D("123456789012345678901234567890.123")))
    assert result.amount == 1


# 2. minimum_composite: the top-up is the exact difference.


def test_minimum_composite_tops_up_exactly() -> None:
    upstream = D("123.456789012345678901234567891")
    body = price("minimum_composite", minimum_amount="50000")
    result = body.evaluate(Usage(upstream=upstream))
    assert result.amount == EXACT.subtract(D(50000), upstream)
    assert EXACT.add(upstream, result.amount) == 50000


# 3. bps: the cap line is the exact negative sum of what the cap takes off.


def test_bps_cap_is_exact() -> None:
    body = price("bps", bps=100, per_unit_maximum="1")
    result = body.evaluate(Usage(events=[{"amount": D("1234567890.123456789012345678901")}]))
    assert result.amount == 1
    cap = result.sub_lines[-1]
    assert cap.amount == D("-12345677.90123456789012345678901")


def test_bps_cap_is_exact_over_several_events() -> None:
    amount = D("1234567890.123456789012345678901")
    body = price("bps", bps=100, per_unit_maximum="1")
    result = body.evaluate(Usage(events=[{"amount": amount}, {"amount": amount}, {"amount": "1"}]))
    assert result.amount == D("2.01")


# 4. Percentages and basis points are scaled in the exact context.


def test_unit_with_percent_scales_the_percent_exactly() -> None:
    body = price("unit_with_percent", percent=THIRD, unit_amount="3")
    result = body.evaluate(Usage(D(1)))
    assert result.amount == NEARLY_ONE
    assert len(result.amount.as_tuple().digits) == 31


def test_orbcore_percentage_scales_the_percent_exactly() -> None:
    body = price("orbcore_percentage", amount_key="total", percent=THIRD)
    result = body.evaluate(Usage(events=[{"total": "3"}]))
    assert result.amount == NEARLY_ONE


def test_threshold_discounts_scale_the_percent_exactly() -> None:
    body = price(
        "matrix_with_threshold_discounts",
        first_dimension="color",
        default_unit_amount="1",
        matrix_values=[],
        threshold_discount_groups=[
            {
                "cell_coordinates": "blue",
                "threshold_amount": "100",
                "below_threshold_discount_percentage": THIRD,
                "above_threshold_discount_percentage": "0",
            }
        ],
    )
    result = body.evaluate(Usage(groups={("blue",): D(3)}))
    assert result.sub_lines[-1].amount == EXACT.minus(NEARLY_ONE)
    assert result.amount == EXACT.subtract(D(3), NEARLY_ONE)


def test_bps_scales_the_basis_points_exactly() -> None:
    body = price("bps", bps=D("3333.333333333333333333333333333"))
    result = body.evaluate(Usage(events=[{"amount": "3"}]))
    assert result.amount == NEARLY_ONE


# 5. Package tier bounds: checked in exact rational arithmetic, one shared check.

GROUPED_PACKAGE_MODELS = {
    "grouped_tiered_package": "per_unit",
    "max_group_tiered_package": "unit_amount",
}
PACKAGE_MODELS = {"tiered_package": "per_unit", "tiered_package_with_minimum": "per_unit"}


def package_body(model_type: str, size: Any, bound: str) -> dict[str, Any]:
    rate = {**GROUPED_PACKAGE_MODELS, **PACKAGE_MODELS}[model_type]
    tiers: list[dict[str, Any]] = [
        {"tier_lower_bound": "0", rate: "1"},
        {"tier_lower_bound": bound, rate: "2"},
    ]
    config: dict[str, Any] = {"package_size": size, "tiers": tiers}
    if model_type in GROUPED_PACKAGE_MODELS:
        config["grouping_key"] = "region"
    if model_type == "tiered_package_with_minimum":
        for tier in tiers:
            tier["minimum_amount"] = "0"
        config["package_size"] = D(size)
    return {"model_type": model_type, f"{model_type}_config": config}


@pytest.mark.parametrize("model_type", sorted(GROUPED_PACKAGE_MODELS))
def test_grouped_package_bounds_beyond_28_digits_are_rated_exactly(model_type: str) -> None:
    body = Price.from_orb(package_body(model_type, "1", "1e40"))
    result = body.evaluate(Usage(groups={("eu",): D(10**40 + 5)}))
    assert result.amount == 10**40 + 2 * 5


@pytest.mark.parametrize("model_type", sorted({**GROUPED_PACKAGE_MODELS, **PACKAGE_MODELS}))
@pytest.mark.parametrize("bound", ["1e2000", "1e999999999"])
def test_package_bounds_too_large_name_the_bound(model_type: str, bound: str) -> None:
    error = error_of(package_body(model_type, "1", bound))
    assert paths(error) == [f"{model_type}_config.tiers.1.tier_lower_bound"]
    assert "is too large" in str(error)


@pytest.mark.parametrize("model_type", sorted({**GROUPED_PACKAGE_MODELS, **PACKAGE_MODELS}))
@pytest.mark.parametrize(("size", "bound"), [("3", "1e40"), ("1", "1e-999"), ("2", "3")])
def test_package_bounds_not_multiples_name_the_bound(
    model_type: str, size: str, bound: str
) -> None:
    error = error_of(package_body(model_type, size, bound))
    assert paths(error) == [f"{model_type}_config.tiers.1.tier_lower_bound"]
    assert "must be a multiple of package_size" in str(error)


@pytest.mark.parametrize("model_type", sorted({**GROUPED_PACKAGE_MODELS, **PACKAGE_MODELS}))
@pytest.mark.parametrize(("size", "bound"), [("0.5", "1e40"), ("1e-30", "3"), ("2.5", "1e2")])
def test_package_bounds_that_are_multiples_are_accepted(
    model_type: str, size: str, bound: str
) -> None:
    Price.from_orb(package_body(model_type, size, bound))


def test_package_bound_check_is_shared() -> None:
    bounds = [D(0), D("1e40"), D("3e40"), D("1e2000")]
    problems = _groups.package_bound_problems(bounds, D(3))
    assert [(p.path, p.message[:14]) for p in problems] == [
        (("tiers", 1, "tier_lower_bound"), "must be a mult"),
        (("tiers", 3, "tier_lower_bound"), "is too large: "),
    ]
    problems = _groups.package_bound_problems([D(0), D(2), D("1e2000")], D(2))
    assert [p.path for p in problems] == [("tiers", 2, "tier_lower_bound")]
    assert problems[0].message.startswith("is too large")


# 6. Events that are not mappings are a ValidationError naming the event.


@pytest.mark.parametrize(
    ("body", "event"),
    [
        (
            price(
                "bulk_with_filters",
                filters=[{"property_key": "region", "property_value": "eu"}],
                tiers=[
                    {"tier_lower_bound": "0", "unit_amount": "1.00"},
                    {"tier_lower_bound": "100", "unit_amount": "0.80"},
                ],
            ),
            {"region": "eu", "amount": "1"},
        ),
        (price("bps", bps=25), {"amount": "1"}),
        (price("orbcore_percentage", amount_key="amount", percent="2"), {"amount": "1"}),
    ],
)
@pytest.mark.parametrize("bad", ["oops", 7, None, ["amount", "1"]])
def test_events_that_are_not_mappings_name_the_event(
    body: Price, event: dict[str, str], bad: object
) -> None:
    usage = Usage(events=[event, bad])  # type: ignore[list-item]
    with pytest.raises(ValidationError) as caught:
        body.config.evaluate(usage)
    assert [problem.path for problem in caught.value.problems] == [("events", 1)]
    assert body.config.evaluate(Usage(events=[event])).amount >= 0


def test_event_numbers_is_the_one_event_reader() -> None:
    assert not hasattr(_transaction_fees, "transaction_amounts")
    usage = Usage(events=[{"total": "1.50"}, {"total": 2}])
    assert _groups.event_numbers(usage, "total", "is required") == [D("1.50"), D(2)]
    assert _bps.event_values(Usage(events=[{"amount": "1.50"}])) == [D("1.50")]
    with pytest.raises(ValidationError) as caught:
        _groups.event_numbers(Usage(events=[{}]), "total", "is required here")
    assert str(caught.value) == "events.0.total: is required here"
    with pytest.raises(ValidationError, match=r"events\.0\.total: must not be negative"):
        _groups.event_numbers(Usage(events=[{"total": "-1"}]), "total", "is required")


# 7. One exact sum.


def test_one_exact_sum() -> None:
    assert not hasattr(_bps, "_sum")
    assert not hasattr(_transaction_fees, "_sum")
    assert _groups.sum_of([D("1e30"), D("0.000001")]) == D("1000000000000000000000000000000.000001")
    assert _groups.sum_of([]) == 0


def test_event_volumes_are_exact_sums() -> None:
    values = [D("1e30"), D("0.000001")]
    exact = D("1000000000000000000000000000000.000001")
    bps = price("bps", bps=0)
    assert bps.evaluate(Usage(events=[{"amount": v} for v in values])).quantity == exact
    fees = price("orbcore_percentage", amount_key="total", percent="0")
    assert fees.evaluate(Usage(events=[{"total": v} for v in values])).quantity == exact
