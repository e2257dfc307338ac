"""The pure packages import no adapter, directly or through other orbcore modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import orbcore

SOURCE = Path(orbcore.__file__).parent.parent
FORBIDDEN = ("sqlalchemy", "httpx", "psycopg", "orbcore.storage", "requests", "aiohttp")

# The kernel and the domain: no I/O, no database or HTTP imports. ``orbcore.billing``'s
# service modules, which drive storage, are listed in BILLING_SERVICES and skipped.
PURE_PACKAGES = ("orbcore.money", "orbcore.calendar", "orbcore.pricing", "orbcore.events")
PURE_MODULES = (
    "orbcore._errors",
    "orbcore._clock",
    "orbcore._checks",
    "orbcore._api",
    "orbcore.webhooks._records",
)
BILLING_SERVICES: frozenset[str] = frozenset()


def module_file(name: str, root: Path = SOURCE) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def imports_of(name: str, root: Path = SOURCE) -> set[str]:
    """Absolute names of every module ``name`` imports (relative imports resolved)."""
    path = module_file(name, root)
    assert path is not None, name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def forbidden_reach(start: str, root: Path = SOURCE) -> dict[str, str]:
    """Forbidden modules reachable from ``start``, each with the module that imports it."""
    seen: set[str] = set()
    stack = [start]
    reached: dict[str, str] = {}
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for imported in imports_of(current, root):
            if imported.startswith(FORBIDDEN) or imported.split(".")[0] in FORBIDDEN:
                reached.setdefault(imported, current)
            elif imported.startswith("orbcore") and module_file(imported, root) is not None:
                stack.append(imported)
    return reached


def pure_modules() -> list[str]:
    names = list(PURE_MODULES)
    for package in (*PURE_PACKAGES, "orbcore.billing"):
        folder = SOURCE.joinpath(*package.split("."))
        names.append(package)
        names += [
            f"{package}.{path.stem}"
            for path in sorted(folder.glob("_*.py"))
            if path.name != "__init__.py" and f"{package}.{path.stem}" not in BILLING_SERVICES
        ]
    return names


@pytest.mark.parametrize("module", pure_modules())
def test_pure_modules_import_no_adapter(module: str) -> None:
    assert forbidden_reach(module) == {}


def test_the_check_catches_an_indirect_forbidden_import(tmp_path: Path) -> None:
    package = tmp_path / "orbcore"
    (package / "pricing").mkdir(parents=True)
    (package / "storage").mkdir()
    (package / "__init__.py").write_text("")
    (package / "storage" / "__init__.py").write_text("import sqlalchemy\n")
    (package / "pricing" / "__init__.py").write_text("from ._tiers import tier\n")
    (package / "pricing" / "_tiers.py").write_text("from .. import _helpers\n")
    (package / "_helpers.py").write_text("from orbcore.storage import thing\n")
    reached = forbidden_reach("orbcore.pricing", tmp_path)
    assert reached["orbcore.storage"] == "orbcore._helpers"
