"""The base of every price configuration, and the registry of model types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict

from orbcore._errors import Problem
from orbcore.pricing._result import PriceResult, Usage, quick_usage

__all__ = ["MODELS", "PriceConfig", "price_model"]


class PriceConfig(BaseModel):
    """The ``<model_type>_config`` of a price: validated, immutable, and able to rate.

    Subclasses declare Orb's fields and implement :meth:`evaluate`; ``model_type`` is set
    by :func:`price_model`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
    model_type: ClassVar[str] = ""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, as pydantic makes it, without values cached from the original's fields
        (tier tables, rate maps), which the copy's own fields may no longer match."""
        copied = super().model_copy(update=update, deep=deep)
        for kind in type(self).__mro__:
            for name, attribute in vars(kind).items():
                if isinstance(attribute, cached_property):
                    copied.__dict__.pop(name, None)
        return copied

    def problems(self) -> list[Problem]:
        """Problems that span fields (overlapping tiers, say), with paths inside the
        config. Field types are checked before this runs."""
        return []

    def evaluate(self, usage: Usage) -> PriceResult:
        """The exact amount for ``usage``, with sub-lines that sum to it."""
        raise NotImplementedError

    def evaluate_quantity(self, quantity: Decimal) -> PriceResult:
        """:meth:`evaluate` of ``Usage(quantity)``, for a quantity already checked.

        Rating a bare quantity is the hot path of scalar pricing: models that read only
        the quantity override this to skip building a :class:`Usage`, and then make their
        :meth:`evaluate` call it, so that the two cannot disagree.
        """
        return self.evaluate(quick_usage(quantity))


C = TypeVar("C", bound=type[PriceConfig])

MODELS: dict[str, type[PriceConfig]] = {}
"""Every model type orbcore can rate, by Orb's ``model_type`` name."""


def price_model(model_type: str) -> Callable[[C], C]:
    """Register a configuration class under Orb's ``model_type`` name."""

    def register(cls: C) -> C:
        cls.model_type = model_type
        MODELS[model_type] = cls
        return cls

    return register
