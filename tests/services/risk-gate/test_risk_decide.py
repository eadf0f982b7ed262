"""The decision: card, sizing, conflict, policy (a fake with a few rules), guards and records."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from hive.bots import Bot, from_record, load_bots
from hive_risk_gate import (
    AccountState,
    CardBook,
    CardLoader,
    ModelInfo,
    RiskGate,
    ScoredSignal,
    SignalInputError,
    decide,
    decide_exit,
    read_policy_output,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def _json(path: str) -> Any:
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


DECISIONS = fastavro.parse_schema(_json("schemas/avro/orders_decisions.avsc"))
INTENTS = fastavro.parse_schema(_json("schemas/avro/orders_intents.avsc"))
SCORED: dict[str, Any] = _json("schemas/examples/signals_scored.json")
SNAPSHOT: dict[str, Any] = _json("schemas/examples/accounts_snapshots.json")
BOT_RECORD: dict[str, Any] = _json("schemas/examples/registry_bots.json")
CONTRACT = (ROOT / "policies/CONTRACT.md").read_text(encoding="utf-8")
CONTRACT_INPUT, CONTRACT_OUTPUT = (
    json.loads(block) for block in re.findall(r"```json\n(.*?)```", CONTRACT, re.DOTALL)[:2]
)

PROFILES = {  # rule set -> (max risk per position %, daily loss % of initial balance)
    "constitution": (5.0, 3.0),
    "ftmo_2step": (2.0, 5.0),
    "strict": (1.0, 1.5),
}


class FakePolicy:
    """A few of the policies' rules, per CONTRACT.md; records what it was asked."""

    def __init__(self, version: str = "fake-1") -> None:
        self.version = version
        self.calls: list[dict[str, Any]] = []

    def __call__(self, inp: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(inp)
        sig, bot, acct, order = inp["signal"], inp["bot"], inp["account"], inp["order"]
        mode = inp["breaker"]["mode"]
        max_pos, daily_pct = PROFILES[bot["rule_set"]]
        used = max(0.0, acct["day_start_balance"] - acct["equity"]) + acct["open_risk"]
        headroom = daily_pct / 100 * acct["initial_balance"] - used
        max_risk = max(0.0, min(max_pos, headroom / acct["equity"] * 100))
        deny: list[str] = []
        if not order["reduces_exposure"]:
            if bot["status"] != "ACTIVE":
                deny.append("bot.not_active")
            if bot["allowed_symbols"] and sig["symbol"] not in bot["allowed_symbols"]:
                deny.append("allowlist.symbol")
            if sig["confidence"] < 0.4:
                deny.append("constitution.min_confidence")
            if headroom <= 0:  # otherwise the headroom caps the size through max_risk_pct
                deny.append("profile.daily_loss_headroom")
            if mode in ("SAFE_MODE", "HALTED"):
                deny.append(f"breaker.{mode.lower()}")
        info = {
            "REDUCED_CAPACITY": ["breaker.reduced_capacity"],
            "SHADOW_MODE": ["breaker.shadow_mode"],
        }
        return {
            "allow": not deny,
            "reasons": sorted(deny) if deny else info.get(mode, []),
            "max_risk_pct": max_risk,
            "size_multiplier": 0.5 if mode == "REDUCED_CAPACITY" else 1.0,
            "shadow": mode == "SHADOW_MODE",
            "limits": {"daily_loss_pct": daily_pct, "max_risk_per_position_pct": max_pos},
            "bundle_version": self.version,
        }


def make_bot(**fields: Any) -> Bot:
    record = dict(BOT_RECORD, strategy_card="follow", strategy_parameters={})
    record.update(fields)
    return from_record(record)


def scored(**sig: Any) -> dict[str, Any]:
    record = copy.deepcopy(SCORED)
    regime = sig.pop("regime", None)
    if regime:
        record["regime"] = regime
    record["signal"].update(sig)
    return record


def run(
    record: dict[str, Any] | None = None,
    bot: Bot | None = None,
    *,
    account: Any = None,
    mode: str = "NONE",
    model: ModelInfo | None = None,
    policy: Any = None,
    cards: CardBook | None = None,
) -> Any:
    return decide(
        record or SCORED,
        bot or make_bot(),
        account=account,
        breaker_mode=mode,
        model=model,
        cards=cards or CardBook(CardLoader()),
        policy=policy or FakePolicy(),
    )


def check_records(result: Any) -> None:
    assert validate(result.decision, DECISIONS, raise_errors=True)
    if result.intent is not None:
        assert validate(result.intent, INTENTS, raise_errors=True)
    assert result.decision["allowed"] is (result.intent is not None)
    if not result.decision["allowed"]:
        assert result.decision["reasons"], "a denial carries at least one reason"


# ---- an approved order --------------------------------------------------------------------------
def test_an_approved_signal_gives_a_decision_and_an_intent() -> None:
    policy = FakePolicy()
    result = run(account=SNAPSHOT, policy=policy)
    check_records(result)
    d, i = result.decision, result.intent
    assert d["allowed"] and d["reasons"] == []
    expected_oid = "o-" + hashlib.sha256(b"fx-vip:18423:0|ftmo-eurusd-01").hexdigest()[:24]
    assert expected_oid == "o-263ac0bef87beaff1eb4f2a6"  # the schema example's
    assert d["event_id"] == "fx-vip:18423:0:r0:ftmo-eurusd-01"
    assert d["order_id"] == i["order_id"] == expected_oid
    assert i["event_id"] == expected_oid + ":r0" and i["decision_event_id"] == d["event_id"]
    assert d["ts_event"] == d["ts_init"] == i["ts_event"] == i["ts_init"] == SCORED["ts_event"]
    assert d["policy_bundle_version"] == i["policy_bundle_version"] == "fake-1"
    assert (d["confidence_used"], d["confidence_source"], d["model_version"]) == (
        0.5,
        "PRIOR",
        None,
    )
    assert d["breaker_mode"] == i["breaker_mode"] == "NONE"
    assert d["equity_used"] == SNAPSHOT["equity"]
    assert (i["side"], i["order_type"], i["stop_loss"]) == ("BUY", "MARKET", 1.1175)
    assert i["take_profits"] == [1.124, 1.127, 1.13] and sum(i["tp_fractions"]) == pytest.approx(1)
    assert (i["mode"], i["venue"], i["shadow"], i["shadow_reason"]) == (
        "PAPER",
        "paper",
        False,
        "NONE",
    )
    assert i["quantity"] == d["approved_size"] > 0
    assert i["risk_amount"] == d["risk_amount"]
    # 1 % of equity x confidence scale 0.5833 (prior 0.5), stop 34.2 pips from the market price.
    budget = SNAPSHOT["equity"] * 0.01 * (0.5 + 0.5 * 0.1 / 0.6)
    assert i["risk_amount"] <= budget
    assert i["quantity"] == pytest.approx(budget / (0.00342 * 100_000) // 0.01 * 0.01)
    assert d["requested_size"] == pytest.approx(SNAPSHOT["equity"] * 0.01 / 342 // 0.01 * 0.01)
    assert i["features"] == {
        **{k: SCORED["signal"][k] for k in ("source", "symbol", "direction", "order_type")},
        "signal_time": SCORED["signal"]["timestamp"],
        "parser_confidence": 0.97,
        "regime": "TREND",
        "regime_probabilities": SCORED["regime_probabilities"],
        "regime_model_version": "hmm-EURUSD-H1-0042",
        "sl_atr": 3.683,
        "sl_pips": 33.0,
        "rr": 0.97,
        "tp_count": 3,
        "atr14": 0.000896,
        "spread_pips": 0.8,
        "realised_vol": 0.0005465,
        "session": "LONDON",
        "hour_utc": 8,
        "day_of_week": 3,
        "stale": False,
        "implausible": False,
    }
    assert d["details"]["fx_source"] == "same_currency"
    assert d["details"]["sl_pips"] == "34.2"
    assert len(policy.calls) == 1


def _shape(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items()}
    return (
        type(node).__name__
        if not isinstance(node, int | float) or isinstance(node, bool)
        else "number"
    )


def test_the_policy_input_is_the_contracts() -> None:
    policy = FakePolicy()
    run(account=SNAPSHOT, policy=policy)
    asked = policy.calls[0]
    shape = _shape(asked)
    # Same keys at every level; the same kinds of values (nulls aside).
    assert shape == _shape(CONTRACT_INPUT)
    assert asked["signal"]["confidence"] == 0.5  # the trading confidence, not the parser's
    assert asked["time"] == {"ts": SCORED["ts_event"], "weekday": 2, "hour_utc": 8, "minute_utc": 5}
    assert asked["order"]["reduces_exposure"] is False
    assert asked["order"]["risk_pct"] == pytest.approx(
        asked["order"]["risk_amount"] / SNAPSHOT["equity"] * 100
    )
    assert asked["account"]["equity"] == SNAPSHOT["equity"]
    assert asked["bot"]["strategy_card"] == "follow"
    out = read_policy_output(CONTRACT_OUTPUT)
    assert (out.allow, out.reasons, out.bundle_version) == (
        False,
        ("news.blackout", "profile.daily_loss_headroom"),
        "2026.11.1",
    )


# ---- denials ---------------------------------------------------------------------------------------
def test_a_card_skip_is_denied_without_asking_the_policy() -> None:
    policy = FakePolicy()
    bot = make_bot(strategy_card="regime_filtered")
    result = run(scored(regime="CHAOS"), bot, policy=policy)
    check_records(result)
    assert result.reasons == ["card.regime_filtered.skipped", "card.regime_filtered.regime"]
    assert result.decision["details"]["card_reason"] == "regime CHAOS is in skip_regimes"
    assert result.decision["requested_size"] is None and result.decision["approved_size"] is None
    assert result.decision["regime"] == "CHAOS"
    assert policy.calls == []


def test_policy_unreachable_fails_closed() -> None:
    def down(_: dict[str, Any]) -> dict[str, Any]:
        raise ConnectionError("OPA at 127.0.0.1:8181 refused the connection")

    result = run(policy=down)
    check_records(result)
    assert not result.allowed and result.intent is None
    assert result.reasons == ["policy.unavailable"]
    assert result.decision["policy_bundle_version"] is None
    assert result.decision["details"]["policy_error"].startswith("ConnectionError: OPA at")
    assert result.policy_input is not None  # what it would have asked


@pytest.mark.parametrize(
    "answer",
    [
        {},
        None,
        {"allow": "yes"},
        {"allow": True, "reasons": []},  # no max_risk_pct / size_multiplier
        {"allow": True, "reasons": [], "max_risk_pct": 1, "size_multiplier": 2},
        {"allow": True, "reasons": [], "max_risk_pct": -1, "size_multiplier": 1},
        {"allow": True, "reasons": "none", "max_risk_pct": 1, "size_multiplier": 1},
    ],
)
def test_an_unreadable_policy_answer_fails_closed(answer: Any) -> None:
    result = run(policy=lambda _: answer)
    check_records(result)
    assert result.reasons == ["policy.invalid_output"]


def test_policy_denials_carry_its_reasons() -> None:
    paused = run(bot=make_bot(status="PAUSED", allowed_symbols=["XAUUSD"]))
    check_records(paused)
    assert paused.reasons == ["allowlist.symbol", "bot.not_active"]
    assert paused.decision["policy_bundle_version"] == "fake-1"
    assert paused.decision["requested_size"] is not None  # the card proposed a trade
    assert paused.decision["approved_size"] is None and paused.decision["order_id"] is None
    low = run(model=ModelInfo("win-prob", "0007", lambda _: 0.3))
    assert low.reasons == ["constitution.min_confidence", "sizing.below_min_lot"]
    assert (low.decision["confidence_used"], low.decision["confidence_source"]) == (0.3, "MODEL")


def test_daily_loss_headroom_caps_or_denies() -> None:
    # Strict profile: 1.5 % of 100k = 1500 a day, 1 % per position.
    bot = make_bot(rule_set="strict", risk_per_trade=0.05)
    snap = dict(SNAPSHOT, equity=98_500.0, day_start_balance=100_000.0, open_risk=100.0)
    snap["initial_balance"] = 100_000.0
    spent = run(bot=bot, account=snap)  # 1500 lost + 100 at risk: no headroom left
    check_records(spent)
    assert spent.reasons == ["profile.daily_loss_headroom"]
    tight = run(bot=bot, account=dict(snap, equity=98_800.0))  # 1300 used: 200 left
    check_records(tight)
    assert tight.allowed and 0 < tight.intent["risk_amount"] <= 200.0
    assert tight.decision["details"]["cap"] == "policy"
    calm = run(bot=bot, account=dict(snap, equity=100_000.0, open_risk=0.0))
    check_records(calm)
    assert calm.allowed
    assert calm.intent["risk_amount"] <= 0.01 * 100_000  # strict: 1 % per position, not 5 %
    assert calm.intent["risk_amount"] > 0.009 * 100_000


class DenyStylePolicy(FakePolicy):
    """Like the Rego: an order above the per-trade cap is denied, with max_risk_pct saying
    what would be allowed."""

    def __init__(self, also_deny: list[str] | None = None) -> None:
        super().__init__("deny-style")
        self.also_deny = also_deny or []

    def __call__(self, inp: dict[str, Any]) -> dict[str, Any]:
        out = super().__call__(inp)
        if inp["order"]["risk_pct"] > out["max_risk_pct"] + 1e-6:
            out["reasons"] = sorted([*out["reasons"], "profile.max_risk_per_trade"])
            out["allow"] = False
        if self.also_deny:
            out["reasons"] = sorted([*out["reasons"], *self.also_deny])
            out["allow"] = False
        return out


def test_an_order_above_the_policys_cap_is_resized_and_asked_again() -> None:
    bot = make_bot(rule_set="strict", risk_per_trade=0.03)  # 3 % x 0.58 > strict's 1 %
    policy = DenyStylePolicy()
    result = run(bot=bot, policy=policy)
    check_records(result)
    assert result.allowed and len(policy.calls) == 2
    first, second = (c["order"]["risk_pct"] for c in policy.calls)
    assert first > 1.0 >= second
    assert result.intent["risk_amount"] <= 0.01 * 100_000
    assert result.decision["details"]["policy_first_reasons"] == "profile.max_risk_per_trade"
    assert result.policy_input == policy.calls[-1]

    blackout = DenyStylePolicy(also_deny=["news.blackout"])
    denied = run(bot=bot, policy=blackout)
    assert len(blackout.calls) == 2
    assert denied.reasons == ["news.blackout"]  # the second answer decides

    small = DenyStylePolicy()
    ok = run(bot=make_bot(rule_set="strict", risk_per_trade=0.01), policy=small)
    assert ok.allowed and len(small.calls) == 1  # within the cap: one question


def test_no_stop_unknown_symbol_and_tiny_accounts() -> None:
    policy = FakePolicy()
    no_sl = run(scored(stop_loss=None), policy=policy)
    check_records(no_sl)
    assert no_sl.reasons == ["sizing.no_stop_loss"] and policy.calls == []
    unknown = run(scored(symbol="MOONUSD"))
    assert unknown.reasons == ["sizing.unknown_instrument"]
    tiny = run(bot=make_bot(account_size=500.0))
    check_records(tiny)
    assert tiny.reasons == ["sizing.below_min_lot"]
    assert tiny.decision["policy_bundle_version"] == "fake-1"


def test_currency_mismatch_between_bot_and_snapshot() -> None:
    result = run(account=dict(SNAPSHOT, currency="EUR"))
    assert result.reasons == ["account.currency_mismatch"]


def test_bot_must_follow_the_source() -> None:
    with pytest.raises(ValueError, match="does not follow source 'nobody'"):
        run(scored(source="nobody"))


# ---- breaker modes -------------------------------------------------------------------------------
def test_breaker_modes() -> None:
    normal = run(account=SNAPSHOT)
    reduced = run(account=SNAPSHOT, mode="REDUCED_CAPACITY")
    check_records(reduced)
    assert reduced.allowed and reduced.reasons == ["breaker.reduced_capacity"]
    assert reduced.intent["quantity"] <= normal.intent["quantity"] / 2 + 1e-9
    assert reduced.intent["quantity"] >= normal.intent["quantity"] / 2 - 0.01 - 1e-9

    shadow = run(account=SNAPSHOT, mode="SHADOW_MODE")
    check_records(shadow)
    assert shadow.allowed and shadow.decision["shadow"] is True
    assert (shadow.intent["shadow"], shadow.intent["shadow_reason"]) == (True, "BREAKER")
    assert shadow.intent["breaker_mode"] == shadow.decision["breaker_mode"] == "SHADOW_MODE"

    for mode in ("SAFE_MODE", "HALTED"):
        halted = run(account=SNAPSHOT, mode=mode)
        check_records(halted)
        assert halted.reasons == [f"breaker.{mode.lower()}"]
    unknown = run(account=SNAPSHOT, mode="UNKNOWN")  # a mode from a newer writer: fail safe
    assert unknown.decision["breaker_mode"] == "SAFE_MODE" and not unknown.allowed


def test_guards_hold_when_the_policy_forgets_the_breaker() -> None:
    def careless(_: dict[str, Any]) -> dict[str, Any]:
        return {
            "allow": True,
            "reasons": [],
            "max_risk_pct": 5,
            "size_multiplier": 1,
            "shadow": False,
        }

    safe = run(mode="SAFE_MODE", policy=careless)
    assert safe.reasons == ["guard.breaker_no_new_positions"]
    full = run(policy=careless)
    reduced = run(mode="REDUCED_CAPACITY", policy=careless)
    assert reduced.intent["quantity"] <= full.intent["quantity"] / 2 + 1e-9
    assert reduced.decision["details"]["guard"].startswith("reduced_capacity")
    shadow = run(mode="SHADOW_MODE", policy=careless)
    assert shadow.intent["shadow"] is True


def test_a_silent_governor_denies_every_new_position_before_the_policy_is_asked() -> None:
    policy = FakePolicy()
    result = decide(
        SCORED,
        make_bot(),
        account=SNAPSHOT,
        breaker_mode="NONE",
        model=None,
        cards=CardBook(CardLoader()),
        policy=policy,
        governor_alive=False,
    )
    check_records(result)
    assert result.intent is None
    assert result.reasons == ["guard.governor_silent"]
    assert policy.calls == []
    assert run(account=SNAPSHOT).allowed  # the same signal with the governor alive


# ---- confidence, currencies, revisions, determinism ---------------------------------------------
def test_a_released_model_gives_the_confidence() -> None:
    seen: list[dict[str, Any]] = []

    def predict(features: Any) -> float:
        seen.append(dict(features))
        return 0.8

    result = run(model=ModelInfo("win-prob", "0007", predict))
    check_records(result)
    d, i = result.decision, result.intent
    assert (d["confidence_used"], d["confidence_source"], d["model_version"]) == (
        0.8,
        "MODEL",
        "0007",
    )
    assert (i["confidence_used"], i["model_version"]) == (0.8, "0007")
    assert seen[0] == i["features"]

    def broken(_: Any) -> float:
        raise RuntimeError("weights missing")

    fallback = run(model=ModelInfo("win-prob", "0008", broken))
    assert (fallback.decision["confidence_source"], fallback.decision["model_version"]) == (
        "PRIOR",
        None,
    )


def test_usdjpy_on_a_usd_account_and_a_eur_account() -> None:
    jpy = scored(
        symbol="USDJPY",
        entry=150.0,
        stop_loss=149.5,
        take_profits=[151.0],
        entry_low=None,
        entry_high=None,
    )
    jpy["market"].update(price=150.02, pip_size=0.01)
    result = run(jpy, make_bot(allowed_symbols=["USDJPY"]))
    check_records(result)
    assert result.decision["details"]["fx_source"] == "signal_price"
    risk_per_lot = 0.52 * 100_000 / 149.5  # the worst entry is the market price 150.02
    assert result.intent["risk_amount"] == pytest.approx(result.intent["quantity"] * risk_per_lot)
    eur = run(bot=make_bot(account_currency="EUR"))
    check_records(eur)
    assert eur.decision["account_currency"] == eur.intent["account_currency"] == "EUR"
    assert eur.decision["details"]["fx_source"] == "signal_price"


def test_revisions_keep_the_order_id_and_decisions_are_deterministic() -> None:
    first = run(account=SNAPSHOT)
    again = run(account=SNAPSHOT)
    assert first.decision == again.decision and first.intent == again.intent
    edited = scored(revision=1, event_id="fx-vip:18423:0:r1", stop_loss=1.1180)
    rev = run(edited, account=SNAPSHOT)
    assert rev.decision["event_id"] == "fx-vip:18423:0:r1:ftmo-eurusd-01"
    assert rev.intent["order_id"] == first.intent["order_id"]
    assert rev.intent["event_id"] == first.intent["order_id"] + ":r1"
    assert rev.intent["signal_revision"] == 1


def _scored(signal: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    record = copy.deepcopy(SCORED)
    record["signal"].update(signal or {})
    record.update(fields)
    return record


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({k: v for k, v in SCORED.items() if k != "signal"}, "missing_signal"),
        ({**SCORED, "signal": None}, "missing_signal"),
        (_scored({"symbol": ""}), "missing_field"),
        (_scored({"source": None}), "missing_field"),
        (_scored({"direction": "UNKNOWN"}), "bad_direction"),
        (_scored({"direction": "UP"}), "bad_direction"),
        (_scored({"order_type": "ICEBERG"}), "bad_order_type"),
        (_scored(ts_event="yesterday"), "bad_timestamp"),
        (_scored({"revision": "2"}), "bad_revision"),
    ],
)
def test_an_unreadable_scored_signal_has_its_reason_code(
    record: dict[str, Any], reason: str
) -> None:
    with pytest.raises(SignalInputError) as err:
        ScoredSignal.from_record(record)
    assert err.value.reason == reason


def test_non_finite_market_numbers_of_a_scored_signal_read_as_absent() -> None:
    record = _scored(market={**SCORED["market"], "atr14": float("nan"), "rr": [float("inf"), 2.0]})
    sig = ScoredSignal.from_record(record)
    assert (sig.atr14, sig.rr) == (None, (2.0,))


def test_exits_are_always_allowed() -> None:
    sig = ScoredSignal.from_record(SCORED)
    state = AccountState.opening(make_bot())

    def down(_: dict[str, Any]) -> dict[str, Any]:
        raise TimeoutError

    for mode in ("NONE", "SAFE_MODE", "HALTED", "SHADOW_MODE"):
        for policy in (FakePolicy(), down, lambda _: {"allow": False, "reasons": ["x"]}):
            exit_ = decide_exit(sig, make_bot(status="LOCKED"), state, mode, policy)
            assert exit_.allowed and exit_.reasons[0] == "exit.always_allowed"
            assert exit_.policy_input["order"]["reduces_exposure"] is True
            assert validate(exit_.decision, DECISIONS, raise_errors=True)
            assert exit_.intent is None


# ---- the gate: several bots in two cells ----------------------------------------------------------
def test_the_gate_decides_for_every_follower_and_swaps_cards() -> None:
    gate = RiskGate(FakePolicy())
    for record in load_bots(ROOT / "bots.example.yaml", cards=CardLoader()).to_records(ts_event=0):
        gate.on_bot(record)
    gate.on_snapshot(dict(SNAPSHOT, bot_id="ftmo-eurusd-01", cell_id="ftmo"))
    gate.on_breaker(
        {
            "scope_level": "CELL",
            "scope_id": "strict",
            "fallback_mode": "REDUCED_CAPACITY",
            "transition_seq": 1,
        }
    )
    results = gate.on_signal(SCORED)
    by_bot = {r.decision["bot_id"]: r for r in results}
    assert list(by_bot) == ["ftmo-eurusd-01", "ftmo-follow-03", "strict-eurusd-01"]
    for r in results:
        check_records(r)
    assert by_bot["ftmo-eurusd-01"].allowed and by_bot["ftmo-follow-03"].allowed
    strict = by_bot["strict-eurusd-01"]  # confidence_threshold 0.6 > prior 0.5
    assert strict.reasons == [
        "card.confidence_threshold.skipped",
        "card.confidence_threshold.below_threshold",
    ]
    assert strict.decision["breaker_mode"] == "REDUCED_CAPACITY"
    assert {r.decision["cell_id"] for r in results} == {"ftmo", "strict"}

    events = gate.on_command(
        {
            "event_id": "cmd-7",
            "ts_event": SCORED["ts_event"] + 1,
            "command": "SWAP_CARD",
            "scope_level": "BOT",
            "scope_id": "strict-eurusd-01",
            "actor": "alice",
            "reason": "trust fx-vip",
            "parameters": {"card": "follow", "parameters": json.dumps({"prior": 0.7})},
        }
    )
    assert [(e["bot_id"], e["old_card"], e["new_card"]) for e in events] == [
        ("strict-eurusd-01", "confidence_threshold", "follow")
    ]
    assert events[0]["parameters"]["prior"] == "0.7"
    swapped = {r.decision["bot_id"]: r for r in gate.on_signal(scored(revision=1))}
    now = swapped["strict-eurusd-01"]
    check_records(now)
    assert now.allowed and now.decision["strategy_card"] == "follow"
    assert now.reasons == ["breaker.reduced_capacity"]
    assert now.decision["confidence_used"] == 0.7

    gate.on_bot(None, key="ftmo-follow-03")
    assert [r.decision["bot_id"] for r in gate.on_signal(SCORED)] == [
        "ftmo-eurusd-01",
        "strict-eurusd-01",
    ]


# ---- the learner's releases -----------------------------------------------------------------------
def _release(tmp_path: Path, version: str, win_prob: float, status: str = "PROMOTED", ts: int = 0):
    from hive.winprob import Prior, dump_artifact, prior_model, sha256_hex

    model = prior_model(Prior(win_prob, 1.5, -1.0, 10.0), "win-prob", version)
    data = dump_artifact(model.to_document())
    path = tmp_path / f"win-prob-{version}.json"
    path.write_bytes(data)
    record = dict(_json("schemas/examples/learner_models.json"))
    record.update(
        event_id=f"win-prob:{version}:{status}", version=version, status=status,
        sha256=sha256_hex(data), artifact_uri=path.as_uri(), ts_event=ts, ts_init=ts,
    )  # fmt: skip
    return record


def _gate_with_loader() -> RiskGate:
    from hive.winprob import load_release

    return RiskGate(
        FakePolicy(),
        load_model=lambda rel: load_release(rel.artifact_uri, rel.sha256).predict,
    )


def _in_force(
    version: str | None, ts: int, *, event_id: str | None = None, previous: str | None = None
) -> dict[str, Any]:
    """The governor's control.parameters record of the model version in force."""
    from hive.parameters import EffectiveParameter

    change = f"learner:win-prob:{version}" if version is not None else None
    return EffectiveParameter(
        event_id=event_id or str(change), ts=ts, scope_level="GLOBAL", scope_id="global",
        name="model.win-prob", kind="PARAMETER", value=version, previous_value=previous,
        change_id=change, actor="learner", reason="promote",
    ).record()  # fmt: skip


def test_the_release_in_force_is_loaded_and_its_confidence_used(tmp_path: Path) -> None:
    gate = _gate_with_loader()
    gate.on_bot(
        dict(BOT_RECORD, strategy_card="confidence_threshold", strategy_parameters={"threshold": "0.6"})
    )  # fmt: skip
    gate.on_model(_release(tmp_path, "0001", 0.3, status="CANDIDATE", ts=1))
    assert gate.model is None  # a release is not used until its version is in force
    none = gate.on_signal(SCORED)[0].decision
    assert (none["confidence_source"], none["model_version"]) == ("PRIOR", None)
    gate.on_parameter(_in_force("0001", 1))  # the change guard put the candidate in force
    assert gate.model is not None and gate.model.version == "0001"
    low = gate.on_signal(SCORED)[0].decision
    assert (low["confidence_source"], low["model_version"]) == ("MODEL", "0001")
    assert not low["allowed"] and "card.confidence_threshold.skipped" in low["reasons"]
    # The learner's PROMOTED record of the version in force changes nothing.
    gate.on_model(_release(tmp_path, "0001", 0.3, ts=1))
    assert gate.model.version == "0001"
    # A later PROMOTED record is not used either until its version is in force.
    gate.on_model(_release(tmp_path, "0002", 0.8, ts=3))
    assert gate.model.version == "0001"
    gate.on_parameter(_in_force("0002", 3, previous="0001"))
    high = gate.on_signal(scored(message_id="2", signal_id="fx-vip:2:0", event_id="fx-vip:2:0:r0"))[
        0
    ]
    assert high.decision["model_version"] == "0002"
    assert high.decision["confidence_used"] == pytest.approx(0.8)
    # Rolled back: the previous version is in force again, and used at the next decision.
    rollback = _in_force("0001", 4, event_id="rb-1", previous="0002")
    gate.on_parameter(rollback)
    assert gate.model is not None and gate.model.version == "0001"
    back = gate.on_signal(scored(message_id="3", signal_id="fx-vip:3:0", event_id="fx-vip:3:0:r0"))
    assert (back[0].decision["model_version"], back[0].decision["confidence_used"]) == (
        "0001",
        pytest.approx(0.3),
    )
    # Rolled back to none: no model, the cards use their prior.
    gate.on_parameter(_in_force(None, 5, event_id="rb-2", previous="0001"))
    assert gate.model is None
    prior = gate.on_signal(scored(message_id="4", signal_id="fx-vip:4:0", event_id="fx-vip:4:0:r0"))
    assert (prior[0].decision["confidence_source"], prior[0].decision["model_version"]) == (
        "PRIOR",
        None,
    )


def test_a_version_in_force_before_its_release_is_known_is_used_once_it_is(tmp_path: Path) -> None:
    gate = _gate_with_loader()
    gate.on_parameter(_in_force("0001", 1))  # tables load in no fixed order across topics
    assert gate.model is None
    gate.on_model(_release(tmp_path, "0001", 0.7, status="CANDIDATE", ts=1))
    assert gate.model is not None and gate.model.version == "0001"
    # Other parameters and another family's version are not the model's.
    gate.on_parameter({**_in_force("0002", 2), "name": "model.edge"})
    gate.on_parameter({**_in_force("0002", 2), "name": "min_confidence", "value": "0.5"})
    assert gate.model.version == "0001"
    gate.on_parameter(None, key="GLOBAL:global:model.win-prob")  # a tombstone: none in force
    assert gate.model is None


def test_a_release_that_fails_its_hash_is_not_used(tmp_path: Path) -> None:
    gate = _gate_with_loader()
    gate.on_model(_release(tmp_path, "0001", 0.7, ts=1))
    gate.on_parameter(_in_force("0001", 1))
    bad = _release(tmp_path, "0002", 0.2, ts=2)
    bad["sha256"] = "0" * 64
    gate.on_model(bad)
    gate.on_parameter(_in_force("0002", 2, previous="0001"))
    assert gate.model is not None and gate.model.version == "0001"


def test_a_denied_signal_becomes_a_counterfactual_shadow_intent_when_asked() -> None:
    args: dict[str, Any] = {
        "account": SNAPSHOT,
        "breaker_mode": "NONE",
        "model": None,
        "cards": CardBook(CardLoader()),
        "policy": FakePolicy(),
    }
    chaos = scored(regime="CHAOS")
    bot = make_bot(
        strategy_card="regime_filtered", strategy_parameters={"skip_regimes": '["CHAOS"]'}
    )
    plain = decide(chaos, bot, **args)
    assert not plain.allowed and plain.counterfactual is None  # off unless asked
    result = decide(chaos, bot, **args, counterfactual=True)
    check_records(result)
    cf = result.counterfactual
    assert cf is not None and result.intent is None and not result.allowed
    assert validate(cf, INTENTS, raise_errors=True)
    assert (cf["shadow"], cf["shadow_reason"], cf["quantity"]) == (True, "COUNTERFACTUAL", 0.01)
    assert cf["decision_event_id"] == result.decision["event_id"]
    from hive_risk_gate.decide import order_id_for

    real_id = order_id_for(cf["signal_id"], bot.bot_id)
    assert cf["order_id"] != real_id  # never the id a real order of the signal would take
    assert cf["stop_loss"] == SCORED["signal"]["stop_loss"]
    allowed = decide(SCORED, make_bot(), **args, counterfactual=True)
    assert allowed.allowed and allowed.counterfactual is None
