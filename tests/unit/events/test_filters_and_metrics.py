"""Event filters and billable metric definitions: semantics, JSON, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import ValidationError
from orbcore.events import (
    Aggregation,
    AllOf,
    AnyOf,
    BillableMetric,
    Condition,
    Operator,
    filter_from_json,
    filter_to_json,
    group_of,
    matches,
)

WHEN = datetime(2024, 1, 1, tzinfo=UTC)
PROPS: dict[str, Any] = {"region": "us", "gb": Decimal("1.50"), "cached": False, "n": Decimal(7)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"property": "region", "op": "=", "value": "us"}, True),
        ({"property": "gb", "op": "=", "value": Decimal("1.5")}, True),  # by value
        ({"property": "n", "op": "=", "value": "7"}, False),  # kinds differ
        ({"property": "n", "op": "!=", "value": "7"}, True),  # present, not equal
        ({"property": "missing", "op": "!=", "value": "7"}, False),  # as NULL in SQL
        ({"property": "missing", "op": "not_in", "value": ["a"]}, False),
        ({"property": "region", "op": "in", "value": ["eu", "us"]}, True),
        ({"property": "region", "op": "not_in", "value": ["eu", "us"]}, False),
        ({"property": "gb", "op": "<", "value": 2}, True),
        ({"property": "gb", "op": ">=", "value": Decimal("1.5")}, True),
        ({"property": "region", "op": "<", "value": "v"}, True),  # code point order
        ({"property": "region", "op": "<", "value": 5}, False),  # number vs string
        ({"property": "cached", "op": "=", "value": False}, True),
        ({"property": "cached", "op": "=", "value": 0}, False),  # a boolean is not 0
        ({"property": "cached", "op": "exists"}, True),
        ({"property": "missing", "op": "exists"}, False),
        (
            {
                "or": [
                    {"property": "missing", "op": "exists"},
                    {
                        "and": [
                            {"property": "region", "op": "=", "value": "us"},
                            {"property": "n", "op": ">", "value": 6},
                        ]
                    },
                ]
            },
            True,
        ),
    ],
)
def test_filter_semantics(raw: dict[str, Any], expected: bool) -> None:
    assert matches(filter_from_json(raw), PROPS) is expected


def test_a_filter_reads_back_from_its_json() -> None:
    where = AnyOf(
        (
            Condition("a", Operator.IN, ("x", Decimal(1), True)),
            AllOf((Condition("b", Operator.EXISTS), Condition("c", Operator.LE, (Decimal(2),)))),
        )
    )
    assert filter_from_json(filter_to_json(where)) == where


def test_a_bad_filter_lists_every_problem_with_its_path() -> None:
    with pytest.raises(ValidationError) as caught:
        filter_from_json(
            {
                "and": [
                    {"property": 'a"b', "op": "=", "value": 1},
                    {"property": "c", "op": "like", "value": "x"},
                    {"property": "d", "op": "in", "value": []},
                    {"property": "e", "op": "<", "value": True},
                    {"property": "f", "op": "=", "value": {"nested": 1}},
                    {"property": "g", "op": "exists", "value": 1},
                ]
            }
        )
    paths = [problem.path for problem in caught.value.problems]
    assert paths == [
        ("filter", "and", 0, "property"),
        ("filter", "and", 1, "op"),
        ("filter", "and", 2, "value"),
        ("filter", "and", 3, "value"),
        ("filter", "and", 4, "value"),
        ("filter", "and", 5, "value"),
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.floats(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)


@given(json_values)
def test_any_json_is_a_filter_or_a_validation_error(raw: object) -> None:
    try:
        parsed = filter_from_json(raw)
    except ValidationError as error:
        problems = error.problems
    else:
        assert filter_from_json(filter_to_json(parsed)) == parsed
        return
    assert problems
    assert all(problem.path[0] == "filter" for problem in problems)


def metric_json(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "m",
        "name": "GB",
        "event_name": "upload",
        "aggregation": "sum",
        "property": "gb",
        "filter": {"property": "region", "op": "=", "value": "us"},
        "group_by": ["region", "tier"],
        "status": "active",
        "metadata": {"team": "storage"},
    }
    raw.update(changes)
    return raw


def test_a_metric_reads_back_from_its_json() -> None:
    metric = BillableMetric.from_json(metric_json(), created_at=WHEN)
    assert metric.to_json() == metric_json()
    assert BillableMetric.from_json(metric.to_json(), created_at=WHEN) == metric


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"aggregation": "median"}, ("aggregation",)),
        ({"aggregation": "count"}, ("property",)),  # count takes no property
        ({"property": None}, ("property",)),
        ({"group_by": ["a", "a"]}, ("group_by",)),
        ({"group_by": "region"}, ("group_by",)),
        ({"status": "live"}, ("status",)),
        ({"event_name": ""}, ("event_name",)),
        ({"filter": {"property": "x", "op": "?"}}, ("filter", "op")),
    ],
)
def test_an_invalid_metric_names_the_field(changes: dict[str, Any], path: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        BillableMetric.from_json(metric_json(**changes), created_at=WHEN)
    assert path in [problem.path for problem in caught.value.problems]


def test_only_decomposable_aggregations_roll_up() -> None:
    assert {a for a in Aggregation if a.decomposable} == {
        Aggregation.COUNT,
        Aggregation.SUM,
        Aggregation.MIN,
        Aggregation.MAX,
        Aggregation.AVERAGE,
    }


def test_group_values_are_text_with_numbers_by_value() -> None:
    props: dict[str, Any] = {"a": Decimal("1.50"), "b": True, "c": Decimal("1E+2"), "d": "x"}
    assert group_of(["a", "b", "c", "d", "e"], props) == ("1.5", "true", "100", "x", None)
    assert group_of(["z"], {"z": Decimal("-0.00")}) == ("0",)


@pytest.mark.parametrize(
    "raw",
    [
        "not an object",
        None,
        metric_json(metadata="abc"),
        metric_json(metadata=[1]),
        metric_json(group_by=[["a"]]),
        metric_json(id="m" * 65),
    ],
)
def test_any_bad_metric_input_is_a_validation_error(raw: Any) -> None:
    with pytest.raises(ValidationError):
        BillableMetric.from_json(raw, created_at=WHEN)
