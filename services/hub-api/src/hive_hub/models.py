"""The read models: one table per thing the hub shows, filled by the projections.

Each row is keyed by the deterministic id of the record it comes from (bot_id, signal_id,
event_id, order_id, trade_id, model name + version, scope), so replaying a record writes the
same row again. Times are epoch milliseconds UTC, as on the records. Migrations: migrations/.

Over 400 lines and kept whole: one short class per table on one Base, the read models' schema
in one place for the migrations to follow.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class BotRow(Base):
    """The latest registry.bots definition per bot (compacted topic: highest config_version)."""

    __tablename__ = "bots"

    bot_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200))
    cell_id: Mapped[str] = mapped_column(String(128), index=True)
    display_name: Mapped[str | None] = mapped_column(String(300))
    config_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    account_size: Mapped[float] = mapped_column(Float)
    account_currency: Mapped[str] = mapped_column(String(8))
    rule_set: Mapped[str] = mapped_column(String(64))
    strategy_card: Mapped[str] = mapped_column(String(128))
    risk_per_trade: Mapped[float] = mapped_column(Float)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    ts_event: Mapped[int] = mapped_column(BigInteger)
    definition: Mapped[dict[str, Any]] = mapped_column(Json)


class BreakerRow(Base):
    """The latest control.breakers record per scope (highest transition_seq)."""

    __tablename__ = "breakers"

    scope_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    previous_state: Mapped[str | None] = mapped_column(String(16))
    fallback_mode: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str | None] = mapped_column(String(64))
    failure_count: Mapped[int] = mapped_column(Integer)
    failure_threshold: Mapped[int] = mapped_column(Integer)
    transition_seq: Mapped[int] = mapped_column(BigInteger)
    opened_at: Mapped[int | None] = mapped_column(BigInteger)
    reset_at: Mapped[int | None] = mapped_column(BigInteger)
    command_id: Mapped[str | None] = mapped_column(String(200))
    ts_event: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(Json)


class CommandRow(Base):
    """Every control.commands record, with the governor's verdict once audited."""

    __tablename__ = "commands"

    command_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    command: Mapped[str] = mapped_column(String(32))
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(Json)
    origin: Mapped[str] = mapped_column(String(64))
    cause_event_id: Mapped[str | None] = mapped_column(String(200))
    ts_event: Mapped[int] = mapped_column(BigInteger, index=True)

    __table_args__ = (Index("ix_commands_scope", "scope_level", "scope_id", "ts_event"),)


class CommandOutcomeRow(Base):
    """The governor's COMMAND_APPLIED / COMMAND_REFUSED for a command (its audit event)."""

    __tablename__ = "command_outcomes"

    command_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    audit_event_id: Mapped[str] = mapped_column(String(200))
    ts_event: Mapped[int] = mapped_column(BigInteger)


class SignalRow(Base):
    """One signal (latest revision), with its enrichment and regime once they are known."""

    __tablename__ = "signals"

    signal_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    entry: Mapped[float | None] = mapped_column(Float)
    stop_loss: Mapped[float | None] = mapped_column(Float)
    take_profit: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    message_id: Mapped[str] = mapped_column(String(200))
    ts_event: Mapped[int] = mapped_column(BigInteger)
    parsed: Mapped[dict[str, Any]] = mapped_column(Json)
    market: Mapped[dict[str, Any] | None] = mapped_column(Json)
    enriched_revision: Mapped[int | None] = mapped_column(Integer)
    regime: Mapped[str | None] = mapped_column(String(16))
    regime_probabilities: Mapped[dict[str, Any] | None] = mapped_column(Json)
    regime_model_version: Mapped[str | None] = mapped_column(String(128))
    scored_revision: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_signals_time", "ts_event", "signal_id"),
        Index("ix_signals_source_time", "source", "ts_event"),
        Index("ix_signals_symbol_time", "symbol", "ts_event"),
    )


class DecisionRow(Base):
    """Every orders.decisions record: one per signal revision and following bot."""

    __tablename__ = "decisions"

    event_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    signal_id: Mapped[str] = mapped_column(String(200), index=True)
    signal_revision: Mapped[int] = mapped_column(Integer)
    bot_id: Mapped[str] = mapped_column(String(128))
    cell_id: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(8))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(Json)
    strategy_card: Mapped[str | None] = mapped_column(String(128))
    breaker_mode: Mapped[str | None] = mapped_column(String(32))
    confidence_used: Mapped[float | None] = mapped_column(Float)
    approved_size: Mapped[float | None] = mapped_column(Float)
    order_id: Mapped[str | None] = mapped_column(String(200))
    ts_event: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (
        Index("ix_decisions_bot_time", "bot_id", "ts_event"),
        Index("ix_decisions_time", "ts_event", "event_id"),
    )


class OrderRow(Base):
    """The latest orders.executions state per order (highest sequence): open ones are positions."""

    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(300))
    sequence: Mapped[int] = mapped_column(Integer)
    bot_id: Mapped[str] = mapped_column(String(128))
    cell_id: Mapped[str] = mapped_column(String(128))
    signal_id: Mapped[str | None] = mapped_column(String(200))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[float | None] = mapped_column(Float)
    remaining_quantity: Mapped[float | None] = mapped_column(Float)
    avg_entry_price: Mapped[float | None] = mapped_column(Float)
    stop_loss: Mapped[float | None] = mapped_column(Float)
    mode: Mapped[str] = mapped_column(String(16))
    shadow: Mapped[bool] = mapped_column(Boolean)
    ts_event: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (Index("ix_orders_bot_status", "bot_id", "status"),)


