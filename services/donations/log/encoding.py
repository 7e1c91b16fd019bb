"""The bytes the log hashes and signs, written down in ``docs/ledger.md`` so that anyone
can recompute them outside Python.

- A **leaf** is a journal entry in canonical JSON (:mod:`services.donations.ledger.leaf`,
  where the journal hashes each entry as it is posted).
- A **tree head** is signed (Ed25519) over five lines joined by ``\\n``:
  ``fnet-log-head v1``, ``foundation <id>``, ``size <n>``, ``root <hex>``,
  ``issued_at <ISO 8601 UTC with microseconds>``.
"""

from __future__ import annotations

import datetime as dt
import uuid

HEAD_VERSION = "fnet-log-head v1"


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
