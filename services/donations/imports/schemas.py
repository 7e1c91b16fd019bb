from __future__ import annotations

import datetime as dt
import enum
import uuid

from pydantic import BaseModel, Field

from kit.errors import FieldProblem


class ImportRowStatus(enum.StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    # Only in the report of a refused file (422): the row is fine, but nothing was stored.
    VALID = "valid"


class ImportRowReport(BaseModel):
    row: int = Field(description="the row's line number in the file, from 1 (the header)")
    status: ImportRowStatus
    errors: list[FieldProblem] = Field(
        description="what is wrong with an invalid row, by column; for a duplicate, what it repeats"
    )
    donation_id: uuid.UUID | None = Field(
        description="the donation the row recorded, or for a duplicate the one it repeats "
        "(when known); null for an invalid row"
    )


class ImportRequest(BaseModel):
    """What makes two uploads the same request, for ``Idempotency-Key``."""

    file_sha256: str
    valid_only: bool


class ImportSummary(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    file_sha256: str = Field(description="SHA-256 of the uploaded bytes")
    valid_only: bool
    total_rows: int = Field(description="data rows in the file (blank lines not counted)")
    imported: int
    duplicates: int
    invalid: int
    submitted_by: str = Field(description="the key or user that uploaded the file")
    created_at: dt.datetime


class ImportRead(ImportSummary):
    rows: list[ImportRowReport] = Field(description="one report per data row, in file order")
