"""The uploaded file of an import, read and bounded before the route runs.

The file comes as the body itself (``Content-Type: text/csv``) or as the ``file`` part of a
``multipart/form-data`` form, which is what generated clients and browsers send."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from kit.errors import BadRequest, FieldProblem, Unprocessable, UnsupportedMediaType
from services.donations.imports.exceptions import ImportTooLarge
from services.donations.imports.parsing import MAX_IMPORT_BYTES

CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
MULTIPART = "multipart/form-data"
FILE_PART = "file"
# Room for a form's boundaries and part headers around a file of MAX_IMPORT_BYTES.
MULTIPART_OVERHEAD_BYTES = 16 * 1024


def _too_large() -> ImportTooLarge:
    return ImportTooLarge(f"an import may be at most {MAX_IMPORT_BYTES} bytes; split the file")


async def _bounded(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The request's body, chunk by chunk; 413 as soon as it is longer than ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()
    read = 0
    async for chunk in request.stream():
        read += len(chunk)
        if read > limit:
            raise _too_large()
        yield chunk


async def _file_part(request: Request) -> bytes:
    parser = MultiPartParser(
        request.headers,
        _bounded(request, MAX_IMPORT_BYTES + MULTIPART_OVERHEAD_BYTES),
        max_files=1,
        max_fields=10,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(f"the multipart/form-data body cannot be read: {exc.message}") from exc
    try:
        unknown = sorted(set(form) - {FILE_PART})
        if unknown:
            raise Unprocessable(
                "the form has parts other than `file`",
                errors=[
                    FieldProblem(
                        field=n, message="is not a part of an import", code="extra_forbidden"
                    )
                    for n in unknown
                ],
            )
        upload = form.get(FILE_PART)
        if upload is None:
            raise Unprocessable(
                "the form has no part `file`",
                errors=[FieldProblem(field=FILE_PART, message="is required", code="missing")],
            )
        if not isinstance(upload, UploadFile):
            # A part without a filename is a text field, which the form decodes: the file's
            # own bytes (GB18030 perhaps) would be lost.
            raise Unprocessable(
                "the form's part `file` is not a file",
                errors=[
                    FieldProblem(
                        field=FILE_PART,
                        message="must be a file part: give it a filename",
                        code="not_a_file",
                    )
                ],
            )
        data = await upload.read()
    finally:
        await form.close()
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_large()
    return data


async def csv_body(request: Request) -> bytes:
    """The CSV file, if it is the body or a form's ``file`` part and no larger than an
    import may be."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == MULTIPART:
        return await _file_part(request)
    if media_type not in CSV_MEDIA_TYPES:
        raise UnsupportedMediaType(
            "send the file as the body with Content-Type: text/csv, or as the part `file` of "
            f"a multipart/form-data form (got {media_type or 'none'})"
        )
    body = bytearray()
    async for chunk in _bounded(request, MAX_IMPORT_BYTES):
        body += chunk
    return bytes(body)


CsvBody = Annotated[bytes, Depends(csv_body)]
