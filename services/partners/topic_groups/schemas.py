from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kit.schemas import InputModel, Name
from services.partners.organisations.schemas import District, Tags
from services.partners.topic_groups.models import (
    ActivityKind,
    MemberRole,
    MemberType,
    OutputStatus,
)

Language = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=16)
]


class TopicGroupCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "topic": "蛇口买菜 Buying groceries in Shekou",
                    "description": "Where can residents buy food during the epidemic?",
                    "district": "蛇口",
                }
            ]
        },
    )

    topic: Name
    description: str = Field(default="", max_length=10000)
    district: District = ""


class TopicGroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    foundation_id: uuid.UUID
    topic: str
    description: str
    district: str
    created_at: dt.datetime


class MemberCreate(InputModel):
    name: Name
    member_type: MemberType
    role: MemberRole = MemberRole.MEMBER
    partner_id: uuid.UUID | None = Field(
        default=None, description="for a partner member: the foundation's partner organisation"
    )
    contact: str | None = Field(
        default=None, min_length=3, max_length=320, description="phone or e-mail; private"
    )


class MemberRead(BaseModel):
    id: uuid.UUID
    topic_group_id: uuid.UUID
    name: str
    member_type: MemberType
    role: MemberRole
    partner_id: uuid.UUID | None
    contact: str | None = Field(description="only with the partners:contacts scope")
    created_at: dt.datetime


class ActivityCreate(InputModel):
    kind: ActivityKind
    title: Name
    held_on: dt.date
    participants: int = Field(default=0, ge=0, le=1_000_000)
    summary: str = Field(default="", max_length=20000)


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    topic_group_id: uuid.UUID
    kind: ActivityKind
    title: str
    held_on: dt.date
    participants: int
    summary: str
    created_at: dt.datetime


class OutputCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "蛇口买菜攻略 Where to buy groceries in Shekou",
                    "body": "## 菜市场\n\n- 蛇口市场: 7:00-19:00 ...",
                    "language": "zh",
                    "tags": ["买菜", "防疫"],
                }
            ]
        },
    )

    title: Name
    body: str = Field(min_length=1, max_length=200_000, description="Markdown")
    language: Language = Field(default="zh", description="BCP 47, e.g. zh, en, zh-Hans")
    tags: Tags = Field(default_factory=list)


class OutputRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    topic_group_id: uuid.UUID
    title: str
    body: str
    language: str
    tags: list[str]
    status: OutputStatus
    published_at: dt.datetime | None
    created_at: dt.datetime
