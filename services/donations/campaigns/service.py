"""Campaign rules. Never commits: the request's session does."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import (
    CampaignAlreadyFollowed,
    CampaignClosed,
    CampaignHoldsGoods,
    CampaignHoldsMoney,
    CampaignNotFound,
    CampaignNotSpendable,
    CampaignSettled,
    GoalFixed,
    HostFixed,
    InvalidCampaignPeriod,
    InvalidCoOrganiser,
    ReceivedAfterEnd,
    SpendInOtherCurrency,
    TransitionNotAllowed,
    UnknownFollowedCampaign,
)
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.campaigns.repository import CampaignRepository, Totals
from services.donations.campaigns.schemas import CampaignCreate, CampaignUpdate, CoOrganiser, Host

# One step at a time: a draft never closes without having opened, and nothing leaves
# "settled" (its final accounts are done).
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.OPEN}),
    CampaignStatus.OPEN: frozenset({CampaignStatus.CLOSED}),
    CampaignStatus.CLOSED: frozenset({CampaignStatus.SETTLED}),
    CampaignStatus.SETTLED: frozenset(),
}


def _check_period(starts_at: dt.datetime, ends_at: dt.datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidCampaignPeriod(
            "ends_at must be after starts_at",
            errors=[
                FieldProblem(field="ends_at", message="must be after starts_at", code="period")
            ],
        )


def _co_organisers(foundation_id: uuid.UUID, organisers: Sequence[CoOrganiser]) -> list[Any]:
    for i, organiser in enumerate(organisers):
        if organiser.foundation_id == foundation_id:
            raise InvalidCoOrganiser(
                "a co-organiser cannot be the campaign's own foundation",
                errors=[
                    FieldProblem(
                        field=f"co_organisers.{i}.foundation_id",
                        message="is the campaign's own foundation",
                        code="own_foundation",
                    )
                ],
            )
    return [
        {"name": o.name, "foundation_id": str(o.foundation_id) if o.foundation_id else None}
        for o in organisers
    ]


def _set_host(campaign: Campaign, host: Host | None) -> None:
    campaign.host_name = host.name if host else None
    campaign.host_filing_number = host.filing_number if host else None
    campaign.host_platform = host.platform if host else None


async def create(session: AsyncSession, foundation_id: uuid.UUID, data: CampaignCreate) -> Campaign:
    """A new campaign, open unless ``data`` asks for a draft. Following an earlier phase
    locks that campaign until commit, so that two requests cannot both become its next
    phase."""
    now = utcnow()
    starts_at = data.starts_at or now
    _check_period(starts_at, data.ends_at)
    co_organisers = _co_organisers(foundation_id, data.co_organisers)
    repo = CampaignRepository(session)
    phase = 1
    if data.follows_id is not None:
        earlier = await repo.lock(foundation_id, data.follows_id)
        if earlier is None:
            raise UnknownFollowedCampaign(
                f"no campaign {data.follows_id} of this foundation",
                errors=[
                    FieldProblem(
                        field="follows_id",
                        message="is not a campaign of this foundation",
                        code="unknown",
                    )
                ],
            )
        follower = await repo.follower(earlier.id)
        if follower is not None:
            raise CampaignAlreadyFollowed(
                f"campaign {earlier.id} is already followed by campaign {follower.id} "
                f"(phase {follower.phase}); follow that one instead"
            )
        phase = earlier.phase + 1
    status = CampaignStatus(data.status)
    goal = data.goal.to_money()
    campaign = Campaign(
        foundation_id=foundation_id,
        title=data.title,
        purpose=data.purpose,
        goal_minor=goal.minor,
        currency=goal.currency,
        status=status,
        starts_at=starts_at,
        ends_at=data.ends_at,
        follows_id=data.follows_id,
        phase=phase,
        co_organisers=co_organisers,
        opened_at=now if status is CampaignStatus.OPEN else None,
        version=1,
        created_at=now,
    )
    _set_host(campaign, data.host)
    return await repo.add(campaign)


async def get(
    repo: CampaignRepository, foundation_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    """The foundation's campaign; another foundation's is 'not found', never 'forbidden'."""
    campaign = await repo.of_foundation(foundation_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


async def get_held(
    repo: CampaignRepository, foundation_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    """As :func:`get`, held (shared) until commit: for a write that depends on the
    campaign's state (a donation, a spend). Such writes run side by side, but a change of
    the campaign's state waits for those already in flight, and those that come after the
    change asked for its lock wait for it (a fair queue on PostgreSQL, see
    :meth:`CampaignRepository.get_for_update`)."""
    campaign = await repo.get_for_update(foundation_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


async def get_locked(
    repo: CampaignRepository, foundation_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    """As :func:`get`, held exclusively until commit: for changing the campaign. Waits
    only for the holds already granted, never for those asked after it."""
    campaign = await repo.lock(foundation_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


async def update(session: AsyncSession, campaign: Campaign, data: CampaignUpdate) -> Campaign:
    """Apply the fields ``data`` carries to a campaign locked by :func:`get_locked`; the
    version grows if anything changed. The goal and the fundraising host change only while
    the campaign is a draft (donors gave towards that goal, under that filing), and a settled
    campaign changes no more."""
    fields = data.model_fields_set
    if campaign.status is CampaignStatus.SETTLED:
        raise CampaignSettled(f"campaign {campaign.id} is settled; its record is final")
    before = _editable(campaign)
    if "goal" in fields and data.goal is not None:
        goal = data.goal.to_money()
        if goal != campaign.goal and campaign.status is not CampaignStatus.DRAFT:
            raise GoalFixed(
                f"campaign {campaign.id} is {campaign.status.value}; its goal of "
                f"{campaign.goal} was fixed when it opened"
            )
        campaign.goal_minor, campaign.currency = goal.minor, goal.currency
    starts_at = data.starts_at if "starts_at" in fields and data.starts_at else campaign.starts_at
    ends_at = data.ends_at if "ends_at" in fields else campaign.ends_at
    _check_period(starts_at, ends_at)
    campaign.starts_at, campaign.ends_at = starts_at, ends_at
    if "title" in fields and data.title is not None:
        campaign.title = data.title
    if "purpose" in fields and data.purpose is not None:
        campaign.purpose = data.purpose
    if "host" in fields:
        host_before = (campaign.host_name, campaign.host_filing_number, campaign.host_platform)
        _set_host(campaign, data.host)
        host_after = (campaign.host_name, campaign.host_filing_number, campaign.host_platform)
        if host_after != host_before and campaign.status is not CampaignStatus.DRAFT:
            # Donors gave under this filing, and their receipts name it.
            raise HostFixed(
                f"campaign {campaign.id} is {campaign.status.value}; it raises under "
                f"{host_before[0] or 'no host'}'s filing {host_before[1] or '(none)'}, which "
                "donors' receipts name: it was fixed when the campaign opened"
            )
    if "co_organisers" in fields and data.co_organisers is not None:
        campaign.co_organisers = _co_organisers(campaign.foundation_id, data.co_organisers)
    if _editable(campaign) != before:
        campaign.version += 1
    await session.flush()
    return campaign


def _editable(campaign: Campaign) -> tuple[Any, ...]:
    return (
        campaign.title,
        campaign.purpose,
        campaign.goal_minor,
        campaign.currency,
        campaign.starts_at,
        campaign.ends_at,
        campaign.host_name,
        campaign.host_filing_number,
        campaign.host_platform,
        campaign.co_organisers,
    )


async def transition(session: AsyncSession, campaign: Campaign, to: CampaignStatus) -> Campaign:
    """Move a campaign locked by :func:`get_locked` one step on: draft → open → closed →
    settled, recording when. Settling needs the campaign to hold no money in any currency
    and no goods: after it nothing may move, so what is left in it would be stranded."""
    current = campaign.status
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        raise TransitionNotAllowed(
            f"campaign {campaign.id} is {current.value}; it cannot become {to.value} "
            f"(from {current.value}: {allowed})"
        )
    if to is CampaignStatus.SETTLED:
        repo = CampaignRepository(session)
        held = (await repo.totals([campaign.id])).get(campaign.id, Totals()).held
        left = {currency: minor for currency, minor in sorted(held.items()) if minor}
        if left:
            amounts = ", ".join(f"{format_minor(m, c)} {c}" for c, m in left.items())
            raise CampaignHoldsMoney(
                f"campaign {campaign.id} still holds {amounts}; spend or pass it on first"
            )
        goods = await repo.goods_left(campaign.foundation_id, campaign.id)
        if goods:
            raise CampaignHoldsGoods(
                f"campaign {campaign.id} still holds goods: {_goods(goods)}; distribute them first"
            )
    now = utcnow()
    campaign.status = to
    if to is CampaignStatus.OPEN:
        campaign.opened_at = now
    elif to is CampaignStatus.CLOSED:
        campaign.closed_at = now
    else:
        campaign.settled_at = now
    campaign.version += 1
    await session.flush()
    return campaign


# A settle refused for goods names this many items, and counts the rest.
_LISTED_GOODS = 20


def _goods(goods: Sequence[tuple[str, str, int]]) -> str:
    listed = ", ".join(
        f"{item} {quantity} {unit}" for item, unit, quantity in goods[:_LISTED_GOODS]
    )
    more = len(goods) - _LISTED_GOODS
    return listed + (f" and {more} more items" if more > 0 else "")


async def list_page(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    *,
    status: CampaignStatus | None = None,
) -> Sequence[Campaign]:
    return await CampaignRepository(session).list(foundation_id, params, status=status)


async def totals(session: AsyncSession, campaigns: Sequence[Campaign]) -> dict[uuid.UUID, Totals]:
    return await CampaignRepository(session).totals([c.id for c in campaigns])


def require_open(campaign: Campaign, what: str) -> None:
    """Refuse (409 :class:`CampaignClosed`) gifts to a campaign that is not open: a draft
    has not started taking them, a closed or settled one has stopped. ``what`` names the
    gifts in the problem's detail ("donations are recorded")."""
    if campaign.status is not CampaignStatus.OPEN:
        raise CampaignClosed(
            f"campaign {campaign.id} is {campaign.status.value}; {what} only while it is open"
        )


