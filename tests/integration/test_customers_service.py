"""Customers on memory, SQLite and PostgreSQL: Orb's rules for ids, currency and zone.

The store holds Acme (``cus_1``, external id ``acme``, no currency, UTC).
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest

from orbcore import ConflictError, NotFoundError, ValidationError, VirtualClock
from orbcore.billing import Customer
from orbcore.services import Customers
from orbcore.storage import Query, Store, each

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def customers(store: Store) -> Customers:
    return Customers(store, VirtualClock(NOW))


def stored(store: Store) -> list[Customer]:
    with store.unit_of_work() as uow:
        return list(each(uow.customers, Query(limit=50)))


def paths(error: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str | int, ...]]:
    return {problem.path for problem in error.value.problems}


def test_a_customer_is_stored_with_every_field_and_found_by_either_id(
    customers: Customers,
) -> None:
    created = customers.create(
        "Globex",
        external_customer_id="globex",
        email="billing@globex.example",
        currency="EUR",
        timezone="Europe/Paris",
        billing_address={"line1": "1 Rue de Rivoli", "city": "Paris", "country": "FR"},
        tax_ids=[{"country": "FR", "type": "eu_vat", "value": "FR40303265045"}],
        metadata={"segment": "enterprise"},
        customer_id="cus_globex",
    )

    assert customers.fetch("cus_globex") == created
    assert customers.get("cus_globex") == created
    assert customers.fetch_by_external_id("globex") == created
    assert (created.name, created.email, created.currency, created.timezone) == (
        "Globex",
        "billing@globex.example",
        "EUR",
        "Europe/Paris",
    )
    assert created.billing_address == {
        "line1": "1 Rue de Rivoli",
        "city": "Paris",
        "country": "FR",
    }
    assert created.tax_ids == [{"country": "FR", "type": "eu_vat", "value": "FR40303265045"}]
    assert (created.metadata, created.created_at, created.revision) == (
        {"segment": "enterprise"},
        NOW,
        1,
    )


def test_a_customer_without_an_id_gets_a_cus_id_and_utc(customers: Customers) -> None:
    created = customers.create("Initech")

    assert re.fullmatch(r"cus_[0-9a-f]{32}", created.id)
    assert (created.timezone, created.currency, created.external_customer_id) == (
        "UTC",
        None,
        None,
    )
    assert customers.fetch(created.id) == created


def test_every_invalid_field_is_reported_with_its_path_and_nothing_is_stored(
    store: Store, customers: Customers
) -> None:
    with pytest.raises(ValidationError) as error:
        customers.create(
            "",
            email="not an email",
            currency="usd",
            timezone="Mars/Olympus_Mons",
            billing_address={"country": "France", "street": "x"},
            tax_ids=[{"country": "FR", "type": "eu_vat"}],
            metadata={"tier": 3},  # type: ignore[dict-item]
            customer_id="",
        )

    assert paths(error) == {
        ("name",),
        ("email",),
        ("currency",),
        ("timezone",),
        ("billing_address", "country"),
        ("billing_address", "street"),
        ("tax_ids", 0, "value"),
        ("metadata", "tier"),
        ("customer_id",),
    }
    assert "did you mean 'USD'?" in str(error.value)
    assert [c.id for c in stored(store)] == ["cus_1"]


def test_a_taken_external_id_or_customer_id_is_a_conflict(
    store: Store, customers: Customers
) -> None:
    with pytest.raises(ConflictError, match="'acme' belongs to 'cus_1'"):
        customers.create("Acme again", external_customer_id="acme")
    with pytest.raises(ConflictError, match="cus_1"):
        customers.create("Acme again", customer_id="cus_1")

    assert [c.id for c in stored(store)] == ["cus_1"]


def test_the_time_zone_is_fixed_once_set_but_the_same_one_may_be_sent(
    customers: Customers,
) -> None:
    customer = customers.create("Hooli", timezone="America/Los_Angeles")

    same = customers.update(customer.id, timezone="America/Los_Angeles")
    with pytest.raises(ValidationError) as error:
        customers.update(customer.id, timezone="America/New_York", name="Hooli Inc")

    assert same == customer  # nothing changed: nothing stored, same revision
    assert paths(error) == {("timezone",)}
    assert customers.fetch(customer.id) == customer  # the name did not change either


def test_a_currency_can_be_set_once_and_then_not_changed_or_cleared(customers: Customers) -> None:
    with_currency = customers.update("cus_1", currency="EUR")

    with pytest.raises(ValidationError) as changed:
        customers.update("cus_1", currency="USD")
    with pytest.raises(ValidationError) as cleared:
        customers.update("cus_1", currency=None)

    assert (with_currency.currency, with_currency.revision) == ("EUR", 2)
    assert paths(changed) == paths(cleared) == {("currency",)}
    assert customers.fetch("cus_1").currency == "EUR"


def test_an_external_id_is_set_while_empty_and_must_be_free(customers: Customers) -> None:
    customer = customers.create("Umbrella", customer_id="cus_umbrella")

    with pytest.raises(ConflictError, match="belongs to 'cus_1'"):
        customers.update(customer.id, external_customer_id="acme")
    named = customers.update(customer.id, external_customer_id="umbrella")
    with pytest.raises(ValidationError) as error:
        customers.update(customer.id, external_customer_id="umbrella-corp")

    assert named.external_customer_id == "umbrella"
    assert paths(error) == {("external_customer_id",)}
    assert customers.fetch_by_external_id("umbrella").id == "cus_umbrella"


def test_metadata_is_merged_and_a_null_value_removes_its_key(customers: Customers) -> None:
    customers.update("cus_1", metadata={"plan": "gold", "region": "eu"})

    merged = customers.update("cus_1", metadata={"region": None, "owner": "ana"})
    cleared = customers.update("cus_1", metadata=None)

    assert merged.metadata == {"plan": "gold", "owner": "ana"}
    assert (cleared.metadata, cleared.revision) == ({}, 4)


def test_an_update_changes_only_what_it_names_and_can_clear_optional_fields(
    customers: Customers,
) -> None:
    customer = customers.create(
        "Stark", email="a@stark.example", billing_address={"city": "NYC", "country": "US"}
    )

    updated = customers.update(customer.id, name="Stark Industries", billing_address=None)
    cleared = customers.update(customer.id, email=None, tax_ids=[])

    assert (updated.name, updated.email, updated.billing_address) == (
        "Stark Industries",
        "a@stark.example",
        None,
    )
    assert (cleared.email, cleared.name, cleared.revision) == (None, "Stark Industries", 3)


def test_unknown_or_invalid_update_fields_are_refused_before_reading(
    customers: Customers,
) -> None:
    with pytest.raises(ValidationError) as error:
        customers.update("cus_nobody", nickname="x", created_at=NOW, email="@", metadata=[])

    assert paths(error) == {("nickname",), ("created_at",), ("email",), ("metadata",)}


def test_an_update_at_a_stale_revision_is_a_conflict(customers: Customers) -> None:
    customers.update("cus_1", name="Acme Corp")

    with pytest.raises(ConflictError, match="revision 2, not 1"):
        customers.update("cus_1", expected_revision=1, name="ACME")

    assert customers.fetch("cus_1").name == "Acme Corp"


def test_missing_customers_are_not_found(customers: Customers) -> None:
    with pytest.raises(NotFoundError):
        customers.fetch("cus_nobody")
    with pytest.raises(NotFoundError, match="nobody"):
        customers.fetch_by_external_id("nobody")
    with pytest.raises(NotFoundError):
        customers.update("cus_nobody", name="x")


def test_customers_are_listed_by_filter_a_page_at_a_time(customers: Customers) -> None:
    for n in range(3):
        customers.create(f"Shop {n}", currency="USD", customer_id=f"cus_shop_{n}")

    first = customers.list(Query(where={"currency": "USD"}, limit=2))
    assert first.next_cursor is not None
    rest = customers.list(Query(where={"currency": "USD"}, limit=2, after=first.next_cursor))

    assert [c.id for c in (*first.items, *rest.items)] == [
        "cus_shop_0",
        "cus_shop_1",
        "cus_shop_2",
    ]
    assert rest.next_cursor is None
    assert len(customers.list()) == 4


def test_racing_creations_of_one_external_id_store_one_customer(
    store: Store, customers: Customers
) -> None:
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def create(n: int) -> None:
        barrier.wait()
        try:
            customers.create(f"Racer {n}", external_customer_id="racer")
        except ConflictError:
            outcomes.append("conflict")
        else:
            outcomes.append("created")

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "created"]
    assert [c.external_customer_id for c in stored(store)].count("racer") == 1
