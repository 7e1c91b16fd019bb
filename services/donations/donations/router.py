from __future__ import annotations

import enum
import hashlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from kit.app import SessionDep
from kit.errors import (
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Unprocessable,
    problem_responses,
)
from kit.idempotency import IdempotencyDep
from kit.identity import CurrentPrincipal, Scope, require_scope
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep, cut_page
from services.donations.campaigns.exceptions import (
    CampaignClosed,
    CampaignNotFound,
    CampaignSettled,
    ReceivedAfterEnd,
)
from services.donations.campaigns.router import HeldCampaign, ValidCampaign
from services.donations.dates import DatedInFuture
from services.donations.donations import imports, receipts, service
from services.donations.donations.exceptions import (
    DonationNotFound,
    DuplicateTransaction,
    ImportHasInvalidRows,
    ImportTooLarge,
    MalformedCsv,
    RefundCurrencyMismatch,
    RefundExceedsDonation,
    UnsupportedMediaType,
)
from services.donations.donations.models import Donation, DonationImport, Refund
from services.donations.donations.repository import DonationRepository
from services.donations.donations.schemas import (
    DonationCreate,
    DonationRead,
    ImportRead,
    ImportRequest,
    ImportSummary,
    ReceiptHost,
    ReceiptRead,
    RefundCreate,
    RefundRead,
)
from services.donations.ledger.exceptions import InsufficientFunds

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/donations", tags=["donations"])


async def donation_repository(session: SessionDep) -> DonationRepository:
    return DonationRepository(session)


DonationRepositoryDep = Annotated[DonationRepository, Depends(donation_repository)]


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
    dependencies=[require_scope(Scope.DONATIONS_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignClosed,
        ReceivedAfterEnd,
        IdempotencyInProgress,
        DuplicateTransaction,
        DatedInFuture,
        IdempotencyKeyReused,
    ),
)
async def record_donation(
    data: DonationCreate,
    campaign: HeldCampaign,
    repo: DonationRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    donation = await service.record(repo, campaign, data)
    return await idempotency.respond(
        repo.session,
        201,
        donation_read(donation),
        location=f"/api/v1/campaigns/{campaign.id}/donations/{donation.id}",
    )


@router.get(
    "",
    response_model=Page[DonationRead],
    summary="List a campaign's donations, most recently recorded first",
    description="Ordered by when each donation was recorded (its time-ordered id), not by "
    "`donated_at`: donations imported from last year's export come before those recorded "
    "earlier today. The order never changes under a client paging through it.",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound),
)
async def list_donations(
    campaign: ValidCampaign,
    repo: DonationRepositoryDep,
    params: PageParamsDep,
    principal: CurrentPrincipal,
) -> Page[DonationRead]:
    rows = await service.list_page(repo, campaign, params)
    donations, next_cursor = cut_page(rows, params, lambda d: d.id)
    personal = principal.has(Scope.DONORS_READ)
    return Page(
        items=[donation_read(d, personal=personal) for d in donations], next_cursor=next_cursor
    )


CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})


