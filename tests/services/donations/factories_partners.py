"""The donations service's copies of partner organisations, made as the partners service
would announce them (``partners.partner.*`` events through the service's consumer)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import cast

import httpx
from fastapi import FastAPI

from contracts.partners import PartnerArchivedV1, PartnerCreatedV1, PartnerRecordV1
from kit.events import Delivery, new_event
from kit.identity import IDENTITY_HEADER, TokenVerifier
from kit.ids import new_id
from services.donations.app import CONSUMERS
from tests.support import TEST_SECRET


async def announce_partner(
    app: FastAPI,
    foundation_id: uuid.UUID,
    partner_id: uuid.UUID | str | None = None,
    *,
    name: str = "妈妈幸福学习园",
    archived: bool = False,
    version: int = 1,
) -> str:
    """Deliver a partner event to ``app``'s consumer; answers the partner's id."""
    pid = uuid.UUID(str(partner_id)) if partner_id else new_id()
    model: type[PartnerRecordV1] = PartnerArchivedV1 if archived else PartnerCreatedV1
    payload = model(
        partner_id=pid,
        name=name,
        name_en=None,
        kind="social_organisation",
        district="蛇口",
        tags=[],
        verified=False,
        archived=archived,
        version=version,
        changed_at=dt.datetime.now(dt.UTC),
    )
    event = new_event(payload, producer="partners", foundation_id=foundation_id)
    (consumer,) = CONSUMERS(app.state.database)
    await consumer.handle(Delivery(event, 1))
    return str(pid)


async def partner_of(client: httpx.AsyncClient, partner_id: uuid.UUID | str | None = None) -> str:
    """A partner of the foundation ``client`` acts for (a client made by
    :func:`tests.support.client_for`), known to the donations app it talks to."""
    transport = cast(httpx.ASGITransport, client._transport)
    app = cast(FastAPI, transport.app)
    who = TokenVerifier(TEST_SECRET).verify(client.headers[IDENTITY_HEADER])
    return await announce_partner(app, who.organisation_id, partner_id)
