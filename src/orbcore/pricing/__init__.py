"""Pricing: rating usage under Orb's price models. Pure: no I/O, no storage, no clock.

Build a :class:`Price` from Orb-shaped JSON (``model_type`` + ``<model_type>_config``),
evaluate it on a quantity or a :class:`Usage`, and get a :class:`PriceResult`: an exact,
unrounded amount with sub-lines that add up to it.
"""

from orbcore._api import publish
from orbcore.pricing._allowances import DailyCreditAllowanceConfig, MeteredAllowanceConfig
from orbcore.pricing._batch import BatchResult, CurvePoint, evaluate_batch, price_curve
from orbcore.pricing._bps import (
    BpsConfig,
    BpsTier,
    BulkBpsConfig,
    BulkBpsTier,
    TieredBpsConfig,
)
from orbcore.pricing._conventions import (
    FlatFeeTier,
    OrbcoreGraduatedConfig,
    OrbcorePackageConfig,
    OrbcoreVolumeConfig,
)
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
from orbcore.pricing._cumulative_family import (
    CumulativeBulkRate,
    CumulativeGroupedAllocationConfig,
    CumulativeGroupedBulkConfig,
)
from orbcore.pricing._event_family import (
    EventOutputConfig,
    MinimumCompositeConfig,
    PercentConfig,
)
from orbcore.pricing._grouped_family import (
    GroupedAllocationConfig,
    GroupedTier,
    GroupedTieredConfig,
    GroupedTieredPackageConfig,
    GroupedWithMinMaxThresholdsConfig,
    GroupedWithProratedMinimumConfig,
    MaxGroupTieredPackageConfig,
    PerPackageTier,
)
from orbcore.pricing._matrix_discounts import (
    GroupedTieredMatrixConfig,
    MatrixValueTier,
    MatrixWithThresholdDiscountsConfig,
    ThresholdDiscountGroup,
    ThresholdMatrixValue,
)
from orbcore.pricing._matrix_family import (
    DisplayNameAmount,
    MatrixScalingFactor,
    MatrixWithAllocationConfig,
    MatrixWithDisplayNameConfig,
    ScalableMatrixWithTieredPricingConfig,
    ScalableMatrixWithUnitPricingConfig,
)
from orbcore.pricing._metered_minimum import (
    GroupedWithMeteredMinimumConfig,
    PricingValueAmount,
    ScalingFactor,
)
from orbcore.pricing._model import MODELS, PriceConfig, price_model
from orbcore.pricing._price import Price, parse_price
from orbcore.pricing._result import PriceResult, SubLine, Usage
from orbcore.pricing._tiered_family import (
    ConsumptionThreshold,
    PackageTier,
    PackageTierWithMinimum,
    ThresholdTotalAmountConfig,
    TieredPackageConfig,
    TieredPackageWithMinimumConfig,
    TieredWithMinimumConfig,
    TierWithMinimum,
)
from orbcore.pricing._transaction_fees import OrbcorePercentageConfig
from orbcore.pricing._unit_variants import (
    BulkWithFiltersConfig,
    BulkWithProrationConfig,
    EventFilter,
    PackageWithAllocationConfig,
    ProrationTier,
    TieredWithProrationConfig,
    UnitWithPercentConfig,
    UnitWithProrationConfig,
    VolumeTier,
)

__all__ = [
    "BatchResult",
    "BpsConfig",
    "BpsTier",
    "BulkBpsConfig",
    "BulkBpsTier",
    "BulkConfig",
    "BulkTier",
    "BulkWithFiltersConfig",
    "BulkWithProrationConfig",
    "ConsumptionThreshold",
    "CumulativeBulkRate",
    "CumulativeGroupedAllocationConfig",
    "CumulativeGroupedBulkConfig",
    "CurvePoint",
    "DailyCreditAllowanceConfig",
    "DisplayNameAmount",
    "EventFilter",
    "EventOutputConfig",
    "FlatFeeTier",
    "GroupedAllocationConfig",
    "GroupedTier",
    "GroupedTieredConfig",
    "GroupedTieredMatrixConfig",
    "GroupedTieredPackageConfig",
    "GroupedWithMeteredMinimumConfig",
    "GroupedWithMinMaxThresholdsConfig",
    "GroupedWithProratedMinimumConfig",
    "MODELS",
    "MatrixConfig",
    "MatrixScalingFactor",
    "MatrixValue",
    "MatrixValueTier",
    "MatrixWithAllocationConfig",
    "MatrixWithDisplayNameConfig",
    "MatrixWithThresholdDiscountsConfig",
    "MaxGroupTieredPackageConfig",
    "MeteredAllowanceConfig",
    "MinimumCompositeConfig",
    "OrbcoreGraduatedConfig",
    "OrbcorePackageConfig",
    "OrbcorePercentageConfig",
    "OrbcoreVolumeConfig",
    "PackageConfig",
    "PackageTier",
    "PackageTierWithMinimum",
    "PackageWithAllocationConfig",
    "PerPackageTier",
    "PercentConfig",
    "Price",
    "PriceConfig",
    "PriceResult",
    "PricingValueAmount",
    "ProrationTier",
    "ScalableMatrixWithTieredPricingConfig",
    "ScalableMatrixWithUnitPricingConfig",
    "ScalingFactor",
    "SubLine",
    "ThresholdDiscountGroup",
    "ThresholdMatrixValue",
    "ThresholdTotalAmountConfig",
    "Tier",
    "TierWithMinimum",
    "TieredBpsConfig",
    "TieredConfig",
    "TieredPackageConfig",
    "TieredPackageWithMinimumConfig",
    "TieredWithMinimumConfig",
    "TieredWithProrationConfig",
    "UnitConfig",
    "UnitWithPercentConfig",
    "UnitWithProrationConfig",
    "Usage",
    "VolumeTier",
    "evaluate_batch",
    "parse_price",
    "price_curve",
    "price_model",
]

publish(globals(), __name__)
