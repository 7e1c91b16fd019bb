"""Event contracts: every event type's versioned payload schema, in one place.

A contract is a pydantic model registered under ``(type, version)``. Producers validate
against it before an event enters the outbox (:func:`kit.events.outbox.emit`); consumers
parse with it (:func:`parse_payload`); :func:`export_schemas` publishes all of them as JSON
Schema for anyone outside Python.

Changing a payload in a way an existing consumer cannot read (removing or renaming a field,
changing its meaning) is a new version; adding an optional field is not.
"""

from __future__ import annotations

import builtins
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

M = TypeVar("M", bound=BaseModel)


class UnknownEventType(LookupError):
    """No contract is registered for this (type, version)."""


@dataclass(frozen=True, slots=True)
class Contract:
    type: str
    version: int
    model: builtins.type[BaseModel]

    @property
    def key(self) -> str:
        return f"{self.type}.v{self.version}"


_by_key: dict[tuple[str, int], Contract] = {}
_by_model: dict[type[BaseModel], Contract] = {}


def contract(type_: str, version: int) -> Callable[[type[M]], type[M]]:
    """Register the decorated payload model as the contract of ``type_`` at ``version``."""
    if not TYPE_PATTERN.match(type_):
        raise ValueError(f"event type {type_!r} is not <service>.<entity>.<verb>")
    if version < 1:
        raise ValueError("event versions start at 1")

    def register(model: type[M]) -> type[M]:
        key = (type_, version)
        if key in _by_key and _by_key[key].model is not model:
            raise ValueError(f"{type_} v{version} already has a contract")
        found = Contract(type_, version, model)
        _by_key[key] = found
        _by_model[model] = found
        return model

    return register


def get(type_: str, version: int) -> Contract:
    try:
        return _by_key[(type_, version)]
    except KeyError:
        raise UnknownEventType(f"no contract for {type_} v{version}") from None


def of(model: type[BaseModel]) -> Contract:
    """The contract a payload model is registered as."""
    try:
        return _by_model[model]
    except KeyError:
        raise UnknownEventType(f"{model.__name__} is not a registered event payload") from None


def all_contracts() -> list[Contract]:
    return sorted(_by_key.values(), key=lambda c: (c.type, c.version))


def validate_payload(type_: str, version: int, payload: dict[str, Any]) -> BaseModel:
    """The payload parsed by its contract; raises pydantic's ValidationError if it does
    not conform, :class:`UnknownEventType` if there is no contract."""
    parsed: BaseModel = get(type_, version).model.model_validate(payload)
    return parsed


def export_schemas() -> dict[str, Any]:
    """Every contract as JSON Schema, keyed ``<type>.v<version>``."""
    schemas: dict[str, Any] = {}
    for found in all_contracts():
        schema = found.model.model_json_schema()
        schema["$id"] = f"urn:fnet:event:{found.key}"
        schema["title"] = found.type
        schema["x-fnet-event-type"] = found.type
        schema["x-fnet-event-version"] = found.version
        schemas[found.key] = schema
    return schemas


class Payload(BaseModel):
    """Base of every contract: immutable; fields a consumer does not know are ignored, so
    that adding an optional field does not break older consumers."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# --- network -------------------------------------------------------------------------


@contract("network.foundation.created", 1)
class FoundationCreatedV1(Payload):
    """A foundation joined the directory."""

    foundation_id: uuid.UUID
    slug: str
    name: str
    name_en: str | None = None
    created_at: AwareDatetime


@contract("network.foundation.updated", 1)
class FoundationUpdatedV1(Payload):
    """A foundation's directory entry changed. Carries the whole public identity, so a read
    copy can apply it on its own; ``updated_at`` orders updates (keep the newest)."""

    foundation_id: uuid.UUID
    slug: str
    name: str
    name_en: str | None = None
    updated_at: AwareDatetime


# --- donations -----------------------------------------------------------------------
# Amounts are decimal strings in major units with their ISO 4217 currency, as in the API.
# No payload carries a donor's personal data.


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
