from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from kit.errors import FieldProblem, PayloadTooLarge, ProblemDocument, Unprocessable
from services.donations.imports.schemas import ImportRowReport


class ImportTooLarge(PayloadTooLarge):
    slug, title = "import-too-large", "The file is larger than an import may be"


class MalformedCsv(Unprocessable):
    """The file as a whole cannot be read: encoding, quoting, header or size in rows."""

    slug, title = "malformed-csv", "The file is not a CSV file this import can read"


class ImportProblemDocument(ProblemDocument):
    """A problem document with the per-row report as an extension member (RFC 9457 §3.2)."""

    rows: list[ImportRowReport]


class ImportHasInvalidRows(Unprocessable):
    """Some rows are invalid and the caller did not ask for the valid rows only: nothing was
    stored. The answer carries the report of every row in ``rows``."""

    slug, title = "import-has-invalid-rows", "Some rows of the file are not valid"
    document_class: ClassVar[type[ImportProblemDocument]] = ImportProblemDocument

    def __init__(
        self,
        detail: str,
        *,
        rows: Sequence[ImportRowReport],
        errors: Sequence[FieldProblem] | None = None,
    ) -> None:
        super().__init__(detail, errors=errors)
        self.rows = list(rows)

    def document(self, instance: str | None = None) -> ProblemDocument:
        base = super().document(instance)
        return ImportProblemDocument(**base.model_dump(), rows=self.rows)
