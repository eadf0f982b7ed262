"""What the readers (free text, webhook JSON) hand to the parser before records are built."""

from __future__ import annotations

from dataclasses import dataclass, field

from hive.instruments import Instrument


@dataclass(slots=True)
class Draft:
    """One signal as read, before inference, validation and record building."""

    symbol: Instrument | None = None
    direction: str | None = None  # "BUY" | "SELL"
    direction_inferred: bool = False
    order_type: str | None = None  # "MARKET" | "LIMIT" | "STOP"; None = not said
    entries: list[float] = field(default_factory=list)  # as written: first, then range end
    entry_labelled: bool = False  # read after an entry label (not just the first number)
    short_range: bool = False
    stop_loss: float | None = None
    sl_label: bool = False  # an SL label was written (with or without a value)
    sl_open: bool = False  # 'SL open' / 'SL none'
    sl_pips: float | None = None  # 'SL 30 pips'
    take_profits: list[tuple[int | None, float]] = field(default_factory=list)
    tp_label: bool = False
    tp_open: bool = False
    tp_pips: list[tuple[int | None, float]] = field(default_factory=list)
    conflict: bool = False  # BUY and SELL for the same signal
    negated: bool = False  # "don't buy"
    warnings: list[str] = field(default_factory=list)
    penalty: int = 0  # confidence lost, in hundredths

    def has_levels(self) -> bool:
        return bool(self.entries or self.take_profits or self.stop_loss is not None)

    def note(self, warning: str, penalty: int = 0) -> None:
        if warning not in self.warnings:
            self.warnings.append(warning)
            self.penalty += penalty


@dataclass(slots=True)
class Action:
    """One management instruction as read (not yet linked to a signal)."""

    action: str  # UpdateAction symbol
    pos: int  # where it starts in the text (orders a message's updates)
    price: float | None = None
    fraction: float | None = None
    tp_index: int | None = None
    all_tps: bool = False  # 'all targets hit'
    all_signals: bool = False  # 'close all trades': every open signal of the source
    guessed: bool = False  # fraction or index assumed
    symbol: Instrument | None = None  # named in the instruction itself (webhook, 'close EURUSD')
    explicit_signal: str | None = None  # webhook: signal_id or message id it names


@dataclass(slots=True)
class Scan:
    """Everything the text reader found in one message."""

    drafts: list[Draft] = field(default_factory=list)
    symbols: list[Instrument] = field(default_factory=list)  # mentioned, in order, unique
    close_symbol_pos: list[tuple[int, Instrument]] = field(default_factory=list)
    unknown_symbol: str | None = None
    numbers: int = 0  # price-like numbers seen
    annotations: set[str] = field(default_factory=set)  # warnings for ignored annotations
    cue: str | None = None  # first word of commentary / conditional language
    expiry_hint: bool = False  # a word an expiry is written with
