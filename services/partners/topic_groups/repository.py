from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.partners.topic_groups.models import (
    TopicActivity,
    TopicGroup,
    TopicMember,
    TopicOutput,
)


class TopicGroupRepository(Repository[TopicGroup]):
    model = TopicGroup

    async def of_foundation(
        self, foundation_id: uuid.UUID, group_id: uuid.UUID
    ) -> TopicGroup | None:
        return await self.one_or_none(
            select(TopicGroup).where(
                TopicGroup.id == group_id, TopicGroup.foundation_id == foundation_id
            )
        )

    async def list(self, foundation_id: uuid.UUID, params: PageParams) -> Sequence[TopicGroup]:
        return await self.page(
            select(TopicGroup).where(TopicGroup.foundation_id == foundation_id), params
        )


class MemberRepository(Repository[TopicMember]):
    model = TopicMember

    async def list(self, group_id: uuid.UUID, params: PageParams) -> Sequence[TopicMember]:
        return await self.page(
            select(TopicMember).where(TopicMember.topic_group_id == group_id), params
        )


class ActivityRepository(Repository[TopicActivity]):
    model = TopicActivity

    async def list(self, group_id: uuid.UUID, params: PageParams) -> Sequence[TopicActivity]:
        return await self.page(
            select(TopicActivity).where(TopicActivity.topic_group_id == group_id), params
        )


class OutputRepository(Repository[TopicOutput]):
    model = TopicOutput

    async def of_group(
        self, group_id: uuid.UUID, output_id: uuid.UUID, *, for_update: bool = False
    ) -> TopicOutput | None:
        stmt = select(TopicOutput).where(
            TopicOutput.id == output_id, TopicOutput.topic_group_id == group_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def list(self, group_id: uuid.UUID, params: PageParams) -> Sequence[TopicOutput]:
        return await self.page(
            select(TopicOutput).where(TopicOutput.topic_group_id == group_id), params
        )
