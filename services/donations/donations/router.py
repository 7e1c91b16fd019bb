from __future__ import annotations

import enum
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.identity import Scope
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import HeldCampaign, ValidCampaign
from services.donations.campaigns.exceptions import (
    CampaignClosed,
    CampaignNotFound,
    ReceivedAfterEnd,
)
from services.donations.dates import DatedInFuture
from services.donations.donations import receipts, service
from services.donations.donations.auth import DonationsRead, DonationsWrite
from services.donations.donations.dependencies import ValidDonation
from services.donations.donations.exceptions import DonationNotFound, DuplicateTransaction
from services.donations.donations.models import Donation
from services.donations.donations.schemas import (
    DonationCreate,
    DonationRead,
    ReceiptHost,
    ReceiptLog,
    ReceiptRead,
)

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/donations", tags=["donations"])


def donation_read(donation: Donation, *, personal: bool = False) -> DonationRead:
    """The donation as the API shows it; the donor's contact and platform id only when
    ``personal`` (a read by a key holding ``donors:read``). Answers to writes never carry
    them: those are stored for idempotent replays, which any key of the foundation may get."""
    return DonationRead(
        donor_contact=donation.donor_contact if personal else None,
        donor_ref=donation.donor_ref if personal else None,
        id=donation.id,
        campaign_id=donation.campaign_id,
        amount=MoneyOut.of(donation.amount),
        refunded=MoneyOut.from_minor(donation.refunded_minor, donation.currency),
        channel=donation.channel,
        external_id=donation.external_id,
        donor_name=donation.donor_name,
        anonymous=donation.anonymous,
        donated_at=donation.donated_at,
        receipt_number=donation.receipt_number,
        entry_id=donation.entry_id,
        created_at=donation.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=DonationRead,
    summary="Record a money donation to a campaign",
    description="Send an `Idempotency-Key` so that a retry never records the donation twice.",
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignClosed,
        ReceivedAfterEnd,
        DuplicateTransaction,
        DatedInFuture,
    ),
)
async def record_donation(
    principal: DonationsWrite,
    data: DonationCreate,
    campaign: HeldCampaign,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def record() -> Created:
        donation = await service.record(session, campaign, data)
        return Created(
            donation_read(donation),
            location=f"/api/v1/campaigns/{campaign.id}/donations/{donation.id}",
        )

    return await create(data, record)


@router.get(
    "",
    response_model=Page[DonationRead],
    summary="List a campaign's donations, most recently recorded first",
    description="Ordered by when each donation was recorded (its time-ordered id), not by "
    "`donated_at`: donations imported from last year's export come before those recorded "
    "earlier today. The order never changes under a client paging through it.",
    responses=problem_responses(Forbidden, CampaignNotFound),
)
async def list_donations(
    principal: DonationsRead,
    campaign: ValidCampaign,
    session: SessionDep,
    params: PageParamsDep,
) -> Page[DonationRead]:
    rows = await service.list_page(session, campaign, params)
    personal = principal.has(Scope.DONORS_READ)
    return params.page(rows, lambda donation: donation_read(donation, personal=personal))


@router.get(
    "/{donation_id}",
    response_model=DonationRead,
    summary="Read one donation",
    responses=problem_responses(Forbidden, CampaignNotFound, DonationNotFound),
)
async def get_donation(principal: DonationsRead, donation: ValidDonation) -> DonationRead:
    return donation_read(donation, personal=principal.has(Scope.DONORS_READ))


class ReceiptFormat(enum.StrEnum):
    JSON = "json"
    HTML = "html"


def receipt_read(receipt: service.Receipt) -> ReceiptRead:
    donation, campaign = receipt.donation, receipt.campaign
    has_host = any((campaign.host_name, campaign.host_filing_number, campaign.host_platform))
    return ReceiptRead(
        receipt_number=donation.receipt_number,
        donation_id=donation.id,
        foundation_id=campaign.foundation_id,
        foundation_name=receipt.foundation_name,
        campaign_id=campaign.id,
        campaign_title=campaign.title,
        host=ReceiptHost(
            name=campaign.host_name,
            filing_number=campaign.host_filing_number,
            platform=campaign.host_platform,
        )
        if has_host
        else None,
        amount=MoneyOut.of(donation.amount),
        refunded=MoneyOut.from_minor(donation.refunded_minor, donation.currency),
        net_amount=MoneyOut.from_minor(
            donation.amount_minor - donation.refunded_minor, donation.currency
        ),
        channel=donation.channel,
        external_id=donation.external_id,
        donor_name=donation.donor_name or receipts.ANONYMOUS_DONOR,
        donated_at=donation.donated_at,
        entry_id=donation.entry_id,
        entry_hash=receipt.entry_hash,
        log=receipt_log(campaign.foundation_id, receipt.log_seq),
        issued_at=receipt.issued_at,
    )


def receipt_log(foundation_id: uuid.UUID, seq: int | None) -> ReceiptLog:
    base = f"/api/v1/foundations/{foundation_id}/log"
    return ReceiptLog(
        seq=seq,
        entry=f"{base}/entries/{seq}" if seq is not None else None,
        inclusion_proof=f"{base}/proofs/inclusion?seq={seq}" if seq is not None else None,
        head=f"{base}/head",
    )


def wants_html(output: ReceiptFormat | None, accept: str) -> bool:
    """``format`` decides; without it, an Accept naming text/html but not JSON (a browser)."""
    if output is not None:
        return output is ReceiptFormat.HTML
    accept = accept.lower()
    return "text/html" in accept and "application/json" not in accept


@router.get(
    "/{donation_id}/receipt",
    response_model=ReceiptRead,
    summary="A donation's receipt, as JSON or a printable HTML page",
    description=(
        "`?format=json` (the default) answers the receipt as JSON; `?format=html` as a "
        "self-contained, printable HTML page (UTF-8, Chinese and English, times in UTC+08:00). "
        "Without `format`, a request whose `Accept` names `text/html` but not "
        "`application/json` (a browser) gets the HTML page. The receipt names the donor "
        '(it is theirs), or "Anonymous donor" when the donation names nobody; it is not for '
        "publication. Receipt numbers run per foundation and year of the donation."
    ),
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **problem_responses(Forbidden, CampaignNotFound, DonationNotFound, Unprocessable),
    },
)
async def get_receipt(
    principal: DonationsRead,
    campaign: ValidCampaign,
    donation: ValidDonation,
    *,
    request: Request,
    session: SessionDep,
    output: Annotated[
        ReceiptFormat | None,
        Query(alias="format", description="json or html; overrides the Accept header"),
    ] = None,
) -> Response:
    read = receipt_read(await service.receipt(session, campaign, donation))
    # A receipt carries the donor's name: no shared cache may keep it.
    headers = {"Cache-Control": "private, no-store", "Vary": "Accept"}
    if wants_html(output, request.headers.get("accept", "")):
        return Response(
            receipts.render_html(read), media_type="text/html; charset=utf-8", headers=headers
        )
    return Response(read.model_dump_json(), media_type="application/json", headers=headers)
