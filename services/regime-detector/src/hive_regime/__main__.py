"""Entry point: `python -m hive_regime` (wiring only: settings, detector, scorer, runtime)."""

from __future__ import annotations

from hive.config import load_settings
from hive.runtime.service import run_service
from hive_regime.detector import RegimeDetector
from hive_regime.service import INPUTS, OUTPUTS, Scorer, make_handler
from hive_regime.settings import RegimeSettings


def main() -> int:
    settings = load_settings(RegimeSettings)
    scorer = Scorer(RegimeDetector(settings.regime_config()), settings.regime_wait_horizon_ms)
    # Models refit on a schedule counted from each symbol's first bar: replaying the consumed
    # bars at start-up gives back the same models, bit for bit.
    return run_service(settings, INPUTS, OUTPUTS, make_handler(scorer), restore_state=True)


if __name__ == "__main__":
    raise SystemExit(main())
