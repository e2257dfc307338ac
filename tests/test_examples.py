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


def test_a_year_of_billing_ends_with_nothing_more_due(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/year.db"
    out = run(str(EXAMPLES / "year_of_billing.py"), url, cwd=tmp_path)
    # Alpha: January to September in advance, then October's final usage invoice. Fees
    # 9 x (49 + 3 x 12) = 765.00; usage 40 calls a local day, the first 1,000 a month
    # free, then 0.02: 4.80 in 31-day months, 4.00 in 30, 3.20 in February = 39.20;
    # California tax 7.25% rounded per line: 9 x (3.55 + 2.61) + 5 x 0.35 + 0.23 +
    # 3 x 0.29 = 58.29; 765.00 + 39.20 + 58.29 = 862.49.
    assert "Alpha Inc: 10 invoices, $862.49 in 2024" in out
    # Beta: twelve regular invoices and the two of its immediate upgrade on March 10.
    assert "Beta LLC: 14 invoices, $2,828.57 in 2024" in out
    # Gamma: twelve regular invoices and one for the seats added on May 20.
    assert "Gamma Co: 13 invoices, $1,536.39 in 2024" in out
    assert "Alpha's subscription: ended, ended 2024-10-01 07:00 UTC" in out
    assert "Beta's plan: pln_pro" in out
    assert "billing again: 0 created, 37 already there" in out
