"""The donations service's event contracts: donations received, grants paid, disclosures
published.

Types here are ``donations.<entity>.<verb>``; only the donations service emits them.
Amounts are decimal strings in major units with their ISO 4217 currency, as in the API.
No payload carries a donor's personal data.
"""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from kit.events.contracts import Payload, contract


@contract("donations.donation.received", 1)
class DonationReceivedV1(Payload):
    """A money donation was recorded (its journal entry is in the same transaction)."""

    donation_id: uuid.UUID
    campaign_id: uuid.UUID
    amount: str
    currency: str
    channel: str
    donated_at: AwareDatetime


@contract("donations.grant.paid", 1)
class GrantPaidV1(Payload):
    """A foundation paid a grant to a partner organisation; the partners service records
    it against the organisation."""

    grant_id: uuid.UUID
    partner_organisation_id: uuid.UUID
    campaign_id: uuid.UUID | None
    amount: str
    currency: str
    purpose: str
    paid_at: AwareDatetime


@contract("donations.disclosure.published", 1)
class DisclosurePublishedV1(Payload):
    """A foundation published a disclosure (信息公开); the network service shares it with
    the foundation's networks. ``corrects_id`` names the disclosure it corrects, if any."""

    disclosure_id: uuid.UUID
    campaign_id: uuid.UUID
    kind: str
    period_start: AwareDatetime
    period_end: AwareDatetime
    corrects_id: uuid.UUID | None
    report_sha256: str
    ledger_head_hash: str
    published_at: AwareDatetime
