"""Every model of the service, imported in one place for migrations and tests."""

from kit.events.inbox import dead_letters, inbox
from kit.events.outbox import outbox
from kit.idempotency import idempotency_keys
from services.partners.collaborations.models import (
    Collaboration,
    CollaborationPartner,
    CollaborationUpdate,
    Milestone,
    OutcomeReport,
)
from services.partners.crowdfundings.models import (
    Crowdfunding,
    CrowdfundingCheck,
    CrowdfundingReport,
)
from services.partners.foundations.models import FoundationCopy
from services.partners.grants.models import PartnerGrant
from services.partners.organisations.models import (
    PartnerContact,
    PartnerKind,
    PartnerOrganisation,
    PartnerTag,
)
from services.partners.topic_groups.models import (
    TopicActivity,
    TopicGroup,
    TopicMember,
    TopicOutput,
)

__all__ = [
    "Collaboration",
    "CollaborationPartner",
    "CollaborationUpdate",
    "Crowdfunding",
    "CrowdfundingCheck",
    "CrowdfundingReport",
    "FoundationCopy",
    "Milestone",
    "OutcomeReport",
    "PartnerContact",
    "PartnerGrant",
    "PartnerKind",
    "PartnerOrganisation",
    "PartnerTag",
    "TopicActivity",
    "TopicGroup",
    "TopicMember",
    "TopicOutput",
    "dead_letters",
    "idempotency_keys",
    "inbox",
    "outbox",
]
