"""The report and the donation list as CSV, for spreadsheets.

Both start with a UTF-8 byte order mark, without which Excel reads UTF-8 as the local
code page and garbles Chinese. Text that a spreadsheet would take for a formula (a cell
starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with
``'``, since names and titles come from the public (OWASP "CSV injection"); amounts and
quantities are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence

from kit.money import MoneyOut
from services.donations.reports.repository import DonationRow
from services.donations.reports.schemas import ReportRead
from services.donations.reports.service import display_name

BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

REPORT_COLUMNS = (
    "section",
    "item",
    "unit",
    "recipient",
    "recipient_kind",
    "currency",
    "amount",
    "quantity",
    "value",
)
DONATION_COLUMNS = ("id", "donated_at", "currency", "amount", "refunded", "channel", "donor")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Rows:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(
        self,
        section: str,
        *,
        item: object = "",
        unit: object = "",
        recipient: object = "",
        recipient_kind: object = "",
        money: MoneyOut | None = None,
        quantity: int | None = None,
        value: object = "",
    ) -> None:
        self.rows.append(
            [
                section,
                _text(item),
                _text(unit),
                _text(recipient),
                _text(recipient_kind),
                money.currency if money else "",
                money.amount if money else "",
                "" if quantity is None else str(quantity),
                _text(value),
            ]
        )

    def money(self, section: str, amounts: Iterable[MoneyOut]) -> None:
        for m in amounts:
            self.add(section, money=m)


def report_rows(report: ReportRead) -> list[list[str]]:
    """The report as flat rows of :data:`REPORT_COLUMNS`, one figure per row; the
    ``section`` names the JSON field each comes from."""
    out = _Rows()
    c = report.campaign
    for name, fact in (
        ("id", c.id),
        ("foundation_id", c.foundation_id),
        ("foundation_name", c.foundation_name),
        ("title", c.title),
        ("purpose", c.purpose),
        ("status", c.status.value),
        ("starts_at", c.starts_at.isoformat()),
        ("ends_at", c.ends_at.isoformat() if c.ends_at else None),
        ("closed_at", c.closed_at.isoformat() if c.closed_at else None),
        ("phase", c.phase),
        ("follows_id", c.follows_id),
        ("host_name", c.host.name if c.host else None),
        ("host_filing_number", c.host.filing_number if c.host else None),
        ("host_platform", c.host.platform if c.host else None),
    ):
        out.add("campaign", item=name, value=fact)
    for organiser in c.co_organisers:
        out.add("campaign", item="co_organiser", value=organiser.name)
    out.add("campaign", item="goal", money=c.goal)
    for r in report.raised:
        out.add("raised_gross", money=r.gross)
        out.add("raised_refunds", money=r.refunds)
        out.add("raised_net", money=r.net)
    out.add("donation_count", quantity=report.donation_count)
    out.add("refund_count", quantity=report.refund_count)
    out.add("unique_donors", quantity=report.unique_donors)
    out.money("grants_received", report.grants_received)
    for k in report.in_kind:
        out.add("in_kind", item=k.item, unit=k.unit, money=k.fair_value, quantity=k.quantity)
    out.money("in_kind_value", report.in_kind_value)
    for b in report.bought:
        out.add("bought", item=b.item, unit=b.unit, money=b.cost, quantity=b.quantity)
    out.money("purchases_spent", report.purchases_spent)
    for recipient in report.distributed:
        for line in recipient.items:
            out.add(
                "distributed",
                item=line.item,
                unit=line.unit,
                recipient=recipient.name,
                recipient_kind=recipient.kind.value,
                quantity=line.quantity,
            )
    out.money("distributed_value", report.distributed_value)
    for e in report.expenses:
        out.add("expenses", item=e.category, money=e.amount)
    out.money("grants_paid", report.grants_paid)
    for conversion in report.conversions:
        out.add("converted_out", money=conversion.converted_out)
        out.add("converted_in", money=conversion.converted_in)
    out.money("cash", report.balance.cash)
    for s in report.balance.stock:
        out.add("stock", item=s.item, unit=s.unit, money=s.value, quantity=s.quantity)
    out.money("stock_value", report.balance.stock_value)
    out.add("ledger", item="head_seq", quantity=report.ledger.seq)
    out.add("ledger", item="head_hash", value=report.ledger.hash)
    return out.rows


def _encode(rows: Iterable[Sequence[str]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode()


def report_csv(report: ReportRead) -> bytes:
    return _encode([REPORT_COLUMNS, *report_rows(report)], bom=True)


async def donations_csv(rows: AsyncIterator[DonationRow], language: str) -> AsyncIterator[bytes]:
    """The donation list as CSV, streamed a batch at a time; donors masked as in JSON."""
    yield _encode([DONATION_COLUMNS], bom=True)
    batch: list[list[str]] = []
    async for row in rows:
        batch.append(
            [
                str(row.id),
                row.donated_at.isoformat(),
                row.currency,
                MoneyOut.from_minor(row.amount_minor, row.currency).amount,
                MoneyOut.from_minor(row.refunded_minor, row.currency).amount,
                row.channel.value,
                _text(display_name(row.donor_name, row.anonymous, language)),
            ]
        )
        if len(batch) >= 500:
            yield _encode(batch)
            batch = []
    if batch:
        yield _encode(batch)
