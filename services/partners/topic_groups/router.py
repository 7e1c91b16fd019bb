from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.identity import Principal, Scope
from kit.pagination import Page, PageParamsDep
from services.partners.organisations.exceptions import UnknownPartner
from services.partners.topic_groups import service
from services.partners.topic_groups.auth import TopicGroupsRead, TopicGroupsWrite
from services.partners.topic_groups.dependencies import ValidTopicGroup
from services.partners.topic_groups.exceptions import (
    OutputNotFound,
    PartnerMemberNeedsPartner,
    TopicGroupNotFound,
)
from services.partners.topic_groups.models import TopicMember, TopicOutput
from services.partners.topic_groups.schemas import (
    ActivityCreate,
    ActivityRead,
    MemberCreate,
    MemberRead,
    OutputCreate,
    OutputRead,
    TopicGroupCreate,
    TopicGroupRead,
)

router = APIRouter(prefix="/api/v1/topic-groups", tags=["topic groups"])


@router.post(
    "",
    status_code=201,
    response_model=TopicGroupRead,
    summary="Start a topic group (议题小组)",
    responses=problem_responses(Forbidden),
)
async def create_topic_group(
    principal: TopicGroupsWrite,
    data: TopicGroupCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        group = await service.create(session, principal.organisation_id, data)
        return Created(
            TopicGroupRead.model_validate(group), location=f"/api/v1/topic-groups/{group.id}"
        )

    return await create(data, add)


@router.get(
    "",
    response_model=Page[TopicGroupRead],
    summary="List the foundation's topic groups, newest first",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_topic_groups(
    principal: TopicGroupsRead, session: SessionDep, params: PageParamsDep
) -> Page[TopicGroupRead]:
    rows = await service.list_page(session, principal.organisation_id, params)
    return params.page(rows, TopicGroupRead.model_validate)


@router.get(
    "/{topic_group_id}",
    response_model=TopicGroupRead,
    summary="Read a topic group",
    responses=problem_responses(Forbidden, TopicGroupNotFound),
)
async def get_topic_group(group: ValidTopicGroup) -> TopicGroupRead:
    return TopicGroupRead.model_validate(group)


def member_read(member: TopicMember, *, personal: bool) -> MemberRead:
    return MemberRead(
        id=member.id,
        topic_group_id=member.topic_group_id,
        name=member.name,
        member_type=member.member_type,
        role=member.role,
        partner_id=member.partner_id,
        contact=member.contact if personal else None,
        created_at=member.created_at,
    )


def personal(principal: Principal) -> bool:
    return principal.has(Scope.PARTNER_CONTACTS_READ)


@router.post(
    "/{topic_group_id}/members",
    status_code=201,
    response_model=MemberRead,
    summary="Add a member: a resident, a staff member or a partner organisation",
    description="A member's contact is private: stored, and shown only to holders of "
    "`partners:contacts` (never in the answer to this write, which replays keep).",
    responses=problem_responses(
        Forbidden, TopicGroupNotFound, PartnerMemberNeedsPartner, UnknownPartner
    ),
)
async def add_member(
    *,
    principal: TopicGroupsWrite,
    data: MemberCreate,
    group: ValidTopicGroup,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        member = await service.add_member(session, group, data)
        return Created(member_read(member, personal=False))

    return await create(data, add)


@router.get(
    "/{topic_group_id}/members",
    response_model=Page[MemberRead],
    summary="List a topic group's members, newest first",
    responses=problem_responses(Forbidden, TopicGroupNotFound),
)
async def list_topic_group_members(
    principal: TopicGroupsRead, group: ValidTopicGroup, session: SessionDep, params: PageParamsDep
) -> Page[MemberRead]:
    show = personal(principal)
    rows = await service.list_members(session, group, params)
    return params.page(rows, lambda m: member_read(m, personal=show))


@router.post(
    "/{topic_group_id}/activities",
    status_code=201,
    response_model=ActivityRead,
    summary="Record an activity: a survey, a workshop, a meeting, a visit",
    responses=problem_responses(Forbidden, TopicGroupNotFound),
)
async def add_activity(
    *,
    principal: TopicGroupsWrite,
    data: ActivityCreate,
    group: ValidTopicGroup,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        return Created(
            ActivityRead.model_validate(await service.add_activity(session, group, data))
        )

    return await create(data, add)


@router.get(
    "/{topic_group_id}/activities",
    response_model=Page[ActivityRead],
    summary="List a topic group's activities, newest first",
    responses=problem_responses(Forbidden, TopicGroupNotFound),
)
async def list_activities(
    group: ValidTopicGroup, session: SessionDep, params: PageParamsDep
) -> Page[ActivityRead]:
    rows = await service.list_activities(session, group, params)
    return params.page(rows, ActivityRead.model_validate)


def output_read(output: TopicOutput) -> OutputRead:
    return OutputRead.model_validate(output)


@router.post(
    "/{topic_group_id}/outputs",
    status_code=201,
    response_model=OutputRead,
    summary="Write an output (a draft): a guide, a survey's findings",
    responses=problem_responses(Forbidden, TopicGroupNotFound),
)
async def add_output(
    *,
    principal: TopicGroupsWrite,
    data: OutputCreate,
    group: ValidTopicGroup,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        output = await service.add_output(session, group, data)
        return Created(
            output_read(output),
            location=f"/api/v1/topic-groups/{group.id}/outputs/{output.id}",
        )

    return await create(data, add)


@router.get(
    "/{topic_group_id}/outputs",
    response_model=Page[OutputRead],
    summary="List a topic group's outputs, newest first",
    responses=problem_responses(Forbidden, TopicGroupNotFound),
)
async def list_outputs(
    group: ValidTopicGroup, session: SessionDep, params: PageParamsDep
) -> Page[OutputRead]:
    return params.page(await service.list_outputs(session, group, params), output_read)


@router.get(
    "/{topic_group_id}/outputs/{output_id}",
    response_model=OutputRead,
    summary="Read an output",
    responses=problem_responses(Forbidden, TopicGroupNotFound, OutputNotFound),
)
async def get_output(
    output_id: uuid.UUID, group: ValidTopicGroup, session: SessionDep
) -> OutputRead:
    return output_read(await service.get_output(session, group, output_id))


@router.post(
    "/{topic_group_id}/outputs/{output_id}/publication",
    response_model=OutputRead,
    summary="Publish an output",
    description="Emits `partners.topic_output.published`: the network service shares it with "
    "the foundation's networks. Publishing it again changes nothing.",
    responses=problem_responses(Forbidden, TopicGroupNotFound, OutputNotFound),
)
async def publish_output(
    principal: TopicGroupsWrite, output_id: uuid.UUID, group: ValidTopicGroup, session: SessionDep
) -> OutputRead:
    return output_read(await service.publish_output(session, group, output_id))
