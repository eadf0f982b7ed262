"""indexes for the newest-first lists of decisions and trades

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:25:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # /v1/decisions and /v1/trades without a filter sorted the whole table per request
    # (bench/hub: 12 requests/s at 100,000 decisions); an index in the sort order serves them.
    op.create_index("ix_decisions_time", "decisions", ["ts_event", "event_id"])
    op.create_index("ix_trades_time", "trades", ["exit_time", "trade_id"])


def downgrade() -> None:
    op.drop_index("ix_trades_time", table_name="trades")
    op.drop_index("ix_decisions_time", table_name="decisions")
