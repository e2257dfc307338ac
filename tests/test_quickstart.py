"""The README's quick start has exactly two commands, and CI runs the test one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- quickstart -->\n```sh\n(.*?)```\n<!-- /quickstart -->", readme, re.S)
    assert block is not None, "README.md has no quick start block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_quick_start_has_exactly_two_commands() -> None:
    run, test = quickstart_commands()
    assert "orbcore demo" in run
    assert "pytest" in test


def test_ci_runs_the_readme_test_command_with_postgres_required() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    _, test = quickstart_commands()
    assert test in ci.splitlines()
    assert ci.index("ORBCORE_REQUIRE_POSTGRES=1") < ci.index(test)
    assert "mypy --strict src" in ci
    assert "ruff check" in ci
