"""``open_store``: a connection URL picks the adapter."""

from __future__ import annotations

from orbcore._errors import ValidationError
from orbcore.storage._ports import Store

__all__ = ["DEFAULT_URL", "open_store"]

DEFAULT_URL = "sqlite:///orbcore.db"
"""The embedded default: a SQLite file in the working directory."""


def open_store(url: str = DEFAULT_URL, *, migrate: bool = True) -> Store:
    """Open the store at ``url``.

    Args:
        url: ``memory://``, ``sqlite:///path/to/file.db`` or a PostgreSQL URL such as
            ``postgresql+psycopg://user@host:5432/db``.
        migrate: bring a SQL database's schema up to date first (the default).

    Raises:
        ValidationError: a URL no adapter understands.
        StorageError: the database cannot be reached or migrated.
    """
    if not isinstance(url, str):
        raise ValidationError.at(("url",), f"expected a URL string, got {url!r}")
    if url == "memory://" or url.startswith("memory:"):
        from orbcore.storage.memory import MemoryStore

        return MemoryStore()
    scheme = url.partition(":")[0].partition("+")[0]
    if scheme in ("sqlite", "postgresql", "postgres"):
        from orbcore.storage.sql import SqlStore

        return SqlStore(url, migrate=migrate)
    raise ValidationError.at(
        ("url",), f"no store for {url!r}: use memory://, sqlite:/// or postgresql+psycopg://"
    )
