"""The public transparency report. These routes need no key and no identity: the app
mounts this router with ``public_routers`` and the gateway lets their paths through (see
``gateway/routes.py``). They show only what is public: no donor contact, and a donor's
name only with consent."""

from __future__ import annotations

import enum
import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from kit import etags
from kit.app import SessionDep
from kit.errors import Unprocessable, problem_responses
from kit.pagination import Page, PageParamsDep, cut_page
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.reports import export, service
from services.donations.reports.repository import ReportRepository
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


async def report_repository(session: SessionDep) -> ReportRepository:
    return ReportRepository(session)


ReportRepositoryDep = Annotated[ReportRepository, Depends(report_repository)]


async def public_campaign(campaign_id: uuid.UUID, repo: ReportRepositoryDep) -> Campaign:
    """The path's campaign, any foundation's, unless it is a draft (404 like unknown)."""
    return await service.public_campaign(repo, campaign_id)


PublicCampaign = Annotated[Campaign, Depends(public_campaign)]


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
    repo: ReportRepositoryDep,
    fmt: FormatQuery = Format.JSON,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    report = await service.build(repo, campaign)
    body = report.model_dump_json().encode()
    # The head and the campaign's version say when the report changes; the digest covers
    # what moves without a ledger entry (goods given no value).
    digest = hashlib.sha256(body).hexdigest()[:16]
    tag = etags.EntityTag(f"{report.ledger.seq}.{campaign.version}.{digest}")
    headers = {"ETag": str(tag), "Cache-Control": CACHE_CONTROL}
    if not etags.none_match(if_none_match, tag):
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
    repo: ReportRepositoryDep,
    params: PageParamsDep,
    fmt: FormatQuery = Format.JSON,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    language = preferred_language(accept_language)
    # Every donation and refund is a ledger entry: the head moves with any change of this
    # list. Read before the rows, so the tag is never newer than what it labels.
    seq, _ = await repo.head(campaign.foundation_id)
    tag = etags.EntityTag(f"{seq}.{campaign.version}.{language}")
    headers = {"ETag": str(tag), "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Language"}
    if not etags.none_match(if_none_match, tag):
        return etags.not_modified(tag, headers)
    if fmt is Format.CSV:
        headers.update(_csv_headers(f"campaign-{campaign.id}-donations.csv"))
        rows = service.all_donations(request.app.state.database, campaign.id)
        return StreamingResponse(
            export.donations_csv(rows, language),
            media_type=export.CSV_MEDIA_TYPE,
            headers=headers,
        )
    found = await service.donations_page(repo, campaign, params)
    donations, next_cursor = cut_page(found, params, lambda d: d.id)
    page = Page[PublicDonationRead](
        items=[service.public_donation(d, language) for d in donations], next_cursor=next_cursor
    )
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
    repo: ReportRepositoryDep,
    params: PageParamsDep,
    status: Annotated[
        PublicStatus | None, Query(description="only campaigns in this state (never `draft`)")
    ] = None,
) -> Page[PublicCampaignRead]:
    rows = await service.public_campaigns(
        repo, foundation_id, params, status=CampaignStatus(status) if status else None
    )
    campaigns, next_cursor = cut_page(rows, params, lambda c: c.id)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return Page(
        items=await service.public_campaign_reads(repo, foundation_id, campaigns),
        next_cursor=next_cursor,
    )
