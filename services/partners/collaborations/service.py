"""Collaboration rules. Never commits: the request's session does.

- Status moves only as :data:`~.models.TRANSITIONS` allows (409 otherwise), each move
  emitting ``partners.collaboration.status_changed``.
- Milestones fall within the period (422 ``outside-period``); completing one emits
  ``partners.milestone.completed``. Milestones are completed and outcomes reported only
  while the collaboration is active (409).
- An outcome figure is in its metric's one unit (422 ``wrong-unit``).
- Funding: the grants (``donations.grant.paid``) paid to the collaboration's partners from
  its first day to its last (UTC days). See docs/partners.md.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.partners import CollaborationStatusChangedV1, MilestoneCompletedV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import emit, new_event
from kit.pagination import PageParams
from services.partners.collaborations.exceptions import (
    CollaborationClosed,
    CollaborationNotActive,
    CollaborationNotFound,
    InvalidTransition,
    MilestoneNotFound,
    OutsidePeriod,
    WrongUnit,
)
from services.partners.collaborations.models import (
    METRIC_UNITS,
    TRANSITIONS,
    Collaboration,
    CollaborationStatus,
    CollaborationUpdate,
    Milestone,
    OutcomeMetric,
    OutcomeReport,
)
from services.partners.collaborations.repository import (
    CollaborationRepository,
    MilestoneRepository,
    OutcomeRepository,
    UpdateRepository,
)
from services.partners.collaborations.schemas import (
    CollaborationCreate,
    CollaborationUpdateFields,
    MilestoneCompletion,
    MilestoneCreate,
    OutcomeCreate,
    UpdateCreate,
)
from services.partners.grants.models import PartnerGrant
from services.partners.grants.repository import PartnerGrantRepository
from services.partners.organisations.service import PRODUCER, require_partners

CLOSED = frozenset({CollaborationStatus.COMPLETED, CollaborationStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class CollaborationView:
    """A collaboration with what its read shows besides its own columns."""

    collaboration: Collaboration
    partner_ids: list[uuid.UUID]
    milestones_total: int
    milestones_completed: int
    outcomes: Sequence[tuple[OutcomeMetric, str, int]]
    funding: Sequence[tuple[str, int]]


async def create(
    session: AsyncSession, foundation_id: uuid.UUID, data: CollaborationCreate
) -> Collaboration:
    """A proposed collaboration with the foundation's current partners (422 naming
    ``partner_ids`` for any other)."""
    await require_partners(session, foundation_id, data.partner_ids, field="partner_ids")
    collaboration = Collaboration(
        foundation_id=foundation_id,
        title=data.title,
        area=data.area,
        goals=data.goals,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=CollaborationStatus.PROPOSED,
        version=1,
        created_at=utcnow(),
    )
    repo = CollaborationRepository(session)
    await repo.add(collaboration)
    await repo.set_partners(collaboration.id, data.partner_ids)
    return collaboration


async def get(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    collaboration_id: uuid.UUID,
    *,
    partner_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> Collaboration:
    """The foundation's collaboration; with ``partner_id`` (a partner's key), only one that
    partner is in. Anything else is 'not found'."""
    repo = CollaborationRepository(session)
    collaboration = await repo.of_foundation(foundation_id, collaboration_id, for_update=for_update)
    if collaboration is None or (
        partner_id is not None and partner_id not in await repo.partner_ids(collaboration.id)
    ):
        raise CollaborationNotFound(f"no collaboration {collaboration_id}")
    return collaboration


def _period(collaboration: Collaboration) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(collaboration.starts_on, dt.time(), dt.UTC)
    end = dt.datetime.combine(collaboration.ends_on + dt.timedelta(days=1), dt.time(), dt.UTC)
    return start, end


def _funded(partner_ids: Sequence[uuid.UUID], viewer: uuid.UUID | None) -> list[uuid.UUID]:
    # A partner's key sees the grants paid to it, never those of the other partners.
    return [viewer] if viewer is not None else list(partner_ids)


async def view(
    session: AsyncSession, collaboration: Collaboration, *, viewer: uuid.UUID | None = None
) -> CollaborationView:
    repo = CollaborationRepository(session)
    partner_ids = await repo.partner_ids(collaboration.id)
    total, done = await repo.milestone_counts(collaboration.id)
    start, end = _period(collaboration)
    funding = await PartnerGrantRepository(session).totals_in_period(
        collaboration.foundation_id, _funded(partner_ids, viewer), start, end
    )
    return CollaborationView(
        collaboration=collaboration,
        partner_ids=list(partner_ids),
        milestones_total=total,
        milestones_completed=done,
        outcomes=await repo.outcome_totals(collaboration.id),
        funding=funding,
    )


async def list_page(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    *,
    partner_id: uuid.UUID | None = None,
    status: CollaborationStatus | None = None,
    viewer: uuid.UUID | None = None,
) -> list[CollaborationView]:
    rows = await CollaborationRepository(session).list(
        foundation_id, params, partner_id=partner_id, status=status
    )
    return [await view(session, row, viewer=viewer) for row in rows]


def _require_open(collaboration: Collaboration) -> None:
    if collaboration.status in CLOSED:
        raise CollaborationClosed(
            f"collaboration {collaboration.id} is {collaboration.status.value}; it cannot change"
        )


def _require_active(collaboration: Collaboration) -> None:
    if collaboration.status is not CollaborationStatus.ACTIVE:
        raise CollaborationNotActive(
            f"collaboration {collaboration.id} is {collaboration.status.value}; milestones "
            "are completed and outcomes reported while it is active"
        )


def _outside(field: str, day: dt.date, collaboration: Collaboration) -> OutsidePeriod:
    return OutsidePeriod(
        f"{field} {day} is outside the collaboration's period "
        f"{collaboration.starts_on} to {collaboration.ends_on}",
        errors=[FieldProblem(field=field, message="outside the period", code="outside_period")],
    )


def _touch(collaboration: Collaboration) -> None:
    collaboration.version += 1
    collaboration.updated_at = utcnow()


async def update(
    session: AsyncSession, collaboration: Collaboration, data: CollaborationUpdateFields
) -> Collaboration:
    """Change the fields given (the caller checked If-Match on the locked row). A new
    period must still hold every milestone (422)."""
    _require_open(collaboration)
    changes = data.model_dump(exclude_unset=True)
    for field in ("title", "area", "starts_on", "ends_on", "partner_ids"):
        if field in changes and changes[field] is None:
            del changes[field]
    if changes.get("goals", "") is None:
        changes["goals"] = ""
    starts_on = changes.get("starts_on", collaboration.starts_on)
    ends_on = changes.get("ends_on", collaboration.ends_on)
    if ends_on < starts_on:
        raise OutsidePeriod(
            "ends_on must not be before starts_on",
            errors=[FieldProblem(field="ends_on", message="before starts_on", code="period")],
        )
    repo = CollaborationRepository(session)
    for milestone in await repo.milestone_dates(collaboration.id):
        if not starts_on <= milestone.due_on <= ends_on:
            field = "starts_on" if milestone.due_on < starts_on else "ends_on"
            raise OutsidePeriod(
                f"milestone {milestone.title!r} is due {milestone.due_on}, outside the new "
                f"period {starts_on} to {ends_on}",
                errors=[
                    FieldProblem(
                        field=field, message="leaves a milestone out", code="outside_period"
                    )
                ],
            )
    partner_ids = changes.pop("partner_ids", None)
    if partner_ids is not None:
        await require_partners(
            session, collaboration.foundation_id, partner_ids, field="partner_ids"
        )
        await repo.set_partners(collaboration.id, partner_ids)
    for field, value in changes.items():
        setattr(collaboration, field, value)
    _touch(collaboration)
    await session.flush()
    return collaboration


async def change_status(
    session: AsyncSession, collaboration: Collaboration, status: CollaborationStatus
) -> Collaboration:
    """Move the collaboration (409 ``invalid-transition`` unless allowed)."""
    before = collaboration.status
    if status not in TRANSITIONS[before]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[before])) or "none"
        raise InvalidTransition(
            f"a {before.value} collaboration cannot become {status.value} (allowed: {allowed})",
            errors=[
                FieldProblem(
                    field="status", message="not allowed from " + before.value, code="transition"
                )
            ],
        )
    collaboration.status = status
    _touch(collaboration)
    await session.flush()
    await emit(
        session,
        new_event(
            CollaborationStatusChangedV1(
                collaboration_id=collaboration.id,
                title=collaboration.title,
                partner_ids=await CollaborationRepository(session).partner_ids(collaboration.id),
                from_status=before.value,
                to_status=status.value,
                changed_at=collaboration.updated_at or utcnow(),
            ),
            producer=PRODUCER,
            foundation_id=collaboration.foundation_id,
        ),
    )
    return collaboration


async def add_milestone(
    session: AsyncSession, collaboration: Collaboration, data: MilestoneCreate
) -> Milestone:
    _require_open(collaboration)
    if not collaboration.starts_on <= data.due_on <= collaboration.ends_on:
        raise _outside("due_on", data.due_on, collaboration)
    milestone = Milestone(
        collaboration_id=collaboration.id, title=data.title, due_on=data.due_on, created_at=utcnow()
    )
    return await MilestoneRepository(session).add(milestone)


async def get_milestone(
    session: AsyncSession, collaboration: Collaboration, milestone_id: uuid.UUID
) -> Milestone:
    milestone = await MilestoneRepository(session).of_collaboration(collaboration.id, milestone_id)
    if milestone is None:
        raise MilestoneNotFound(f"no milestone {milestone_id} in collaboration {collaboration.id}")
    return milestone


async def complete_milestone(
    session: AsyncSession,
    collaboration: Collaboration,
    milestone_id: uuid.UUID,
    data: MilestoneCompletion,
    *,
    by: str,
) -> Milestone:
    """Complete the milestone; completing it again changes nothing."""
    milestone = await get_milestone(session, collaboration, milestone_id)
    if milestone.completed_at is not None:
        return milestone
    _require_active(collaboration)
    milestone.completed_at = utcnow()
    milestone.completed_by = by
    milestone.completion_note = data.note
    await session.flush()
    await emit(
        session,
        new_event(
            MilestoneCompletedV1(
                milestone_id=milestone.id,
                collaboration_id=collaboration.id,
                title=milestone.title,
                due_on=milestone.due_on,
                completed_at=milestone.completed_at,
            ),
            producer=PRODUCER,
            foundation_id=collaboration.foundation_id,
        ),
    )
    return milestone


async def list_milestones(
    session: AsyncSession, collaboration: Collaboration, params: PageParams
) -> Sequence[Milestone]:
    return await MilestoneRepository(session).list(collaboration.id, params)


async def report_outcome(
    session: AsyncSession,
    collaboration: Collaboration,
    data: OutcomeCreate,
    *,
    by: str,
    partner_id: uuid.UUID | None,
) -> OutcomeReport:
    unit = METRIC_UNITS[data.metric]
    if data.unit != unit:
        raise WrongUnit(
            f"{data.metric.value} is counted in {unit}, not {data.unit}",
            errors=[FieldProblem(field="unit", message=f"must be {unit}", code="wrong_unit")],
        )
    _require_active(collaboration)
    if not collaboration.starts_on <= data.reported_on <= collaboration.ends_on:
        raise _outside("reported_on", data.reported_on, collaboration)
    report = OutcomeReport(
        collaboration_id=collaboration.id,
        metric=data.metric,
        value=data.value,
        unit=unit,
        note=data.note,
        reported_on=data.reported_on,
        reported_by=by,
        partner_id=partner_id,
        created_at=utcnow(),
    )
    return await OutcomeRepository(session).add(report)


async def list_outcomes(
    session: AsyncSession, collaboration: Collaboration, params: PageParams
) -> Sequence[OutcomeReport]:
    return await OutcomeRepository(session).list(collaboration.id, params)


async def post_update(
    session: AsyncSession,
    collaboration: Collaboration,
    data: UpdateCreate,
    *,
    by: str,
    partner_id: uuid.UUID | None,
) -> CollaborationUpdate:
    entry = CollaborationUpdate(
        collaboration_id=collaboration.id,
        body=data.body,
        author=by,
        partner_id=partner_id,
        created_at=utcnow(),
    )
    return await UpdateRepository(session).add(entry)


async def list_updates(
    session: AsyncSession, collaboration: Collaboration, params: PageParams
) -> Sequence[CollaborationUpdate]:
    return await UpdateRepository(session).list(collaboration.id, params)


async def list_funding(
    session: AsyncSession,
    collaboration: Collaboration,
    params: PageParams,
    *,
    viewer: uuid.UUID | None = None,
) -> Sequence[PartnerGrant]:
    partner_ids = await CollaborationRepository(session).partner_ids(collaboration.id)
    start, end = _period(collaboration)
    return await PartnerGrantRepository(session).list_in_period(
        collaboration.foundation_id, _funded(partner_ids, viewer), start, end, params
    )
