"""Every example in docs/ and in docstrings runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import orbcore

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(orbcore.__path__, "orbcore.")
    if not info.name.endswith("__main__") and "._migrations" not in info.name
)


def test_the_docs_exist() -> None:
    names = {path.name for path in DOCS}
    assert {"index.md", "money.md", "calendar.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.name)
def test_doc_examples_run(path: Path) -> None:
    result = doctest.testfile(str(path), module_relative=False, optionflags=FLAGS, verbose=False)
    assert result.failed == 0


# Docstring examples leave out the imports a reader already has in mind.
COMMON_NAMES = {
    "UTC": UTC,
    "Decimal": Decimal,
    "Fraction": Fraction,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
    "ZoneInfo": ZoneInfo,
}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    names = {**COMMON_NAMES, **{n: getattr(module, n) for n in getattr(module, "__all__", [])}}
    result = doctest.testmod(module, extraglobs=names, optionflags=FLAGS, verbose=False)
    assert result.failed == 0
