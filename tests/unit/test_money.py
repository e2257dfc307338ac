"""Money: exact amounts in one currency."""

from __future__ import annotations

import pickle
from decimal import Decimal
from fractions import Fraction

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import (
    CurrencyMismatchError,
    FloatNotAllowedError,
    Money,
    PrecisionError,
    RoundingMode,
    UnknownCurrencyError,
    ValidationError,
    to_decimal,
)
from orbcore.money._numbers import DECIMAL_PATTERN

amounts = st.decimals(
    allow_nan=False, allow_infinity=False, places=6, min_value=-(10**12), max_value=10**12
)


def test_building_money_from_a_float_raises() -> None:
    with pytest.raises(FloatNotAllowedError, match="floats are not exact"):
        Money(0.1, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["", " 1", "1 ", "1_000", "NaN", "Infinity", "-inf", "0x10", "1,5", "1.2.3", "abc", "١٢"],
)
def test_malformed_decimal_strings_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="amount"):
        Money(text, "USD")


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_decimals_are_refused(value: Decimal) -> None:
    with pytest.raises(ValidationError, match="not a finite number"):
        Money(value, "USD")


@pytest.mark.parametrize("value", [True, None, [1], b"1"])
def test_other_types_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        Money(value, "USD")  # type: ignore[arg-type]


def test_decimal_strings_go_in_and_come_out_without_exponents() -> None:
    assert Money("12.50", "USD").to_decimal_string() == "12.50"
    assert Money("1E+3", "USD").to_decimal_string() == "1000"
    assert Money("-0.00", "USD").to_decimal_string() == "0.00"
    assert str(Money("12.5", "EUR")) == "12.5 EUR"
    assert repr(Money("12.5", "EUR")) == "Money('12.5', 'EUR')"


def test_tenths_add_up_exactly() -> None:
    total = Money.sum([Money("0.1", "USD")] * 3, "USD")
    assert total == Money("0.3", "USD")
    assert Money("0.10", "USD") * 3 == Money("0.30", "USD")
    assert 3 * Money("0.10", "USD") == Money("0.3", "USD")


def test_twelve_and_more_significant_digits_stay_exact() -> None:
    big = Money("123456789012.345678901234567", "USD")
    assert (big + Money("0.000000000000001", "USD")).amount == Decimal(
        "123456789012.345678901234568"
    )
    assert (big * Decimal("1000000")).amount == Decimal("123456789012345678.901234567")


def test_an_operation_that_would_round_raises_instead() -> None:
    with pytest.raises(PrecisionError):
        Money("1E+900", "USD") + Money("1E-900", "USD")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_combining_two_currencies_raises(operation) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CurrencyMismatchError, match="USD and EUR"):
        operation(Money("1", "USD"), Money("1", "EUR"))


def test_amounts_in_different_currencies_are_never_equal() -> None:
    assert Money("1", "USD") != Money("1", "EUR")


def test_equal_amounts_with_different_scales_are_equal_and_hash_alike() -> None:
    assert Money("1.0", "USD") == Money("1.00", "USD")
    assert len({Money("1.0", "USD"), Money("1.00", "USD")}) == 1


@pytest.mark.parametrize("factor", [0.5, Money("2", "USD"), "2", True])
def test_multiplying_by_anything_but_an_exact_number_fails(factor: object) -> None:
    with pytest.raises(TypeError):
        Money("1", "USD") * factor  # type: ignore[operator]


def test_multiplying_by_a_float_says_why() -> None:
    with pytest.raises(FloatNotAllowedError, match="factor: floats are not exact"):
        Money("1", "USD") * 0.5  # type: ignore[operator]


def test_money_is_immutable() -> None:
    price = Money("1", "USD")
    with pytest.raises(AttributeError):
        price._amount = Decimal(2)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del price._currency


def test_unknown_currencies_are_refused() -> None:
    with pytest.raises(UnknownCurrencyError, match="did you mean 'USD'"):
        Money("1", "usd")


def test_rounding_uses_the_currency_minor_unit() -> None:
    assert Money("1234.5", "JPY").rounded() == Money("1235", "JPY")
    assert Money("1.23456", "KWD").rounded().to_decimal_string() == "1.235"
    assert Money("1.23456", "USD").rounded(RoundingMode.DOWN).to_decimal_string() == "1.23"
    assert Money("1.23", "USD").is_rounded
    assert not Money("1.235", "USD").is_rounded


