"""Trading Hive learner: calibrated win probability and expected R from closed trades, safe
promotion, model lineage.

Releases are read without torch by `hive.winprob.load_release` (the risk gate does).
"""

from hive_learner.learner import Learner, LearnerConfig
from hive_learner.promotion import PromotionRules
from hive_learner.store import ModelStore
from hive_learner.train import TrainConfig
from hive_learner.trigger import TriggerRules

__all__ = [
    "Learner",
    "LearnerConfig",
    "ModelStore",
    "PromotionRules",
    "TrainConfig",
    "TriggerRules",
]
