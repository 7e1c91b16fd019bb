"""What the transparency log answers: heads, entries and proofs."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.donations.ledger.leaf import entry_document, leaf_bytes
from services.donations.log import merkle
from services.donations.log.exceptions import (
    HeadNotFound,
    LogEmpty,
    LogEntryNotFound,
    ProofOutOfRange,
)
from services.donations.log.models import LogKey, TreeHead
from services.donations.log.repository import LogRepository
from services.donations.log.schemas import (
    ConsistencyProofRead,
    InclusionProofRead,
    LogEntryRead,
    LogKeyRead,
    TreeHeadRead,
)


def head_read(head: TreeHead) -> TreeHeadRead:
    return TreeHeadRead(
        foundation_id=head.foundation_id,
        size=head.size,
        root_hash=head.root_hash.hex(),
        issued_at=head.issued_at,
        key_id=head.key_id,
        signature=base64.b64encode(head.signature).decode(),
    )


def key_read(key: LogKey) -> LogKeyRead:
    return LogKeyRead(
        key_id=key.key_id,
        public_key=base64.b64encode(key.public_key).decode(),
        first_used_at=key.first_used_at,
    )


async def latest_head(session: AsyncSession, foundation_id: uuid.UUID) -> TreeHead:
    head = await LogRepository(session).latest_head(foundation_id)
    if head is None:
        raise LogEmpty(f"foundation {foundation_id} has no signed log head yet")
    return head


async def head_of_size(session: AsyncSession, foundation_id: uuid.UUID, size: int) -> TreeHead:
    head = await LogRepository(session).head(foundation_id, size)
    if head is None:
        raise HeadNotFound(
            f"the log of foundation {foundation_id} has no signed head of size {size}"
        )
    return head


async def entry(session: AsyncSession, foundation_id: uuid.UUID, index: int) -> LogEntryRead:
    repo = LogRepository(session)
    leaf = await repo.leaf(foundation_id, index)
    if leaf is None:
        raise LogEntryNotFound(f"the log of foundation {foundation_id} has no entry {index}")
    entries, lines = await repo.entries([leaf.entry_id])
    found = entries[leaf.entry_id]
    document: dict[str, Any] = entry_document(found, lines[found.id])
    # The stored leaf hash, not one recomputed from the entry: a changed entry then shows
    # as an entry whose hash is not its leaf's.
    stored = await repo.nodes(foundation_id, [(0, index)])
    return LogEntryRead(
        foundation_id=foundation_id,
        index=index,
        entry=document,
        leaf_hash=stored[(0, index)].hex()
        if stored
        else merkle.leaf_hash(leaf_bytes(document)).hex(),
    )


async def _hashes(
    repo: LogRepository,
    foundation_id: uuid.UUID,
    ranges: Sequence[merkle.Range],
    *,
    also: Sequence[merkle.Node] = (),
) -> tuple[list[str], dict[merkle.Node, bytes]]:
    """The hex hashes of ``ranges`` and the stored nodes read for them (with ``also``),
    in one query."""
    nodes = await repo.nodes(foundation_id, merkle.nodes_for(ranges) | set(also))
    return [merkle.range_hash(start, end, nodes).hex() for start, end in ranges], nodes


async def inclusion_proof(
    session: AsyncSession, foundation_id: uuid.UUID, index: int, size: int | None
) -> InclusionProofRead:
    repo = LogRepository(session)
    if size is None:
        tree_size = (await latest_head(session, foundation_id)).size
    else:
        tree_size = (await head_of_size(session, foundation_id, size)).size
    if not 0 <= index < tree_size:
        raise ProofOutOfRange(f"entry {index} is not in the log of size {tree_size}")
    path, nodes = await _hashes(
        repo, foundation_id, merkle.inclusion_ranges(index, tree_size), also=[(0, index)]
    )
    return InclusionProofRead(
        foundation_id=foundation_id,
        index=index,
        tree_size=tree_size,
        leaf_hash=nodes[(0, index)].hex(),
        path=path,
    )


async def consistency_proof(
    session: AsyncSession, foundation_id: uuid.UUID, first: int, second: int
) -> ConsistencyProofRead:
    if not 0 < first <= second:
        raise ProofOutOfRange(f"no consistency proof from size {first} to size {second}")
    await head_of_size(session, foundation_id, first)
    await head_of_size(session, foundation_id, second)
    path, _ = await _hashes(
        LogRepository(session), foundation_id, merkle.consistency_ranges(first, second)
    )
    return ConsistencyProofRead(foundation_id=foundation_id, first=first, second=second, path=path)
