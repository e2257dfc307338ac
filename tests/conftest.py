"""Test-wide settings: exact decimals only, Hypothesis without deadlines, PostgreSQL."""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Tests never assert on wall-clock time, so Hypothesis must not either.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

POSTGRES_URL_VARIABLE = "ORBCORE_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "ORBCORE_REQUIRE_POSTGRES"


def _postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_VARIABLE, "") not in ("", "0")


@pytest.fixture(autouse=True)
def _no_floats_in_decimals() -> Iterator[None]:
    """Trap FloatOperation: any float that meets a Decimal fails the test."""
    context = decimal.getcontext()
    before = context.traps[decimal.FloatOperation]
    context.traps[decimal.FloatOperation] = True
    yield
    context.traps[decimal.FloatOperation] = before


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The SQLAlchemy URL of a PostgreSQL database to test against.

    Skips without ``ORBCORE_TEST_POSTGRES_URL``; fails instead when
    ``ORBCORE_REQUIRE_POSTGRES`` is set (as in CI).
    """
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        message = f"{POSTGRES_URL_VARIABLE} is not set"
        if _postgres_required():
            pytest.fail(message + f" but {REQUIRE_POSTGRES_VARIABLE} is")
        pytest.skip(message)
    return url


class _PostgresTally:
    passed = 0
    not_run: list[str] = []  # noqa: RUF012  # one tally per session


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" not in report.keywords:
        return
    if report.when == "call" and report.passed:
        _PostgresTally.passed += 1
    elif report.skipped:
        _PostgresTally.not_run.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _postgres_required() or session.config.option.collectonly:
        return
    if _PostgresTally.not_run or _PostgresTally.passed == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = (
            f"{REQUIRE_POSTGRES_VARIABLE} is set but {len(_PostgresTally.not_run)} PostgreSQL "
            f"test(s) were skipped and {_PostgresTally.passed} passed"
        )
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[object]:
    """A SQLAlchemy engine on the test PostgreSQL database, session time zone UTC."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres_url, connect_args={"options": "-c TimeZone=UTC"})
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.OperationalError as exc:
        engine.dispose()
        message = f"cannot connect to PostgreSQL at {postgres_url}: {exc}"
        if _postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_postgres_url(postgres_url: str, postgres_engine: Any) -> Iterator[str]:
    """A URL whose connections use a new, empty schema, dropped after the test."""
    import uuid

    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with postgres_engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options=-c%20search_path%3D{schema}"
    with postgres_engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
