"""Properties of the gate over any account state, signal and policy answer (hypothesis).

- No intent risks more than the constitution's 5 % of equity, nor the `max_risk_pct` the
  policy gives for the bot's profile, nor the day's remaining loss headroom; recomputed here
  from the intent's own quantity, levels and the catalogue where the conversion is exact.
- SAFE_MODE / HALTED never yield an intent; REDUCED_CAPACITY at most half the budget;
  SHADOW_MODE intents are shadow; denials always carry reasons; quantities are lot multiples.
- Exits (orders that reduce exposure) are always allowed.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive.bots import from_record
from hive.instruments import load_instruments
from hive_risk_gate import (
    AccountState,
    CardBook,
    CardLoader,
    ModelInfo,
    ScoredSignal,
    decide,
    decide_exit,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SCORED: dict[str, Any] = json.loads((ROOT / "schemas/examples/signals_scored.json").read_text())
BOT_RECORD: dict[str, Any] = json.loads((ROOT / "schemas/examples/registry_bots.json").read_text())
DECISIONS = fastavro.parse_schema(
    json.loads((ROOT / "schemas/avro/orders_decisions.avsc").read_text())
)
INTENTS = fastavro.parse_schema(json.loads((ROOT / "schemas/avro/orders_intents.avsc").read_text()))
CAT = load_instruments()
LOADER = CardLoader()
SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "USDCHF", "EURJPY", "EURGBP", "XAUUSD", "US30", "BTCUSD"]
MODES = ["NONE", "REDUCED_CAPACITY", "SHADOW_MODE", "SAFE_MODE", "HALTED", "UNKNOWN"]
PROFILES = {"constitution": (5.0, 3.0), "ftmo_2step": (2.0, 5.0), "strict": (1.0, 1.5)}
CONSTITUTION_PCT = 5.0
EPS = 1e-9


def profile_policy(inp: dict[str, Any]) -> dict[str, Any]:
    """The bot's profile limits as the policies give them (per-position cap, daily headroom)."""
    acct, bot, mode = inp["account"], inp["bot"], inp["breaker"]["mode"]
    max_pos, daily_pct = PROFILES[bot["rule_set"]]
    used = max(0.0, acct["day_start_balance"] - acct["equity"]) + acct["open_risk"]
    headroom = daily_pct / 100 * acct["initial_balance"] - used
    deny = []
    if not inp["order"]["reduces_exposure"]:
        if headroom <= 0:
            deny.append("profile.daily_loss_headroom")
        if inp["signal"]["confidence"] < 0.4:
            deny.append("constitution.min_confidence")
        if mode in ("SAFE_MODE", "HALTED"):
            deny.append("breaker." + mode.lower())
    return {
        "allow": not deny,
        "reasons": deny,
        "max_risk_pct": max(0.0, min(max_pos, headroom / acct["equity"] * 100)),
        "size_multiplier": 0.5 if mode == "REDUCED_CAPACITY" else 1.0,
        "shadow": mode == "SHADOW_MODE",
        "bundle_version": "profile-fake",
    }


