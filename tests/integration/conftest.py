"""The store the service tests run on: each backend in turn, with one customer, Acme
(``cus_1``, external id ``acme``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orbcore.billing import Customer
from orbcore.storage import Store, open_store

CREATED = datetime(2024, 2, 1, 13, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend holding the customer Acme, closed afterwards."""
    if request.param == "memory":
        opened = open_store("memory://")
    elif request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path}/services.db")
    else:
        opened = open_store(request.getfixturevalue("fresh_postgres_url"))
    with opened.unit_of_work() as uow:
        uow.customers.add(
            Customer(id="cus_1", name="Acme", created_at=CREATED, external_customer_id="acme")
        )
        uow.commit()
    yield opened
    opened.close()
