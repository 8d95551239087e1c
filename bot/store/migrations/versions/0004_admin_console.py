"""admin console: sessions, failed sign-ins, what people wrote, an index on outbox time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.create_table(
        "inbound_log",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("contact_id", Id, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_inbound_log_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_log"),
    )
    op.create_index("ix_inbound_log_created_at", "inbound_log", ["created_at"])
    op.create_index("ix_inbound_log_contact", "inbound_log", ["contact_id", "id"])
    op.create_table(
        "admin_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_admin_sessions"),
    )
    op.create_index("ix_admin_sessions_expires_at", "admin_sessions", ["expires_at"])
    op.create_table(
        "admin_login_failures",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_admin_login_failures"),
    )
    op.create_index(
        "ix_admin_login_failures_remote", "admin_login_failures", ["remote", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_admin_login_failures_remote", table_name="admin_login_failures")
    op.drop_table("admin_login_failures")
    op.drop_index("ix_admin_sessions_expires_at", table_name="admin_sessions")
    op.drop_table("admin_sessions")
    op.drop_index("ix_inbound_log_contact", table_name="inbound_log")
    op.drop_index("ix_inbound_log_created_at", table_name="inbound_log")
    op.drop_table("inbound_log")
    op.drop_index("ix_outbox_created_at", table_name="outbox")
