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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel
from sqlalchemy import Column, Integer, LargeBinary, String, Table, Uuid, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response
from starlette.routing import BaseRoute

from kit.db import SessionDep, UTCDateTime, kit_metadata, utcnow
from kit.errors import IdempotencyInProgress, IdempotencyKeyReused, Problem, problem_content
from kit.identity import CurrentPrincipal
from kit.repository import Upsert

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


# PostgreSQL's claim, with the wait for a first request still holding the key bounded in
# the same statement: set_config runs as the inserted row is made, before the insert waits
# on the other transaction's key (a separate SET LOCAL is one more round trip per request).
_CLAIM_PG = text(
    """
    INSERT INTO idempotency_keys (organisation_id, key, fingerprint, created_at)
    SELECT CAST(:organisation_id AS uuid), CAST(:key AS varchar), CAST(:fingerprint AS varchar),
           CAST(:created_at AS timestamptz)
    FROM (SELECT set_config('lock_timeout', CAST(:lock_timeout AS text), true)) AS bounded
    ON CONFLICT (organisation_id, key) DO NOTHING
    RETURNING key
    """
)

_CLAIM = Upsert(
    lambda insert: insert(idempotency_keys)
    .on_conflict_do_nothing(index_elements=["organisation_id", "key"])
    .returning(idempotency_keys.c.key)
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
        try:
            if session.get_bind().dialect.name == "postgresql":
                bounded = {**values, "lock_timeout": f"{IN_PROGRESS_WAIT_SECONDS}s"}
                claimed = (await session.execute(_CLAIM_PG, bounded)).first()
            else:
                claimed = (await session.execute(_CLAIM.of(session).values(**values))).first()
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


def _valid_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters")
    return key


def _key_schema(schema: dict[str, Any]) -> None:
    # A header is absent or a string, never null: the parameter is optional, and its schema
    # is the string's alone, so that generators see the constraints on the type they make.
    schema.pop("anyOf", None)
    schema.update(type="string", minLength=1, maxLength=MAX_KEY_LENGTH, pattern=KEY_PATTERN)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Any unique string (a UUID is best) of 1 to 255 visible ASCII "
        "characters. A retry with the same key and body returns the first answer instead "
        "of acting twice.",
        json_schema_extra=_key_schema,
    ),
    AfterValidator(lambda key: key if key is None else _valid_key(key)),
]


@dataclass(frozen=True, slots=True)
class Created:
    """What a creating route's effect answers: the new thing as the API shows it, where it
    lives (``Location``), and the status (201 unless nothing new was made)."""

    body: BaseModel
    location: str | None = None
    status_code: int = 201


class IdempotentCreate:
    """A creating route's one call: claim the key, run the effect, store and send its answer.

    ::

        async def record_donation(data: DonationCreate, ..., create: IdempotentCreateDep):
            async def record() -> Created:
                donation = await service.record(session, campaign, data)
                return Created(donation_read(donation), location=f".../{donation.id}")

            return await create(data, record)

    ``request`` is what identifies the request besides its method and path (its body, or
    a digest of it): the same key with another one is 422 ``idempotency-key-reused``. The
    route's OpenAPI document lists that and the 409 ``idempotency-in-progress``
    (:func:`document_idempotency`).
    """

    def __init__(self, session: AsyncSession, organisation_id: uuid.UUID, idem: Idempotency):
        self._session = session
        self._organisation_id = organisation_id
        self._idempotency = idem

    async def __call__(
        self, request: BaseModel | None, effect: Callable[[], Awaitable[Created]]
    ) -> Response:
        replay = await self._idempotency.claim(self._session, self._organisation_id, request)
        if replay is not None:
            return replay
        created = await effect()
        return await self._idempotency.respond(
            self._session, created.status_code, created.body, location=created.location
        )


async def idempotent_create(
    request: Request, session: SessionDep, principal: CurrentPrincipal, key: IdempotencyKey = None
) -> IdempotentCreate:
    return IdempotentCreate(
        session, principal.organisation_id, Idempotency(key, request.method, request.url.path)
    )


IdempotentCreateDep = Annotated[IdempotentCreate, Depends(idempotent_create)]

PROBLEMS: tuple[type[Problem], ...] = (IdempotencyInProgress, IdempotencyKeyReused)


def uses_idempotency(dependant: Dependant) -> bool:
    """Whether a route's dependency tree includes :func:`idempotent_create`."""
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call is idempotent_create:
            return True
        pending.extend(current.dependencies)
    return False


def document_idempotency(openapi: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """List :data:`PROBLEMS` on every operation of ``openapi`` whose route takes an
    :data:`IdempotentCreateDep`, so that no route has to remember to. Changes ``openapi``
    in place and returns it; run it after :func:`kit.errors.document_problems`."""
    paths = openapi.get("paths", {})
    for route in routes:
        if not isinstance(route, APIRoute) or not uses_idempotency(route.dependant):
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for problem in PROBLEMS:
                entry = responses.setdefault(
                    str(problem.status),
                    {"description": problem.title, "content": problem_content()},
                )
                if problem.title not in entry["description"]:
                    entry["description"] += f"; {problem.title}"
    return openapi
