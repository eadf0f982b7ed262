"""Strategy cards: the three built-in cards, parameters, plugins from a directory, swaps."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hive.bots import Bot, from_record
from hive_risk_gate.account import AccountState
from hive_risk_gate.cards import (
    CardBook,
    CardContext,
    CardLoader,
    CardParameterError,
    CardSwapError,
    Intent,
    UnknownCardError,
)
from hive_risk_gate.decide import decide
from hive_risk_gate.signals import ScoredSignal

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SCORED: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/signals_scored.json").read_text(encoding="utf-8")
)
BOT_RECORD: dict[str, Any] = json.loads(
    (ROOT / "schemas/examples/registry_bots.json").read_text(encoding="utf-8")
)


def signal(regime: str = "TREND", source: str = "fx-vip", **sig: Any) -> ScoredSignal:
    record = copy.deepcopy(SCORED)
    record["regime"] = regime
    record["signal"]["source"] = source
    record["signal"].update(sig)
    return ScoredSignal.from_record(record)


def bot(card: str = "follow", params: dict[str, str] | None = None, **fields: Any) -> Bot:
    record = dict(BOT_RECORD, strategy_card=card, strategy_parameters=params or {}, **fields)
    return from_record(record)


def context(
    b: Bot | None = None, calibrated: float | None = None, regime: str = "TREND"
) -> CardContext:
    b = b or bot()
    return CardContext(
        bot=b,
        account=AccountState.opening(b),
        breaker_mode="NONE",
        calibrated_confidence=calibrated,
        model_version="0007" if calibrated is not None else None,
        regime=regime,
        ts_event=SCORED["ts_event"],
    )


LOADER = CardLoader()


def card(name: str, **params: str) -> Any:
    return LOADER.create(name, params)


# ---- the built-in cards --------------------------------------------------------------------------
def test_builtin_cards_are_loaded_without_errors() -> None:
    assert LOADER.names() == ["confidence_threshold", "follow", "regime_filtered"]
    assert LOADER.last_report.ok


def test_follow_takes_every_signal_as_it_is() -> None:
    sig = signal(regime="CHAOS")
    ctx = context(regime="CHAOS")
    intent = card("follow").on_signal(sig, ctx)
    assert isinstance(intent, Intent)
    assert (intent.direction, intent.order_type) == ("BUY", "MARKET")
    assert (intent.entry, intent.stop_loss) == (1.1208, 1.1175)
    assert intent.take_profits == (1.124, 1.127, 1.13)
    assert intent.tp_fractions == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert (intent.confidence, intent.confidence_source) == (0.5, "PRIOR")
    assert (ctx.confidence_used, ctx.confidence_source) == (0.5, "PRIOR")


def test_confidence_comes_from_the_model_else_a_prior_else_the_parser() -> None:
    follow = card("follow", priors='{"fx-vip": 0.65}', prior="0.45")
    with_model = follow.on_signal(signal(), context(calibrated=0.72))
    assert (with_model.confidence, with_model.confidence_source) == (0.72, "MODEL")
    by_source = follow.on_signal(signal(), context())
    assert (by_source.confidence, by_source.confidence_source) == (0.65, "PRIOR")
    other = follow.on_signal(signal(source="pipmaster"), context())
    assert (other.confidence, other.confidence_source) == (0.45, "PRIOR")
    parser = card("follow", fallback="parser").on_signal(signal(), context())
    assert (parser.confidence, parser.confidence_source) == (0.97, "PARSER")


@pytest.mark.parametrize(
    ("regime", "params", "takes"),
    [
        ("TREND", {}, True),
        ("CALM", {}, True),
        ("CHAOS", {}, False),  # the default skip list
        ("UNKNOWN", {}, True),
        ("UNKNOWN", {"skip_regimes": '["CHAOS", "UNKNOWN"]'}, False),
        ("CALM", {"skip_regimes": "CALM,CHAOS"}, False),
        ("CHAOS", {"skip_regimes": "[]"}, True),
    ],
)
def test_regime_filtered_skips_the_configured_regimes(
    regime: str, params: dict[str, str], takes: bool
) -> None:
    ctx = context(regime=regime)
    intent = card("regime_filtered", **params).on_signal(signal(regime=regime), ctx)
    assert (intent is not None) is takes
    if not takes:
        assert ctx.skip_code == "regime"
        assert ctx.skip_reason == f"regime {regime} is in skip_regimes"


def test_regime_filtered_min_confidence_and_alias() -> None:
    assert LOADER.canonical("regime_filtered_follow") == "regime_filtered"
    strict = card("regime_filtered_follow", min_confidence="0.55")  # the schema example's card
    ctx = context()
    assert strict.on_signal(signal(), ctx) is None  # prior 0.5 < 0.55
    assert ctx.skip_code == "below_threshold"
    assert strict.on_signal(signal(), context(calibrated=0.6)) is not None


@pytest.mark.parametrize(
    ("params", "calibrated", "expected"),
    [
        ({}, None, None),  # prior 0.5 < default threshold 0.55
        ({}, 0.56, (0.56, "MODEL")),
        ({}, 0.54, None),
        ({"priors": '{"fx-vip": 0.6}'}, None, (0.6, "PRIOR")),
        ({"priors": '{"fx-vip": 0.6}'}, 0.3, None),  # a released model wins over the prior
        ({"threshold": "0.5"}, None, (0.5, "PRIOR")),  # at the threshold: taken
        ({"prior": "0.7"}, None, (0.7, "PRIOR")),
    ],
)
def test_confidence_threshold(
    params: dict[str, str], calibrated: float | None, expected: tuple[float, str] | None
) -> None:
    ctx = context(calibrated=calibrated)
    intent = card("confidence_threshold", **params).on_signal(signal(), ctx)
    if expected is None:
        assert intent is None
        assert ctx.skip_code == "below_threshold"
        assert ctx.skip_reason is not None and "below threshold" in ctx.skip_reason
    else:
        assert intent is not None
        assert (intent.confidence, intent.confidence_source) == expected


# ---- parameters --------------------------------------------------------------------------------
def test_parameters_are_validated_with_clear_errors_and_set_atomically() -> None:
    c = card("confidence_threshold")
    assert c.get_parameters() == {
        "threshold": "0.55",
        "prior": "0.5",
        "priors": "{}",
        "fallback": "prior",
    }
    with pytest.raises(CardParameterError) as info:
        c.set_parameters({"threshold": "0.7", "prior": "high"})
    assert str(info.value) == "confidence_threshold.prior: must be a number in [0, 1], got 'high'"
    assert info.value.parameter == "prior"
    assert c.get_parameters()["threshold"] == "0.55"  # nothing changed
    with pytest.raises(CardParameterError, match=r"^follow\.stop: unknown parameter"):
        card("follow").set_parameters({"stop": "1"})
    with pytest.raises(CardParameterError, match="must be a JSON object"):
        card("follow").set_parameters({"priors": "[0.5]"})
    with pytest.raises(CardParameterError, match="prior of 'x' must be a number in"):
        card("follow").set_parameters({"priors": '{"x": 2}'})
    with pytest.raises(CardParameterError, match="must be one of prior, parser"):
        card("follow").set_parameters({"fallback": "model"})
    c.set_parameters({"threshold": "0.7"})
    assert c.get_parameters()["threshold"] == "0.7"
    with pytest.raises(UnknownCardError, match=r"unknown card 'nope' \(known: "):
        LOADER.create("nope")


# ---- plugins -----------------------------------------------------------------------------------
GOOD_PLUGIN = """
    import json

    from hive_risk_gate.cards.base import Intent

    CARD_NAME = "sell_only"


    class SellOnly:  # duck-typed: not a BaseCard subclass
        def __init__(self):
            self.params = {"version": "1"}

        def on_signal(self, signal, context):
            if signal.direction != "SELL":
                context.skip("direction", "buys are not taken")
                return None
            return Intent(
                direction="SELL", order_type=signal.order_type, entry=signal.entry,
                stop_loss=signal.stop_loss, take_profits=signal.take_profits[:1],
                tp_fractions=(1.0,) if signal.take_profits else (),
                confidence=0.8, confidence_source="PRIOR", note=self.params["version"],
            )

        def on_trade(self, report, context):
            pass

        def get_parameters(self):
            return dict(self.params)

        def set_parameters(self, params):
            self.params.update(params)