def test_prorating_rounds_once_from_the_exact_fraction() -> None:
    assert Money("50.00", "USD").prorated(Fraction(17, 31)) == Money("27.42", "USD")
    assert Money("-50.00", "USD").prorated(Fraction(1, 8)) == Money("-6.25", "USD")
    assert Money("0.01", "USD").prorated(Fraction(1, 2)) == Money("0.01", "USD")
    assert Money("0.01", "USD").prorated(Fraction(1, 2), RoundingMode.HALF_EVEN) == Money(
        "0", "USD"
    )
    with pytest.raises(ValidationError, match="share"):
        Money("1", "USD").prorated(0.5)  # type: ignore[arg-type]


def test_sum_of_nothing_is_zero_in_the_given_currency() -> None:
    assert Money.sum([], "EUR") == Money.zero("EUR")
    with pytest.raises(CurrencyMismatchError):
        Money.sum([Money("1", "USD")], "EUR")


def test_dict_and_text_forms_round_trip() -> None:
    price = Money("19.990", "EUR")
    assert price.to_dict() == {"amount": "19.990", "currency": "EUR"}
    assert Money.from_dict(price.to_dict()) == price
    assert Money.parse(str(price)) == price
    assert pickle.loads(pickle.dumps(price)) == price


def test_malformed_dicts_report_every_problem() -> None:
    with pytest.raises(ValidationError, match="missing 'currency', unexpected 'amt'"):
        Money.from_dict({"amount": "1", "amt": "2"})
    with pytest.raises(ValidationError, match="'<amount> <currency>'"):
        Money.parse("12.50USD")


class Priced(pydantic.BaseModel):
    price: Money


def test_pydantic_fields_accept_money_dicts_and_text_and_dump_decimal_strings() -> None:
    model = Priced.model_validate_json('{"price": {"amount": "12.50", "currency": "USD"}}')
    assert model.price == Money("12.50", "USD")
    assert Priced(price="3 JPY").price == Money("3", "JPY")  # type: ignore[arg-type]
    assert model.model_dump_json() == '{"price":{"amount":"12.50","currency":"USD"}}'
    assert Priced.model_json_schema()["properties"]["price"]["properties"]["amount"] == {
        "type": "string",
        "pattern": DECIMAL_PATTERN,
    }


@pytest.mark.parametrize(
    "payload",
    [
        '{"price": {"amount": 12.5, "currency": "USD"}}',
        '{"price": {"amount": "12.5", "currency": "XYZ"}}',
        '{"price": 12.5}',
        '{"price": {"amount": "12.5"}}',
    ],
)
def test_pydantic_rejects_floats_and_bad_money(payload: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        Priced.model_validate_json(payload)


@given(amounts, amounts, amounts)
def test_addition_is_exact_associative_and_reversible(a: Decimal, b: Decimal, c: Decimal) -> None:
    x, y, z = Money(a, "USD"), Money(b, "USD"), Money(c, "USD")
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert (x + y) - y == x
    assert (x + y).amount == a + b


@given(amounts, st.integers(min_value=-(10**6), max_value=10**6))
def test_multiplication_matches_repeated_addition_sign_and_size(a: Decimal, n: int) -> None:
    product = Money(a, "USD") * n
    assert product.amount == a * n
    assert -product == Money(a, "USD") * -n
    assert abs(product) == abs(Money(a, "USD")) * abs(n)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e999999999", "is too large: more than 1,000 digits before the point"),
        ("1" * 1001, "is too large: more than 1,000 digits before the point"),
        ("1e-999999999", "has too many decimal places: more than 1,000"),
        ("0." + "0" * 1000 + "1", "has too many decimal places: more than 1,000"),
    ],
)
def test_to_decimal_refuses_numbers_too_long_to_write_out(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        to_decimal(text, field="amount")


def test_to_decimal_takes_numbers_of_up_to_a_thousand_digits_each_side() -> None:
    whole, places = "9" * 1000, "0." + "0" * 999 + "1"
    assert to_decimal(whole) == Decimal(whole)
    assert to_decimal(places) == Decimal(places)
    assert to_decimal("1e999") == Decimal(10) ** 999
    assert to_decimal("0e999999999") == 0  # zero at any exponent is just zero
