"""Pricing: rating usage under Orb's price models. Pure: no I/O, no storage, no clock.

Build a :class:`Price` from Orb-shaped JSON (``model_type`` + ``<model_type>_config``),
evaluate it on a quantity or a :class:`Usage`, and get a :class:`PriceResult`: an exact,
unrounded amount with sub-lines that add up to it.
"""

from orbcore._api import publish
from orbcore.pricing._batch import BatchResult, CurvePoint, evaluate_batch, price_curve
from orbcore.pricing._core import (
    BulkConfig,
    BulkTier,
    MatrixConfig,
    MatrixValue,
    PackageConfig,
    Tier,
    TieredConfig,
    UnitConfig,
)
from orbcore.pricing._event_family import (
    EventOutputConfig,
    MinimumCompositeConfig,
    PercentConfig,
)
from orbcore.pricing._model import MODELS, PriceConfig, price_model
from orbcore.pricing._price import Price, parse_price
from orbcore.pricing._result import PriceResult, SubLine, Usage

__all__ = [
    "BatchResult",
    "BulkConfig",
    "BulkTier",
    "CurvePoint",
    "EventOutputConfig",
    "MODELS",
    "MatrixConfig",
    "MatrixValue",
    "MinimumCompositeConfig",
    "PackageConfig",
    "PercentConfig",
    "Price",
    "PriceConfig",
    "PriceResult",
    "SubLine",
    "Tier",
    "TieredConfig",
    "UnitConfig",
    "Usage",
    "evaluate_batch",
    "parse_price",
    "price_curve",
    "price_model",
]

publish(globals(), __name__)
