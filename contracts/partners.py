"""The partners service's event contracts (``partners.<entity>.<verb>``); only the partners
service emits them.

Partner events carry the organisation's whole public record, so that a read copy (the
donations service's) can apply any one of them on its own; ``version`` orders them (keep
the highest). No payload carries a contact's personal data.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import AwareDatetime

from kit.events.contracts import Payload, contract


class PartnerRecordV1(Payload):
    """A partner organisation as its foundation keeps it."""

    partner_id: uuid.UUID
    name: str
    name_en: str | None
    kind: str
    district: str
    tags: list[str]
    verified: bool
    archived: bool
    version: int
    changed_at: AwareDatetime


@contract("partners.partner.created", 1)
class PartnerCreatedV1(PartnerRecordV1):
    """A foundation added a partner organisation."""


@contract("partners.partner.updated", 1)
class PartnerUpdatedV1(PartnerRecordV1):
    """A partner organisation's record was edited."""


@contract("partners.partner.verified", 1)
class PartnerVerifiedV1(PartnerRecordV1):
    """The foundation verified a partner organisation (who, when and on what evidence stay
    in the partners service)."""


@contract("partners.partner.archived", 1)
class PartnerArchivedV1(PartnerRecordV1):
    """The foundation archived a partner organisation: no new collaboration or grant."""


@contract("partners.collaboration.status_changed", 1)
class CollaborationStatusChangedV1(Payload):
    """A collaboration moved from one status to another."""

    collaboration_id: uuid.UUID
    title: str
    partner_ids: list[uuid.UUID]
    from_status: str
    to_status: str
    changed_at: AwareDatetime


@contract("partners.milestone.completed", 1)
class MilestoneCompletedV1(Payload):
    """A collaboration's milestone was completed (by the foundation or a partner)."""

    milestone_id: uuid.UUID
    collaboration_id: uuid.UUID
    title: str
    due_on: dt.date
    completed_at: AwareDatetime


@contract("partners.topic_output.published", 1)
class TopicOutputPublishedV1(Payload):
    """A topic group published an output (a guide, a survey's findings); the network
    service shares it with the foundation's networks. ``body`` is Markdown."""

    output_id: uuid.UUID
    topic_group_id: uuid.UUID
    foundation_id: uuid.UUID
    title: str
    body: str
    language: str
    tags: list[str]
    published_at: AwareDatetime
