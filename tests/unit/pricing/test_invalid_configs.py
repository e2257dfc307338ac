"""Whatever a configuration holds, parsing succeeds or raises ValidationError with paths."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orbcore import ValidationError
from orbcore.pricing import MODELS, Price

VALID: dict[str, dict[str, Any]] = {
    "unit": {"unit_amount": "0.50"},
    "package": {"package_amount": "1.00", "package_size": 5},
    "tiered": {
        "tiers": [
            {"first_unit": 0, "last_unit": 10, "unit_amount": "1"},
            {"first_unit": 10, "last_unit": None, "unit_amount": "0.5"},
        ]
    },
    "bulk": {"tiers": [{"maximum_units": 10, "unit_amount": "1"}, {"unit_amount": "0.5"}]},
    "matrix": {
        "dimensions": ["region"],
        "default_unit_amount": "1",
        "matrix_values": [{"dimension_values": ["eu"], "unit_amount": "2"}],
    },
    "percent": {"percent": Decimal("0.08"), "minimum_amount": "5"},
    "minimum_composite": {"minimum_amount": "50"},
    "event_output": {"unit_rating_key": "rate"},
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["NaN", "Infinity", "-1", "1e999999", "0x1F", "'; DROP TABLE prices;--", "\x00"]
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += paths(child, (*prefix, index))
    return found


def replaced(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    result = copy.deepcopy(node)
    target = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return result


def check(body: dict[str, Any]) -> None:
    failure: ValidationError | None = None
    try:
        Price.from_orb(body)
    except ValidationError as error:
        failure = error
    if failure is not None:
        assert failure.problems
        assert all(problem.path for problem in failure.problems)


@given(st.sampled_from(sorted(VALID)), st.data(), values)
def test_a_mutated_valid_configuration_never_raises_another_exception(
    model_type: str, data: st.DataObject, value: Any
) -> None:
    config = VALID[model_type]
    path = data.draw(st.sampled_from(paths(config)))
    check({"model_type": model_type, f"{model_type}_config": replaced(config, path, value)})


@given(st.sampled_from(sorted(MODELS)), values)
def test_any_configuration_of_any_model_parses_or_names_its_problems(
    model_type: str, config: Any
) -> None:
    check({"model_type": model_type, f"{model_type}_config": config})


@given(st.dictionaries(st.text(max_size=12), values, max_size=5))
def test_any_envelope_parses_or_names_its_problems(body: dict[str, Any]) -> None:
    check(body)


def test_every_valid_example_is_valid() -> None:
    for model_type, config in VALID.items():
        Price.from_orb({"model_type": model_type, f"{model_type}_config": config})
