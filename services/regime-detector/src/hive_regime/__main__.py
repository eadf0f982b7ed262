"""Entry point: `python -m hive_regime`."""

from __future__ import annotations

from hive.config import load_settings
from hive.runtime.service import run_service
from hive.topics import MARKET_REGIMES, SIGNALS_SCORED
from hive_regime.detector import RegimeDetector
from hive_regime.service import INPUTS, Scorer, make_handler
from hive_regime.settings import RegimeSettings


def main() -> int:
    settings = load_settings(RegimeSettings)
    try:
        detector = RegimeDetector(settings.regime_config())
    except ValueError as exc:
        raise SystemExit(f"invalid regime configuration: {exc}") from None
    scorer = Scorer(detector, settings.regime_wait_horizon_ms)
    # Models refit on a schedule counted from each symbol's first bar: replaying the consumed
    # bars at start-up gives back the same models, bit for bit.
    return run_service(
        settings, INPUTS, [MARKET_REGIMES, SIGNALS_SCORED], make_handler(scorer), restore_state=True
    )


if __name__ == "__main__":
    raise SystemExit(main())