@st.composite
def situations(draw: st.DrawFn) -> dict[str, Any]:
    symbol = draw(st.sampled_from(SYMBOLS))
    inst = CAT[symbol]
    price = draw(st.floats(inst.price_min, inst.price_max))
    direction = draw(st.sampled_from(["BUY", "SELL"]))
    sign = 1 if direction == "BUY" else -1
    sl_frac = draw(st.floats(2e-4, 0.05))
    entry = draw(st.one_of(st.none(), st.just(price)))
    width = draw(st.floats(0, 0.003))
    ranged = draw(st.booleans()) and entry is not None
    market = price * (1 + draw(st.floats(-0.004, 0.004)))
    stop = price * (1 - sign * sl_frac)
    signal = copy.deepcopy(SCORED)
    signal["signal"].update(
        symbol=symbol,
        direction=direction,
        order_type="MARKET"
        if entry is None
        else draw(st.sampled_from(["MARKET", "LIMIT", "STOP"])),
        entry=entry,
        entry_low=price * (1 - width) if ranged else None,
        entry_high=price * (1 + width) if ranged else None,
        stop_loss=stop,
        take_profits=[price * (1 + sign * sl_frac * 2)],
    )
    signal["market"].update(
        price=draw(st.one_of(st.none(), st.just(market))), pip_size=inst.pip_size
    )
    signal["regime"] = draw(st.sampled_from(["CALM", "TREND", "CHAOS", "UNKNOWN"]))
    initial = draw(st.floats(1_000, 2_000_000))
    equity = initial * draw(st.floats(0.85, 1.2))
    state = AccountState(
        currency=draw(st.sampled_from(["USD", "EUR", "GBP", "JPY"])),
        initial_balance=initial,
        balance=equity,
        equity=equity,
        day_start_balance=equity * draw(st.floats(0.97, 1.06)),
        peak_equity=max(initial, equity),
        open_positions=draw(st.integers(0, 5)),
        open_risk=equity * draw(st.floats(0, 0.04)),
        sequence=1,
    )
    bot = from_record(
        dict(
            BOT_RECORD,
            account_size=initial,
            account_currency=state.currency,
            rule_set=draw(st.sampled_from(sorted(PROFILES))),
            risk_per_trade=draw(st.floats(0.0001, 0.05)),
            strategy_card="follow",
            strategy_parameters={"prior": repr(draw(st.floats(0, 1)))},
            allowed_symbols=[],
        )
    )
    confidence = draw(st.one_of(st.none(), st.floats(0, 1)))
    return {
        "signal": signal,
        "bot": bot,
        "account": state,
        "mode": draw(st.sampled_from(MODES)),
        "model": None
        if confidence is None
        else ModelInfo("win-prob", "0001", lambda _f: confidence),
        "rates": draw(st.sampled_from([None, {"USDJPY": 150.0, "GBPUSD": 1.3, "EURUSD": 1.1}])),
    }


def exact_risk(intent: dict[str, Any], signal: dict[str, Any], currency: str) -> float | None:
    """Money at risk of the intent, recomputed from its quantity and levels, where the
    conversion needs no outside rate; None otherwise."""
    inst = CAT[intent["symbol"]]
    sl = intent["stop_loss"]
    levels = [intent["entry"], intent["entry_low"], intent["entry_high"]]
    if intent["order_type"] == "MARKET" or signal["signal"]["entry"] is None:
        levels.append(signal["market"]["price"])
    levels = [x for x in levels if x is not None]
    worst = max(abs(x - sl) for x in levels)
    if inst.quote_currency == currency:
        rate = 1.0
    elif inst.symbol == currency + inst.quote_currency:
        rate = 1.0 / min([*levels, sl])
    else:
        return None
    return intent["quantity"] * worst * inst.contract_size * rate


def check(
    result: Any, case: dict[str, Any], max_risk_pct: float | None, policy_shadow: bool = False
) -> None:
    d, i = result.decision, result.intent
    assert validate(d, DECISIONS, raise_errors=True)
    if i is None:
        assert not d["allowed"] and d["reasons"]
        return
    assert validate(i, INTENTS, raise_errors=True)
    equity = case["account"].equity
    mode = d["breaker_mode"]
    assert mode not in ("SAFE_MODE", "HALTED")
    limit_pct = min(CONSTITUTION_PCT, case["bot"].risk_per_trade)
    if max_risk_pct is not None:
        limit_pct = min(limit_pct, max_risk_pct)
    if mode == "REDUCED_CAPACITY":
        limit_pct /= 2
    limit = equity * limit_pct / 100 * (1 + EPS) + 1e-6  # amounts carry 6 decimals
    assert 0 < i["risk_amount"] <= limit
    exact = exact_risk(i, case["signal"], case["bot"].account_currency)
    if exact is not None:
        assert exact <= limit
        assert math.isclose(exact, i["risk_amount"], rel_tol=1e-9, abs_tol=1e-6)
    assert i["quantity"] >= 0.01 and math.isclose(i["quantity"], round(i["quantity"], 2))
    assert i["shadow"] is (mode == "SHADOW_MODE" or policy_shadow)
    assert i["shadow_reason"] == ("BREAKER" if i["shadow"] else "NONE")
    assert d["confidence_used"] >= 0.4  # below the constitution's minimum nothing trades


SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(case=situations(), deny_style=st.booleans())
def test_no_intent_exceeds_the_constitution_or_the_profile(
    case: dict[str, Any], deny_style: bool
) -> None:
    asked: list[dict[str, Any]] = []

    def policy(inp: dict[str, Any]) -> dict[str, Any]:
        out = profile_policy(inp)
        if deny_style and inp["order"]["risk_pct"] > out["max_risk_pct"] + 1e-6:
            # Like the Rego: an order above the cap is denied (the gate resizes and asks again).
            out = dict(out, allow=False, reasons=["profile.max_risk_per_trade"])
        asked.append(out)
        return out

    result = decide(
        case["signal"],
        case["bot"],
        account=case["account"],
        breaker_mode=case["mode"],
        model=case["model"],
        cards=CardBook(LOADER),
        policy=policy,
        rates=case["rates"],
    )
    check(result, case, min(a["max_risk_pct"] for a in asked) if asked else None)
    assert len(asked) <= 2
    if result.intent is not None:
        # Within the day's loss headroom of the profile (the stop hit costs no more than it).
        acct = case["account"]
        _, daily_pct = PROFILES[case["bot"].rule_set]
        used = max(0.0, acct.day_start_balance - acct.equity) + acct.open_risk
        headroom = daily_pct / 100 * acct.initial_balance - used
        assert result.intent["risk_amount"] <= headroom * (1 + EPS) + 1e-6


policy_answers = st.fixed_dictionaries(
    {
        "allow": st.booleans(),
        "reasons": st.lists(st.sampled_from(["a.b", "c.d", "breaker.shadow_mode"]), max_size=2),
        "max_risk_pct": st.floats(0, 1e6),
        "size_multiplier": st.floats(0, 1),
        "shadow": st.booleans(),
        "bundle_version": st.just("any"),
    }
)


@SETTINGS
@given(case=situations(), answer=policy_answers)
def test_no_policy_answer_can_push_a_size_past_the_constitution(
    case: dict[str, Any], answer: dict[str, Any]
) -> None:
    result = decide(
        case["signal"],
        case["bot"],
        account=case["account"],
        breaker_mode=case["mode"],
        model=case["model"],
        cards=CardBook(LOADER),
        policy=lambda _inp: answer,
        rates=case["rates"],
    )
    if result.intent is not None:
        assert answer["allow"]
    check(result, case, answer["max_risk_pct"], policy_shadow=answer["shadow"])


@SETTINGS
@given(
    case=situations(),
    answer=st.one_of(policy_answers, st.none(), st.just("raise")),
    status=st.sampled_from(["ACTIVE", "PAUSED", "LOCKED"]),
)
def test_exits_are_always_allowed(case: dict[str, Any], answer: Any, status: str) -> None:
    def policy(_inp: dict[str, Any]) -> Any:
        if answer == "raise":
            raise ConnectionError("OPA down")
        return answer

    bot = case["bot"].model_copy(update={"status": status})
    result = decide_exit(
        ScoredSignal.from_record(case["signal"]), bot, case["account"], case["mode"], policy
    )
    assert result.allowed and result.intent is None
    assert result.reasons[0] == "exit.always_allowed"
    assert validate(result.decision, DECISIONS, raise_errors=True)
