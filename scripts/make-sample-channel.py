"""Generate the bundled sample signal channel and sample bots that `make run` replays.

    uv run python scripts/make-sample-channel.py [--out DIR]     (default: data/signals)

Everything comes from the bundled EURUSD 2017 H1 ask bars and one seeded random generator: no
wall clock, no network, so re-running gives byte-identical files. It writes, into DIR:

- `fx-vip.jsonl`    free-text multi-line "VIP" signals with emojis. SYNTHETIC AND CHEATING: it looks
                    at the bars after the posting time to pick the direction more often than chance
                    (and to "close now" before a stop), so it is the source that pays;
- `swing-fx.jsonl`  free-text one-liners, direction by coin flip (near-random);
- `tv-alerts.jsonl` TradingView-style webhook JSON bodies of a mechanical EMA(5)/EMA(13) cross on H1;
- `sample-bots.yaml` three paper bots following them;
- `README.md`        how it was made, with the counts.

Exactly 1,000 new EURUSD signals over the three sources (edits are revisions of the same signal),
plus management messages (replies and webhook actions), commentary and a few messages the parser
must reject, and two signals on XAUUSD, for which there are no bars.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hive.market import read_bundled_eurusd

SEED = 2017
TOTAL_SIGNALS = 1000
SIGNALS = {"fx-vip": 420, "swing-fx": 330, "tv-alerts": 250}
SOURCES = tuple(SIGNALS)
PIP = 0.0001
HOUR = 3_600_000
MINUTE = 60_000
HORIZON = 96  # bars a trade is followed for management messages (4 days)
FX_VIP_PEEK = 0.25  # chance that fx-vip takes the direction the future bars favour
FX_VIP_MIN_GAP = 4  # bars between two fx-vip signals
SWING_MIN_GAP = 5
TV_EMA = (5, 13)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "signals"

# What the parser must make of the noise messages (see tests/tools/sample-channel/test_sample_channel.py).
NOISE_TEXT: dict[str, list[tuple[str, str]]] = {
    "fx-vip": [
        ("Good morning traders ☀️ London session opens in 30 minutes", "not_a_signal"),
        ("EURUSD looking bullish above {lvl}, wait for confirmation 👀", "not_a_signal"),
        ("Patience today ⏳ no clean setup yet", "not_a_signal"),
        ("NFP today, careful with your lot size ⚠️", "not_a_signal"),
        ("EURUSD broke {lvl} resistance 👀 next stop {lvl2}?", "not_a_signal"),
        ("Thanks for all the messages guys 🙏 new setups coming soon", "not_a_signal"),
        ("🔥🔥🔥", "empty_message"),
        ("👍", "empty_message"),
    ],
    "swing-fx": [
        ("Patience. No trades until CPI tomorrow.", "not_a_signal"),
        ("EUR/USD range day, nothing to do here", "not_a_signal"),
        ("Quiet Asia session, back later", "not_a_signal"),
        ("What do you think about EURUSD this week?", "not_a_signal"),
    ],
    "tv-alerts": [
        ('{{"symbol": "EURUSD", "action": "hold", "price": {lvl5}}}', "not_a_signal"),
    ],
}
NOISE_COUNT = {"fx-vip": 40, "swing-fx": 18, "tv-alerts": 4}


# ---- bars --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float


def load() -> list[Bar]:
    return [
        Bar(b["open_time"], b["ts_event"], b["open"], b["high"], b["low"], b["close"])
        for b in read_bundled_eurusd()
    ]


class Market:
    def __init__(self, bars: list[Bar]) -> None:
        self.bars = bars
        self.opens = [b.open_time for b in bars]
        n = len(bars)
        # a message may be posted after bar i's close only when bar i+1 follows without a gap
        self.postable = [
            i + 1 < n and bars[i + 1].open_time == bars[i].close_time for i in range(n)
        ]
        self.atr = _wilder_atr(bars, 14)

    def slot(self, i: int) -> int:
        """The first bar at or after i whose close a message can be posted after."""
        while not self.postable[i]:
            i += 1
        return i

    def first_bar_at(self, t: int) -> int:
        """Index of the first bar opening at or after t (where the executor acts)."""
        return bisect.bisect_left(self.opens, t)


def _wilder_atr(bars: list[Bar], n: int) -> list[float]:
    out, atr = [], 0.0
    for i, b in enumerate(bars):
        prev = bars[i - 1].close if i else b.open
        tr = max(b.high - b.low, abs(b.high - prev), abs(b.low - prev))
        atr = tr if i == 0 else (atr * (n - 1) + tr) / n
        out.append(atr)
    return out


def utc(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def in_session(ms: int) -> bool:
    """Monday-Friday 06:00-19:59 UTC, Friday until 18:59 (no new trades into the weekend)."""
    t = utc(ms)
    return t.weekday() < 5 and 6 <= t.hour <= 19 and not (t.weekday() == 4 and t.hour >= 19)


# ---- messages ----------------------------------------------------------------------------------
@dataclass
class Message:
    source: str
    time: int  # posted_at, or edited_at for an edit
    text: str
    kind: str  # signal | edit | update | noise | offdata
    content_type: str = "TEXT"
    reply_to: Message | None = None
    edit_of: Message | None = None
    expect: str | None = None  # the rejection reason the parser must give (noise)
    message_id: str = ""
    seq: int = 0


@dataclass
class Trade:
    """A signal as the generator simulates it (pessimistic: stop first inside one bar)."""

    source: str
    direction: str
    order_type: str
    entry: float
    sl: float
    tps: list[float]
    posted: int
    expires: int
    msg: Message | None = None
    fill_bar: int | None = None
    tp_hit: int = 0
    outcome: str = "open"  # open | tp | sl | closed | cancelled | expired
    first: str | None = None  # TP1 or SL: which came first (the win rate)
    mods: list[tuple[int, float]] = field(default_factory=list)  # (effective bar, new stop)

    @property
    def buy(self) -> bool:
        return self.direction == "BUY"

    def pips(self, price: float) -> int:
        return round(((price - self.entry) if self.buy else (self.entry - price)) / PIP)


class Rng:
    """The one seeded generator; only `random()` is used, so results do not depend on the
    Python version's `randrange`/`choice` algorithms."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret

    def random(self) -> float:
        return self._r.random()

    def int(self, lo: int, hi: int) -> int:
        return lo + int(self._r.random() * (hi - lo + 1))

    def pick(self, items: list[Any]) -> Any:
        return items[int(self._r.random() * len(items))]

    def chance(self, p: float) -> bool:
        return self._r.random() < p

    def shuffled(self, items: list[Any]) -> list[Any]:
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = int(self._r.random() * (i + 1))
            out[i], out[j] = out[j], out[i]
        return out


