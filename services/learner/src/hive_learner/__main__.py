"""Entry point: `python -m hive_learner` (wiring only: settings, learner, handler, runtime)."""

from __future__ import annotations

from hive.config import load_settings
from hive.runtime.service import run_service
from hive_learner.learner import Learner
from hive_learner.service import INPUTS, OUTPUTS, TABLES, make_handler, start_restoring
from hive_learner.settings import LearnerSettings
from hive_learner.store import ModelStore


def main() -> int:
    settings = load_settings(LearnerSettings)
    learner = Learner(settings.learner_config(), ModelStore(settings.model_store))
    analyzer = settings.weakness_analyzer()
    return run_service(
        settings,
        INPUTS,
        OUTPUTS,
        make_handler(learner, analyzer),
        restore_state=True,
        tables=TABLES,
        after_restore=start_restoring(learner, analyzer),
    )


if __name__ == "__main__":
    raise SystemExit(main())
