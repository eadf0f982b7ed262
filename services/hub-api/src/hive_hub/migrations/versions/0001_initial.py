"""initial read models

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 01:47:45.558238
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The read models of models.py, as first released.
    op.create_table(
        "account_snapshots",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("bot_id", sa.String(length=128), nullable=False),
        sa.Column("cell_id", sa.String(length=128), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.Float(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("unrealized_pnl", sa.Float(), nullable=False),
        sa.Column("open_positions", sa.Integer(), nullable=False),
        sa.Column("initial_balance", sa.Float(), nullable=False),
        sa.Column("day_start_balance", sa.Float(), nullable=False),
        sa.Column("peak_equity", sa.Float(), nullable=False),
        sa.Column("daily_loss", sa.Float(), nullable=False),
        sa.Column("drawdown", sa.Float(), nullable=False),
        sa.Column("trading_day", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("account_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_snapshots_bot_seq", ["bot_id", "sequence"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("bot_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("cell_id", sa.String(length=128), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.Float(), nullable=False),
        sa.Column("equity", sa.Float(), nullable=False),
        sa.Column("unrealized_pnl", sa.Float(), nullable=False),
        sa.Column("open_positions", sa.Integer(), nullable=False),
        sa.Column("initial_balance", sa.Float(), nullable=False),
        sa.Column("day_start_balance", sa.Float(), nullable=False),
        sa.Column("peak_equity", sa.Float(), nullable=False),
        sa.Column("daily_loss", sa.Float(), nullable=False),
        sa.Column("drawdown", sa.Float(), nullable=False),
        sa.Column("trading_day", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("bot_id"),
    )
    op.create_table(
        "audit_events",
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("chain_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("scope_level", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=128), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("partition", "offset"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_chain_offset", ["chain_id", "partition", "offset"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_events_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_audit_scope", ["scope_level", "scope_id"], unique=False)

    op.create_table(
        "bots",
        sa.Column("bot_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("cell_id", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("account_size", sa.Float(), nullable=False),
        sa.Column("account_currency", sa.String(length=8), nullable=False),
        sa.Column("rule_set", sa.String(length=64), nullable=False),
        sa.Column("strategy_card", sa.String(length=128), nullable=False),
        sa.Column("risk_per_trade", sa.Float(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("bot_id"),
    )
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bots_cell_id"), ["cell_id"], unique=False)

    op.create_table(
        "breakers",
        sa.Column("scope_level", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("previous_state", sa.String(length=16), nullable=True),
        sa.Column("fallback_mode", sa.String(length=32), nullable=False),
        sa.Column("cause", sa.String(length=64), nullable=True),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("failure_threshold", sa.Integer(), nullable=False),
        sa.Column("transition_seq", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=True),
        sa.Column("reset_at", sa.BigInteger(), nullable=True),
        sa.Column("command_id", sa.String(length=200), nullable=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("scope_level", "scope_id"),
    )
    op.create_table(
        "command_outcomes",
        sa.Column("command_id", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("audit_event_id", sa.String(length=200), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("command_id"),
    )
    op.create_table(
        "commands",
        sa.Column("command_id", sa.String(length=200), nullable=False),
        sa.Column("command", sa.String(length=32), nullable=False),
        sa.Column("scope_level", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("cause_event_id", sa.String(length=200), nullable=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("command_id"),
    )
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commands_scope", ["scope_level", "scope_id", "ts_event"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_commands_ts_event"), ["ts_event"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("event_id", sa.String(length=300), nullable=False),
        sa.Column("signal_id", sa.String(length=200), nullable=False),
        sa.Column("signal_revision", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.String(length=128), nullable=False),
        sa.Column("cell_id", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("strategy_card", sa.String(length=128), nullable=True),
        sa.Column("breaker_mode", sa.String(length=32), nullable=True),
        sa.Column("confidence_used", sa.Float(), nullable=True),
        sa.Column("approved_size", sa.Float(), nullable=True),
        sa.Column("order_id", sa.String(length=200), nullable=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_bot_time", ["bot_id", "ts_event"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_signal_id"), ["signal_id"], unique=False)

    op.create_table(
        "model_releases",
        sa.Column("model_name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=300), nullable=False),
        sa.Column("parent_version", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("model_name", "version"),
    )
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=300), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.String(length=128), nullable=False),
        sa.Column("cell_id", sa.String(length=128), nullable=False),
        sa.Column("signal_id", sa.String(length=200), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("remaining_quantity", sa.Float(), nullable=True),
        sa.Column("avg_entry_price", sa.Float(), nullable=True),
        sa.Column("stop_loss", sa.Float(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_bot_status", ["bot_id", "status"], unique=False)

    op.create_table(
        "services",
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("service", "instance_id"),
    )
    op.create_table(
        "signals",
        sa.Column("signal_id", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("entry", sa.Float(), nullable=True),
        sa.Column("stop_loss", sa.Float(), nullable=True),
        sa.Column("take_profit", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "parsed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "market",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("enriched_revision", sa.Integer(), nullable=True),
        sa.Column("regime", sa.String(length=16), nullable=True),
        sa.Column(
            "regime_probabilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("regime_model_version", sa.String(length=128), nullable=True),
        sa.Column("scored_revision", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("signal_id"),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index("ix_signals_source_time", ["source", "ts_event"], unique=False)
        batch_op.create_index("ix_signals_symbol_time", ["symbol", "ts_event"], unique=False)
        batch_op.create_index("ix_signals_time", ["ts_event", "signal_id"], unique=False)

    op.create_table(
        "trades",
        sa.Column("trade_id", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("signal_id", sa.String(length=200), nullable=True),
        sa.Column("bot_id", sa.String(length=128), nullable=False),
        sa.Column("cell_id", sa.String(length=128), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("entry_time", sa.BigInteger(), nullable=False),
        sa.Column("exit_time", sa.BigInteger(), nullable=False),
        sa.Column("entry_price", sa.Float(), nullable=False),
        sa.Column("exit_price", sa.Float(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("pnl", sa.Float(), nullable=False),
        sa.Column("r_multiple", sa.Float(), nullable=True),
        sa.Column("exit_reason", sa.String(length=32), nullable=False),
        sa.Column("shadow", sa.Boolean(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("trade_id"),
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index("ix_trades_bot_time", ["bot_id", "exit_time"], unique=False)


def downgrade() -> None:
    # The read models of models.py, as first released.
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("ix_trades_bot_time")

    op.drop_table("trades")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index("ix_signals_time")
        batch_op.drop_index("ix_signals_symbol_time")
        batch_op.drop_index("ix_signals_source_time")

    op.drop_table("signals")
    op.drop_table("services")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_bot_status")

    op.drop_table("orders")
    op.drop_table("model_releases")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_signal_id"))
        batch_op.drop_index("ix_decisions_bot_time")

    op.drop_table("decisions")
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commands_ts_event"))
        batch_op.drop_index("ix_commands_scope")

    op.drop_table("commands")
    op.drop_table("command_outcomes")
    op.drop_table("breakers")
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bots_cell_id"))

    op.drop_table("bots")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_scope")
        batch_op.drop_index(batch_op.f("ix_audit_events_event_id"))
        batch_op.drop_index("ix_audit_chain_offset")

    op.drop_table("audit_events")
    op.drop_table("accounts")
    with op.batch_alter_table("account_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshots_bot_seq")

    op.drop_table("account_snapshots")
