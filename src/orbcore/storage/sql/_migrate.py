"""Schema migrations: Alembic scripts shipped in the package, applied by one call."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from orbcore._errors import StorageError

__all__ = ["VERSION_TABLE", "alembic_config", "upgrade"]

VERSION_TABLE = "orbcore_schema_version"
"""Where the applied revision is kept; named so it never clashes with a host's Alembic."""

_SCRIPTS = Path(__file__).parent / "_migrations"
_LOCK_ID = 0x6F7262636F7266  # advisory lock id that serialises migrations on PostgreSQL


def alembic_config() -> Config:
    """An Alembic configuration pointing at orbcore's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("version_table", VERSION_TABLE)
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision``. Safe to run from several processes.

    Raises:
        StorageError: the database refused a migration.
    """
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot migrate the database: {exc}") from exc
