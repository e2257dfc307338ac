"""Properties of plan reading: valid plans round-trip; garbled plans raise a
ValidationError that names the fields at fault, and nothing else."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orbcore import ValidationError
from orbcore.billing import PlanDefinition, definition_from_records, plan_records

CADENCES = st.sampled_from(["monthly", "quarterly", "semi_annual", "annual"]) | st.builds(
    lambda n, unit: ("custom", {"duration": n, "duration_unit": unit}),
    st.integers(1, 40),
    st.sampled_from(["day", "month"]),
)
AMOUNTS = st.decimals(min_value=0, max_value=1000, places=2).map(lambda d: format(d, "f"))
MODELS: list[tuple[str, dict[str, Any]]] = [
    ("unit", {"unit_amount": "0.50"}),
    ("package", {"package_amount": "0.80", "package_size": 10}),
    (
        "tiered",
        {
            "tiers": [
                {"first_unit": 0, "last_unit": 10, "unit_amount": "0.50"},
                {"first_unit": 10, "last_unit": None, "unit_amount": "0.10"},
            ]
        },
    ),
    (
        "matrix",
        {
            "dimensions": ["cluster_name", "region"],
            "default_unit_amount": "3.00",
            "matrix_values": [{"dimension_values": ["alpha", "west"], "unit_amount": "2.00"}],
        },
    ),
]


@st.composite
def prices(draw: st.DrawFn, index: int) -> dict[str, Any]:
    model_type, config = draw(st.sampled_from(MODELS))
    cadence = draw(CADENCES)
    # The index ends the name, so ids derived from names never collide.
    name = f"{draw(st.text(max_size=12))} {index}"
    price: dict[str, Any] = {"name": name, "model_type": model_type}
    price[f"{model_type}_config"] = config
    if isinstance(cadence, tuple):
        price["cadence"], price["billing_cycle_configuration"] = cadence
    else:
        price["cadence"] = cadence
    if draw(st.booleans()):
        price["billable_metric_id"] = f"met_{index}"
    else:
        price["fixed_price_quantity"] = draw(st.integers(0, 50))
        price["billing_mode"] = draw(st.sampled_from(["in_advance", "in_arrear"]))
    if draw(st.booleans()):
        price["id"] = f"price_{index}"
    if draw(st.booleans()):
        price["item"] = {"id": f"item_{index}", "name": "Item"}
    if draw(st.booleans()):
        price["adjustments"] = [{"adjustment_type": "maximum", "maximum_amount": draw(AMOUNTS)}]
    return price


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 4))
    plan: dict[str, Any] = {
        "name": draw(st.text(min_size=1, max_size=12)),
        "currency": draw(st.sampled_from(["USD", "EUR", "JPY"])),
        "prices": [draw(prices(n)) for n in range(count)],
    }
    optional = {
        "net_terms": st.integers(0, 90),
        "version": st.integers(1, 9),
        "external_plan_id": st.text(min_size=1, max_size=8),
        "default_invoice_memo": st.text(max_size=20),
        "metadata": st.dictionaries(st.sampled_from("abc"), st.text(max_size=4), max_size=2),
        "trial_config": st.builds(lambda n: {"trial_period": n}, st.integers(0, 60)),
        "adjustments": st.builds(
            lambda amount: [
                {
                    "adjustment_type": "minimum",
                    "minimum_amount": amount,
                    "applies_to_all": True,
                    "is_invoice_level": True,
                }
            ],
            AMOUNTS,
        ),
        "plan_phases": st.builds(
            lambda n: [{"order": 1, "duration": n, "duration_unit": "monthly"}, {"order": 2}],
            st.integers(1, 12),
        ),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            plan[key] = draw(strategy)
    return plan


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.decimals(min_value=-(10**6), max_value=10**6, places=3)
    | st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), Decimal("-0")])
    | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path below the root of a JSON tree."""
    found = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    for key, child in items:
        found.append((*path, key))
        found += locations(child, (*path, key))
    return found


@st.composite
def garbled(draw: st.DrawFn) -> dict[str, Any]:
    plan = copy.deepcopy(draw(plans()))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(locations(plan)))
        parent: Any = plan
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=6))] = draw(JSON)
        else:
            parent[path[-1]] = draw(JSON)
    return plan


@given(plans())
def test_valid_plans_round_trip_through_json_and_records(raw: dict[str, Any]) -> None:
    plan = PlanDefinition.from_orb(raw)
    exported = plan.to_orb()
    assert PlanDefinition.from_orb(exported) == plan
    assert PlanDefinition.from_orb(exported).to_orb() == exported
    assert PlanDefinition.from_orb(plan.to_json()) == plan
    rows = plan_records(plan, "pln_1", datetime(2024, 1, 1, tzinfo=UTC))
    assert definition_from_records(*rows) == plan


@given(plans())
def test_term_is_never_shorter_than_the_billing_period(raw: dict[str, Any]) -> None:
    plan = PlanDefinition.from_orb(raw)
    assert plan.billing_cadence in {price.cadence for price in plan.prices}
    assert plan.term_cadence in {price.cadence for price in plan.prices}


def read(raw: Any) -> PlanDefinition | ValidationError:
    """The plan, or the error that refused it (any other exception fails the test)."""
    try:
        return PlanDefinition.from_orb(raw)
    except ValidationError as error:
        return error


@given(garbled())
def test_garbled_plans_raise_a_validation_error_naming_fields(raw: dict[str, Any]) -> None:
    result = read(raw)
    if isinstance(result, ValidationError):
        assert result.problems
        assert all(problem.path for problem in result.problems), result.problems
    else:  # the garbling happened to leave a valid plan
        assert PlanDefinition.from_orb(result.to_orb()) == result


@given(JSON)
def test_any_json_value_is_refused_or_read(raw: Any) -> None:
    result = read(raw)
    assert isinstance(result, PlanDefinition) or result.problems
