from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import BadRequest, Forbidden, UnsupportedMediaType, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import HeldCampaign, ValidCampaign
from services.donations.campaigns.exceptions import CampaignClosed, CampaignNotFound
from services.donations.donations.exceptions import DuplicateTransaction
from services.donations.imports import parsing, service
from services.donations.imports.auth import ImportsRead, ImportsWrite
from services.donations.imports.dependencies import FILE_PART, MULTIPART, CsvBody
from services.donations.imports.exceptions import (
    ImportHasInvalidRows,
    ImportTooLarge,
    MalformedCsv,
)
from services.donations.imports.models import DonationImport
from services.donations.imports.schemas import ImportRead, ImportRequest, ImportSummary

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/donations/imports", tags=["donations"])


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
Send a host platform's CSV export as the part `file` of a `multipart/form-data` form (with a
filename; what a generated client or a browser sends), or as the body itself with
`Content-Type: text/csv`. At most {parsing.MAX_IMPORT_BYTES // (1024 * 1024)} MB and
{parsing.MAX_IMPORT_ROWS:,} rows (larger: 413 or 422; the gateway's limit for imports is
`FNET_GATEWAY_MAX_IMPORT_BYTES`, 5 MiB by default, the form's framing included).
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
    "",
    status_code=201,
    response_model=ImportRead,
    summary="Import donations from a host platform's CSV export",
    description=IMPORT_DESCRIPTION,
    responses={
        200: {
            "model": ImportRead,
            "description": "Nothing new: every row was a duplicate or (valid_only) invalid",
        },
        **problem_responses(
            BadRequest,
            Forbidden,
            CampaignNotFound,
            CampaignClosed,
            ImportTooLarge,
            UnsupportedMediaType,
            MalformedCsv,
            ImportHasInvalidRows,
            DuplicateTransaction,
        ),
    },
    # Only the form is documented: generators skip an operation whose body is text/csv
    # (the description says that it is taken too).
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                MULTIPART: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            FILE_PART: {
                                "type": "string",
                                "format": "binary",
                                "description": "the CSV file, e.g. "
                                "`transaction_id,amount,donated_at,donor_name,anonymous`, "
                                "then `T20200128001,88.88,2020-01-28 09:05:00,李伟,否`",
                            }
                        },
                        "required": [FILE_PART],
                        "additionalProperties": False,
                    },
                    "encoding": {FILE_PART: {"contentType": "text/csv"}},
                }
            },
        }
    },
)
async def import_donations(
    principal: ImportsWrite,
    body: CsvBody,
    campaign: HeldCampaign,
    *,
    session: SessionDep,
    create: IdempotentCreateDep,
    valid_only: Annotated[
        bool, Query(description="import the valid rows and report the invalid ones")
    ] = False,
) -> Response:
    request = ImportRequest(file_sha256=hashlib.sha256(body).hexdigest(), valid_only=valid_only)

    async def import_file() -> Created:
        result = await service.import_csv(
            session, campaign, body, valid_only=valid_only, submitted_by=principal.subject
        )
        return Created(
            ImportRead(**import_summary(result.record), rows=result.rows),
            status_code=201 if result.record.imported else 200,
        )

    return await create(request, import_file)


@router.get(
    "",
    response_model=Page[ImportSummary],
    summary="List a campaign's CSV imports, newest first",
    responses=problem_responses(Forbidden, CampaignNotFound),
)
async def list_imports(
    principal: ImportsRead, campaign: ValidCampaign, session: SessionDep, params: PageParamsDep
) -> Page[ImportSummary]:
    rows = await service.list_page(session, campaign, params)
    return params.page(rows, lambda record: ImportSummary(**import_summary(record)))
