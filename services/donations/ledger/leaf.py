"""A journal entry as the transparency log publishes and hashes it (its *leaf*), written
down in ``docs/ledger.md`` so that anyone can recompute it outside Python.

A leaf is the entry in canonical JSON: keys sorted, no spaces, UTF-8 (not ASCII-escaped),
amounts as integers of minor units, ``posted_at`` in ISO 8601 UTC with microseconds,
``lines`` as ``[account, fund_id, currency, amount_minor]`` in the entry's order, and
``"v": 1``. Its hash is RFC 9162's: ``SHA-256(0x00 || leaf)``.

It lives with the journal, not the log, because an entry's hash is known when it is
posted: the entry stores it and a receipt shows it before the log has integrated it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

LEAF_VERSION = 1
LEAF_PREFIX = b"\x00"


class EntryFields(Protocol):
    foundation_id: uuid.UUID
    id: uuid.UUID
    kind: str
    fund_id: uuid.UUID
    source_id: uuid.UUID
    memo: str
    posted_at: dt.datetime


class LineFields(Protocol):
    @property
    def account(self) -> str: ...
    @property
    def fund_id(self) -> uuid.UUID: ...
    @property
    def currency(self) -> str: ...
    @property
    def amount_minor(self) -> int: ...


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


def entry_document(entry: EntryFields, lines: Sequence[LineFields]) -> dict[str, Any]:
    """:func:`leaf_document` of an entry and its lines (in their order)."""
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


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162's hash of one leaf."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def entry_leaf_hash(entry: EntryFields, lines: Sequence[LineFields]) -> bytes:
    return leaf_hash(leaf_bytes(entry_document(entry, lines)))
