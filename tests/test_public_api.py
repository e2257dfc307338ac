"""The public API is curated: private modules behind sorted ``__all__`` lists."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import orbcore

PACKAGE_ROOT = Path(orbcore.__file__).parent
PUBLIC_PACKAGES = sorted(
    ["orbcore"]
    + [
        f"orbcore.{info.name}"
        for info in pkgutil.iter_modules([str(PACKAGE_ROOT)])
        if info.ispkg and not info.name.startswith("_")
    ]
)


def test_the_expected_subpackages_exist() -> None:
    for name in ("pricing", "billing", "events", "storage", "money", "calendar"):
        assert f"orbcore.{name}" in PUBLIC_PACKAGES


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_all_is_sorted_and_every_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    names = module.__all__
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name), f"{package}.{name} is exported but missing"


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_exported_classes_and_functions_name_their_public_home(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__ in PUBLIC_PACKAGES, f"{package}.{name}: {obj.__module__}"
            assert "._" not in obj.__module__


def test_the_top_level_names_show_as_orbcore() -> None:
    assert repr(orbcore.Money) == "<class 'orbcore.Money'>"
    assert orbcore.BillingSchedule.__module__ == "orbcore"


def test_every_module_is_private_unless_it_is_a_package() -> None:
    for path in PACKAGE_ROOT.rglob("*.py"):
        relative = path.relative_to(PACKAGE_ROOT)
        if path.name in ("__init__.py", "__main__.py"):
            continue
        if any(part.startswith("_") for part in relative.parts[:-1]):
            continue  # inside a private folder (Alembic's scripts keep their own names)
        assert path.name.startswith("_"), f"{relative} should be private"


def test_there_is_one_version_string() -> None:
    from importlib.metadata import version

    assert orbcore.__version__ == version("orbcore")
    assert (PACKAGE_ROOT / "py.typed").exists()
