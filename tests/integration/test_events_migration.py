"""Migration 0004: events stored in the earlier shape (a key register beside an events
table, partitioned by month on PostgreSQL) move into one table unique by key, and back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command

from orbcore.events import Event, validate_event
from orbcore.storage import AddOutcome
from orbcore.storage.sql import SqlStore
from orbcore.storage.sql._migrate import alembic_config, upgrade
from orbcore.storage.sql._tables import events
from orbcore.storage.sql._types import UtcDateTime

NOW = datetime(2024, 3, 10, tzinfo=UTC)
_KEYS = sqlalchemy.Table(
    "event_keys",
    sqlalchemy.MetaData(),
    sqlalchemy.Column("idempotency_key", sqlalchemy.String(255)),
    sqlalchemy.Column("body_hash", sqlalchemy.Text),
    sqlalchemy.Column("timestamp", UtcDateTime),
)


def _event(n: int, **changes: object) -> Event:
    sent = {
        "idempotency_key": f"evt {n}",
        "event_name": "api_call",
        # January, February and March: three partitions in the earlier shape.
        "timestamp": (datetime(2024, 1, 20, tzinfo=UTC) + timedelta(days=n * 11)).isoformat(),
        "external_customer_id": f"ext_{n % 2}",
        "properties": {"bytes": Decimal(n * 100), "price": Decimal("0.25"), "ok": n % 2 == 0},
    } | changes
    valid, problems = validate_event(sent)
    assert valid is not None, problems
    return valid.record(NOW)


STORED = [_event(n) for n in range(6)]


def _downgrade(engine: sqlalchemy.Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _store_the_earlier_way(engine: sqlalchemy.Engine) -> None:
    """Schema 0003 with ``STORED`` in it, as that version wrote them."""
    upgrade(engine, "0003")
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for month in (1, 2, 3):
                connection.exec_driver_sql(
                    f"CREATE TABLE events_2024_{month:02d} PARTITION OF events FOR VALUES"
                    f" FROM ('2024-{month:02d}-01 00:00:00+00')"
                    f" TO ('2024-{month + 1:02d}-01 00:00:00+00')"
                )
        columns = [column.name for column in events.columns]
        connection.execute(
            events.insert(), [{name: getattr(e, name) for name in columns} for e in STORED]
        )
        connection.execute(
            _KEYS.insert(),
            [
                {
                    "idempotency_key": e.idempotency_key,
                    "body_hash": e.body_hash,
                    "timestamp": e.timestamp,
                }
                for e in STORED
            ],
        )


def _tables(engine: sqlalchemy.Engine) -> set[str]:
    return set(sqlalchemy.inspect(engine).get_table_names())


def _partitioned(engine: sqlalchemy.Engine) -> bool:
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'events'::regclass"
        ).scalar_one()
    return bool(found)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrating.db"
    else:
        yield request.getfixturevalue("fresh_postgres_url")


def test_events_move_into_one_table_unique_by_key_and_back(url: str) -> None:
    store = SqlStore(url, migrate=False)
    engine = store.engine
    try:
        _store_the_earlier_way(engine)
        store.migrate()
        assert "event_keys" not in _tables(engine)
        primary = sqlalchemy.inspect(engine).get_pk_constraint("events")
        assert (primary["name"], primary["constrained_columns"]) == (
            "pk_events",
            ["idempotency_key"],
        )
        if engine.dialect.name == "postgresql":
            assert not _partitioned(engine)
        with store.unit_of_work() as uow:
            assert uow.events.find_many([e.idempotency_key for e in STORED]) == {
                e.idempotency_key: e for e in STORED
            }
            # The moved keys still decide: the same body is a duplicate, another a
            # conflict, a new key goes in.
            again = [STORED[0], _event(1, properties={"bytes": 1}), _event(99)]
            assert uow.events.add_many(again) == [
                AddOutcome.DUPLICATE,
                AddOutcome.CONFLICT,
                AddOutcome.INSERTED,
            ]
            uow.commit()

        _downgrade(engine, "0003")
        assert "event_keys" in _tables(engine)
        with engine.connect() as connection:
            keys = {row[0]: row[1] for row in connection.execute(sqlalchemy.select(_KEYS))}
            count = connection.execute(
                sqlalchemy.select(sqlalchemy.func.count()).select_from(events)
            )
            assert count.scalar_one() == len(STORED) + 1
        assert keys == {e.idempotency_key: e.body_hash for e in [*STORED, _event(99)]}
        primary = sqlalchemy.inspect(engine).get_pk_constraint("events")
        assert primary["name"] == "pk_events"
        assert primary["constrained_columns"] == ["timestamp", "idempotency_key"]
        if engine.dialect.name == "postgresql":
            assert _partitioned(engine)

        store.migrate()  # and up again, with what the way down kept
        with store.unit_of_work() as uow:
            found = uow.events.find_many([e.idempotency_key for e in [*STORED, _event(99)]])
        assert found == {e.idempotency_key: e for e in [*STORED, _event(99)]}
    finally:
        store.close()
