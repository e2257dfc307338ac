"""Helpers for presenting orbcore's curated public API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

__all__ = ["publish"]


def publish(namespace: Mapping[str, object], module: str) -> None:
    """Make the exported names of ``namespace`` report ``module`` as their home.

    ``repr`` and tracebacks then show ``orbcore.Money`` rather than the private module
    it is defined in.
    """
    names = cast("list[str]", namespace["__all__"])
    for name in names:
        obj = namespace[name]
        home = getattr(obj, "__module__", None)
        if isinstance(home, str) and home.startswith(module + "."):
            try:
                setattr(obj, "__module__", module)  # noqa: B010  # types and functions alike
            except (AttributeError, TypeError):
                continue
