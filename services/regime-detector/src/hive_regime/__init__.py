"""Trading Hive regime detector: per-symbol Gaussian HMM regimes on event time (no Kafka)."""

from hive_regime.config import RegimeConfig
from hive_regime.detector import RegimeDetector, RegimeInputError, RegimePoint, RegimeStats
from hive_regime.features import FEATURE_NAMES, FeatureRow, FeatureTracker, feature_rows
from hive_regime.model import (
    REGIMES,
    RegimeFitError,
    RegimeModel,
    fit_model,
    map_labels,
    observations,
)

__all__ = [
    "FEATURE_NAMES",
    "REGIMES",
    "FeatureRow",
    "FeatureTracker",
    "RegimeConfig",
    "RegimeDetector",
    "RegimeFitError",
    "RegimeInputError",
    "RegimeModel",
    "RegimePoint",
    "RegimeStats",
    "feature_rows",
    "fit_model",
    "map_labels",
    "observations",
]
