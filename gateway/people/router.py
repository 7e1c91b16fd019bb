"""Sign-in, sessions, invitations and members: routes the gateway serves itself."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from gateway.audit import service as audit
from gateway.directory import PartnerArchived, PartnerNotFound, check_partner
from gateway.people import service
from gateway.people.dependencies import (
    AdminDep,
    PersonDep,
    client_ip,
    required_organisation,
)
from gateway.people.exceptions import (
    AlreadyMember,
    ChooseOrganisation,
    InvalidAccessToken,
    InvalidCredentials,
    InvalidInvitation,
    InvalidRefreshToken,
    InvitationNotFound,
    LoginThrottled,
    NotAdmin,
    PersonNotFound,
    WeakPassword,
)
from gateway.people.models import Invitation
from gateway.people.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
    LoginRequest,
    Me,
    MemberRead,
    MembershipRead,
    MemberUpdate,
    PasswordChange,
    RefreshRequest,
    TokenPair,
)
from kit.db import Database, transaction
from kit.errors import ServiceUnavailable, Unauthorized, problem_responses

if TYPE_CHECKING:
    from gateway.identity import Identity

router = APIRouter(tags=["people"])


def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _pair(identity: Identity, issued: service.Issued) -> TokenPair:
    caller = issued.caller
    return TokenPair(
        access_token=identity.access_tokens.issue(issued.person.id, issued.login.id),
        token_type="Bearer",  # noqa: S106 (the scheme's name, not a secret)
        expires_in=identity.access_tokens.ttl_seconds,
        refresh_token=issued.refresh_token,
        refresh_expires_at=issued.login.expires_at,
        person_id=issued.person.id,
        organisation_id=caller.principal.organisation_id,
        role=caller.role,
        scopes=sorted(caller.principal.scopes),
    )


@router.post(
    "/api/v1/auth/login",
    response_model=TokenPair,
    summary="Sign in with e-mail and password",
    description=(
        "Answers a short-lived access token (send it as `Authorization: Bearer`) and a "
        "refresh token. After three failed attempts each further one must wait longer "
        "(429 with `Retry-After`); after ten the account is locked for a while (also 429)."
    ),
    responses=problem_responses(
        InvalidCredentials, LoginThrottled, ChooseOrganisation, WeakPassword
    ),
)
async def login(request: Request, data: LoginRequest) -> TokenPair:
    identity = _identity(request)
    async with transaction(_database(request), write=True) as session:
        outcome = await service.login(
            session,
            email=data.email,
            password=data.password,
            organisation_id=data.organisation_id,
            policy=identity.policy,
            client_ip=client_ip(request),
        )
    # Raised after the commit: a failed attempt is counted (and audited) all the same.
    if outcome.problem is not None:
        raise outcome.problem
    assert outcome.issued is not None
    return _pair(identity, outcome.issued)


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    summary="Exchange a refresh token for a new pair",
    description=(
        "Each refresh token works once. Presenting one that was already used ends its "
        "whole session: every token of it, old and new, stops working (sign in again)."
    ),
    responses=problem_responses(InvalidRefreshToken),
)
async def refresh(request: Request, data: RefreshRequest) -> TokenPair:
    identity = _identity(request)
    async with transaction(_database(request), write=True) as session:
        outcome = await service.refresh(session, data.refresh_token, client_ip=client_ip(request))
    if outcome.revoked_sessions:
        await identity.revocations.sessions_ended([str(s) for s in outcome.revoked_sessions])
    if outcome.problem is not None:
        raise outcome.problem
    assert outcome.issued is not None
    return _pair(identity, outcome.issued)


@router.post(
    "/api/v1/auth/logout",
    status_code=204,
    summary="Sign out: end this session",
    description="Its access and refresh tokens stop working at once, on every gateway.",
    responses=problem_responses(Unauthorized, InvalidAccessToken, NotAdmin),
)
async def logout(request: Request, who: PersonDep) -> Response:
    assert who.session_id is not None
    async with transaction(_database(request), write=True) as session:
        ended = await service.logout(session, who.session_id)
        await audit.record(
            session,
            "logout",
            actor=who.actor,
            organisation_id=who.principal.organisation_id,
            target=f"session:{who.session_id}",
            client_ip=client_ip(request),
        )
    await _identity(request).revocations.sessions_ended([str(s) for s in ended])
    return Response(status_code=204)


@router.post(
    "/api/v1/auth/password",
    status_code=204,
    summary="Change one's password",
    description=(
        "Needs the current password. Every other session of the person ends at once, on "
        "every gateway; this one goes on."
    ),
    responses=problem_responses(Unauthorized, InvalidAccessToken, InvalidCredentials, WeakPassword),
)
async def change_password(request: Request, data: PasswordChange, who: PersonDep) -> Response:
    assert who.person_id is not None
    async with transaction(_database(request), write=True) as session:
        ended = await service.change_password(
            session,
            who.person_id,
            current=data.current_password,
            new=data.new_password,
            keep_session=who.session_id,
        )
        await audit.record(
            session,
            "password.changed",
            actor=who.actor,
            organisation_id=who.principal.organisation_id,
            target=f"person:{who.person_id}",
            client_ip=client_ip(request),
            details={"sessions_ended": len(ended)},
        )
    await _identity(request).revocations.sessions_ended([str(s) for s in ended])
    return Response(status_code=204)


@router.get(
    "/api/v1/auth/me",
    response_model=Me,
    summary="Who the access token signs in",
    responses=problem_responses(Unauthorized, InvalidAccessToken, NotAdmin),
)
async def me(request: Request, who: PersonDep) -> Me:
    assert who.person_id is not None
    async with transaction(_database(request), write=False) as session:
        person = await service.get_person(session, who.person_id)
        held = await service.memberships(session, person.id)
    return Me(
        person_id=person.id,
        email=person.email,
        display_name=person.display_name,
        is_operator=person.is_operator,
        organisation_id=who.principal.organisation_id,
        role=who.role,
        kind=who.principal.kind.value,
        scopes=sorted(who.principal.scopes),
        memberships=[
            MembershipRead(organisation_id=m.organisation_id, role=m.role, partner_id=m.partner_id)
            for m in held
        ],
    )


def _invitation(invitation: Invitation) -> dict[str, object]:
    return {
        "id": invitation.id,
        "organisation_id": invitation.organisation_id,
        "email": invitation.email,
        "role": invitation.role,
        "partner_id": invitation.partner_id,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
        "revoked_at": invitation.revoked_at,
    }


# Route functions are named apart from the network service's (invite, remove_member): the
# merged document's operationIds are the functions' names and must be unique.
@router.post(
    "/api/v1/invitations",
    status_code=201,
    response_model=InvitationCreated,
    summary="Invite a person to the organisation, with a role",
    description=(
        "For the organisation's admins (the operator names the organisation). The answer "
        "holds the invitation's token, once: hand it to the person, who accepts it at "
        "`POST /api/v1/invitations/accept`. A partner person's invitation names one of the "
        "foundation's own partner organisations."
    ),
    responses=problem_responses(
        Unauthorized, NotAdmin, AlreadyMember, PartnerNotFound, PartnerArchived, ServiceUnavailable
    ),
)
async def invite_person(
    request: Request, data: InvitationCreate, admin: AdminDep
) -> InvitationCreated:
    organisation_id = required_organisation(admin)
    if data.partner_id is not None:
        await check_partner(request, organisation_id, data.partner_id)
    inviter = admin.caller.person_id
    assert inviter is not None  # the operator is a person too
    async with transaction(_database(request), write=True) as session:
        invitation, token = await service.invite(
            session,
            organisation_id=organisation_id,
            email=data.email,
            role=data.role,
            partner_id=data.partner_id,
            invited_by=inviter,
            policy=_identity(request).policy,
        )
        await audit.record(
            session,
            "invitation.created",
            actor=admin.caller.actor,
            organisation_id=organisation_id,
            target=invitation.email,
            client_ip=client_ip(request),
            details={"role": data.role.value},
        )
        return InvitationCreated.model_validate({**_invitation(invitation), "token": token})


@router.get(
    "/api/v1/invitations",
    response_model=list[InvitationRead],
    summary="The organisation's invitations, newest first (never their tokens)",
    responses=problem_responses(Unauthorized, NotAdmin),
)
async def list_invitations(request: Request, admin: AdminDep) -> list[InvitationRead]:
    organisation_id = required_organisation(admin)
    async with transaction(_database(request), write=False) as session:
        found = await service.invitations(session, organisation_id)
    return [InvitationRead.model_validate(_invitation(i)) for i in found]


@router.delete(
    "/api/v1/invitations/{invitation_id}",
    status_code=204,
    summary="Withdraw an invitation not yet accepted",
    responses=problem_responses(Unauthorized, NotAdmin, InvitationNotFound),
)
async def withdraw_invitation(
    request: Request, invitation_id: uuid.UUID, admin: AdminDep
) -> Response:
    organisation_id = required_organisation(admin)
    async with transaction(_database(request), write=True) as session:
        await service.revoke_invitation(session, organisation_id, invitation_id)
    return Response(status_code=204)


@router.post(
    "/api/v1/invitations/accept",
    status_code=201,
    response_model=MemberRead,
    summary="Accept an invitation: set a password (or give yours) and join",
    description="Needs no credential but the invitation's token. Then sign in.",
    responses=problem_responses(
        InvitationNotFound, InvalidInvitation, InvalidCredentials, WeakPassword
    ),
)
async def accept_invitation(request: Request, data: InvitationAccept) -> MemberRead:
    async with transaction(_database(request), write=True) as session:
        person, membership = await service.accept(
            session, token=data.token, password=data.password, display_name=data.display_name
        )
        await audit.record(
            session,
            "invitation.accepted",
            actor=f"person:{person.id}",
            organisation_id=membership.organisation_id,
            target=person.email,
            client_ip=client_ip(request),
            details={"role": membership.role.value},
        )
        return MemberRead(
            person_id=person.id,
            email=person.email,
            display_name=person.display_name,
            organisation_id=membership.organisation_id,
            role=membership.role,
            partner_id=membership.partner_id,
            joined_at=membership.created_at,
        )


@router.get(
    "/api/v1/members",
    response_model=list[MemberRead],
    summary="The organisation's people and their roles",
    responses=problem_responses(Unauthorized, NotAdmin),
)
async def list_members(request: Request, admin: AdminDep) -> list[MemberRead]:
    organisation_id = required_organisation(admin)
    async with transaction(_database(request), write=False) as session:
        found = await service.members(session, organisation_id)
    return [
        MemberRead(
            person_id=p.id,
            email=p.email,
            display_name=p.display_name,
            organisation_id=m.organisation_id,
            role=m.role,
            partner_id=m.partner_id,
            joined_at=m.created_at,
        )
        for m, p in found
    ]


@router.patch(
    "/api/v1/members/{person_id}",
    response_model=MemberRead,
    summary="Give a member another role",
    description="Applies from their next request, on every gateway.",
    responses=problem_responses(
        Unauthorized, NotAdmin, PersonNotFound, PartnerNotFound, PartnerArchived, ServiceUnavailable
    ),
)
async def change_member_role(
    request: Request, person_id: uuid.UUID, data: MemberUpdate, admin: AdminDep
) -> MemberRead:
    organisation_id = required_organisation(admin)
    if data.partner_id is not None:
        await check_partner(request, organisation_id, data.partner_id)
    async with transaction(_database(request), write=True) as session:
        membership, person, live = await service.change_role(
            session, organisation_id, person_id, data.role, partner_id=data.partner_id
        )
        await audit.record(
            session,
            "member.role_changed",
            actor=admin.caller.actor,
            organisation_id=organisation_id,
            target=f"person:{person_id}",
            client_ip=client_ip(request),
            details={"role": data.role.value},
        )
        answer = MemberRead(
            person_id=person.id,
            email=person.email,
            display_name=person.display_name,
            organisation_id=organisation_id,
            role=membership.role,
            partner_id=membership.partner_id,
            joined_at=membership.created_at,
        )
    # Not revoked: forgotten, so each gateway reads the session's new role.
    await _identity(request).revocations.sessions_ended([str(s) for s in live])
    return answer


@router.delete(
    "/api/v1/members/{person_id}",
    status_code=204,
    summary="Remove a person from the organisation",
    description="Their sessions in it end at once, on every gateway.",
    responses=problem_responses(Unauthorized, NotAdmin, PersonNotFound),
)
async def remove_person(request: Request, person_id: uuid.UUID, admin: AdminDep) -> Response:
    organisation_id = required_organisation(admin)
    async with transaction(_database(request), write=True) as session:
        ended = await service.remove_member(session, organisation_id, person_id)
        await audit.record(
            session,
            "member.removed",
            actor=admin.caller.actor,
            organisation_id=organisation_id,
            target=f"person:{person_id}",
            client_ip=client_ip(request),
        )
    await _identity(request).revocations.sessions_ended([str(s) for s in ended])
    return Response(status_code=204)
