from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kit.money import MoneyIn, MoneyOut
from kit.schemas import InputModel, Name, Timestamp, Title
from services.donations.campaigns.models import CampaignStatus

MAX_CO_ORGANISERS = 20

FilingNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]


class Host(InputModel):
    """The licensed foundation whose public-fundraising filing the campaign raises under."""

    name: Name = Field(description="the host foundation's name, e.g. 深圳市社会公益基金会")
    filing_number: FilingNumber = Field(
        description="the host's filing number (备案编号) for this fundraising"
    )
    platform: Name | None = Field(
        default=None, description="the designated online platform the money is raised on"
    )


class CoOrganiser(InputModel):
    name: Name
    foundation_id: uuid.UUID | None = Field(
        default=None, description="the organiser's id in the foundation directory, if it has one"
    )


def _unique_co_organisers(value: list[CoOrganiser]) -> list[CoOrganiser]:
    names: set[str] = set()
    ids: set[uuid.UUID] = set()
    for organiser in value:
        name = organiser.name.casefold()
        if name in names:
            raise PydanticCustomError(
                "duplicate",
                "names must be unique: {name} appears twice",
                {"name": repr(organiser.name)},
            )
        names.add(name)
        if organiser.foundation_id is not None:
            if organiser.foundation_id in ids:
                raise PydanticCustomError(
                    "duplicate",
                    "foundation {id} appears twice",
                    {"id": str(organiser.foundation_id)},
                )
            ids.add(organiser.foundation_id)
    return value


CO_ORGANISERS_DESCRIPTION = (
    f"other organisers of a joint campaign: at most {MAX_CO_ORGANISERS}, names unique "
    "(ignoring case)"
)


class CampaignCreate(InputModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Epidemic mutual-aid fundraising, phase 1",
                    "purpose": "Masks and disinfectant for front-line community workers",
                    "goal": {"amount": "20000.00", "currency": "CNY"},
                    "host": {
                        "name": "深圳市社会公益基金会",
                        "filing_number": "53440300MJL1234567A2020001",
                        "platform": "Tencent Charity",
                    },
                }
            ]
        },
    )

    title: Title
    purpose: str = Field(default="", max_length=5000)
    goal: MoneyIn = Field(description="target amount; donations must use its currency")
    starts_at: Timestamp | None = Field(default=None, description="defaults to now")
    ends_at: Timestamp | None = None
    status: Literal["draft", "open"] = Field(
        default="open",
        description="`open` (the default) takes donations at once; a `draft` can still change "
        "its goal and opens by a transition",
    )
    follows_id: uuid.UUID | None = Field(
        default=None,
        description="the earlier phase this campaign continues (a campaign of the same "
        "foundation without a next phase yet); the new campaign's phase is one more than its",
    )
    host: Host | None = Field(default=None, description="raised under a licensed host's filing")
    co_organisers: list[CoOrganiser] = Field(
        default_factory=list, max_length=MAX_CO_ORGANISERS, description=CO_ORGANISERS_DESCRIPTION
    )

    @field_validator("co_organisers")
    @classmethod
    def _unique(cls, value: list[CoOrganiser]) -> list[CoOrganiser]:
        return _unique_co_organisers(value)


class CampaignUpdate(InputModel):
    """The fields to change; those left out keep their value. ``null`` clears ``ends_at``
    (no end) and ``host``; ``[]`` clears the co-organisers."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ends_at": "2020-03-31T16:00:00Z"}]},
    )

    title: Title | None = None
    purpose: str | None = Field(default=None, max_length=5000)
    goal: MoneyIn | None = Field(default=None, description="only while the campaign is a draft")
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    host: Host | None = None
    co_organisers: list[CoOrganiser] | None = Field(
        default=None, max_length=MAX_CO_ORGANISERS, description=CO_ORGANISERS_DESCRIPTION
    )

    @field_validator("title", "purpose", "goal", "starts_at", "co_organisers", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields the body sends: null may not clear what every campaign has.
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("co_organisers")
    @classmethod
    def _unique(cls, value: list[CoOrganiser] | None) -> list[CoOrganiser] | None:
        return None if value is None else _unique_co_organisers(value)

    @model_validator(mode="after")
    def _changes_something(self) -> CampaignUpdate:
        if not self.model_fields_set:
            raise PydanticCustomError("empty", "name at least one field to change")
        return self


class Transition(InputModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to": "closed"}]})

    to: CampaignStatus = Field(
        description="the next state: draft → open → closed → settled, one step at a time"
    )


class HostRead(BaseModel):
    name: str
    filing_number: str
    platform: str | None


class CoOrganiserRead(BaseModel):
    name: str
    foundation_id: uuid.UUID | None


class CampaignRead(BaseModel):
    id: uuid.UUID
    foundation_id: uuid.UUID
    title: str
    purpose: str
    status: CampaignStatus
    phase: int = Field(description="1 for a first campaign, one more than the one it follows")
    follows_id: uuid.UUID | None = Field(description="the earlier phase this one continues")
    host: HostRead | None = Field(description="the licensed host it raises under, if any")
    co_organisers: list[CoOrganiserRead]
    goal: MoneyOut
    raised: MoneyOut = Field(
        description="donations less refunds in the campaign's (the goal's) currency only, for "
        "progress towards the goal; donations in other currencies are accepted and counted in "
        "`raised_by_currency`, `held` and `donation_count`, never converted unseen"
    )
    raised_by_currency: list[MoneyOut] = Field(description="donations less refunds, per currency")
    held: list[MoneyOut] = Field(description="money the campaign holds now, per currency")
    donation_count: int = Field(description="number of donations (人次), not of donors")
    unique_donors: int = Field(
        description="distinct donors, as far as donations identify them (an anonymous "
        "donation that names no donor reference or contact counts as its own donor)"
    )
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    opened_at: dt.datetime | None = Field(description="when it opened for donations")
    closed_at: dt.datetime | None = Field(description="when it stopped taking donations")
    settled_at: dt.datetime | None = Field(description="when its accounts were closed")
    created_at: dt.datetime
    version: int = Field(description="grows with every change to the campaign itself")
