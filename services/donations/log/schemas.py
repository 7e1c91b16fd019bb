from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

HEX_HASH = r"^[0-9a-f]{64}$"


class TreeHeadRead(BaseModel):
    """A signed tree head. Check ``signature`` (Ed25519, base64) with the key ``key_id``
    names (``GET /api/v1/log/keys``) over the message ``docs/ledger.md`` spells out."""

    foundation_id: uuid.UUID
    size: int = Field(description="how many entries the log holds as of this head")
    root_hash: str = Field(pattern=HEX_HASH, description="RFC 9162 Merkle tree hash, hex")
    issued_at: dt.datetime
    key_id: str
    signature: str = Field(description="Ed25519 signature of the head message, base64")


class LogEntryRead(BaseModel):
    """Leaf ``index`` of the log: the journal entry as the log hashes it."""

    foundation_id: uuid.UUID
    index: int
    entry: dict[str, Any] = Field(
        description="the entry's canonical document; its canonical JSON is the leaf"
    )
    leaf_hash: str = Field(pattern=HEX_HASH, description="SHA-256 of 0x00 and the leaf")


class InclusionProofRead(BaseModel):
    foundation_id: uuid.UUID
    index: int
    tree_size: int
    leaf_hash: str = Field(pattern=HEX_HASH)
    path: list[str] = Field(description="RFC 9162 audit path, hex, from the leaf upwards")


class ConsistencyProofRead(BaseModel):
    foundation_id: uuid.UUID
    first: int
    second: int
    path: list[str] = Field(description="RFC 9162 consistency proof, hex")


class LogKeyRead(BaseModel):
    key_id: str
    public_key: str = Field(description="raw Ed25519 public key, base64")
    first_used_at: dt.datetime
