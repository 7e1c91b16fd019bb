"""grants received by partner organisations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:20:25.083483
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kit.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("foundation_id", sa.Uuid(), nullable=False),
        sa.Column("partner_organisation_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("paid_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_grants")),
    )
    with op.batch_alter_table("partner_grants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partner_grants_foundation_id_partner_organisation_id_id",
            ["foundation_id", "partner_organisation_id", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_grants_foundation_id_partner_organisation_id_id")

    op.drop_table("partner_grants")