"""


def plugin_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "cards"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


def test_plugins_load_from_a_directory_and_broken_ones_are_reported(tmp_path: Path) -> None:
    d = plugin_dir(
        tmp_path,
        {
            "sell_only.py": GOOD_PLUGIN,
            "broken_syntax.py": "CARD_NAME = 'broken'\ndef on_signal(:\n",
            "raises.py": "CARD_NAME = 'raises'\nraise RuntimeError('no database')\n",
            "nameless.py": GOOD_PLUGIN.replace('CARD_NAME = "sell_only"', ""),
            "clash.py": GOOD_PLUGIN.replace('"sell_only"', '"follow"'),
            "noclass.py": "CARD_NAME = 'noclass'\n",
            "_private.py": "raise SystemExit(1)\n",
            "notes.txt": "not python",
        },
    )
    loader = CardLoader(d)
    report = loader.last_report
    assert "sell_only" in report.loaded and "follow" in report.loaded
    errors = {Path(e.path).name: e.message for e in report.errors}
    assert set(errors) == {"broken_syntax.py", "raises.py", "nameless.py", "clash.py", "noclass.py"}
    assert errors["broken_syntax.py"].startswith("import failed: SyntaxError")
    assert errors["raises.py"] == "import failed: RuntimeError: no database (at raises.py:2)"
    assert errors["nameless.py"].startswith("CARD_NAME must be a lower-case name")
    assert errors["clash.py"].startswith("card name 'follow' is already defined by builtin:")
    assert errors["noclass.py"].startswith("no class implementing the card interface")

    sell = loader.create("sell_only")
    ctx = context()
    assert sell.on_signal(signal(), ctx) is None and ctx.skip_code == "direction"
    intent = sell.on_signal(signal(direction="SELL", stop_loss=1.125), context())
    assert intent is not None and intent.direction == "SELL" and intent.tp_fractions == (1.0,)


def test_reload_picks_up_edits_and_keeps_the_last_good_version(tmp_path: Path) -> None:
    d = plugin_dir(tmp_path, {"sell_only.py": GOOD_PLUGIN})
    loader = CardLoader(d)
    book = CardBook(loader)
    b = bot("sell_only")
    first = book.card_for(b)
    sell = signal(direction="SELL", stop_loss=1.125)
    assert first.card.on_signal(sell, context(b)).note == "1"

    plugin_dir(tmp_path, {"sell_only.py": GOOD_PLUGIN.replace('"version": "1"', '"version": "2"')})
    report, events = book.reload(ts_event=1000)
    assert report.ok
    assert [e["action"] for e in events] == ["CARD_RELOADED"]
    assert events[0]["bot_id"] == b.bot_id and events[0]["ts_event"] == 1000
    # The running card moved to the new class but kept its parameters.
    assert book.card_for(b).card.on_signal(sell, context(b)).note == "1"
    assert loader.create("sell_only").on_signal(sell, context(b)).note == "2"

    plugin_dir(tmp_path, {"sell_only.py": "CARD_NAME = 'sell_only'\nthis is not python\n"})
    report = loader.reload()
    assert not report.ok
    assert "keeping the previously loaded version" in report.errors[0].message
    assert "sell_only" in loader.names()


# ---- the card book and swaps ---------------------------------------------------------------------
def always_allow(_: dict[str, Any]) -> dict[str, Any]:
    return {
        "allow": True,
        "reasons": [],
        "max_risk_pct": 5,
        "size_multiplier": 1,
        "shadow": False,
        "limits": {},
        "bundle_version": "test",
    }


def test_swap_at_run_time_returns_the_event_and_takes_effect(tmp_path: Path) -> None:
    book = CardBook(CardLoader())
    b = bot("follow")
    chaos = copy.deepcopy(SCORED)
    chaos["regime"] = "CHAOS"

    def run() -> Any:
        return decide(
            chaos,
            b,
            account=None,
            breaker_mode="NONE",
            model=None,
            cards=book,
            policy=always_allow,
        )

    assert run().allowed  # follow takes the CHAOS signal
    event = book.swap(
        b,
        "regime_filtered",
        {"skip_regimes": '["CHAOS"]'},
        ts_event=1497427000000,
        actor="alice",
        reason="too volatile",
        cause_event_id="cmd-1",
    )
    assert event == {
        "action": "CARD_SWAPPED",
        "scope_level": "BOT",
        "scope_id": b.bot_id,
        "bot_id": b.bot_id,
        "cell_id": "ftmo",
        "old_card": "follow",
        "old_parameters": {"prior": "0.5", "priors": "{}", "fallback": "prior"},
        "new_card": "regime_filtered",
        "parameters": {
            "skip_regimes": '["CHAOS"]',
            "min_confidence": "0",
            "prior": "0.5",
            "priors": "{}",
            "fallback": "prior",
        },
        "ts_event": 1497427000000,
        "actor": "alice",
        "reason": "too volatile",
        "cause_event_id": "cmd-1",
    }
    after = run()
    assert not after.allowed
    assert after.decision["strategy_card"] == "regime_filtered"
    assert after.reasons == ["card.regime_filtered.skipped", "card.regime_filtered.regime"]
    assert after.decision["details"]["card_reason"] == "regime CHAOS is in skip_regimes"

    # A refused swap changes nothing.
    with pytest.raises(CardSwapError, match="unknown card 'martingale'"):
        book.swap(b, "martingale", ts_event=1497427100000)
    with pytest.raises(CardSwapError, match=r"threshold: must be a number in \[0, 1\]"):
        book.swap(b, "confidence_threshold", {"threshold": "2"}, ts_event=1497427100000)
    assert book.card_for(b).name == "regime_filtered"

    # The same registry definition keeps the swapped card; a new one replaces it.
    assert book.card_for(b).swapped
    changed = b.model_copy(update={"strategy_card": "confidence_threshold"})
    assert book.card_for(changed).name == "confidence_threshold"
    assert not book.card_for(changed).swapped


def test_a_card_that_raises_or_is_missing_denies_with_the_reason(tmp_path: Path) -> None:
    d = plugin_dir(
        tmp_path,
        {
            "crashy.py": """
                from hive_risk_gate.cards.base import BaseCard
                CARD_NAME = "crashy"
                class Crashy(BaseCard):
                    CARD_NAME = "crashy"
                    def on_signal(self, signal, context):
                        raise ZeroDivisionError("oops")
            """
        },
    )
    book = CardBook(CardLoader(d))

    def run(b: Bot) -> Any:
        return decide(
            SCORED,
            b,
            account=None,
            breaker_mode="NONE",
            model=None,
            cards=book,
            policy=always_allow,
        )

    crashed = run(bot("crashy"))
    assert crashed.reasons == ["card.crashy.error"]
    assert crashed.decision["details"]["card_error"].startswith("ZeroDivisionError: oops")
    missing = run(bot("vanished"))
    assert missing.reasons == ["card.unavailable"]
    assert "unknown card 'vanished'" in missing.decision["details"]["card_error"]
