"""The uploaded file of an import, read and bounded before the route runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kit.errors import UnsupportedMediaType
from services.donations.imports.exceptions import ImportTooLarge
from services.donations.imports.parsing import MAX_IMPORT_BYTES

CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})


async def csv_body(request: Request) -> bytes:
    """The request's body, if it is CSV and no larger than an import may be."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"send the file as the body with Content-Type: text/csv (got {media_type or 'none'})"
        )
    too_large = ImportTooLarge(f"an import may be at most {MAX_IMPORT_BYTES} bytes; split the file")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_IMPORT_BYTES:
            raise too_large
    return bytes(body)


CsvBody = Annotated[bytes, Depends(csv_body)]
