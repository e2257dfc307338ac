"""The scripts in examples/ run and print what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=cwd
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_pricing_experiment_compares_two_prices(tmp_path: Path) -> None:
    out = run(str(EXAMPLES / "pricing_experiment.py"), cwd=tmp_path)
    assert "customers: 10,000" in out
    assert "revenue under the candidate price: $" in out


def test_ingesting_twice_stores_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/example.db"
    out = run(str(EXAMPLES / "ingest_usage.py"), url, cwd=tmp_path)
    assert "first send: {'accepted': 5, 'duplicate': 0, 'rejected': 0}" in out
    assert "retry: {'accepted': 0, 'duplicate': 5, 'rejected': 0}" in out
    assert "batch rejected = True" in out
    assert "bytes sent in the last hour: 5120" in out


def test_importing_a_file_twice_stores_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/example.db"
    out = run(str(EXAMPLES / "import_events.py"), url, cwd=tmp_path)
    assert "10,000 lines: 9,997 accepted, 0 duplicates, 3 rejected" in out
    assert "10,000 lines: 0 accepted, 9,997 duplicates, 3 rejected" in out
    assert "timestamp: needs a time zone offset" in out
    assert "line 31: is not valid JSON" in out
