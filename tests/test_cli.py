"""The ``orbcore`` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy

from orbcore._cli import main
from orbcore.storage import open_store


def test_the_demo_runs_as_a_module_on_a_sqlite_file_by_default(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orbcore", "demo"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "2024-01-31 -> 2024-02-29 -> 2024-03-31 -> 2024-04-30" in result.stdout
    assert "1.234,57\u00a0$" in result.stdout
    assert "2024-02-01T08:00:00+00:00" in result.stdout
    assert "DEMO-000002  2024-02-01  Acme Corp  issued  total 52,40\u00a0$" in result.stdout
    assert "Speicher (GB)      2024-01-01 .. 2024-02-01     18420  368,40\u00a0€" in result.stdout
    assert "running again: 0 created, 6 already there" in result.stdout
    assert (tmp_path / "orbcore.db").exists()


def test_running_the_demo_again_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/again.db"
    assert main(["demo", "--database", url]) == 0
    first = capsys.readouterr().out
    assert "billing run, 4 invoices created, 0 already there" in first
    assert main(["demo", "--database", url]) == 0
    second = capsys.readouterr().out
    assert "found from an earlier run" in second
    assert "158 events sent, 0 accepted, 158 duplicates" in second
    assert "billing run, 0 invoices created, 6 already there" in second
    assert first.split("invoices, amounts")[1] == second.split("invoices, amounts")[1]
    with open_store(url).unit_of_work() as uow:
        assert len(uow.invoices.list()) == 6
        assert len(uow.customers.list()) == 2


def test_the_demo_formats_for_the_requested_locale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--locale", "en_US", "--database", "memory://"]) == 0
    assert "$1,234.57" in capsys.readouterr().out


def test_a_bad_locale_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--locale", "xx_YY", "--database", "memory://"]) == 2
    assert "unknown locale 'xx_YY'" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("orbcore ")


def test_migrate_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert main(["migrate", "--database", url]) == 0
    assert "schema is up to date" in capsys.readouterr().out
    tables = sqlalchemy.inspect(sqlalchemy.create_engine(url)).get_table_names()
    assert "invoices" in tables


def test_migrate_reports_a_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--database", "mysql://x/y"]) == 2
    assert "no store for" in capsys.readouterr().err
