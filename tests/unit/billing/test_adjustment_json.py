"""Adjustments in Orb's JSON shape: reading, writing back, and every problem reported."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orbcore import FloatNotAllowedError, ValidationError
from orbcore.billing import (
    Adjustment,
    AdjustmentType,
    AmountDiscount,
    Maximum,
    Minimum,
    PercentageDiscount,
    UsageDiscount,
    parse_adjustment,
    parse_adjustments,
)

ORB_JSON = """[
  {"id": "adj_1", "adjustment_type": "usage_discount", "usage_discount": 100,
   "applies_to_price_ids": ["price_calls"], "is_invoice_level": false},
  {"adjustment_type": "amount_discount", "amount_discount": "175.00",
   "applies_to_price_ids": ["price_calls", "price_storage"], "is_invoice_level": true,
   "reason": "goodwill"},
  {"adjustment_type": "percentage_discount", "percentage_discount": 0.15,
   "applies_to_all": true, "is_invoice_level": true},
  {"adjustment_type": "minimum", "minimum_amount": "50.00", "item_id": "item_commit",
   "applies_to_price_ids": ["price_calls"], "is_invoice_level": false},
  {"adjustment_type": "maximum", "maximum_amount": "500.00",
   "applies_to_price_ids": ["price_calls"], "is_invoice_level": false}
]"""


def paths(error: ValidationError) -> list[str]:
    return [".".join(map(str, problem.path)) for problem in error.problems]


def test_orb_json_reads_as_typed_adjustments() -> None:
    adjustments = parse_adjustments(ORB_JSON)
    assert [type(a) for a in adjustments] == [
        UsageDiscount,
        AmountDiscount,
        PercentageDiscount,
        Minimum,
        Maximum,
    ]
    assert [a.adjustment_type for a in adjustments] == list(AdjustmentType)
    assert [a.value for a in adjustments] == [
        Decimal(100),
        Decimal("175.00"),
        Decimal("0.15"),
        Decimal("50.00"),
        Decimal("500.00"),
    ]
    assert [a.describe() for a in adjustments] == [
        "usage discount of 100 units",
        "discount of 175.00",
        "15% discount",
        "minimum 50.00",
        "maximum 500.00",
    ]
    assert adjustments[2].applies_to("any_price")
    assert not adjustments[1].applies_to("price_other")


def test_adjustments_write_back_in_orbs_shape_and_read_again() -> None:
    adjustments = parse_adjustments(ORB_JSON)
    assert adjustments[1].to_orb() == {
        "adjustment_type": "amount_discount",
        "amount_discount": "175.00",
        "applies_to_price_ids": ["price_calls", "price_storage"],
        "is_invoice_level": True,
        "reason": "goodwill",
    }
    assert adjustments[2].to_orb() == {
        "adjustment_type": "percentage_discount",
        "percentage_discount": Decimal("0.15"),
        "applies_to_price_ids": [],
        "is_invoice_level": True,
        "applies_to_all": True,
    }
    assert parse_adjustments([a.to_orb() for a in adjustments]) == adjustments
    assert Adjustment.from_orb(adjustments[0].to_orb()) == adjustments[0]


def test_every_problem_is_listed_with_its_path() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_adjustment(
            {
                "adjustment_type": "percentage_discount",
                "percentage_discount": "1.5",
                "applies_to_price_ids": [],
                "is_invoice_level": False,
                "colour": "red",
            }
        )
    # Field types first; cross-field rules only once the fields are valid.
    assert paths(caught.value) == ["colour"]
    with pytest.raises(ValidationError) as caught:
        parse_adjustment(
            {
                "adjustment_type": "percentage_discount",
                "percentage_discount": "1.5",
                "applies_to_price_ids": [],
            }
        )
    assert [str(problem) for problem in caught.value.problems] == [
        "applies_to_price_ids: a price-level adjustment applies to exactly one price id, got 0",
        "percentage_discount: must be from 0 to 1 (0.1 is a 10% discount)",
    ]


def test_problems_in_a_list_are_reported_for_every_item_by_index() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_adjustments(
            [
                {
                    "adjustment_type": "minimum",
                    "minimum_amount": "-5",
                    "applies_to_price_ids": ["p"],
                },
                {"adjustment_type": "rebate"},
                "maximum",
                {"adjustment_type": "maximum", "applies_to_price_ids": ["p"]},
            ]
        )
    assert paths(caught.value) == ["0.minimum_amount", "1.adjustment_type", "2", "3.maximum_amount"]
    assert "unknown adjustment_type 'rebate'; known: usage_discount" in str(caught.value)


@pytest.mark.parametrize(
    ("scope", "path", "message"),
    [
        ({"applies_to_all": True}, "applies_to_all", "a price-level adjustment applies to one"),
        ({"applies_to_price_ids": ["a", "b"]}, "applies_to_price_ids", "exactly one price id"),
        ({"is_invoice_level": True}, "applies_to_price_ids", "needs price ids or applies_to_all"),
        (
            {"is_invoice_level": True, "applies_to_all": True, "applies_to_price_ids": ["a"]},
            "applies_to_all",
            "not both",
        ),
        (
            {"is_invoice_level": True, "applies_to_price_ids": ["a", "a"]},
            "applies_to_price_ids",
            "'a' is listed twice",
        ),
        ({"is_invoice_level": "yes", "applies_to_all": True}, "is_invoice_level", "boolean"),
        ({"applies_to_price_ids": "a"}, "applies_to_price_ids", "tuple"),
    ],
)
def test_the_scope_must_be_consistent(scope: dict[str, Any], path: str, message: str) -> None:
    body = {"adjustment_type": "amount_discount", "amount_discount": "5", **scope}
    with pytest.raises(ValidationError) as caught:
        parse_adjustment(body)
    assert paths(caught.value) == [path]
    assert message in caught.value.problems[0].message


def test_usage_discounts_apply_at_line_level_only() -> None:
    with pytest.raises(ValidationError, match=r"^is_invoice_level: usage discounts apply to one"):
        parse_adjustment(
            {
                "adjustment_type": "usage_discount",
                "usage_discount": 5,
                "is_invoice_level": True,
                "applies_to_all": True,
            }
        )


def test_floats_are_refused_and_text_is_read_exactly() -> None:
    with pytest.raises(FloatNotAllowedError, match=r"^percentage_discount: floats are not exact"):
        parse_adjustment(
            {
                "adjustment_type": "percentage_discount",
                "percentage_discount": 0.1,
                "applies_to_price_ids": ["p"],
            }
        )
    text = """{"adjustment_type": "usage_discount", "usage_discount": 2.5e1,
               "applies_to_price_ids": ["p"]}"""
    assert parse_adjustment(text).value == Decimal("25")


def test_input_that_is_not_an_object_or_not_json_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"^not JSON"):
        parse_adjustment("{")
    with pytest.raises(ValidationError, match="expected a JSON object, got list"):
        parse_adjustment("[]")
    with pytest.raises(ValidationError, match="expected a JSON array, got dict"):
        parse_adjustments("{}")
