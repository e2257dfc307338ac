"""The SQL adapter: SQLAlchemy Core on SQLite (the embedded default) or PostgreSQL."""

from orbcore._api import publish
from orbcore.storage.sql._migrate import upgrade
from orbcore.storage.sql._store import SqlStore, SqlUnitOfWork
from orbcore.storage.sql._tables import metadata

__all__ = ["SqlStore", "SqlUnitOfWork", "metadata", "upgrade"]

publish(globals(), __name__)
