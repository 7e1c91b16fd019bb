"""foundation copies: the read copy of the network's directory, kept by events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 02:09:12.025375
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kit.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "foundation_copies",
        sa.Column("foundation_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("foundation_id", name=op.f("pk_foundation_copies")),
    )


def downgrade() -> None:
    op.drop_table("foundation_copies")
