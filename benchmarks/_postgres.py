"""A throwaway PostgreSQL schema for one benchmark run."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy


def fresh_postgres(url: str) -> tuple[str, Callable[[], None]]:
    """A URL whose connections use a new, empty schema, and a function that drops it."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-c%20search_path%3D{schema}", drop
