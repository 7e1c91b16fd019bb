from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from kit.schemas import DocumentedAs, InputModel, Timestamp
from services.donations.disclosures.models import DisclosureKind
from services.donations.reports.schemas import ReportRead


class DisclosureCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "periodic", "note": "Status after the first three months"},
                {"kind": "final", "note": "The whole campaign"},
                {"corrects_id": "0193a5f0-0000-7000-8000-000000000000", "note": "Fixes a date"},
            ]
        },
    )

    kind: DisclosureKind | None = Field(
        default=None,
        description="required, unless `corrects_id` is given (then it defaults to, and must "
        "equal, the corrected disclosure's kind)",
    )
    period_end: Timestamp | None = Field(
        default=None,
        description="the end of the period disclosed; not in the future. Defaults to now for "
        "a periodic disclosure, to the campaign's end for a final one, and to the corrected "
        "disclosure's for a correction",
    )
    note: str = Field(default="", max_length=5000)
    corrects_id: uuid.UUID | None = Field(
        default=None,
        description="an earlier disclosure of the same campaign that this one corrects; the "
        "earlier one stays published, unchanged",
    )


class DisclosureSummary(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    foundation_id: uuid.UUID
    kind: DisclosureKind
    period_start: dt.datetime
    period_end: dt.datetime
    corrects_id: uuid.UUID | None = Field(description="the disclosure this one corrects")
    corrected_by: list[uuid.UUID] = Field(description="later disclosures correcting this one")
    note: str
    published_at: dt.datetime
    report_sha256: str = Field(
        description="SHA-256 (hex) of the report snapshot as canonical JSON: keys sorted, "
        "separators `,` and `:` without spaces, UTF-8, non-ASCII characters unescaped"
    )
    ledger_seq: int = Field(
        description="how many entries of the foundation's transparency log the snapshot "
        "counts: the size of the head it froze"
    )
    ledger_head_hash: str = Field(description="that head's root hash (hex)")


class DisclosureRead(DisclosureSummary):
    report: Annotated[dict[str, Any], DocumentedAs(ReportRead)] = Field(
        description="the transparency report as it stood when published, exactly as stored "
        "(the shape of `GET /api/v1/campaigns/{id}/report` at that time)"
    )


class CalendarItem(BaseModel):
    campaign_id: uuid.UUID
    campaign_title: str
    kind: DisclosureKind
    period_start: dt.datetime
    period_end: dt.datetime
    due_at: dt.datetime = Field(description="the last day the law allows")
    overdue: bool


class DisclosureCalendar(BaseModel):
    due_before: dt.datetime
    items: list[CalendarItem] = Field(description="not yet published, earliest due first")
