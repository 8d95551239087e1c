"""flood limit: what one contact wrote in the last minute, by index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 14:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbound_log_contact_time", "inbound_log", ["contact_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_log_contact_time", table_name="inbound_log")
