"""The hash of a journal entry: SHA-256 over the previous hash and a canonical form of the
entry and its lines.

The canonical form is compact, key-sorted JSON in UTF-8, so that anyone can recompute it
outside Python (``docs/ledger.md`` spells it out). Amounts are integers of minor units and
times ISO 8601 in UTC with microseconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

CHAIN_VERSION = 1


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: a signed amount (debit positive) on an account of a fund."""

    account: str
    fund_id: uuid.UUID
    currency: str
    amount_minor: int


def transfer(
    *, debit: str, credit: str, fund_id: uuid.UUID, currency: str, minor: int
) -> list[Posting]:
    """The two lines of a movement of ``minor`` within one fund: a debit of ``debit``, an
    equal credit of ``credit``. Most entries are one of these."""
    return [
        Posting(debit, fund_id, currency, minor),
        Posting(credit, fund_id, currency, -minor),
    ]


def canonical(
    *,
    foundation_id: uuid.UUID,
    seq: int,
    entry_id: uuid.UUID,
    kind: str,
    fund_id: uuid.UUID,
    source_id: uuid.UUID,
    memo: str,
    posted_at: dt.datetime,
    lines: Sequence[Posting],
) -> bytes:
    document = {
        "v": CHAIN_VERSION,
        "foundation_id": str(foundation_id),
        "seq": seq,
        "id": str(entry_id),
        "kind": kind,
        "fund_id": str(fund_id),
        "source_id": str(source_id),
        "memo": memo,
        "posted_at": posted_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "lines": [
            [line.account, str(line.fund_id), line.currency, line.amount_minor] for line in lines
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, canonical_entry: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical_entry).hexdigest()
