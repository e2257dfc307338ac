"""Currencies: ISO 4217 minor units and custom pricing units."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision

from orbcore import (
    Currency,
    CurrencyMismatchError,
    CurrencyRegistry,
    Money,
    UnknownCurrencyError,
    ValidationError,
)
from orbcore.money import default_registry, get_currency


@pytest.mark.parametrize(
    ("code", "minor_units"),
    [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_iso_currencies_have_their_iso_minor_units(code: str, minor_units: int) -> None:
    currency = get_currency(code)
    assert currency.minor_units == minor_units
    assert currency.is_iso
    assert currency.quantum == Decimal(1).scaleb(-minor_units)


def test_minor_units_come_from_iso_not_from_cldr_display_digits() -> None:
    # CLDR (and so babel) shows Iraqi dinars with no decimals; ISO 4217 says 3.
    assert get_currency_precision("IQD") == 0
    assert get_currency("IQD").minor_units == 3


def test_the_registry_holds_every_active_iso_code_and_only_well_formed_ones() -> None:
    iso = [currency for currency in default_registry if currency.is_iso]
    assert len(iso) >= 150
    assert all(len(c.code) == 3 and c.code.isupper() and c.code.isalpha() for c in iso)
    assert all(0 <= c.minor_units <= 4 for c in iso)
    assert "XAU" not in default_registry  # no minor unit in ISO 4217


def test_an_unknown_code_raises() -> None:
    with pytest.raises(UnknownCurrencyError, match="unknown currency 'ABC'"):
        CurrencyRegistry().get("ABC")


def test_custom_units_carry_their_own_precision() -> None:
    registry = CurrencyRegistry()
    credits = registry.register("credits", 4)
    assert not credits.is_iso
    assert registry.get("credits") is credits
    assert Money("1.23456", credits).rounded() == Money("1.2346", credits)


def test_registering_the_same_unit_twice_is_a_no_op() -> None:
    registry = CurrencyRegistry()
    assert registry.register("tokens", 0) == registry.register("tokens", 0)


@pytest.mark.parametrize(
    ("code", "minor_units", "message"),
    [
        ("USD", 2, "ISO 4217"),
        ("usd", 2, "ISO 4217 currency USD"),
        ("", 2, "not a valid unit name"),
        ("9lives", 2, "not a valid unit name"),
        ("has space", 2, "not a valid unit name"),
        ("x" * 33, 2, "not a valid unit name"),
        ("credits", -1, "minor_units"),
        ("credits", 19, "minor_units"),
        ("credits", True, "minor_units"),
    ],
)
def test_bad_registrations_are_refused(code: str, minor_units: int, message: str) -> None:
    registry = CurrencyRegistry()
    with pytest.raises(ValidationError, match=message):
        registry.register(code, minor_units)
    assert code not in registry or code == "USD"
    assert len(registry) == len(CurrencyRegistry())


def test_a_unit_cannot_change_its_precision() -> None:
    registry = CurrencyRegistry()
    registry.register("credits", 4)
    with pytest.raises(ValidationError, match="already registered with 4"):
        registry.register("credits", 2)
    assert registry.get("credits").minor_units == 4


def test_concurrent_registrations_agree() -> None:
    registry = CurrencyRegistry()
    results: list[Currency] = []
    barrier = threading.Barrier(8)

    def register() -> None:
        barrier.wait()
        results.append(registry.register("seats", 0))

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len({id(result) for result in results}) == 1


def test_custom_units_and_currencies_do_not_mix() -> None:
    registry = CurrencyRegistry()
    credits = registry.register("credits", 4)
    with pytest.raises(CurrencyMismatchError):
        Money("1", credits) + Money("1", "USD")


def test_same_named_units_from_two_registries_explain_the_mismatch() -> None:
    mine = CurrencyRegistry().register("credits", 4)
    theirs = CurrencyRegistry().register("credits", 2)
    with pytest.raises(CurrencyMismatchError, match="different registries"):
        Money("1", mine) + Money("1", theirs)
