"""Values no store can keep exactly are refused with ``ValidationError``, storing nothing."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from orbcore import ValidationError
from orbcore.storage import COLLECTIONS, Store

from .factories import FACTORIES, customer, event, invoice
from .helpers import add, fetch, is_datetime, key_of, repository, save, save_parents

NAMES = list(COLLECTIONS)


def refuse_to_add(store: Store, name: str, record: Any) -> None:
    save_parents(store, name, record)
    with store.unit_of_work() as uow, pytest.raises(ValidationError):
        add(uow, name, record)
    assert fetch(store, name, key_of(name, record)) is None


@pytest.mark.parametrize("name", NAMES)
def test_a_naive_datetime_is_refused(store: Store, name: str) -> None:
    field = next(f for f in COLLECTIONS[name].fields if is_datetime(name, f))
    refuse_to_add(store, name, FACTORIES[name](**{field: datetime(2024, 1, 1, 12)}))


def test_a_naive_datetime_is_refused_in_an_update(store: Store) -> None:
    record = customer()
    save(store, "customers", record)
    naive = dataclasses.replace(record, created_at=datetime(2024, 1, 1, 12))
    with store.unit_of_work() as uow, pytest.raises(ValidationError):
        repository(uow, "customers").update(naive)
    assert fetch(store, "customers", record.id) == record


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("invoices", {"total": 1.5}),
        ("invoices", {"total": Decimal("NaN")}),
        ("events", {"properties": {"bytes": 1.5}}),
        ("customers", {"billing_address": {"geo": {"lat": 52.5}}}),
        ("customers", {"tax_ids": [{"since": datetime(2024, 1, 1)}]}),
    ],
    ids=["float-amount", "nan-amount", "float-property", "nested-float", "datetime-in-json"],
)
def test_inexact_amounts_and_non_json_documents_are_refused(
    store: Store, name: str, fields: dict[str, Any]
) -> None:
    refuse_to_add(store, name, FACTORIES[name](**fields))


def test_a_float_in_an_invoice_line_is_refused(store: Store) -> None:
    record = invoice()
    line = dataclasses.replace(record.lines[0], amount=0.1)
    refuse_to_add(store, "invoices", dataclasses.replace(record, lines=(line,)))


def test_a_float_in_an_event_batch_is_refused(store: Store) -> None:
    with store.unit_of_work() as uow, pytest.raises(ValidationError):
        uow.events.add_many([event(), event(properties={"bytes": 2.5})])
