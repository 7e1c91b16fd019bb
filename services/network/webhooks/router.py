from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.network.auth import NetworkWrite
from services.network.settings import NetworkSettings
from services.network.webhooks import service
from services.network.webhooks.dependencies import OwnEndpoint
from services.network.webhooks.exceptions import (
    DeliveryNotFound,
    EndpointNotFound,
    TargetRefused,
)
from services.network.webhooks.schemas import (
    AttemptRead,
    DeliveryDetail,
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
)

router = APIRouter(prefix="/api/v1/webhook-endpoints", tags=["webhooks"])

DELIVERY_DESCRIPTION = """
Deliveries are POSTed as JSON `{"type", "timestamp", "data": {"id", "owner_id", "kind",
"version", "seq"}}` with the Standard Webhooks headers `webhook-id` (the same on every
attempt and replay: drop duplicates by it), `webhook-timestamp` and `webhook-signature`
(HMAC-SHA256 with the secret; verify with any Standard Webhooks library, or
`fnet.sync.verify_webhook`). A webhook says *that* something changed; pull
`GET /api/v1/sync/changes` for *what*. Answer 2xx to acknowledge; anything else is retried
with exponential backoff and jitter for about a day; **410 Gone disables the endpoint**.
Targets must be public addresses (checked at registration and at every attempt).
"""


@router.post(
    "",
    status_code=201,
    response_model=EndpointCreated,
    summary="Register a webhook endpoint (its secret is shown once)",
    description=DELIVERY_DESCRIPTION,
    responses=problem_responses(Forbidden, TargetRefused, Unprocessable),
)
async def register_endpoint(
    request: Request,
    principal: NetworkWrite,
    data: EndpointCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    settings: NetworkSettings = request.app.state.settings

    async def make() -> Created:
        endpoint = await service.register(
            session, principal, data, allow_private=settings.webhook_allow_private_targets
        )
        return Created(
            EndpointCreated.model_validate(endpoint),
            location=f"/api/v1/webhook-endpoints/{endpoint.id}",
        )

    return await create(data, make)


@router.get(
    "",
    response_model=Page[EndpointRead],
    summary="The caller's webhook endpoints, newest first",
    responses=problem_responses(Forbidden),
)
async def list_endpoints(
    principal: NetworkWrite, session: SessionDep, params: PageParamsDep
) -> Page[EndpointRead]:
    rows = await service.list_page(session, principal, params)
    return params.page(rows, EndpointRead.model_validate)


@router.get(
    "/{endpoint_id}",
    response_model=EndpointRead,
    summary="Read a webhook endpoint",
    responses=problem_responses(Forbidden, EndpointNotFound),
)
async def get_endpoint(endpoint: OwnEndpoint) -> EndpointRead:
    return EndpointRead.model_validate(endpoint)


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    summary="Remove a webhook endpoint and its delivery log",
    responses=problem_responses(Forbidden, EndpointNotFound),
)
async def remove_endpoint(endpoint: OwnEndpoint, session: SessionDep) -> Response:
    await service.remove(session, endpoint)
    return Response(status_code=204)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=list[DeliveryRead],
    summary="An endpoint's deliveries, newest first",
    responses=problem_responses(Forbidden, EndpointNotFound),
)
async def list_deliveries(
    endpoint: OwnEndpoint,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryRead]:
    return [
        DeliveryRead.model_validate(d) for d in await service.deliveries(session, endpoint, limit)
    ]


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    summary="A delivery and every attempt at it (status, duration, the answer cut short)",
    responses=problem_responses(Forbidden, EndpointNotFound, DeliveryNotFound),
)
async def get_delivery(
    delivery_id: str, endpoint: OwnEndpoint, session: SessionDep
) -> DeliveryDetail:
    found, attempts = await service.delivery(session, endpoint, delivery_id)
    return DeliveryDetail(
        **DeliveryRead.model_validate(found).model_dump(),
        attempt_log=[AttemptRead.model_validate(a) for a in attempts],
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=DeliveryRead,
    summary="Send a delivery again (same webhook-id, a fresh retry schedule)",
    responses=problem_responses(Forbidden, EndpointNotFound, DeliveryNotFound),
)
async def replay_delivery(
    principal: NetworkWrite, delivery_id: str, endpoint: OwnEndpoint, session: SessionDep
) -> DeliveryRead:
    return DeliveryRead.model_validate(await service.replay(session, endpoint, delivery_id))
