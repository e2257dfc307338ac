"""percent, minimum_composite and event_output."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbcore import ValidationError
from orbcore.pricing import Price, Usage

D = Decimal

PERCENT = {
    "model_type": "percent",
    "percent_config": {"percent": D("0.08"), "minimum_amount": "5000", "maximum_amount": "50000"},
}


@pytest.mark.parametrize(
    ("upstream", "expected"),
    [("0", "5000"), ("50000", "5000"), ("100000", "8000"), ("1000000", "50000")],
)
def test_orb_percent_example_with_minimum_and_maximum(upstream: str, expected: str) -> None:
    result = Price.from_orb(PERCENT).evaluate(Usage(upstream=D(upstream)))
    assert result.amount == D(expected)
    assert sum((line.amount for line in result.sub_lines), D(0)) == result.amount


def test_percent_round_trips_and_checks_its_bounds() -> None:
    price = Price.from_orb(PERCENT)
    assert Price.from_orb(price.to_orb()) == price
    assert Price.from_orb(price.to_json()) == price
    with pytest.raises(ValidationError, match=r"percent_config\.percent: must be above 0"):
        Price.from_orb({"model_type": "percent", "percent_config": {"percent": 8}})
    with pytest.raises(ValidationError, match=r"maximum_amount: must not be below"):
        Price.from_orb(
            {
                "model_type": "percent",
                "percent_config": {
                    "percent": D("0.1"),
                    "minimum_amount": "5",
                    "maximum_amount": "1",
                },
            }
        )


def test_minimum_composite_tops_up_to_the_minimum() -> None:
    price = Price.from_orb(
        {"model_type": "minimum_composite", "minimum_composite_config": {"minimum_amount": "50"}}
    )
    assert price.evaluate(Usage(upstream=D("22.50"))).amount == D("27.50")
    assert price.evaluate(Usage(upstream=D("90"))).amount == 0
    assert price.evaluate(Usage()).amount == D(50)


def test_event_output_charges_each_event_its_own_rate() -> None:
    price = Price.from_orb(
        {
            "model_type": "event_output",
            "event_output_config": {
                "unit_rating_key": "rate",
                "default_unit_rate": "0.10",
                "grouping_key": "region",
            },
        }
    )
    events = [
        {"rate": D("0.25"), "region": "eu"},
        {"rate": "0.75", "region": "eu"},
        {"region": "us"},
    ]
    result = price.evaluate(Usage(events=events))
    assert result.amount == D("1.10")
    assert [(line.grouping, line.quantity, line.amount) for line in result.sub_lines] == [
        (("eu",), D(2), D("1.00")),
        (("us",), D(1), D("0.10")),
    ]


def test_event_output_ignores_unrated_events_without_a_default() -> None:
    price = Price.from_orb(
        {"model_type": "event_output", "event_output_config": {"unit_rating_key": "rate"}}
    )
    result = price.evaluate(Usage(events=[{"rate": "2"}, {"other": "x"}]))
    assert result.amount == 2
    assert result.quantity == 1
    assert price.evaluate(Usage()).amount == 0


def test_event_output_names_the_event_with_a_bad_rate() -> None:
    price = Price.from_orb(
        {"model_type": "event_output", "event_output_config": {"unit_rating_key": "rate"}}
    )
    with pytest.raises(ValidationError, match=r"events\.1\.rate"):
        price.evaluate(Usage(events=[{"rate": "1"}, {"rate": "lots"}]))
