from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from gateway.people.roles import Role


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, examples=["treasurer@shekou.example"])
    password: str = Field(min_length=1, max_length=256)
    organisation_id: uuid.UUID | None = Field(
        default=None,
        description="the organisation to act for; needed only by someone who belongs to "
        "several (the operator's own: 00000000-0000-0000-0000-000000000000)",
    )


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256, description="10 characters or more")


class TokenPair(BaseModel):
    """What a sign-in or a refresh answers. Send ``access_token`` as
    ``Authorization: Bearer``; before it expires, exchange ``refresh_token`` (once) for a
    new pair."""

    # Every member is always sent, so the document lists each as required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    access_token: str
    token_type: str = Field(description="always Bearer")
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str = Field(description="use once, at POST /api/v1/auth/refresh")
    refresh_expires_at: dt.datetime = Field(description="when the session ends at the latest")
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    role: Role | None = Field(description="the role in the organisation; null for the operator")
    scopes: list[str]


class MembershipRead(BaseModel):
    organisation_id: uuid.UUID
    role: Role
    partner_id: uuid.UUID | None


class Me(BaseModel):
    person_id: uuid.UUID
    email: str
    display_name: str
    is_operator: bool
    organisation_id: uuid.UUID = Field(description="the organisation this session acts for")
    role: Role | None
    kind: str = Field(description="person, partner (a partner organisation's person) or operator")
    scopes: list[str]
    memberships: list[MembershipRead]


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    role: Role
    partner_id: uuid.UUID | None = Field(
        default=None, description="for the partner role: one of the foundation's partners"
    )


class InvitationRead(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    role: Role
    partner_id: uuid.UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None


class InvitationCreated(InvitationRead):
    token: str = Field(
        description="hand this to the person; they accept at POST /api/v1/invitations/accept. "
        "Shown once."
    )


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    password: str = Field(
        min_length=1,
        max_length=256,
        description="a new account's password (10 characters or more); or, when the address "
        "already has an account, that account's password",
    )
    display_name: str | None = Field(default=None, max_length=200)


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    partner_id: uuid.UUID | None = Field(
        default=None, description="for the partner role: one of the foundation's partners"
    )


class MemberRead(BaseModel):
    person_id: uuid.UUID
    email: str
    display_name: str
    organisation_id: uuid.UUID
    role: Role
    partner_id: uuid.UUID | None
    joined_at: dt.datetime