def spaced_sample(rng: Rng, candidates: list[int], count: int, gap: int) -> list[int]:
    """`count` bar indices from `candidates`, at least `gap` bars apart, in time order."""
    taken: set[int] = set()
    for i in rng.shuffled(candidates):
        if all(j not in taken for j in range(i - gap + 1, i + gap)):
            taken.add(i)
            if len(taken) == count:
                return sorted(taken)
    raise RuntimeError(f"only {len(taken)} of {count} signal slots fit")


def f4(x: float) -> str:
    return f"{x:.4f}"


def levels(
    m: Market,
    i: int,
    buy: bool,
    order_type: str,
    shape: tuple[list[float], int, float],
    *,
    digits: int,
) -> tuple[float, float, list[float]]:
    """Entry near bar i's close, a stop 20-60 pips away (ATR based), TPs at the given R.

    shape = (targets in R, entry offset in pips for a pending order, stop as a multiple of ATR).
    """
    rs, offset_pips, atr_mult = shape
    close = m.bars[i].close
    offset = offset_pips * PIP
    if order_type == "LIMIT":
        entry = close - offset if buy else close + offset
    elif order_type == "STOP":
        entry = close + offset if buy else close - offset
    else:
        entry = close
    entry = round(entry, digits)
    sl_pips = max(20, min(60, round(m.atr[i] / PIP * atr_mult)))
    sign = 1 if buy else -1
    sl = round(entry - sign * sl_pips * PIP, digits)
    risk = abs(entry - sl)
    tps = [round(entry + sign * r * risk, digits) for r in rs]
    return entry, sl, tps


def shape(rng: Rng, rs: list[float]) -> tuple[list[float], int, float]:
    return rs, rng.int(5, 15), 1.6 + 1.6 * rng.random()


def first_touch(m: Market, fill: int, buy: bool, sl: float, tp: float) -> str | None:
    """TP1 or SL: which the bars reach first after a fill in bar `fill` (the stop first inside
    a bar; no profit in the fill bar itself)."""
    for j in range(fill, min(len(m.bars), fill + HORIZON)):
        b = m.bars[j]
        if (b.low <= sl) if buy else (b.high >= sl):
            return "SL"
        if j > fill and ((b.high >= tp) if buy else (b.low <= tp)):
            return "TP1"
    return None


# ---- the trade walk shared by the sources ----------------------------------------------------
class Walk:
    """Steps one trade through the bars after its posting; a source's policy talks to it."""

    def __init__(self, m: Market, trade: Trade) -> None:
        self.m = m
        self.t = trade
        self.j = m.first_bar_at(trade.posted)
        self.sl = trade.sl
        self.last = min(len(m.bars) - 2, self.j + HORIZON)

    def bars(self):
        """Yield (j, event) for every bar while the trade lives; event: None, 'fill', 'tpN', 'sl'."""
        t, m = self.t, self.m
        while self.j <= self.last and t.outcome == "open":
            j, b = self.j, m.bars[self.j]
            self.j += 1
            for eff, new_sl in list(t.mods):
                if eff <= j:
                    self.sl = new_sl
                    t.mods.remove((eff, new_sl))
            if t.fill_bar is None:
                if b.open_time >= t.expires:
                    t.outcome = "expired"
                    return
                touched = (
                    True
                    if t.order_type == "MARKET"
                    else (
                        (b.low <= t.entry if t.buy else b.high >= t.entry)
                        if t.order_type == "LIMIT"
                        else (b.high >= t.entry if t.buy else b.low <= t.entry)
                    )
                )
                if not touched:
                    yield j, None
                    continue
                t.fill_bar = j
                t.first = first_touch(m, j, t.buy, t.sl, t.tps[0])
                if (b.low <= self.sl) if t.buy else (b.high >= self.sl):
                    self._stop(j)
                    yield j, "sl"
                    return
                yield j, "fill"
                continue
            if (b.low <= self.sl) if t.buy else (b.high >= self.sl):
                self._stop(j)
                yield j, "sl"
                return
            tp = t.tps[t.tp_hit]
            if (b.high >= tp) if t.buy else (b.low <= tp):
                t.tp_hit += 1
                if t.tp_hit == len(t.tps):
                    t.outcome = "tp"
                yield j, f"tp{t.tp_hit}"
                continue
            yield j, None

    def _stop(self, j: int) -> None:
        self.t.outcome = "sl"

    def in_profit_r(self, j: int) -> float:
        t = self.t
        risk = abs(t.entry - t.sl)
        return (t.pips(self.m.bars[j].close) * PIP) / risk

    def set_sl(self, post_time: int, new_sl: float) -> None:
        self.t.mods.append((self.m.first_bar_at(post_time), new_sl))


