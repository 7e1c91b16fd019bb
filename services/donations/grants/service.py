"""Grant rules. Never commits: the request's session does.

A grant received is income of a fund: of a campaign (restricted: its money is spent only
through that campaign, like the campaign's donations) or of the foundation's unrestricted
fund. A grant paid spends a fund's cash on a partner organisation, known here only by its
id, and tells the partners service (``donations.grant.paid``) in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.donations import GrantPaidV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import emit, new_event
from kit.ids import new_id
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import CampaignSettled
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.campaigns.service import require_campaign_currency, require_spendable
from services.donations.dates import not_in_future
from services.donations.grants.exceptions import GrantNotFound, UnknownCampaign
from services.donations.grants.models import GrantPaid, GrantReceived
from services.donations.grants.repository import GrantPaidRepository, GrantReceivedRepository
from services.donations.grants.schemas import GrantPaidCreate, GrantReceivedCreate
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository
from services.donations.partner_copies.service import require_partner


def _named(campaign: Campaign | None, campaign_id: uuid.UUID) -> Campaign:
    # A body field, not the path: an unknown campaign is a bad value (422), not a 404.
    if campaign is None:
        raise UnknownCampaign(
            f"the foundation has no campaign {campaign_id}",
            errors=[FieldProblem(field="campaign_id", message="no such campaign", code="unknown")],
        )
    return campaign


async def receive(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    data: GrantReceivedCreate,
    campaign: Campaign | None,
) -> GrantReceived:
    """Record a grant received: cash in, credited to the campaign's restricted fund or to
    the unrestricted fund. A settled campaign takes nothing more (409). ``campaign`` is
    the one ``data`` names, held by the route (None if it names none, or none of the
    foundation's)."""
    amount = data.amount.to_money()
    now = utcnow()
    received_at = not_in_future(data.received_at, now, "received_at")
    fund_id = foundation_id
    if data.campaign_id is not None:
        campaign = _named(campaign, data.campaign_id)
        if campaign.status is CampaignStatus.SETTLED:
            raise CampaignSettled(
                f"campaign {campaign.id} is settled; credit the grant to another campaign or "
                "to the unrestricted fund"
            )
        fund_id = campaign.id
    grant_id = new_id()
    entry = await ledger.post(
        LedgerRepository(session),
        foundation_id,
        kind=EntryKind.GRANT_RECEIVED,
        fund_id=fund_id,
        source_id=grant_id,
        lines=transfer(
            debit=Account.CASH,
            credit=Account.GRANTS_RECEIVED,
            fund_id=fund_id,
            currency=amount.currency,
            minor=amount.minor,
        ),
        memo=f"grant from {data.grantor}" + (f" ({data.programme})" if data.programme else ""),
    )
    grant = GrantReceived(
        id=grant_id,
        foundation_id=foundation_id,
        campaign_id=data.campaign_id,
        fund_id=fund_id,
        grantor=data.grantor,
        programme=data.programme,
        purpose=data.purpose,
        amount_minor=amount.minor,
        currency=amount.currency,
        received_at=received_at,
        entry_id=entry.id,
        created_at=now,
    )
    await GrantReceivedRepository(session).add(grant)
    return grant


async def pay(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    data: GrantPaidCreate,
    campaign: Campaign | None,
) -> GrantPaid:
    """Pay a grant to a partner organisation from a campaign (in its currency, while it may
    spend) or from the unrestricted fund. Raises ``InsufficientFunds`` if the fund does not
    hold the amount; emits ``donations.grant.paid``. ``campaign`` as for :func:`receive`."""
    amount = data.amount.to_money()
    now = utcnow()
    paid_at = not_in_future(data.paid_at, now, "paid_at")
    fund_id = foundation_id
    if data.campaign_id is not None:
        campaign = _named(campaign, data.campaign_id)
        require_campaign_currency(campaign, {"amount.currency": amount.currency})
        require_spendable(campaign)
        fund_id = campaign.id
    await require_partner(session, foundation_id, data.partner_organisation_id)
    grant_id = new_id()
    await emit(
        session,
        new_event(
            GrantPaidV1(
                grant_id=grant_id,
                partner_organisation_id=data.partner_organisation_id,
                campaign_id=data.campaign_id,
                amount=format_minor(amount.minor, amount.currency),
                currency=amount.currency,
                purpose=data.purpose,
                paid_at=paid_at,
            ),
            producer="donations",
            foundation_id=foundation_id,
        ),
    )
    entry = await ledger.post(
        LedgerRepository(session),
        foundation_id,
        kind=EntryKind.GRANT_PAID,
        fund_id=fund_id,
        source_id=grant_id,
        lines=transfer(
            debit=Account.GRANTS_PAID,
            credit=Account.CASH,
            fund_id=fund_id,
            currency=amount.currency,
            minor=amount.minor,
        ),
        memo=f"grant to partner organisation {data.partner_organisation_id}",
    )
    grant = GrantPaid(
        id=grant_id,
        foundation_id=foundation_id,
        campaign_id=data.campaign_id,
        fund_id=fund_id,
        partner_organisation_id=data.partner_organisation_id,
        purpose=data.purpose,
        amount_minor=amount.minor,
        currency=amount.currency,
        paid_at=paid_at,
        entry_id=entry.id,
        created_at=now,
    )
    await GrantPaidRepository(session).add(grant)
    return grant


async def get_received(
    session: AsyncSession, foundation_id: uuid.UUID, grant_id: uuid.UUID
) -> GrantReceived:
    grant = await GrantReceivedRepository(session).get_of(foundation_id, grant_id)
    if grant is None:
        raise GrantNotFound(f"no grant received {grant_id}")
    return grant


async def get_paid(
    session: AsyncSession, foundation_id: uuid.UUID, grant_id: uuid.UUID
) -> GrantPaid:
    grant = await GrantPaidRepository(session).get_of(foundation_id, grant_id)
    if grant is None:
        raise GrantNotFound(f"no grant paid {grant_id}")
    return grant


async def list_received(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    campaign_id: uuid.UUID | None = None,
) -> Sequence[GrantReceived]:
    return await GrantReceivedRepository(session).for_foundation(foundation_id, params, campaign_id)


async def list_paid(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    campaign_id: uuid.UUID | None = None,
    partner_organisation_id: uuid.UUID | None = None,
) -> Sequence[GrantPaid]:
    return await GrantPaidRepository(session).for_foundation(
        foundation_id, params, campaign_id, partner_organisation_id
    )