def require_within_period(campaign: Campaign, when: dt.datetime, field: str) -> None:
    """Refuse (422 :class:`ReceivedAfterEnd`, naming ``field``) a gift received after the
    campaign's period ended. A gift received within the period may be recorded later, for
    instance from the host platform's export, as long as the campaign is still open."""
    if campaign.ends_at is not None and when >= campaign.ends_at:
        raise ReceivedAfterEnd(
            f"campaign {campaign.id} ended at {campaign.ends_at.isoformat()}",
            errors=[
                FieldProblem(
                    field=field,
                    message=f"is after the campaign ended ({campaign.ends_at.isoformat()})",
                    code="after_end",
                )
            ],
        )


def require_spendable(campaign: Campaign, what: str = "its money is spent") -> None:
    """Refuse (409 :class:`CampaignNotSpendable`) to use a campaign's money or goods unless
    it is open or closed: a draft has nothing yet, a settled campaign's accounts are final.
    ``what`` names the use in the problem's detail. Check a campaign locked for the request
    (e.g. by :func:`get_held`) so its state holds until commit."""
    if not campaign.may_spend:
        raise CampaignNotSpendable(
            f"campaign {campaign.id} is {campaign.status.value}; {what} only while it is "
            "open or closed"
        )


def require_campaign_currency(campaign: Campaign, currencies: Mapping[str, str]) -> None:
    """Refuse (422 :class:`SpendInOtherCurrency`, naming each field) a spend whose
    ``currencies`` (field → currency) are not all the campaign's own: money given in
    another currency is converted first."""
    wrong = [field for field, currency in currencies.items() if currency != campaign.currency]
    if wrong:
        raise SpendInOtherCurrency(
            f"campaign {campaign.id} spends {campaign.currency} only",
            errors=[
                FieldProblem(
                    field=field,
                    message=f"a spend in another currency: the campaign spends "
                    f"{campaign.currency} (convert the money first)",
                    code="currency",
                )
                for field in wrong
            ],
        )
