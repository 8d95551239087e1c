"""delivery reports: when a message arrived, and numbers carriers cannot reach

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("delivery_problem", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("delivery_problem_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("delivered_at")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("delivery_problem_at")
        batch.drop_column("delivery_problem")
