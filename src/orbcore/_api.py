"""Helpers for presenting orbcore's curated public API."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["publish"]


def publish(namespace: Mapping[str, object], module: str) -> None:
    """Make the exported names of ``namespace`` report ``module`` as their home.

    ``repr`` and tracebacks then show ``orbcore.Money`` rather than the private module
    it is defined in.
    """
    for name in namespace.get("__all__", ()):
        obj = namespace[name]
        home = getattr(obj, "__module__", None)
        if isinstance(home, str) and home.startswith(module + "."):
            try:
                obj.__module__ = module  # type: ignore[attr-defined]
            except (AttributeError, TypeError):
                continue
