"""Reading a host platform's CSV export of donations into :class:`DonationCreate` rows.

Pure functions, no database: :func:`decode` turns the uploaded bytes into text and
:func:`parse_rows` checks the header and every row. What the rows mean for the ledger, and
which of them are already recorded, is the service's business (``service.import_csv``).

The format (also in ``docs/donation-imports.md`` and the endpoint's description):

- UTF-8, with or without a byte-order mark; a body that is not UTF-8 is read as GB18030
  (what Chinese platforms and Excel on a Chinese Windows export).
- A header row naming the columns, in any order, case and surrounding spaces ignored:
  ``transaction_id``, ``amount`` and ``donated_at`` are required; ``currency``,
  ``donor_name``, ``anonymous``, ``donor_contact``, ``donor_ref`` and ``channel`` optional.
  An unknown or repeated column is refused (a misspelt ``anonymus`` would otherwise be
  silently ignored and every donor made anonymous).
- Blank lines are skipped. A row's number is the line of the file it starts on (the header
  is line 1), so a spreadsheet user finds it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from kit.errors import FieldProblem
from services.donations.donations.models import Channel
from services.donations.donations.receipts import CHINA_TIME
from services.donations.donations.schemas import DonationCreate
from services.donations.imports.exceptions import MalformedCsv

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000

REQUIRED_COLUMNS = ("transaction_id", "amount", "donated_at")
OPTIONAL_COLUMNS = (
    "currency",
    "donor_name",
    "anonymous",
    "donor_contact",
    "donor_ref",
    "channel",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?")
_HAS_TIME = re.compile(r"\d{4}-?\d{2}-?\d{2}[ T]\d{2}")

_TRUE = frozenset({"true", "yes", "y", "1", "是"})
_FALSE = frozenset({"false", "no", "n", "0", "否"})

# The platforms' own words for the channels, besides our values.
CHANNEL_ALIASES: Mapping[str, Channel] = {
    "微信": Channel.WECHAT_PAY,
    "微信支付": Channel.WECHAT_PAY,
    "wechat": Channel.WECHAT_PAY,
    "支付宝": Channel.ALIPAY,
    "银行转账": Channel.BANK_TRANSFER,
    "银行": Channel.BANK_TRANSFER,
    "现金": Channel.CASH,
    "平台": Channel.HOST_PLATFORM,
    "募捐平台": Channel.HOST_PLATFORM,
}

# Where each of DonationCreate's fields came from in the file.
_FIELD_COLUMNS = {
    "amount": "amount",
    "amount.amount": "amount",
    "amount.currency": "currency",
    "external_id": "transaction_id",
    "channel": "channel",
    "donor_name": "donor_name",
    "anonymous": "anonymous",
    "donor_contact": "donor_contact",
    "donor_ref": "donor_ref",
    "donated_at": "donated_at",
}


@dataclass(slots=True)
class ParsedRow:
    """One data row: its line number, and the donation it asks for or what is wrong."""

    line: int
    data: DonationCreate | None
    errors: list[FieldProblem] = field(default_factory=list)


def decode(body: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else GB18030; else 422."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise MalformedCsv(
            f"the file is neither UTF-8 nor GB18030 (undecodable byte at offset {exc.start})",
            errors=[_problem("body", "is neither UTF-8 nor GB18030 text", "encoding")],
        ) from None


def parse_rows(text: str, *, default_currency: str, latest: dt.datetime) -> list[ParsedRow]:
    """Every data row of the file, checked on its own (duplicates are not this function's
    concern): a row without ``currency`` is in ``default_currency``; one dated after
    ``latest`` is in the future. Raises :class:`MalformedCsv` for a file that cannot be
    read as a whole: a missing, unknown or repeated column, broken quoting, no rows, or
    more than ``MAX_IMPORT_ROWS`` rows."""
    if "\x00" in text:
        raise MalformedCsv(
            "the file holds NUL characters; is it a spreadsheet rather than a CSV export?",
            errors=[_problem("body", "holds NUL characters", "csv")],
        )
    records = _records(text)
    header = _header(records)
    parsed: list[ParsedRow] = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(parsed) == MAX_IMPORT_ROWS:
            raise MalformedCsv(
                f"the file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files",
                errors=[_problem("body", f"has more than {MAX_IMPORT_ROWS} rows", "too_many_rows")],
            )
        parsed.append(_row(line, header, cells, default_currency=default_currency, latest=latest))
    if not parsed:
        raise MalformedCsv(
            "the file has a header but no donation rows",
            errors=[_problem("body", "has no data rows", "empty")],
        )
    return parsed


class _Records:
    """The CSV records with the line each starts on; quoting errors become 422s."""

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), strict=True)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        line = self._reader.line_num + 1
        try:
            return line, next(self._reader)
        except csv.Error as exc:
            raise MalformedCsv(
                f"line {line}: the CSV cannot be read ({exc}); is a quote left unclosed?",
                errors=[_problem("body", f"line {line}: {exc}", "csv")],
            ) from None


def _records(text: str) -> _Records:
    return _Records(text)


def _header(records: _Records) -> list[str]:
    for _, cells in records:
        if any(cell.strip() for cell in cells):
            break
    else:
        raise MalformedCsv(
            "the file is empty; it needs a header row and donation rows",
            errors=[_problem("header", "is missing", "header")],
        )
    names = [cell.strip().lower() for cell in cells]
    problems = []
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        problems.append(
            _problem(
                "header",
                f"unknown column(s) {', '.join(repr(n) for n in unknown)}; "
                f"the columns are {', '.join(COLUMNS)}",
                "unknown_column",
            )
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(
            _problem("header", f"column(s) {', '.join(repeated)} appear twice", "repeated_column")
        )
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        problems.append(
            _problem("header", f"missing column(s) {', '.join(missing)}", "missing_column")
        )
    if problems:
        raise MalformedCsv(
            "the header row does not name the columns of a donation import: "
            + "; ".join(p.message for p in problems),
            errors=problems,
        )
    return names


def _row(
    line: int, header: list[str], cells: list[str], *, default_currency: str, latest: dt.datetime
) -> ParsedRow:
    # Spreadsheets like to add empty cells at the end of a row; anything else is misaligned.
    if len(cells) > len(header) and not any(c.strip() for c in cells[len(header) :]):
        cells = cells[: len(header)]
    if len(cells) != len(header):
        message = f"has {len(cells)} cells; the header has {len(header)}"
        return ParsedRow(line, None, [_problem("row", message, "cell_count")])
    values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    errors: list[FieldProblem] = []

    donated_at = _donated_at(values["donated_at"], errors)
    anonymous = _anonymous(values.get("anonymous", ""), errors)
    channel = _channel(values.get("channel", ""), errors)
    if not values["transaction_id"]:
        errors.append(_problem("transaction_id", "is required", "missing"))
    if not values["amount"]:
        errors.append(_problem("amount", "is required", "missing"))
    if donated_at is not None and donated_at > latest:
        errors.append(_problem("donated_at", "is in the future", "future"))

    candidate = {
        "amount": {
            "amount": values["amount"],
            "currency": values.get("currency", "").upper() or default_currency,
        },
        "channel": channel or Channel.HOST_PLATFORM,
        "external_id": values["transaction_id"] or None,
        "donor_name": values.get("donor_name") or None,
        "anonymous": True if anonymous is None else anonymous,
        "donor_contact": values.get("donor_contact") or None,
        "donor_ref": values.get("donor_ref") or None,
        "donated_at": donated_at,
    }
    try:
        data = DonationCreate.model_validate(candidate)
    except ValidationError as exc:
        reported = {e.field for e in errors}
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            column = _FIELD_COLUMNS.get(path, path)
            if column in reported:  # already said better above
                continue
            message = str(error["msg"]).removeprefix("Value error, ")
            errors.append(_problem(column, message, str(error["type"])))
            reported.add(column)
        data = None
    if errors:
        return ParsedRow(line, None, errors)
    return ParsedRow(line, data)


def _donated_at(value: str, errors: list[FieldProblem]) -> dt.datetime | None:
    if not value:
        errors.append(_problem("donated_at", "is required", "missing"))
        return None
    bad = _problem(
        "donated_at",
        "must be ISO 8601 with an offset (2020-01-28T09:05:00+08:00) or "
        "YYYY-MM-DD HH:MM:SS in China time",
        "datetime",
    )
    if not _HAS_TIME.match(value):
        errors.append(bad)
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        errors.append(bad)
        return None
    if parsed.tzinfo is None:
        if not _LOCAL_TIME.fullmatch(value):
            errors.append(bad)
            return None
        # Written without an offset: the platforms' local time, China Standard Time.
        parsed = parsed.replace(tzinfo=CHINA_TIME)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        errors.append(_problem("donated_at", "is out of range once converted to UTC", "range"))
        return None


def _anonymous(value: str, errors: list[FieldProblem]) -> bool | None:
    if not value:
        return None
    word = value.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    errors.append(_problem("anonymous", "must be true/false, yes/no, 1/0 or 是/否", "boolean"))
    return None


def _channel(value: str, errors: list[FieldProblem]) -> Channel | None:
    if not value:
        return None
    word = value.lower()
    try:
        return Channel(word)
    except ValueError:
        pass
    if word in CHANNEL_ALIASES:
        return CHANNEL_ALIASES[word]
    errors.append(
        _problem("channel", f"must be one of {', '.join(c.value for c in Channel)}", "channel")
    )
    return None


def _problem(field_: str, message: str, code: str) -> FieldProblem:
    return FieldProblem(field=field_, message=message, code=code)