class TradeRow(Base):
    """Every trades.closed record."""

    __tablename__ = "trades"

    trade_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200))
    signal_id: Mapped[str | None] = mapped_column(String(200))
    bot_id: Mapped[str] = mapped_column(String(128))
    cell_id: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    entry_time: Mapped[int] = mapped_column(BigInteger)
    exit_time: Mapped[int] = mapped_column(BigInteger)
    entry_price: Mapped[float] = mapped_column(Float)
    exit_price: Mapped[float] = mapped_column(Float)
    quantity: Mapped[float] = mapped_column(Float)
    pnl: Mapped[float] = mapped_column(Float)
    r_multiple: Mapped[float | None] = mapped_column(Float)
    exit_reason: Mapped[str] = mapped_column(String(32))
    shadow: Mapped[bool] = mapped_column(Boolean)
    ts_event: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (
        Index("ix_trades_bot_time", "bot_id", "exit_time"),
        Index("ix_trades_time", "exit_time", "trade_id"),
    )


_SNAPSHOT_COLUMNS = """
    sequence ts_event balance equity unrealized_pnl open_positions initial_balance
    day_start_balance peak_equity daily_loss drawdown trading_day reason currency mode cell_id
"""


class SnapshotRow(Base):
    """Every accounts.snapshots record: the equity series."""

    __tablename__ = "account_snapshots"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    bot_id: Mapped[str] = mapped_column(String(128))
    cell_id: Mapped[str] = mapped_column(String(128))
    sequence: Mapped[int] = mapped_column(BigInteger)
    ts_event: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[float] = mapped_column(Float)
    equity: Mapped[float] = mapped_column(Float)
    unrealized_pnl: Mapped[float] = mapped_column(Float)
    open_positions: Mapped[int] = mapped_column(Integer)
    initial_balance: Mapped[float] = mapped_column(Float)
    day_start_balance: Mapped[float] = mapped_column(Float)
    peak_equity: Mapped[float] = mapped_column(Float)
    daily_loss: Mapped[float] = mapped_column(Float)
    drawdown: Mapped[float] = mapped_column(Float)
    trading_day: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_snapshots_bot_seq", "bot_id", "sequence"),)


class AccountRow(Base):
    """The latest accounts.snapshots record per bot (highest sequence)."""

    __tablename__ = "accounts"

    bot_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200))
    cell_id: Mapped[str] = mapped_column(String(128))
    sequence: Mapped[int] = mapped_column(BigInteger)
    ts_event: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[float] = mapped_column(Float)
    equity: Mapped[float] = mapped_column(Float)
    unrealized_pnl: Mapped[float] = mapped_column(Float)
    open_positions: Mapped[int] = mapped_column(Integer)
    initial_balance: Mapped[float] = mapped_column(Float)
    day_start_balance: Mapped[float] = mapped_column(Float)
    peak_equity: Mapped[float] = mapped_column(Float)
    daily_loss: Mapped[float] = mapped_column(Float)
    drawdown: Mapped[float] = mapped_column(Float)
    trading_day: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(16))


SNAPSHOT_FIELDS = tuple(_SNAPSHOT_COLUMNS.split())


class ModelReleaseRow(Base):
    """learner.models: one row per model version, its latest status (greatest ts_event)."""

    __tablename__ = "model_releases"

    model_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(300))
    parent_version: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    ts_event: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(Json)


class AuditRow(Base):
    """audit.events as read, keyed by log position: a copy of the log, so an edited duplicate
    of an event stays visible to verification (hive.audit.verify) instead of overwriting it."""

    __tablename__ = "audit_events"

    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), index=True)
    chain_id: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    ts_event: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(128))
    record: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (
        Index("ix_audit_chain_offset", "chain_id", "partition", "offset"),
        Index("ix_audit_scope", "scope_level", "scope_id"),
    )


class ChangeRow(Base):
    """A change guard verdict on a parameter or rule change or rollback (hive.change_log), from
    the governor's audit event; keyed by that event."""

    __tablename__ = "changes"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    command_id: Mapped[str] = mapped_column(String(200))
    change_id: Mapped[str | None] = mapped_column(String(200), index=True)
    command: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    ts_event: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_changes_time", "ts_event", "event_id"),
        Index("ix_changes_kind_time", "kind", "ts_event"),
    )


class ParameterRow(Base):
    """The latest control.parameters record per scope and name: the value or rule in force
    (value NULL: none is; the owner's own value applies)."""

    __tablename__ = "parameters"

    scope_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(Text)
    previous_value: Mapped[str | None] = mapped_column(Text)
    change_id: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    ts_event: Mapped[int] = mapped_column(BigInteger)


class ParameterHistoryRow(Base):
    """Every control.parameters record, keyed by its event_id (the change or rollback)."""

    __tablename__ = "parameter_history"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(Text)
    previous_value: Mapped[str | None] = mapped_column(Text)
    change_id: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    ts_event: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_parameter_history_key", "scope_level", "scope_id", "name"),)


class ServiceRow(Base):
    """The latest heartbeat per service instance."""

    __tablename__ = "services"

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(BigInteger)
    ts_event: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[str | None] = mapped_column(String(64))
