"""``Idempotency-Key`` for POSTs that create records or move money.

The key is claimed in the same transaction as the effect, and the answer is stored with
it, so there is no moment where the effect exists without the stored answer or the other
way round. A second request with the key:

- after the first committed: gets the first answer again (``Idempotent-Replayed: true``);
- with another body: 422 ``idempotency-key-reused``;
- while the first is still running: waits for it (PostgreSQL blocks the conflicting insert,
  SQLite queues on its write lock) and then replays; if the first holds on for longer than
  ``IN_PROGRESS_WAIT_SECONDS``, 409 ``idempotency-in-progress``.

If the first request fails, nothing of it is kept and the key can be used again.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from pydantic import BaseModel
from sqlalchemy import Column, Integer, LargeBinary, String, Table, Uuid, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from kit.db import UTCDateTime, kit_metadata, utcnow
from kit.errors import FieldProblem, IdempotencyInProgress, IdempotencyKeyReused, Unprocessable

HEADER = "Idempotency-Key"
IN_PROGRESS_WAIT_SECONDS = 10
MAX_KEY_LENGTH = 255
# Visible ASCII and spaces: what every client sends the same way (a header's other bytes
# are read as Latin-1, whatever the client meant). Checked here and documented in the API.
KEY_PATTERN = rf"^[ -~]{{1,{MAX_KEY_LENGTH}}}$"
_KEY = re.compile(KEY_PATTERN)

idempotency_keys = Table(
    "idempotency_keys",
    kit_metadata,
    Column("organisation_id", Uuid, primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("location", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)


def fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    canonical = orjson.dumps([method, path, payload], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


class Idempotency:
    """One request's idempotency handling; a no-op when the client sent no key."""

    def __init__(self, key: str | None, method: str, path: str) -> None:
        self.key = key
        self.method = method
        self.path = path
        self._organisation_id: uuid.UUID | None = None

    async def claim(
        self, session: AsyncSession, organisation_id: uuid.UUID, body: BaseModel | None
    ) -> Response | None:
        """Claim the key for this request, or return the stored answer to replay."""
        if self.key is None:
            return None
        self._organisation_id = organisation_id
        digest = fingerprint(self.method, self.path, body)
        values = {
            "organisation_id": organisation_id,
            "key": self.key,
            "fingerprint": digest,
            "created_at": utcnow(),
        }
        dialect = session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(idempotency_keys)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["organisation_id", "key"])
            .returning(idempotency_keys.c.key)
        )
        try:
            if dialect == "postgresql":
                await session.execute(
                    text(f"SET LOCAL lock_timeout = '{IN_PROGRESS_WAIT_SECONDS}s'")
                )
            claimed = (await session.execute(stmt)).first()
        except DBAPIError as exc:
            if "lock timeout" in str(exc.orig).lower() or "locked" in str(exc.orig).lower():
                raise IdempotencyInProgress(
                    "another request with this Idempotency-Key is still being processed; "
                    "retry later",
                    headers={"Retry-After": "1"},
                ) from exc
            raise
        if claimed is not None:
            return None
        row = (
            await session.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.organisation_id == organisation_id,
                    idempotency_keys.c.key == self.key,
                )
            )
        ).one()
        if row.fingerprint != digest:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {self.key!r} was first used with a different request"
            )
        if row.status_code is None:  # only if the first writer committed without answering
            raise IdempotencyInProgress("the first request with this key has not finished")
        headers = {"Idempotent-Replayed": "true"}
        if row.location:
            headers["Location"] = row.location
        return Response(
            row.response_body,
            status_code=row.status_code,
            media_type="application/json",
            headers=headers,
        )

    async def respond(
        self,
        session: AsyncSession,
        status_code: int,
        body: BaseModel,
        *,
        location: str | None = None,
    ) -> Response:
        """The answer to send, stored with the claimed key (same transaction) for replays."""
        content = orjson.dumps(body.model_dump(mode="json"))
        if self.key is not None:
            await session.execute(
                idempotency_keys.update()
                .where(
                    idempotency_keys.c.organisation_id == self._organisation_id,
                    idempotency_keys.c.key == self.key,
                )
                .values(status_code=status_code, response_body=content, location=location)
            )
        headers = {"Location": location} if location else None
        return Response(
            content, status_code=status_code, media_type="application/json", headers=headers
        )


async def idempotency(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Any unique string (a UUID is best) of 1 to 255 visible ASCII "
            "characters. A retry with the same key and body returns the first answer instead "
            "of acting twice.",
            json_schema_extra={"minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
        ),
    ] = None,
) -> Idempotency:
    if key is not None and not _KEY.fullmatch(key):
        raise Unprocessable(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters",
            errors=[FieldProblem(field=HEADER, message="invalid", code="idempotency_key")],
        )
    return Idempotency(key, request.method, request.url.path)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