class Builder:
    def __init__(self, m: Market, rng: Rng) -> None:
        self.m = m
        self.rng = rng
        self.messages: list[Message] = []
        self.trades: list[Trade] = []

    def post_after(self, i: int, lo: int = 1, hi: int = 55) -> int:
        """A time strictly after the close of bar i (or of the next bar one can post after)."""
        k = self.m.slot(i)
        return (
            self.m.bars[k].close_time + self.rng.int(lo, hi) * MINUTE + self.rng.int(1, 59) * 1000
        )

    def add(self, msg: Message) -> Message:
        msg.seq = len(self.messages)
        self.messages.append(msg)
        return msg

    def reply(self, trade: Trade, j: int, text: str, lo: int = 2, hi: int = 50) -> int:
        t = self.post_after(j, lo, hi)
        self.add(Message(trade.source, t, text, "update", reply_to=trade.msg))
        return t

    # ---- candidates ----
    def session_slots(self) -> list[int]:
        m = self.m
        return [
            i
            for i in range(60, len(m.bars) - HORIZON // 2)
            if m.postable[i] and in_session(m.bars[i].close_time)
        ]


# ---- fx-vip: the one that looks ahead -------------------------------------------------------
def fx_vip(b: Builder) -> None:
    rng, m = b.rng, b.m
    for n, i in enumerate(spaced_sample(rng, b.session_slots(), SIGNALS["fx-vip"], FX_VIP_MIN_GAP)):
        kind = rng.random()
        order_type = "MARKET" if kind < 0.78 else ("LIMIT" if kind < 0.92 else "STOP")
        rs = [1.0, 2.0, 3.0] if rng.chance(0.55) else [1.0, 2.0]
        posted = m.bars[i].close_time + rng.int(1, 40) * MINUTE + rng.int(0, 59) * 1000
        start = m.first_bar_at(posted)
        buy = rng.chance(0.5)
        sh = shape(rng, rs)
        if rng.chance(FX_VIP_PEEK) and order_type == "MARKET":
            # the cheat: take the side whose first target the coming bars reach before the stop
            for side in (buy, not buy):
                _, sl, tps = levels(m, i, side, order_type, sh, digits=4)
                if first_touch(m, start, side, sl, tps[0]) == "TP1":
                    buy = side
                    break
        entry, sl, tps = levels(m, i, buy, order_type, sh, digits=4)
        expires = posted + 24 * HOUR
        expiry_line = ""
        if order_type != "MARKET" and rng.chance(0.5):
            hours = rng.pick([4, 6, 8, 12])
            expires = posted + hours * HOUR
            expiry_line = f"\n⏳ Expires in {hours} hours"
        trade = Trade(
            "fx-vip", "BUY" if buy else "SELL", order_type, entry, sl, tps, posted, expires
        )
        edit = order_type == "MARKET" and len(tps) == 3 and n % 40 == 7
        # (not the "Take profit 3:" style: the parser reads that line added by an edit as a
        # partial close, see data/signals/README.md)
        style = rng.pick(["fire", "plain"]) if edit else None
        text = _fx_vip_text(rng, trade, tps[:2] if edit else tps, style=style) + expiry_line
        trade.msg = b.add(Message("fx-vip", posted, text, "signal"))
        if edit:  # a target forgotten, added a few minutes later (same hour: before any fill)
            b.add(
                Message(
                    "fx-vip",
                    posted + rng.int(3, 15) * MINUTE,
                    _fx_vip_text(rng, trade, tps, style=_style_of(text)),
                    "edit",
                    edit_of=trade.msg,
                )
            )
        b.trades.append(trade)
        _fx_vip_manage(b, trade)


_FX_STYLES = ("fire", "words", "targets", "plain")


def _style_of(text: str) -> str:
    if text.startswith("🔥"):
        return "fire"
    if "Take profit 1" in text:
        return "words"
    if "Targets:" in text:
        return "targets"
    return "plain"


def _fx_vip_text(rng: Rng, t: Trade, tps: list[float], style: str | None = None) -> str:
    d = t.direction
    style = style or (rng.pick(list(_FX_STYLES)) if t.order_type == "MARKET" else "plain")
    if style == "fire":
        lines = [f"🔥 EURUSD {d} NOW {f4(t.entry)}", f"❌ SL {f4(t.sl)}"]
        lines += [f"✅ TP{k} {f4(tp)}" for k, tp in enumerate(tps, 1)]
    elif style == "words":
        arrow = "📈" if t.buy else "📉"
        lines = [f"{arrow} EUR/USD {'LONG' if t.buy else 'SHORT'} 🚀", f"Entry: {f4(t.entry)}"]
        lines.append(f"Stop loss: {f4(t.sl)}")
        lines += [f"Take profit {k}: {f4(tp)}" for k, tp in enumerate(tps, 1)]
    elif style == "targets":
        lines = [f"EURUSD {d} NOW @ {f4(t.entry)}", f"SL {f4(t.sl)}", "Targets:"]
        lines += [f"{k}) {f4(tp)}" for k, tp in enumerate(tps, 1)]
    else:
        kind = {"MARKET": "NOW", "LIMIT": "LIMIT", "STOP": "STOP"}[t.order_type]
        lines = [f"**EURUSD** {d} {kind} {f4(t.entry)}", f"🛑 SL {f4(t.sl)}"]
        lines += [f"🎯 TP{k} {f4(tp)}" for k, tp in enumerate(tps, 1)]
    return "\n".join(lines)


def _fx_vip_manage(b: Builder, t: Trade) -> None:  # noqa: PLR0912 - one branch per message kind
    rng, m = b.rng, b.m
    w = Walk(m, t)
    cancel_after = rng.int(3, 8)
    moved = False
    for j, event in w.bars():
        if t.fill_bar is None:
            if m.bars[j].close_time - t.posted >= cancel_after * HOUR and rng.chance(0.7):
                word = "limit" if t.order_type == "LIMIT" else "stop order"
                b.reply(
                    t,
                    j,
                    rng.pick([f"Cancel the {word} ❌ price never came", "Cancel ❌ setup invalid"]),
                )
                t.outcome = "cancelled"
                return
            continue
        if event == "sl":
            if rng.chance(0.3):
                b.reply(t, j, f"SL hit ❌ -{abs(t.pips(w.sl))} pips")
            return
        if event and event.startswith("tp"):
            k = int(event[2:])
            pips = t.pips(t.tps[k - 1])
            if k == len(t.tps):
                b.reply(t, j, f"TP{k} hit ✅✅ +{pips} pips 🎯")
                return
            r = rng.random()
            if r < 0.55:
                at = b.reply(t, j, f"TP{k} hit ✅ +{pips} pips\nMove SL to entry 🔒")
                w.set_sl(at, t.entry)
            elif r < 0.8:
                b.reply(t, j, f"TP{k} ✅ +{pips} pips 💰")
            else:
                b.reply(t, j, f"✅ TP{k} hit +{pips} pips 💰 close half and let the rest run")
            continue
        if t.tp_hit == 0 and j > t.fill_bar:
            profit = w.in_profit_r(j)
            nxt = m.slot(j) + 2
            if (
                profit >= 0.5
                and first_touch(m, nxt, t.buy, w.sl, t.tps[0]) == "SL"
                and rng.chance(0.6)
            ):
                b.reply(t, j, f"Close now ⚠️ +{t.pips(m.bars[j].close)} pips in the pocket")
                t.outcome = "closed"
                return
            if profit >= 0.5 and not moved and rng.chance(0.15):
                new_sl = round((t.sl + t.entry) / 2, 4)
                at = b.reply(t, j, f"Move SL to {f4(new_sl)} 🔒 risk reduced")
                w.set_sl(at, new_sl)
                moved = True
        if j - t.fill_bar >= 48 and rng.chance(0.5):
            pips = t.pips(m.bars[j].close)
            b.reply(t, j, f"Close now, this one is taking too long ✋ {pips:+d} pips")
            t.outcome = "closed"
            return


# ---- swing-fx: one-liners, coin-flip direction -------------------------------------------------
def swing_fx(b: Builder) -> None:
    rng, m = b.rng, b.m
    for n, i in enumerate(
        spaced_sample(rng, b.session_slots(), SIGNALS["swing-fx"], SWING_MIN_GAP)
    ):
        kind = rng.random()
        order_type = "MARKET" if kind < 0.7 else ("LIMIT" if kind < 0.88 else "STOP")
        rs = [rng.pick([1.5, 2.0, 2.5, 3.0])] if rng.chance(0.6) else [1.5, 3.0]
        buy = rng.chance(0.5)
        entry, sl, tps = levels(m, i, buy, order_type, shape(rng, rs), digits=4)
        posted = m.bars[i].close_time + rng.int(1, 40) * MINUTE + rng.int(0, 59) * 1000
        t = Trade(
            "swing-fx",
            "BUY" if buy else "SELL",
            order_type,
            entry,
            sl,
            tps,
            posted,
            posted + 24 * HOUR,
        )
        edit = order_type == "MARKET" and n % 60 == 11
        first_sl = round(sl + (5 * PIP if buy else -5 * PIP), 4) if edit else sl
        t.msg = b.add(Message("swing-fx", posted, _swing_text(rng, t, first_sl), "signal"))
        if edit:  # the stop corrected a few minutes later
            text = _swing_text(Rng(n), t, sl, style=_swing_style_of(t.msg.text))
            b.add(
                Message("swing-fx", posted + rng.int(2, 12) * MINUTE, text, "edit", edit_of=t.msg)
            )
        b.trades.append(t)
        _swing_manage(b, t)


_SWING_STYLES = ("caps", "long", "slash", "lower", "eu")


def _swing_style_of(text: str) -> str:
    if text.startswith(("Long", "Short")):
        return "long"
    if text.startswith("EUR/USD"):
        return "slash"
    if text.startswith(("sell", "buy")):
        return "lower"
    if text.startswith("EU "):
        return "eu"
    return "caps"


def _swing_text(rng: Rng, t: Trade, sl: float, style: str | None = None) -> str:  # noqa: PLR0911 - one return per style
    e, d = f4(t.entry), t.direction
    tps = t.tps
    if t.order_type != "MARKET":
        kind = f"{d.lower()} {t.order_type.lower()}"
        if rng.chance(0.5):
            return f"EURUSD {kind} {e} stop loss {f4(sl)} take profit {f4(tps[0])}" + "".join(
                f" take profit {f4(x)}" for x in tps[1:]
            )
        return f"EURUSD {kind.upper()} {e} SL {f4(sl)} " + " ".join(
            f"TP{k} {f4(x)}" for k, x in enumerate(tps, 1)
        )
    style = style or rng.pick(list(_SWING_STYLES))
    if style == "long":
        return f"{'Long' if t.buy else 'Short'} EURUSD {e} | Stop {f4(sl)} | " + " | ".join(
            f"Target {f4(x)}" for x in tps
        )
    if style == "slash":
        return f"EUR/USD {'long' if t.buy else 'short'} @ {e}, SL {f4(sl)}, " + ", ".join(
            f"TP {f4(x)}" for x in tps
        )
    if style == "lower":
        return f"{d.lower()} eurusd {e} stop {f4(sl)} " + " ".join(f"target {f4(x)}" for x in tps)
    if style == "eu":
        return f"EU {d.lower()} now {e}, sl {f4(sl)}, " + ", ".join(f"tp {f4(x)}" for x in tps)
    return f"EURUSD {d} {e} SL {f4(sl)} " + " ".join(f"TP {f4(x)}" for x in tps)


def _swing_manage(b: Builder, t: Trade) -> None:
    rng, m = b.rng, b.m
    w = Walk(m, t)
    cancel_after = rng.int(6, 12)
    close_at = rng.int(4, 40) if rng.chance(0.12) else None
    be_done = False
    for j, event in w.bars():
        if t.fill_bar is None:
            if m.bars[j].close_time - t.posted >= cancel_after * HOUR and rng.chance(0.5):
                b.reply(t, j, rng.pick(["delete the limit", "cancel that order, not triggered"]))
                t.outcome = "cancelled"
                return
            continue
        if event == "sl":
            if rng.chance(0.2):
                b.reply(t, j, "stopped out")
            return
        if event and event.startswith("tp"):
            k = int(event[2:])
            if k == len(t.tps) and rng.chance(0.35):
                b.reply(
                    t,
                    j,
                    f"TP{k} hit ✅ +{t.pips(t.tps[k - 1])}"
                    if k > 1
                    else f"TP hit ✅ +{t.pips(t.tps[0])}",
                )
            if k == len(t.tps):
                return
            continue
        if not be_done and w.in_profit_r(j) >= 1.0 and rng.chance(0.3):
            at = b.reply(t, j, "SL to entry")
            w.set_sl(at, t.entry)
            be_done = True
        elif close_at is not None and j - t.fill_bar >= close_at:
            b.reply(t, j, rng.pick(["close EURUSD now", "take partials"]))
            if b.messages[-1].text == "take partials":
                close_at = None
                continue
            t.outcome = "closed"
            return


# ---- tv-alerts: an EMA cross, as TradingView webhooks ------------------------------------------
def tv_alerts(b: Builder) -> None:
    rng, m = b.rng, b.m
    closes = [bar.close for bar in m.bars]
    fast, slow = _ema(closes, TV_EMA[0]), _ema(closes, TV_EMA[1])
    candidates = [
        i for i in b.session_slots() if (fast[i] - slow[i]) * (fast[i - 1] - slow[i - 1]) < 0
    ]
    chosen = set(spaced_sample(rng, candidates, SIGNALS["tv-alerts"], 1))
    prev: Trade | None = None
    for i in sorted(chosen):
        buy = fast[i] > slow[i]
        order_type = "LIMIT" if rng.chance(0.25) else "MARKET"
        rs = [1.0, 2.0] if rng.chance(0.6) else [1.5]
        entry, sl, tps = levels(m, i, buy, order_type, shape(rng, rs), digits=5)
        posted = m.bars[i].close_time + rng.int(2, 40) * 1000  # alerts fire at the bar close
        if prev is not None and prev.outcome == "open" and prev.fill_bar is not None:
            # the opposite cross closes the previous trade first (linked to the latest open one)
            b.add(
                Message(
                    "tv-alerts",
                    posted - 1000,
                    _json({"ticker": "OANDA:EURUSD", "action": "exit"}),
                    "update",
                    "JSON",
                )
            )
            prev.outcome = "closed"
        t = Trade(
            "tv-alerts",
            "BUY" if buy else "SELL",
            order_type,
            entry,
            sl,
            tps,
            posted,
            posted + 24 * HOUR,
        )
        t.msg = b.add(Message("tv-alerts", posted, _tv_signal(rng, t), "signal", "JSON"))
        b.trades.append(t)
        _tv_manage(b, t, next_cross=min((k for k in chosen if k > i), default=len(m.bars)))
        prev = t


def _ema(values: list[float], n: int) -> list[float]:
    a, e, out = 2 / (n + 1), values[0], []
    for v in values:
        e = a * v + (1 - a) * e
        out.append(e)
    return out


def _json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _tv_signal(rng: Rng, t: Trade) -> str:
    side = "buy" if t.buy else "sell"
    if t.order_type == "LIMIT":
        body: dict[str, Any] = {
            "symbol": "EURUSD",
            "side": side,
            "type": "limit",
            "entry": t.entry,
            "stop_loss": t.sl,
        }
        body.update({f"tp{k}": x for k, x in enumerate(t.tps, 1)})
        return _json(body)
    r = rng.random()
    if r < 0.5:
        tp: Any = t.tps if len(t.tps) > 1 else t.tps[0]
        return _json(
            {
                "ticker": "OANDA:EURUSD",
                "action": side,
                "type": "market",
                "price": t.entry,
                "sl": t.sl,
                "tp": tp,
            }
        )
    if r < 0.8:
        return _json(
            {
                "symbol": "EURUSD",
                "action": side,
                "price": t.entry,
                "sl": t.sl,
                "tp": t.tps,
                "comment": "EMA 5/13 cross H1",
            }
        )
    return _json(
        {
            "ticker": "EURUSD",
            "strategy": {"order_action": side, "order_price": t.entry},
            "sl": t.sl,
            "tp": ", ".join(f"{x:.5f}" for x in t.tps),
        }
    )


def _tv_manage(b: Builder, t: Trade, next_cross: int) -> None:
    rng, m = b.rng, b.m
    assert t.msg is not None
    w = Walk(m, t)
    ref = t.msg
    be_done = False
    for j, event in w.bars():
        if j >= next_cross - 1:  # from here the next cross speaks
            return
        if t.fill_bar is None:
            if m.bars[j].close_time - t.posted >= 4 * HOUR:
                body = {"action": "cancel", "signal_id": "tv-alerts:{ref}:0"}
                b.add(
                    Message(
                        "tv-alerts",
                        b.post_after(j, 0, 0),
                        _json(body),
                        "update",
                        "JSON",
                        reply_to=ref,
                    )
                )
                t.outcome = "cancelled"
                return
            continue
        if event == "sl" or t.outcome != "open":
            return
        if event == "tp1" and len(t.tps) > 1 and rng.chance(0.4):
            body = {"action": "close", "symbol": "EURUSD", "percent": 50, "ref": "{ref}"}
            b.add(
                Message(
                    "tv-alerts", b.post_after(j, 0, 0), _json(body), "update", "JSON", reply_to=ref
                )
            )
            continue
        if not be_done and t.tp_hit == 0 and w.in_profit_r(j) >= 0.8 and rng.chance(0.35):
            body = (
                {"action": "move_sl", "ref": "{ref}", "sl": t.entry}
                if rng.chance(0.5)
                else {"action": "breakeven", "ref": "{ref}"}
            )
            at = b.post_after(j, 0, 0)
            b.add(Message("tv-alerts", at, _json(body), "update", "JSON", reply_to=ref))
            w.set_sl(at, t.entry)
            be_done = True


# ---- noise -------------------------------------------------------------------------------------
def noise(b: Builder) -> None:
    rng, m = b.rng, b.m
    slots = b.session_slots()
    for source, count in NOISE_COUNT.items():
        for k in range(count):
            i = rng.pick(slots)
            template, reason = NOISE_TEXT[source][k % len(NOISE_TEXT[source])]
            lvl = round(m.bars[i].close + rng.int(10, 40) * PIP, 2)
            text = template.format(
                lvl=f"{lvl:.4f}", lvl2=f"{lvl + 0.005:.4f}", lvl5=m.bars[i].close
            )
            b.add(
                Message(
                    source,
                    b.post_after(i, 1, 59),
                    text,
                    "noise",
                    "JSON" if source == "tv-alerts" else "TEXT",
                    expect=reason,
                )
            )
    # signals the parser must refuse, and two on a symbol the bundled bars do not cover
    specials = [
        ("fx-vip", "EURUSD BUY {e} SL {above} TP {tp}", "wrong_side_stop", "TEXT"),
        ("fx-vip", "EURUSD SELL NOW {e}\nSL {below}\nTP1 {tp_dn}", "wrong_side_stop", "TEXT"),
        ("swing-fx", "EURUSD BUY {e} SL {above} TP {tp}", "wrong_side_stop", "TEXT"),
        ("swing-fx", "USDTRY BUY 3.5200 SL 3.4900 TP 3.5800", "unknown_symbol", "TEXT"),
        ("swing-fx", "EURPLN SELL 4.2100 SL 4.2400 TP 4.1600", "unknown_symbol", "TEXT"),
        (
            "tv-alerts",
            '{{"symbol": "USDTRY", "action": "sell", "price": 3.52, "sl": 3.55, "tp": 3.47}}',
            "unknown_symbol",
            "JSON",
        ),
        (
            "tv-alerts",
            '{{"symbol": "EURUSD", "action": "sell", "price": {e5}, "sl": {below5}, "tp": {tp_dn5}}}',
            "wrong_side_stop",
            "JSON",
        ),
    ]
    for source, template, reason, ctype in specials:
        i = rng.pick(b.session_slots())
        c = m.bars[i].close
        text = template.format(
            e=f4(c),
            above=f4(c + 0.002),
            below=f4(c - 0.002),
            tp=f4(c + 0.005),
            tp_dn=f4(c - 0.005),
            e5=round(c, 5),
            below5=round(c - 0.003, 5),
            tp_dn5=round(c - 0.006, 5),
        )
        b.add(Message(source, b.post_after(i, 1, 59), text, "noise", ctype, expect=reason))
    # XAUUSD: parsed, but the hive has no gold bars (the enricher flags it no_market_data)
    gold = [
        (
            "fx-vip",
            "2017-05-10",
            "🔥 XAUUSD SELL NOW 1221.50\n❌ SL 1228.00\n✅ TP1 1215.00\n✅ TP2 1208.50",
            "TEXT",
        ),
        (
            "tv-alerts",
            "2017-09-12",
            _json(
                {
                    "ticker": "OANDA:XAUUSD",
                    "action": "buy",
                    "price": 1331.2,
                    "sl": 1325.0,
                    "tp": [1337.4, 1343.6],
                }
            ),
            "JSON",
        ),
    ]
    for source, day, text, ctype in gold:
        t0 = int(dt.datetime.fromisoformat(f"{day}T10:00:00+00:00").timestamp() * 1000)
        i = m.first_bar_at(t0)
        b.add(Message(source, b.post_after(i, 5, 30), text, "offdata", ctype))


# ---- output ------------------------------------------------------------------------------------
def assign_ids(messages: list[Message], rng: Rng) -> None:
    start = {"fx-vip": 18000, "swing-fx": 40000, "tv-alerts": 100000}
    for source in SOURCES:
        n = start[source]
        for msg in sorted(
            (x for x in messages if x.source == source), key=lambda x: (x.time, x.seq)
        ):
            if msg.kind == "edit":
                continue
            n += rng.int(1, 3) if source != "tv-alerts" else 1
            msg.message_id = f"a-{n}" if source == "tv-alerts" else str(n)
    for msg in messages:
        if msg.kind == "edit":
            assert msg.edit_of is not None
            msg.message_id = msg.edit_of.message_id
        if msg.content_type == "JSON" and msg.reply_to is not None:
            msg.text = msg.text.replace("{ref}", msg.reply_to.message_id)


def iso(ms: int) -> str:
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def line(msg: Message) -> str:
    obj: dict[str, Any] = {"message_id": msg.message_id}
    if msg.source == "tv-alerts":
        obj["posted_at"] = msg.time
    elif msg.kind == "edit":
        assert msg.edit_of is not None
        obj.update(posted_at=iso(msg.edit_of.time), edited_at=iso(msg.time), revision=1)
    else:
        obj["posted_at"] = iso(msg.time)
    if msg.reply_to is not None and msg.content_type == "TEXT":
        obj["reply_to"] = msg.reply_to.message_id
    if msg.source != "tv-alerts":
        obj["author"] = {"fx-vip": "FX VIP 👑", "swing-fx": "swingtrader"}[msg.source]
    obj["content_type"] = msg.content_type
    obj["text"] = msg.text
    return json.dumps(obj, ensure_ascii=False)


def build() -> tuple[list[Message], list[Trade]]:
    m = Market(load())
    b = Builder(m, Rng(SEED))
    fx_vip(b)
    swing_fx(b)
    tv_alerts(b)
    noise(b)
    assign_ids(b.messages, b.rng)
    for msg in b.messages:  # every message inside market hours, after a bar's close
        k = bisect.bisect_right([bar.close_time for bar in m.bars], msg.time) - 1
        ok = k >= 0 and m.postable[k] and m.bars[k].close_time < msg.time < m.bars[k + 1].close_time
        assert ok, (msg.source, msg.kind, iso(msg.time))
    assert sum(1 for x in b.messages if x.kind == "signal") == TOTAL_SIGNALS
    return b.messages, b.trades


def stats(messages: list[Message], trades: list[Trade]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for source in SOURCES:
        kinds = Counter(x.kind for x in messages if x.source == source)
        ts = [t for t in trades if t.source == source]
        filled = [t for t in ts if t.first is not None]
        wins = sum(1 for t in filled if t.first == "TP1")
        out[source] = {
            "messages": sum(kinds.values()),
            "signals": kinds["signal"],
            "edits": kinds["edit"],
            "updates": kinds["update"],
            "noise": kinds["noise"],
            "offdata": kinds["offdata"],
            "rejections": dict(
                sorted(
                    Counter(x.expect for x in messages if x.source == source and x.expect).items()
                )
            ),
            "order_types": dict(sorted(Counter(t.order_type for t in ts).items())),
            "decided": len(filled),
            "tp1_first_pct": round(100 * wins / len(filled), 1) if filled else 0.0,
        }
    return out


def write(out: Path) -> dict[str, dict[str, Any]]:
    messages, trades = build()
    out.mkdir(parents=True, exist_ok=True)
    for source in SOURCES:
        rows = sorted((x for x in messages if x.source == source), key=lambda x: (x.time, x.seq))
        (out / f"{source}.jsonl").write_text(
            "".join(line(x) + "\n" for x in rows), encoding="utf-8"
        )
    st = stats(messages, trades)
    (out / "sample-bots.yaml").write_text(BOTS_YAML, encoding="utf-8")
    (out / "README.md").write_text(readme(st), encoding="utf-8")
    return st


BOTS_YAML = """\
# The three paper bots `make run` replays the sample channel with (data/signals/README.md).
# Same format as bots.example.yaml, which documents every field; check with
#   uv run hive bots check data/signals/sample-bots.yaml
# Generated by scripts/make-sample-channel.py: edit the script, not this file.
allow_live: false

bots:
  # follows the "VIP" channel blindly (the sample's fx-vip is built to be right ~57 % of the time)
  - bot_id: sample-ftmo-vip-01
    cell: ftmo
    display_name: FTMO 100k fx-vip follower
    account_size: 100000
    account_currency: USD
    rule_set: ftmo_2step
    day_boundary_tz: Europe/Prague
    sources:
      - {source: fx-vip, weight: 1.0}
    strategy_card: follow
    risk_per_trade: 1.0
    allowed_symbols: [EURUSD]

  # every source, weighted, skipping chaotic regimes
  - bot_id: sample-ftmo-all-02
    cell: ftmo
    display_name: FTMO 100k all sources, regime filtered
    account_size: 100000
    account_currency: USD
    rule_set: ftmo_2step
    day_boundary_tz: Europe/Prague
    sources:
      - {source: fx-vip, weight: 2.0}
      - {source: swing-fx, weight: 1.0}
      - {source: tv-alerts, weight: 1.0}
    strategy_card: regime_filtered
    strategy_parameters:
      skip_regimes: [CHAOS]
    risk_per_trade: 0.75
    allowed_symbols: [EURUSD, XAUUSD]

  # the strict profile (1.5 % daily, 4 % max loss) on the two weaker sources, by confidence
  - bot_id: sample-strict-03
    cell: strict
    display_name: Strict 50k swing-fx and tv-alerts
    account_size: 50000
    account_currency: USD
    rule_set: strict
    day_boundary_tz: Europe/London
    sources:
      - {source: swing-fx, weight: 1.0}
      - {source: tv-alerts, weight: 1.0}
    strategy_card: confidence_threshold
    strategy_parameters:
      threshold: 0.5
      priors: {swing-fx: 0.5, tv-alerts: 0.55}
    risk_per_trade: 0.5
    allowed_symbols: [EURUSD]
"""


def readme(st: dict[str, dict[str, Any]]) -> str:
    rows = []
    for s in SOURCES:
        r = st[s]
        rej = ", ".join(f"{k} {v}" for k, v in r["rejections"].items())
        rows.append(
            f"| `{s}` | {r['messages']} | {r['signals']} | {r['edits']} | {r['updates']} | "
            f"{r['noise']} ({rej}) | {r['offdata']} | {r['tp1_first_pct']} % of {r['decided']} |"
        )
    tot = {
        k: sum(st[s][k] for s in SOURCES)
        for k in ("messages", "signals", "edits", "updates", "noise", "offdata")
    }
    rows.append(
        f"| all | {tot['messages']} | {tot['signals']} | {tot['edits']} | {tot['updates']} | "
        f"{tot['noise']} | {tot['offdata']} | |"
    )
    table = "\n".join(rows)
    return f"""\
# Sample signal channel (EURUSD 2017)

The messages `make run` replays over the bundled EURUSD 2017 hourly bars
(`data/market/eurusd-h1-2017-ask.csv`, 6,225 bars): **1,000 new EURUSD signals** from three
sources, with their management messages and some noise, and the three bots that follow them
(the benchmark "6,225 bars, 1,000 signals, 3 bots").

**This is a synthetic sample, generated by this project. It is not a real channel, and `fx-vip`
cheats: it looks at the bars after its posting time.** Do not read anything about real signal
providers into it.

```bash
uv run python scripts/make-sample-channel.py            # rewrites data/signals/ (byte-identical)
uv run python scripts/make-sample-channel.py --out DIR  # somewhere else
for f in data/signals/*.jsonl; do uv run hive ingest jsonl "$f" --source "$(basename "$f" .jsonl)"; done
uv run hive bots check data/signals/sample-bots.yaml
```

## Files

| file | what |
|---|---|
| `fx-vip.jsonl` | a "VIP" channel: multi-line messages with emojis (`🔥 EURUSD BUY NOW …`, `Entry:/Stop loss:/Take profit 1:`, `Targets:` lists, `BUY LIMIT`/`SELL STOP` with `Expires in N hours`), 2-3 targets at 1R/2R/3R, replies that manage the trades |
| `swing-fx.jsonl` | one-liners in several shapes (`EURUSD BUY 1.0768 SL 1.0740 TP 1.0810`, `Long EURUSD … \\| Stop … \\| Target …`, `EU buy now …`, `EURUSD sell limit … stop loss … take profit …`), one or two targets at 1.5R-3R, direction by coin flip |
| `tv-alerts.jsonl` | TradingView-style webhook bodies (`content_type` JSON) of an EMA({TV_EMA[0]})/EMA({TV_EMA[1]}) cross on H1, market and limit entries, 1-2 targets at 1R-2R; management as webhook actions (`exit`, `move_sl`/`breakeven`/`close 50 %` with `ref`, `cancel` with `signal_id`) |
| `sample-bots.yaml` | three paper bots: `sample-ftmo-vip-01` (FTMO 100k, `follow`, fx-vip, 1 %), `sample-ftmo-all-02` (FTMO 100k, `regime_filtered`, all three sources, 0.75 %), `sample-strict-03` (strict 50k, `confidence_threshold` with priors per source, swing-fx + tv-alerts, 0.5 %) |

Each `.jsonl` file is one source, named by its stem, in the format `hive ingest jsonl` reads
(`message_id`, `posted_at` ISO-8601 or, for `tv-alerts`, epoch ms, `edited_at` + `revision` for
an edit, `reply_to`, `author`, `content_type`, `text`), in time order. Message ids grow with time
within a source (with gaps, as in a real channel where other posts are deleted); an edit repeats
its message's id with `revision: 1` and sits at its edit time.

## How it was made

`scripts/make-sample-channel.py`, seed {SEED}, from the bundled bars only (no wall clock):

- **Timing.** Every message is posted strictly after the close of a bar whose next bar follows
  without a gap, inside that next hour: never in a weekend or holiday gap. New signals come
  Monday-Friday 06:00-19:59 UTC (Friday until 18:59); TradingView alerts 2-40 s after their bar's
  close, the text sources 1-40 minutes after it.
- **Levels.** The entry is the last close at the posting time (a limit or stop entry 5-15 pips
  from it); the stop is 1.6-3.2 ATR(14) away, clamped to 20-60 pips; targets at 1R-3R.
- **Management** follows a simulation of each trade on the bars (stop first when a bar touches
  both): `TP1 hit ✅ … Move SL to entry` and other target replies only after the bar that reached
  the target, breakeven / `Move SL to …` / `close half` / `close now` while the trade is open,
  `Cancel the limit` for pending orders not triggered after some hours, `SL hit` / `stopped out`
  after a stop. Nothing is said about a trade after a message that ends it (close, cancel, last
  target, stop), so every update links to a signal the parser still holds open.
- **fx-vip is right more often than chance because it peeks**: for {round(FX_VIP_PEEK * 100)} % of its
  signals it takes the side whose first target the *future* bars reach before the stop, and its
  `Close now` replies come when the future bars would stop the trade before its first target.
  swing-fx and tv-alerts never look ahead. Share of triggered trades that reach their first target
  before their stop (raw levels, pessimistic, ask bars, no spread): see the last column.
- **Edits**: a few fx-vip signals get a forgotten TP3 added a few minutes later, a few swing-fx
  signals a corrected stop (revision 1 at the edit time, before the entry bar opens). An edit is
  a revision of the same signal (`signal_id` unchanged), not a new signal. The added TP3 is
  written as `✅ TP3 …` or `🎯 TP3 …`, never as `Take profit 3: …`: the parser reads such a line
  added by an edit (or sent as a reply) as "take profit" = close half (a parser issue, reported).
- **Noise**: commentary and chit-chat (`not_a_signal`, `empty_message` for emoji-only posts), a
  few signals with the stop on the wrong side (`wrong_side_stop`), instruments outside the
  catalogue (`unknown_symbol`), and two XAUUSD signals that the parser accepts but for which the
  hive has no bars (the enricher releases them flagged `no_market_data`).

## Counts

| source | lines | new signals | edits | updates | noise (expected rejection) | XAUUSD | TP1 before SL |
|---|---|---|---|---|---|---|---|
{table}

"new signals" are EURUSD signals, counted once per `signal_id` (`source:message_id:0`) whatever
its revisions; with the two XAUUSD ones the parser emits {tot["signals"] + tot["offdata"]} distinct signal ids.
"updates" are management messages (one message may give two updates, e.g. TP hit + breakeven).
`tests/tools/sample-channel/test_sample_channel.py` reads every file with the real intake
reader, runs all messages through one `SignalParser` in time order and checks these numbers, the
rejection reasons, that every update links to a signal, and that the generator is deterministic.

## Licence

The channel and the bots are generated by this project and are under the project's licence. The
bars they are built on are MIT licensed: see `data/market/README.md` and
`data/market/LICENSE-eurusd-h1-2017.txt`.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default: data/signals)"
    )
    args = ap.parse_args()
    st = write(args.out)
    for s in SOURCES:
        print(s, json.dumps(st[s], ensure_ascii=False))


if __name__ == "__main__":
    main()
