"""What the gateway asks the services before it gives an organisation a credential: that
the foundation is in the network's directory, and that a partner organisation is the
foundation's own and current. Both go through the one upstream session."""

from __future__ import annotations

import uuid

import aiohttp
import orjson
from fastapi import Request

from kit.context import outgoing_headers
from kit.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable
from kit.identity import IDENTITY_HEADER, Principal, Scope


class PartnerNotFound(NotFound):
    slug, title = "partner-not-found", "Partner organisation not found"


class PartnerArchived(Conflict):
    slug, title = "partner-archived", "The partner organisation is archived"


class UnknownOrganisation(Unprocessable):
    slug, title = "unknown-organisation", "The organisation is not in the directory"


def _unavailable(service: str, what: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"the {service} service cannot confirm the {what} right now; retry shortly",
        headers={"Retry-After": "1"},
    )


async def _get(
    request: Request, url: str, headers: dict[str, str], service: str, what: str
) -> tuple[int, bytes]:
    try:
        async with request.app.state.upstreams.session.get(
            url, headers=headers, allow_redirects=False
        ) as response:
            return response.status, await response.read()
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise _unavailable(service, what) from exc


async def check_foundation(request: Request, organisation_id: uuid.UUID) -> None:
    """422 unless the network's directory lists the foundation (its public entry)."""
    base_url = str(request.app.state.settings.network_url).rstrip("/")
    status, body = await _get(
        request,
        f"{base_url}/api/v1/foundations/{organisation_id}",
        dict(outgoing_headers()),
        "network",
        "foundation",
    )
    found = False
    if status == 200:
        try:
            found = orjson.loads(body).get("id") == str(organisation_id)
        except (orjson.JSONDecodeError, AttributeError):
            found = False
    elif status != 404:
        raise _unavailable("network", "foundation")
    if not found:
        raise UnknownOrganisation(
            f"no foundation {organisation_id} in the directory; the operator registers it first"
        )


async def check_partner(
    request: Request, organisation_id: uuid.UUID, partner_id: uuid.UUID
) -> None:
    """Ask the partners service, as the foundation, for the partner: 404 unless it is the
    foundation's, 409 if it is archived, 503 if the service cannot say."""
    authenticator = request.app.state.authenticator
    as_foundation = Principal(
        subject="gateway", organisation_id=organisation_id, scopes=frozenset({Scope.PARTNERS_READ})
    )
    base_url = str(request.app.state.settings.partners_url).rstrip("/")
    headers = {IDENTITY_HEADER: authenticator.tokens.token_for(as_foundation), **outgoing_headers()}
    status, body = await _get(
        request, f"{base_url}/api/v1/partners/{partner_id}", headers, "partners", "partner"
    )
    if status == 404:
        raise PartnerNotFound(f"no partner organisation {partner_id}")
    if status != 200:
        raise ServiceUnavailable(
            f"the partners service answered {status} for the partner; retry shortly",
            headers={"Retry-After": "1"},
        )
    if orjson.loads(body).get("archived_at") is not None:
        raise PartnerArchived(f"partner organisation {partner_id} is archived")
