"""delivery engine: broadcasts, session events, sender leases, reminder preferences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reminder_minutes", sa.String(length=64), nullable=True))
    # Lead times move to the contact: one choice for all their reminders.
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("lead_minutes")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("item", sa.String(length=64), nullable=True))
        batch.create_index("ix_outbox_item", ["kind", "item", "status"])
    op.create_table(
        "broadcasts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_broadcasts"),
    )
    op.create_table(
        "session_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_session_events"),
    )
    op.create_index("ix_session_events_notified_at", "session_events", ["notified_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index("ix_session_events_notified_at", table_name="session_events")
    op.drop_table("session_events")
    op.drop_table("broadcasts")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_item")
        batch.drop_column("item")
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("lead_minutes", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("reminder_minutes")
        batch.drop_column("timezone")
