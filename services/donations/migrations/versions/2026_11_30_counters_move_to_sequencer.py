"""counters move to the sequencer: receipt numbers and unique-donor tallies given in log order

Since this revision a donation is recorded without a receipt number and without touching
its campaign's unique-donor tally: the log's sequencer numbers it and counts its donor
when it takes the donation's entry in (``services.donations.donations.integration``). So a
donation's number may be null for a moment, and a campaign's donor remembers the entry of
the donation that brought it (null for donors counted before this revision).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.alter_column("receipt_number", existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table("campaign_donors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_campaign_donors_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    unnumbered = op.get_bind().execute(
        sa.text("SELECT count(*) FROM donations WHERE receipt_number IS NULL")
    )
    if unnumbered.scalar_one():
        raise RuntimeError(
            "donations wait for their receipt numbers: run the donations service until its "
            "transparency log has taken every entry in (its log head's `pending` is 0), "
            "then downgrade"
        )
    # Before this revision the tally counted a donor as soon as it was recorded.
    op.execute(
        "UPDATE campaign_tallies SET unique_donors = (SELECT count(*) FROM campaign_donors d "
        "WHERE d.campaign_id = campaign_tallies.campaign_id)"
    )
    with op.batch_alter_table("campaign_donors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_donors_entry_id"))
        batch_op.drop_column("entry_id")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.alter_column("receipt_number", existing_type=sa.String(length=32), nullable=False)
