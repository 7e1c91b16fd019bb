"""log replaces chain: entries numbered from a sequence, running totals of the log's entries

Since this revision a journal entry is not chained to the one before it: its hash is its
leaf hash in the transparency log, and the log's sequencer keeps the running totals of the
entries it integrates. So the totals are recomputed here from the entries already in the
log (those still queued are added when the sequencer takes them), and PostgreSQL gets the
sequence entries take their numbers from, starting after every number in use.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOTALS = """
INSERT INTO ledger_totals (foundation_id, fund_id, account, kind, currency,
                           debit_minor, credit_minor, debit_count, credit_count)
SELECT e.foundation_id, l.fund_id, l.account, e.kind, l.currency,
       SUM(CASE WHEN l.amount_minor > 0 THEN l.amount_minor ELSE 0 END),
       SUM(CASE WHEN l.amount_minor < 0 THEN -l.amount_minor ELSE 0 END),
       SUM(CASE WHEN l.amount_minor > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN l.amount_minor < 0 THEN 1 ELSE 0 END)
FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
{where}
GROUP BY e.foundation_id, l.fund_id, l.account, e.kind, l.currency
"""


def upgrade() -> None:
    op.execute("DELETE FROM ledger_totals")
    op.execute(
        _TOTALS.format(where="WHERE NOT EXISTS (SELECT 1 FROM log_queue q WHERE q.entry_id = e.id)")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE journal_entry_seq")
        op.execute(
            "SELECT setval('journal_entry_seq', COALESCE(MAX(seq), 0) + 1, false) "
            "FROM journal_entries"
        )


def downgrade() -> None:
    # The totals of every entry again. Entries posted since the upgrade stay unchained:
    # the hash chain cannot be rebuilt over them without rewriting their hashes.
    op.execute("DELETE FROM ledger_totals")
    op.execute(_TOTALS.format(where=""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE journal_entry_seq")
