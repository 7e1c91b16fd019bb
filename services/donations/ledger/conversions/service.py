"""Conversion rules. Never commits: the request's session does.

A conversion changes money of one fund from one currency to another at a rate the caller
records with its source and date. The result is exact decimal arithmetic, rounded half to
even to the target currency's minor unit; no float is ever involved. In the journal it is
one entry of four lines through the exchange clearing account, so that each currency
balances on its own::

    cash      (from currency)   credit  from amount
    exchange  (from currency)   debit   from amount
    exchange  (to currency)     credit  to amount
    cash      (to currency)     debit   to amount
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.ids import new_id
from kit.money import MAX_MINOR_UNITS, exponent, format_minor
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import CampaignSettled
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.dates import dated_in_future
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import Posting
from services.donations.ledger.conversions.exceptions import (
    ConversionNotFound,
    ConversionOutOfRange,
    UnknownFund,
)
from services.donations.ledger.conversions.repository import ConversionRepository
from services.donations.ledger.conversions.schemas import ConversionCreate
from services.donations.ledger.models import Account, Conversion, EntryKind
from services.donations.ledger.repository import LedgerRepository

# A rate for tomorrow is published today in some time zones (e.g. a central parity at
# 09:15 in Beijing is still "yesterday" in UTC); anything later is a mistake.
RATE_DATE_LEAD = dt.timedelta(days=1)


def convert(from_minor: int, from_currency: str, rate: str, to_currency: str) -> int:
    """``from_minor`` units of ``from_currency`` at ``rate`` (to-units per from-unit, a
    decimal string), in minor units of ``to_currency``, rounded half to even."""
    with localcontext() as ctx:
        # Wide enough that the product is exact: at most 15 digits of minor units times a
        # rate of at most 24 digits; only the final quantize rounds.
        ctx.prec = 64
        major = Decimal(from_minor).scaleb(-exponent(from_currency))
        to_minor = (major * Decimal(rate)).scaleb(exponent(to_currency))
        return int(to_minor.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


async def create(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    data: ConversionCreate,
    campaign: Campaign | None,
) -> Conversion:
    """Convert a fund's money. Raises ``InsufficientFunds`` if the fund does not hold the
    amount in the ``from`` currency. ``campaign`` is the fund ``data`` names, held by the
    route (None for the unrestricted fund, or if it names none of the foundation's)."""
    source = data.from_.to_money()
    if data.rate_date > utcnow().date() + RATE_DATE_LEAD:
        raise dated_in_future("rate_date", data.rate_date)
    to_minor = convert(source.minor, source.currency, data.rate, data.to_currency)
    if to_minor <= 0:
        raise ConversionOutOfRange(
            f"{source} at {data.rate} is less than one minor unit of {data.to_currency}",
            errors=[
                FieldProblem(
                    field="from.amount",
                    message=f"converts to 0 {data.to_currency} at this rate",
                    code="too_small",
                )
            ],
        )
    if to_minor >= MAX_MINOR_UNITS:
        raise ConversionOutOfRange(
            f"{source} at {data.rate} is too large an amount of {data.to_currency}",
            errors=[FieldProblem(field="rate", message="gives too large an amount", code="range")],
        )
    fund_id = data.fund_id or foundation_id
    if fund_id != foundation_id:
        if campaign is None:
            raise UnknownFund(
                f"fund {fund_id} is neither a campaign of the foundation nor its own fund",
                errors=[FieldProblem(field="fund_id", message="no such fund", code="unknown")],
            )
        if campaign.status is CampaignStatus.SETTLED:
            raise CampaignSettled(f"campaign {campaign.id} is settled; its money stays as it is")
    conversion_id = new_id()
    to_currency = data.to_currency
    entry = await ledger.post(
        LedgerRepository(session),
        foundation_id,
        kind=EntryKind.CONVERSION,
        fund_id=fund_id,
        source_id=conversion_id,
        lines=[
            Posting(Account.CASH, fund_id, source.currency, -source.minor),
            Posting(Account.EXCHANGE, fund_id, source.currency, source.minor),
            Posting(Account.EXCHANGE, fund_id, to_currency, -to_minor),
            Posting(Account.CASH, fund_id, to_currency, to_minor),
        ],
        memo=f"conversion of {source} to {format_minor(to_minor, to_currency)} {to_currency} "
        f"at {data.rate} ({data.rate_source}, {data.rate_date.isoformat()})",
    )
    conversion = Conversion(
        id=conversion_id,
        foundation_id=foundation_id,
        fund_id=fund_id,
        from_minor=source.minor,
        from_currency=source.currency,
        to_minor=to_minor,
        to_currency=to_currency,
        rate=data.rate,
        rate_source=data.rate_source,
        rate_date=data.rate_date,
        converted_at=entry.posted_at,
        entry_id=entry.id,
    )
    await ConversionRepository(session).add(conversion)
    return conversion


async def get(
    session: AsyncSession, foundation_id: uuid.UUID, conversion_id: uuid.UUID
) -> Conversion:
    conversion = await ConversionRepository(session).get_of(foundation_id, conversion_id)
    if conversion is None:
        raise ConversionNotFound(f"no conversion {conversion_id}")
    return conversion


async def list_page(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    fund_id: uuid.UUID | None = None,
) -> Sequence[Conversion]:
    return await ConversionRepository(session).for_foundation(foundation_id, params, fund_id)
