"""The topic group a request's path names: the caller's foundation's, else 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.partners.topic_groups import service
from services.partners.topic_groups.auth import TopicGroupsRead
from services.partners.topic_groups.models import TopicGroup


async def valid_topic_group(
    topic_group_id: uuid.UUID, session: SessionDep, principal: TopicGroupsRead
) -> TopicGroup:
    return await service.get(session, principal.organisation_id, topic_group_id)


ValidTopicGroup = Annotated[TopicGroup, Depends(valid_topic_group)]
