"""The public transparency report. These routes need no key and no identity: the app
mounts this router with ``public_routers`` and the gateway lets their paths through (see
``gateway/routes.py``). They show only what is public: no donor contact, and a donor's
name only with consent."""

from __future__ import annotations

import enum
import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from kit import etags
from kit.db import SessionDep
from kit.errors import Unprocessable, problem_responses
from kit.etags import IfNoneMatchDep
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.campaigns.models import CampaignStatus
from services.donations.reports import export, service
from services.donations.reports.dependencies import PublicCampaign
from services.donations.reports.schemas import (
    PublicCampaignRead,
    PublicDonationRead,
    ReportRead,
)

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/report", tags=["transparency"])

# Short: a report changes with every donation, but a popular campaign page must not turn
# every visit into a database read.
CACHE_CONTROL = "public, max-age=30"


class Format(enum.StrEnum):
    JSON = "json"
    CSV = "csv"


FormatQuery = Annotated[
    Format,
    Query(
        alias="format",
        description="`json` (default) or `csv` (UTF-8 with a byte order mark, for Excel)",
    ),
]


def preferred_language(accept_language: str | None) -> str:
    """``en`` or ``zh`` (the default), whichever ``Accept-Language`` ranks higher."""
    best, best_q = "zh", 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        language = tag.strip().lower()[:2]
        if language in ("en", "zh") and q > best_q:
            best, best_q = language, q
    return best


def _csv_headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get(
    "",
    response_model=ReportRead,
    summary="A campaign's public transparency report (no key needed)",
    description=(
        "Raised per currency, donation count (人次), unique donors, grants, goods donated, "
        "bought and given out per recipient, expenses per category, what the campaign holds, "
        "and the foundation's ledger head hash, which `GET /api/v1/ledger/verify` confirms. "
        "Every money figure is the ledger's. `?format=csv` answers the same figures as rows "
        "`section,item,unit,recipient,recipient_kind,currency,amount,quantity,value`. Answers "
        "carry an `ETag` (send it back as `If-None-Match` for a 304) and may be cached for "
        "30 seconds."
    ),
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        304: {"description": "Not modified since the ETag sent in If-None-Match"},
        **problem_responses(CampaignNotFound, Unprocessable),
    },
)
async def get_report(
    *,
    campaign: PublicCampaign,
    session: SessionDep,
    preconditions: IfNoneMatchDep,
    fmt: FormatQuery = Format.JSON,
) -> Response:
    report = await service.build(session, campaign)
    body = report.model_dump_json().encode()
    # The head and the campaign's version say when the report changes; the digest covers
    # what moves without a ledger entry (goods given no value).
    digest = hashlib.sha256(body).hexdigest()[:16]
    tag = etags.EntityTag(f"{report.ledger.seq}.{campaign.version}.{digest}")
    headers = {"ETag": str(tag), "Cache-Control": CACHE_CONTROL}
    if preconditions.unchanged(tag):
        return etags.not_modified(tag, headers)
    if fmt is Format.CSV:
        headers.update(_csv_headers(f"campaign-{campaign.id}-report.csv"))
        return Response(
            export.report_csv(report), media_type=export.CSV_MEDIA_TYPE, headers=headers
        )
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/donations",
    response_model=Page[PublicDonationRead],
    summary="A campaign's donations as the public may see them (no key needed)",
    description=(
        "Most recently recorded first (by when each was recorded, not by `donated_at`: an "
        "import of old gifts lists them first). Each donation's amount, what of it was "
        "refunded, channel, time and "
        "the donor as shown publicly: the name only if the donor consented to be named, "
        "else its first character and `**`, or 匿名 (`Anonymous` when `Accept-Language` "
        "prefers English) when there is no name. Contacts are never shown. "
        "`?format=csv` streams every donation (no paging: `limit` and `cursor` are ignored) "
        "as UTF-8 CSV with a byte order mark: "
        "`id,donated_at,currency,amount,refunded,channel,donor`."
    ),
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        304: {"description": "Not modified since the ETag sent in If-None-Match"},
        **problem_responses(CampaignNotFound, Unprocessable),
    },
)
async def list_public_donations(
    request: Request,
    *,
    campaign: PublicCampaign,
    session: SessionDep,
    params: PageParamsDep,
    preconditions: IfNoneMatchDep,
    fmt: FormatQuery = Format.JSON,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    language = preferred_language(accept_language)
    # Every donation and refund is a ledger entry: the journal's version moves with any
    # change of this list. Read before the rows, so the tag is never newer than what it
    # labels.
    version = await service.ledger_version(session, campaign)
    tag = etags.EntityTag(f"{version}.{campaign.version}.{language}")
    headers = {"ETag": str(tag), "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Language"}
    if preconditions.unchanged(tag):
        return etags.not_modified(tag, headers)
    if fmt is Format.CSV:
        headers.update(_csv_headers(f"campaign-{campaign.id}-donations.csv"))
        rows = service.all_donations(request.app.state.database, campaign.id)
        return StreamingResponse(
            export.donations_csv(rows, language),
            media_type=export.CSV_MEDIA_TYPE,
            headers=headers,
        )
    found = await service.donations_page(session, campaign, params)
    page = params.page(found, lambda d: service.public_donation(d, language))
    return Response(page.model_dump_json().encode(), media_type="application/json", headers=headers)


# A foundation's campaigns, for anyone: the gateway routes this path of the foundations'
# area to the donations service, and lets it through without a key.
foundation_router = APIRouter(
    prefix="/api/v1/foundations/{foundation_id}/campaigns", tags=["transparency"]
)


class PublicStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    SETTLED = "settled"


@foundation_router.get(
    "",
    response_model=Page[PublicCampaignRead],
    summary="A foundation's public campaigns (no key needed)",
    description=(
        "Newest first (by creation), paged by `limit` and `cursor`: every campaign of the "
        "foundation that is open, closed or settled, never a draft, with its headline "
        "figures (raised per currency, donation count, unique donors) and the path of its "
        "report. `status` narrows the list to one state. A foundation without public "
        "campaigns, or unknown here, has an empty list. May be cached for 30 seconds."
    ),
    responses=problem_responses(Unprocessable),
)
async def list_public_campaigns(
    foundation_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    params: PageParamsDep,
    status: Annotated[
        PublicStatus | None, Query(description="only campaigns in this state (never `draft`)")
    ] = None,
) -> Page[PublicCampaignRead]:
    response.headers["Cache-Control"] = CACHE_CONTROL
    return await service.public_campaigns(
        session, foundation_id, params, status=CampaignStatus(status) if status else None
    )