async def csv_body(request: Request) -> bytes:
    """The request's body, if it is CSV and no larger than an import may be."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"send the file as the body with Content-Type: text/csv (got {media_type or 'none'})"
        )
    too_large = ImportTooLarge(
        f"an import may be at most {imports.MAX_IMPORT_BYTES} bytes; split the file"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > imports.MAX_IMPORT_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > imports.MAX_IMPORT_BYTES:
            raise too_large
    return bytes(body)


CsvBody = Annotated[bytes, Depends(csv_body)]


def import_summary(record: DonationImport) -> dict[str, Any]:
    return {
        "id": record.id,
        "campaign_id": record.campaign_id,
        "file_sha256": record.file_sha256,
        "valid_only": record.valid_only,
        "total_rows": record.rows,
        "imported": record.imported,
        "duplicates": record.duplicates,
        "invalid": record.invalid,
        "submitted_by": record.submitted_by,
        "created_at": record.created_at,
    }


IMPORT_DESCRIPTION = f"""
Send a host platform's CSV export as the body (`Content-Type: text/csv`), at most
{imports.MAX_IMPORT_BYTES // (1024 * 1024)} MB and {imports.MAX_IMPORT_ROWS:,} rows (larger: 413
or 422; the gateway's limit for imports is `FNET_GATEWAY_MAX_IMPORT_BYTES`, 5 MiB by default).
UTF-8 with or without a byte-order mark; a body that is not UTF-8 is read as GB18030.

**Header row required**; column names in any order and case:

- `transaction_id` (required): the platform's transaction id
- `amount` (required): decimal string in major units, e.g. `88.88`
- `donated_at` (required): ISO 8601 with an offset (`2020-01-28T09:05:00+08:00`), or
  `YYYY-MM-DD HH:MM:SS`, read as China time (UTC+08:00)
- `currency`: ISO 4217; empty means the campaign's currency
- `donor_name`
- `anonymous`: `true/false`, `yes/no`, `1/0` or `是/否`; empty means anonymous
- `donor_contact`: phone or e-mail; never shown publicly
- `donor_ref`: the platform's id of the donor (counts unique donors)
- `channel`: `wechat_pay`, `alipay`, `bank_transfer`, `cash` or `host_platform` (the
  default); also 微信支付, 支付宝, 银行转账, 现金

Unknown or repeated columns, a missing required column, broken quoting or an unreadable
encoding make the whole file a 422 `malformed-csv`.

The answer reports every row: `{{row, status, errors, donation_id}}`, `row` being the line
of the file it starts on (the header is line 1), `status` one of `imported`, `duplicate`
(its channel and transaction id are already recorded, or an earlier line repeats them:
not stored again, so importing a file twice adds nothing) and `invalid` (`errors` say
why, by column).

If any row is invalid and `valid_only` is false, **nothing is stored**: 422
`import-has-invalid-rows`, whose problem document carries the same report in `rows`
(there, a row that would have been imported has the status `valid`).
With `valid_only=true` the valid rows are imported and the invalid ones reported.

201 when something was imported, 200 when nothing was new. Every imported row is a
donation like any other (receipt number, ledger entry, event). Send an `Idempotency-Key`
so that a retry of the upload is answered from the first upload.
"""


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportRead,
    summary="Import donations from a host platform's CSV export",
    description=IMPORT_DESCRIPTION,
    dependencies=[require_scope(Scope.DONATIONS_WRITE)],
    responses={
        200: {
            "model": ImportRead,
            "description": "Nothing new: every row was a duplicate or (valid_only) invalid",
        },
        **problem_responses(
            Forbidden,
            CampaignNotFound,
            CampaignClosed,
            IdempotencyInProgress,
            ImportTooLarge,
            UnsupportedMediaType,
            MalformedCsv,
            ImportHasInvalidRows,
            IdempotencyKeyReused,
            DuplicateTransaction,
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "transaction_id,amount,donated_at,donor_name,anonymous\n"
                    "T20200128001,88.88,2020-01-28 09:05:00,李伟,否\n",
                }
            },
        }
    },
)
async def import_donations(
    *,
    body: CsvBody,
    campaign: HeldCampaign,
    repo: DonationRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    valid_only: Annotated[
        bool, Query(description="import the valid rows and report the invalid ones")
    ] = False,
) -> Response:
    request = ImportRequest(file_sha256=hashlib.sha256(body).hexdigest(), valid_only=valid_only)
    replay = await idempotency.claim(repo.session, principal.organisation_id, request)
    if replay is not None:
        return replay
    result = await service.import_csv(
        repo, campaign, body, valid_only=valid_only, submitted_by=principal.subject
    )
    return await idempotency.respond(
        repo.session,
        201 if result.record.imported else 200,
        ImportRead(**import_summary(result.record), rows=result.rows),
    )


@router.get(
    "/imports",
    response_model=Page[ImportSummary],
    summary="List a campaign's CSV imports, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound),
)
async def list_imports(
    campaign: ValidCampaign, repo: DonationRepositoryDep, params: PageParamsDep
) -> Page[ImportSummary]:
    rows = await service.list_imports(repo, campaign, params)
    page, next_cursor = cut_page(rows, params, lambda i: i.id)
    return Page(items=[ImportSummary(**import_summary(i)) for i in page], next_cursor=next_cursor)


@router.get(
    "/{donation_id}",
    response_model=DonationRead,
    summary="Read one donation",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, DonationNotFound),
)
async def get_donation(
    donation_id: uuid.UUID,
    campaign: ValidCampaign,
    repo: DonationRepositoryDep,
    principal: CurrentPrincipal,
) -> DonationRead:
    donation = await service.get(repo, campaign, donation_id)
    return donation_read(donation, personal=principal.has(Scope.DONORS_READ))


def refund_read(refund: Refund) -> RefundRead:
    return RefundRead(
        id=refund.id,
        donation_id=refund.donation_id,
        campaign_id=refund.campaign_id,
        amount=MoneyOut.from_minor(refund.amount_minor, refund.currency),
        reason=refund.reason,
        entry_id=refund.entry_id,
        created_at=refund.created_at,
    )


@router.post(
    "/{donation_id}/refunds",
    status_code=201,
    response_model=RefundRead,
    summary="Refund all or part of a donation",
    description=(
        "A refund is a new ledger entry; the donation's `refunded` grows. Never more than is "
        "left of the donation (422 `refund-exceeds-donation`, saying how much is left), in the "
        "donation's currency only, never once the campaign is settled (409), and never money "
        "the campaign has already spent (409 `insufficient-funds`). Send an `Idempotency-Key` "
        "so that a retry never refunds twice."
    ),
    dependencies=[require_scope(Scope.DONATIONS_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        DonationNotFound,
        CampaignSettled,
        InsufficientFunds,
        IdempotencyInProgress,
        RefundExceedsDonation,
        RefundCurrencyMismatch,
        IdempotencyKeyReused,
        Unprocessable,
    ),
)
async def refund_donation(
    *,
    donation_id: uuid.UUID,
    data: RefundCreate,
    campaign: HeldCampaign,
    repo: DonationRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    refund = await service.refund(repo, campaign, donation_id, data)
    return await idempotency.respond(
        repo.session,
        201,
        refund_read(refund),
        location=f"/api/v1/campaigns/{campaign.id}/donations/{donation_id}/refunds",
    )


@router.get(
    "/{donation_id}/refunds",
    response_model=Page[RefundRead],
    summary="List a donation's refunds, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, DonationNotFound),
)
async def list_refunds(
    donation_id: uuid.UUID,
    campaign: ValidCampaign,
    repo: DonationRepositoryDep,
    params: PageParamsDep,
) -> Page[RefundRead]:
    rows = await service.list_refunds(repo, campaign, donation_id, params)
    refunds, next_cursor = cut_page(rows, params, lambda r: r.id)
    return Page(items=[refund_read(r) for r in refunds], next_cursor=next_cursor)


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
        issued_at=receipt.issued_at,
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
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **problem_responses(Forbidden, CampaignNotFound, DonationNotFound, Unprocessable),
    },
)
async def get_receipt(
    request: Request,
    donation_id: uuid.UUID,
    campaign: ValidCampaign,
    repo: DonationRepositoryDep,
    output: Annotated[
        ReceiptFormat | None,
        Query(alias="format", description="json or html; overrides the Accept header"),
    ] = None,
) -> Response:
    read = receipt_read(await service.receipt(repo, campaign, donation_id))
    # A receipt carries the donor's name: no shared cache may keep it.
    headers = {"Cache-Control": "private, no-store", "Vary": "Accept"}
    if wants_html(output, request.headers.get("accept", "")):
        return Response(
            receipts.render_html(read), media_type="text/html; charset=utf-8", headers=headers
        )
    return Response(read.model_dump_json(), media_type="application/json", headers=headers)
