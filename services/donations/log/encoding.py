"""The bytes the log hashes and signs, written down in ``docs/ledger.md`` so that anyone
can recompute them outside Python.

- A **leaf** is a journal entry in canonical JSON: keys sorted, no spaces, UTF-8 (not
  ASCII-escaped), amounts as integers of minor units, ``posted_at`` in ISO 8601 UTC with
  microseconds, ``lines`` as ``[account, fund_id, currency, amount_minor]`` in the entry's
  order, and ``"v": 1``.
- A **tree head** is signed (Ed25519) over five lines joined by ``\\n``:
  ``fnet-log-head v1``, ``foundation <id>``, ``size <n>``, ``root <hex>``,
  ``issued_at <ISO 8601 UTC with microseconds>``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from services.donations.ledger.models import JournalEntry, JournalLine

LEAF_VERSION = 1
HEAD_VERSION = "fnet-log-head v1"


def leaf_document(
    *,
    foundation_id: uuid.UUID,
    entry_id: uuid.UUID,
    kind: str,
    fund_id: uuid.UUID,
    source_id: uuid.UUID,
    memo: str,
    posted_at: dt.datetime,
    lines: Sequence[tuple[str, uuid.UUID, str, int]],
) -> dict[str, Any]:
    """A journal entry as the log publishes it (``GET .../log/entries/{index}``)."""
    return {
        "v": LEAF_VERSION,
        "foundation_id": str(foundation_id),
        "id": str(entry_id),
        "kind": kind,
        "fund_id": str(fund_id),
        "source_id": str(source_id),
        "memo": memo,
        "posted_at": posted_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "lines": [
            [account, str(fund), currency, minor] for account, fund, currency, minor in lines
        ],
    }


def entry_document(entry: JournalEntry, lines: Sequence[JournalLine]) -> dict[str, Any]:
    """:func:`leaf_document` of a stored entry and its lines (in their order)."""
    return leaf_document(
        foundation_id=entry.foundation_id,
        entry_id=entry.id,
        kind=entry.kind,
        fund_id=entry.fund_id,
        source_id=entry.source_id,
        memo=entry.memo,
        posted_at=entry.posted_at,
        lines=[(line.account, line.fund_id, line.currency, line.amount_minor) for line in lines],
    )


def leaf_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def head_message(
    foundation_id: uuid.UUID, size: int, root_hash: bytes, issued_at: dt.datetime
) -> bytes:
    return "\n".join(
        (
            HEAD_VERSION,
            f"foundation {foundation_id}",
            f"size {size}",
            f"root {root_hash.hex()}",
            f"issued_at {issued_at.astimezone(dt.UTC).isoformat(timespec='microseconds')}",
        )
    ).encode()
