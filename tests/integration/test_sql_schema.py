"""Migrations build exactly the schema the table definitions describe."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from orbcore import StorageError, ValidationError
from orbcore.storage import open_store
from orbcore.storage.sql import SqlStore, metadata
from orbcore.storage.sql._migrate import VERSION_TABLE


def differences(engine: sqlalchemy.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        diff = compare_metadata(context, metadata)
    return list(diff)


def primary_keys_named(engine: sqlalchemy.Engine) -> bool:
    """Whether every table's primary key has the name the naming convention gives it,
    which comparing with the table definitions does not check."""
    inspector = sqlalchemy.inspect(engine)
    names = {table: inspector.get_pk_constraint(table)["name"] for table in metadata.tables}
    assert names == {table: f"pk_{table}" for table in metadata.tables}
    return True


def test_sqlite_migrations_match_the_tables(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path}/schema.db")
    assert differences(store.engine) == []
    assert primary_keys_named(store.engine)
    tables = set(sqlalchemy.inspect(store.engine).get_table_names())
    assert tables == set(metadata.tables) | {VERSION_TABLE}
    store.close()


@pytest.mark.postgres
def test_postgres_migrations_match_the_tables(fresh_postgres_url: str) -> None:
    store = SqlStore(fresh_postgres_url)
    assert differences(store.engine) == []
    assert primary_keys_named(store.engine)
    with store.engine.connect() as connection:
        partitioned = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM pg_partitioned_table")
        ).scalar_one()
    assert partitioned == 0  # events is one table, unique by key
    store.close()


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/twice.db"
    SqlStore(url).close()
    store = SqlStore(url)
    assert differences(store.engine) == []
    store.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path}/wal.db")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


def test_urls_pick_the_adapter(tmp_path: Path) -> None:
    assert open_store("memory://").url == "memory://"
    assert open_store(f"sqlite:///{tmp_path}/a.db").url.endswith("a.db")
    with pytest.raises(ValidationError, match="no store for"):
        open_store("mysql://localhost/db")


def test_an_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="cannot migrate") as caught:
        SqlStore("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert isinstance(caught.value.__cause__, sqlalchemy.exc.SQLAlchemyError)


def test_passwords_are_hidden_in_the_url() -> None:
    store = SqlStore("postgresql+psycopg://user:secret@127.0.0.1:1/db", migrate=False)
    assert "secret" not in store.url
    assert "secret" not in repr(store)
