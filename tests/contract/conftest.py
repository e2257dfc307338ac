"""The contract cases run on every backend in BACKENDS, through the public ports only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orbcore.storage import Store, open_store

BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Backend names the ``store`` fixture is parametrized with."""


def make_store(backend: str, request: pytest.FixtureRequest) -> Store:
    """A new, empty store of ``backend`` for one test.

    Each backend has a branch here. One on a file or a server takes what it needs from
    ``request``: ``request.getfixturevalue("tmp_path")`` for a SQLite file such as
    ``sqlite:///{tmp_path}/t.db``, or ``request.getfixturevalue("postgres_url")`` for a
    PostgreSQL database, which must be emptied before each test.

    Args:
        backend: one of :data:`BACKENDS`.
        request: the requesting test's fixture request.

    Raises:
        pytest.skip.Exception: no branch knows ``backend``.
    """
    if backend == "memory":
        return open_store("memory://")
    if backend == "sqlite":
        return open_store(f"sqlite:///{request.getfixturevalue('tmp_path')}/contract.db")
    if backend == "postgres":
        return open_store(request.getfixturevalue("fresh_postgres_url"))
    pytest.skip(f"no contract backend named {backend!r}")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """An empty store of each backend in turn, closed after the test."""
    opened = make_store(request.param, request)
    yield opened
    opened.close()
