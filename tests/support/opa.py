"""The OPA contract's example input, shared by the policy tests and the lockdown tests."""

from __future__ import annotations

from typing import Any

# The contract's example: an FTMO 2-Step bot, a clean EURUSD buy on Wednesday 14 June 2017,
# 08:05 UTC. Allowed; the binding limit is the constitution's 3 % of the day's starting balance.
CONTRACT_INPUT: dict[str, Any] = {
    "signal": {
        "signal_id": "fx-vip:18423:0",
        "source": "fx-vip",
        "symbol": "EURUSD",
        "direction": "BUY",
        "order_type": "MARKET",
        "entry": 1.1208,
        "stop_loss": 1.1175,
        "take_profits": [1.124, 1.127],
        "ts_event": 1497427511000,
        "regime": "TREND",
        "confidence": 0.62,
        "stale": False,
        "implausible": False,
        "wrong_side_stop": False,
        "no_market_data": False,
    },
    "bot": {
        "bot_id": "ftmo-eu-1",
        "cell_id": "ftmo",
        "rule_set": "ftmo_2step",
        "allowed_symbols": ["EURUSD", "XAUUSD"],
        "strategy_card": "follow",
        "allowed_cards": [],
        "status": "ACTIVE",
        "mode": "PAPER",
    },
    "account": {
        "currency": "USD",
        "initial_balance": 100000,
        "balance": 99000,
        "equity": 98800,
        "day_start_balance": 99500,
        "peak_equity": 101000,
        "open_positions": 2,
        "open_risk": 900,
        "holds_weekend_positions": False,
    },
    "order": {"risk_amount": 500, "risk_pct": 0.506, "reduces_exposure": False},
    "breaker": {"mode": "NONE"},
    "time": {"ts": 1497427511000, "weekday": 2, "hour_utc": 8, "minute_utc": 5},
}
