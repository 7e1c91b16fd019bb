"""Topic group rules. Never commits: the request's session does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.partners import TopicOutputPublishedV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import emit, new_event
from kit.pagination import PageParams
from services.partners.organisations.service import PRODUCER, require_partners
from services.partners.topic_groups.exceptions import (
    OutputNotFound,
    PartnerMemberNeedsPartner,
    TopicGroupNotFound,
)
from services.partners.topic_groups.models import (
    MemberType,
    OutputStatus,
    TopicActivity,
    TopicGroup,
    TopicMember,
    TopicOutput,
)
from services.partners.topic_groups.repository import (
    ActivityRepository,
    MemberRepository,
    OutputRepository,
    TopicGroupRepository,
)
from services.partners.topic_groups.schemas import (
    ActivityCreate,
    MemberCreate,
    OutputCreate,
    TopicGroupCreate,
)


async def create(
    session: AsyncSession, foundation_id: uuid.UUID, data: TopicGroupCreate
) -> TopicGroup:
    group = TopicGroup(foundation_id=foundation_id, created_at=utcnow(), **data.model_dump())
    return await TopicGroupRepository(session).add(group)


async def get(session: AsyncSession, foundation_id: uuid.UUID, group_id: uuid.UUID) -> TopicGroup:
    group = await TopicGroupRepository(session).of_foundation(foundation_id, group_id)
    if group is None:
        raise TopicGroupNotFound(f"no topic group {group_id}")
    return group


async def list_page(
    session: AsyncSession, foundation_id: uuid.UUID, params: PageParams
) -> Sequence[TopicGroup]:
    return await TopicGroupRepository(session).list(foundation_id, params)


async def add_member(session: AsyncSession, group: TopicGroup, data: MemberCreate) -> TopicMember:
    """A partner member names one of the foundation's current partners (422); residents
    and staff name none."""
    if (data.member_type is MemberType.PARTNER) != (data.partner_id is not None):
        raise PartnerMemberNeedsPartner(
            "partner_id is given for partner members, and only for them",
            errors=[
                FieldProblem(field="partner_id", message="partner members only", code="partner")
            ],
        )
    if data.partner_id is not None:
        await require_partners(session, group.foundation_id, [data.partner_id], field="partner_id")
    member = TopicMember(topic_group_id=group.id, created_at=utcnow(), **data.model_dump())
    return await MemberRepository(session).add(member)


async def list_members(
    session: AsyncSession, group: TopicGroup, params: PageParams
) -> Sequence[TopicMember]:
    return await MemberRepository(session).list(group.id, params)


async def add_activity(
    session: AsyncSession, group: TopicGroup, data: ActivityCreate
) -> TopicActivity:
    activity = TopicActivity(topic_group_id=group.id, created_at=utcnow(), **data.model_dump())
    return await ActivityRepository(session).add(activity)


async def list_activities(
    session: AsyncSession, group: TopicGroup, params: PageParams
) -> Sequence[TopicActivity]:
    return await ActivityRepository(session).list(group.id, params)


async def add_output(session: AsyncSession, group: TopicGroup, data: OutputCreate) -> TopicOutput:
    output = TopicOutput(
        topic_group_id=group.id,
        title=data.title,
        body=data.body,
        language=data.language,
        tags=list(data.tags),
        status=OutputStatus.DRAFT,
        created_at=utcnow(),
    )
    return await OutputRepository(session).add(output)


async def get_output(
    session: AsyncSession, group: TopicGroup, output_id: uuid.UUID, *, for_update: bool = False
) -> TopicOutput:
    output = await OutputRepository(session).of_group(group.id, output_id, for_update=for_update)
    if output is None:
        raise OutputNotFound(f"no output {output_id} in topic group {group.id}")
    return output


async def publish_output(
    session: AsyncSession, group: TopicGroup, output_id: uuid.UUID
) -> TopicOutput:
    """Publish a draft and emit ``partners.topic_output.published``; publishing a published
    output changes nothing and emits nothing."""
    output = await get_output(session, group, output_id, for_update=True)
    if output.status is OutputStatus.PUBLISHED:
        return output
    output.status = OutputStatus.PUBLISHED
    output.published_at = utcnow()
    await session.flush()
    await emit(
        session,
        new_event(
            TopicOutputPublishedV1(
                output_id=output.id,
                topic_group_id=group.id,
                foundation_id=group.foundation_id,
                title=output.title,
                body=output.body,
                language=output.language,
                tags=list(output.tags),
                published_at=output.published_at,
            ),
            producer=PRODUCER,
            foundation_id=group.foundation_id,
        ),
    )
    return output


async def list_outputs(
    session: AsyncSession, group: TopicGroup, params: PageParams
) -> Sequence[TopicOutput]:
    return await OutputRepository(session).list(group.id, params)
