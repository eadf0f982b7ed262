"""the change guard's verdicts (changes) and the values in force (parameters, their history)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00

Verdicts decided before this upgrade stay only in audit_events: the projection fills `changes`
from the audit records it reads after it. `parameters` is a table topic, read whole at start.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _parameter_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("scope_level", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("previous_value", sa.Text(), nullable=True),
        sa.Column("change_id", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    # /v1/changes and /v1/rules: what the hive changed in itself, and what is in force.
    op.create_table(
        "changes",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("command_id", sa.String(length=200), nullable=False),
        sa.Column("change_id", sa.String(length=200), nullable=True),
        sa.Column("command", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("scope_level", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_change_id"), ["change_id"], unique=False)
        batch_op.create_index("ix_changes_time", ["ts_event", "event_id"], unique=False)
        batch_op.create_index("ix_changes_kind_time", ["kind", "ts_event"], unique=False)

    op.create_table(
        "parameters",
        *_parameter_columns(),
        sa.PrimaryKeyConstraint("scope_level", "scope_id", "name"),
    )
    op.create_table(
        "parameter_history",
        *_parameter_columns(),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("parameter_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_parameter_history_key", ["scope_level", "scope_id", "name"], unique=False
        )


def downgrade() -> None:
    op.drop_table("parameter_history")
    op.drop_table("parameters")
    op.drop_table("changes")
