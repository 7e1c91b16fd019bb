"""People's rules: accounts, memberships, sign-in with throttling and locking, sessions
with rotating refresh tokens, invitations. Never commits: the caller's session does.

Functions whose failure must still be remembered (a failed sign-in counts; a reused
refresh token revokes its session) do not raise: they return an outcome with the problem
to raise once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit import service as audit
from gateway.callers import Caller
from gateway.people import passwords
from gateway.people.exceptions import (
    AlreadyMember,
    ChooseOrganisation,
    EmailTaken,
    InvalidCredentials,
    InvalidInvitation,
    InvalidRefreshToken,
    InvitationNotFound,
    LoginThrottled,
    PersonNotFound,
)
from gateway.people.models import Invitation, LoginSession, Membership, Person, RefreshToken
from gateway.people.repository import PeopleRepository
from gateway.people.roles import (
    OPERATOR_ORGANISATION,
    OPERATOR_SCOPES,
    ROLE_SCOPES,
    Role,
)
from kit.db import utcnow
from kit.errors import FieldProblem, Problem, Unprocessable
from kit.identity import Principal, PrincipalKind

REFRESH_START = "fnetr_"
INVITATION_START = "fneti_"


@dataclass(frozen=True, slots=True)
class Policy:
    """How sign-ins and sessions behave (from the gateway's settings)."""

    refresh_seconds: int = 30 * 24 * 3600
    # Failed sign-ins that cost nothing; each one after them doubles the wait before the
    # next attempt (1 s, 2 s, 4 s, ... up to max_backoff_seconds).
    free_failures: int = 3
    max_backoff_seconds: int = 60
    # After this many failures in a row the account is locked for lock_seconds.
    lock_after: int = 10
    lock_seconds: int = 15 * 60
    invitation_seconds: int = 7 * 24 * 3600


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- accounts ------------------------------------------------------------------------


async def find_person(session: AsyncSession, email: str) -> Person | None:
    return await PeopleRepository(session).person_by_email(normalise_email(email))


async def create_person(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    is_operator: bool = False,
) -> Person:
    """A new account. Raises :class:`EmailTaken`, or :class:`WeakPassword`."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        raise Unprocessable(
            "not an e-mail address",
            errors=[FieldProblem(field="email", message="not an e-mail address", code="email")],
        )
    if await find_person(session, address) is not None:
        raise EmailTaken(f"an account for {address} exists")
    person = Person(
        email=address,
        display_name=display_name.strip()[:200] or address,
        password_hash=passwords.hash_password(password),
        is_operator=is_operator,
        failed_logins=0,
        created_at=utcnow(),
    )
    session.add(person)
    await session.flush()
    return person


async def add_membership(
    session: AsyncSession,
    person: Person,
    organisation_id: uuid.UUID,
    role: Role,
    *,
    partner_id: uuid.UUID | None = None,
) -> Membership:
    if (role is Role.PARTNER) != (partner_id is not None):
        raise Unprocessable(
            "the partner role, and only it, names a partner organisation (partner_id)",
            errors=[
                FieldProblem(field="partner_id", message="with role partner only", code="partner")
            ],
        )
    existing = await membership_of(session, person.id, organisation_id)
    if existing is not None:
        raise AlreadyMember(f"{person.email} already belongs to organisation {organisation_id}")
    membership = Membership(
        person_id=person.id,
        organisation_id=organisation_id,
        role=role,
        partner_id=partner_id,
        created_at=utcnow(),
    )
    session.add(membership)
    await session.flush()
    return membership


async def membership_of(
    session: AsyncSession, person_id: uuid.UUID, organisation_id: uuid.UUID
) -> Membership | None:
    return await PeopleRepository(session).membership(person_id, organisation_id)


async def memberships(session: AsyncSession, person_id: uuid.UUID) -> Sequence[Membership]:
    return await PeopleRepository(session).memberships(person_id)


async def members(
    session: AsyncSession, organisation_id: uuid.UUID
) -> Sequence[tuple[Membership, Person]]:
    return await PeopleRepository(session).members(organisation_id)


async def remove_member(
    session: AsyncSession, organisation_id: uuid.UUID, person_id: uuid.UUID
) -> list[uuid.UUID]:
    """Remove a person from the organisation and end their sessions in it; the ids of the
    sessions ended (to announce to every gateway)."""
    membership = await membership_of(session, person_id, organisation_id)
    if membership is None:
        raise PersonNotFound(f"no member {person_id} in this organisation")
    await session.delete(membership)
    return await revoke_sessions(
        session, person_id, organisation_id=organisation_id, reason="removed"
    )


async def change_role(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    person_id: uuid.UUID,
    role: Role,
    *,
    partner_id: uuid.UUID | None = None,
) -> tuple[Membership, Person, list[uuid.UUID]]:
    """Give a member another role. Their sessions in the organisation are returned so
    that every gateway reads them again: the new role applies from the next request."""
    if (role is Role.PARTNER) != (partner_id is not None):
        raise Unprocessable(
            "the partner role, and only it, names a partner organisation (partner_id)",
            errors=[
                FieldProblem(field="partner_id", message="with role partner only", code="partner")
            ],
        )
    membership = await membership_of(session, person_id, organisation_id)
    if membership is None:
        raise PersonNotFound(f"no member {person_id} in this organisation")
    membership.role = role
    membership.partner_id = partner_id
    await session.flush()
    person = await get_person(session, person_id)
    live = await PeopleRepository(session).live_sessions(person_id, organisation_id)
    return membership, person, [s.id for s in live]


async def people_with_memberships(
    session: AsyncSession, *, organisation_id: uuid.UUID | None = None
) -> list[tuple[Person, list[Membership]]]:
    """Everyone (or the organisation's people), by address, with their memberships."""
    found = await PeopleRepository(session).people(organisation_id)
    return [(person, list(await memberships(session, person.id))) for person in found]


def principal_for(
    person: Person, organisation_id: uuid.UUID, membership: Membership | None
) -> Principal:
    subject = f"person:{person.id}"
    if membership is None:  # the operator's own session
        return Principal(
            subject=subject,
            organisation_id=OPERATOR_ORGANISATION,
            scopes=OPERATOR_SCOPES,
            kind=PrincipalKind.OPERATOR,
        )
    role = Role(membership.role)
    return Principal(
        subject=subject,
        organisation_id=organisation_id,
        scopes=ROLE_SCOPES[role],
        kind=PrincipalKind.PARTNER if role is Role.PARTNER else PrincipalKind.PERSON,
        partner_id=membership.partner_id,
    )


# --- sign-in -------------------------------------------------------------------------


@dataclass
class Issued:
    """A new session's (or a rotation's) refresh token and who it is for; the access
    token is signed by the caller (:class:`gateway.people.tokens.AccessTokens`)."""

    person: Person
    login: LoginSession
    refresh_token: str
    caller: Caller


@dataclass
class Outcome:
    issued: Issued | None = None
    problem: Problem | None = None
    # Sessions this call revoked (a reused refresh token's): announce them.
    revoked_sessions: list[uuid.UUID] = field(default_factory=list)


def _throttle(person: Person, now: dt.datetime, policy: Policy) -> LoginThrottled | None:
    if person.locked_until is not None and person.locked_until > now:
        wait = int((person.locked_until - now).total_seconds()) + 1
        return LoginThrottled(wait, locked=True)
    beyond = person.failed_logins - policy.free_failures
    if beyond >= 0 and person.last_failed_login_at is not None:
        backoff = min(2**beyond, policy.max_backoff_seconds)
        allowed_at = person.last_failed_login_at + dt.timedelta(seconds=backoff)
        if allowed_at > now:
            return LoginThrottled(int((allowed_at - now).total_seconds()) + 1)
    return None


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    organisation_id: uuid.UUID | None,
    policy: Policy,
    client_ip: str | None = None,
) -> Outcome:
    """Check the password and open a session. The outcome's problem is one of
    :class:`InvalidCredentials`, :class:`LoginThrottled` (429 with Retry-After: too soon
    after failures, or locked), :class:`ChooseOrganisation`."""
    now = utcnow()
    address = normalise_email(email)
    person = await find_person(session, address)
    if person is not None:
        throttled = _throttle(person, now, policy)
        if throttled is not None:
            # Not even checked: guessing goes no faster by trying during the wait.
            await audit.record(
                session,
                "login.throttled",
                actor=address,
                target=f"person:{person.id}",
                client_ip=client_ip,
            )
            return Outcome(problem=throttled)
    if (
        person is None
        or person.disabled_at is not None
        or not passwords.verify(person.password_hash if person else None, password)
    ):
        details: dict[str, object] = {}
        if person is not None:
            person.failed_logins += 1
            person.last_failed_login_at = now
            if person.failed_logins >= policy.lock_after:
                person.locked_until = now + dt.timedelta(seconds=policy.lock_seconds)
                person.failed_logins = 0
                details["locked_until"] = person.locked_until.isoformat()
        await audit.record(
            session,
            "login.failed",
            actor=address,
            target=f"person:{person.id}" if person else None,
            client_ip=client_ip,
            details=details,
        )
        return Outcome(problem=InvalidCredentials())
    person.failed_logins = 0
    person.last_failed_login_at = None
    person.locked_until = None
    if passwords.needs_rehash(person.password_hash):
        person.password_hash = passwords.hash_password(password)

    organisation, membership, problem = await _choose(session, person, organisation_id)
    if problem is not None:
        return Outcome(problem=problem)
    issued = await open_session(session, person, organisation, membership, policy)
    await audit.record(
        session,
        "login.succeeded",
        actor=issued.caller.actor,
        organisation_id=None if membership is None else organisation,
        target=f"session:{issued.login.id}",
        client_ip=client_ip,
    )
    return Outcome(issued=issued)


async def _choose(
    session: AsyncSession, person: Person, organisation_id: uuid.UUID | None
) -> tuple[uuid.UUID, Membership | None, Problem | None]:
    held = await memberships(session, person.id)
    if organisation_id is not None:
        if organisation_id == OPERATOR_ORGANISATION and person.is_operator:
            return organisation_id, None, None
        for membership in held:
            if membership.organisation_id == organisation_id:
                return organisation_id, membership, None
        # Said as for a wrong password: whether someone belongs somewhere is no one's business.
        return organisation_id, None, InvalidCredentials()
    choices = [m.organisation_id for m in held] + (
        [OPERATOR_ORGANISATION] if person.is_operator else []
    )
    if len(choices) == 1:
        return choices[0], (held[0] if held else None), None
    if not choices:
        return OPERATOR_ORGANISATION, None, InvalidCredentials()
    return (
        OPERATOR_ORGANISATION,
        None,
        ChooseOrganisation(
            "this account belongs to several organisations: send organisation_id, one of "
            + ", ".join(str(c) for c in choices),
            errors=[
                FieldProblem(field="organisation_id", message=str(c), code="choice")
                for c in choices
            ],
        ),
    )


async def open_session(
    session: AsyncSession,
    person: Person,
    organisation_id: uuid.UUID,
    membership: Membership | None,
    policy: Policy,
) -> Issued:
    now = utcnow()
    login_session = LoginSession(
        person_id=person.id,
        organisation_id=organisation_id,
        expires_at=now + dt.timedelta(seconds=policy.refresh_seconds),
        created_at=now,
    )
    session.add(login_session)
    await session.flush()
    refresh = await _new_refresh_token(session, login_session, now)
    return Issued(person, login_session, refresh, _caller(person, login_session, membership))


def _caller(person: Person, login_session: LoginSession, membership: Membership | None) -> Caller:
    return Caller(
        principal=principal_for(person, login_session.organisation_id, membership),
        person_id=person.id,
        role=Role(membership.role) if membership is not None else None,
        session_id=login_session.id,
    )


async def _new_refresh_token(
    session: AsyncSession, login_session: LoginSession, now: dt.datetime
) -> str:
    plaintext = REFRESH_START + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            session_id=login_session.id,
            token_hash=_hash(plaintext),
            expires_at=login_session.expires_at,
            created_at=now,
        )
    )
    await session.flush()
    return plaintext


async def refresh(session: AsyncSession, token: str, *, client_ip: str | None = None) -> Outcome:
    """Exchange a refresh token for a new one (and so a new access token). A token used
    before is a sign that it was stolen (or the client is broken): its whole session is
    revoked, for whoever holds any of its tokens."""
    now = utcnow()
    found = await PeopleRepository(session).refresh_token(_hash(token))
    invalid = InvalidRefreshToken(
        "the refresh token is unknown, expired, used or revoked; sign in again"
    )
    if found is None:
        return Outcome(problem=invalid)
    login_session = await session.get(LoginSession, found.session_id)
    if login_session is None or login_session.revoked_at is not None:
        return Outcome(problem=invalid)
    person = await session.get(Person, login_session.person_id)
    assert person is not None
    # One statement decides who used it first, also between two gateways at once.
    used = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == found.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        revoked = await _revoke(session, login_session, "refresh-token-reuse", now)
        await audit.record(
            session,
            "token.refresh_reused",
            actor=f"person:{person.id}",
            organisation_id=login_session.organisation_id,
            target=f"session:{login_session.id}",
            client_ip=client_ip,
        )
        return Outcome(problem=invalid, revoked_sessions=revoked)
    if found.expires_at <= now or person.disabled_at is not None:
        return Outcome(problem=invalid)
    membership = None
    if login_session.organisation_id != OPERATOR_ORGANISATION or not person.is_operator:
        membership = await membership_of(session, person.id, login_session.organisation_id)
        if membership is None:  # removed from the organisation since
            revoked = await _revoke(session, login_session, "removed", now)
            return Outcome(problem=invalid, revoked_sessions=revoked)
    plaintext = await _new_refresh_token(session, login_session, now)
    return Outcome(
        issued=Issued(person, login_session, plaintext, _caller(person, login_session, membership))
    )


async def _revoke(
    session: AsyncSession, login_session: LoginSession, reason: str, now: dt.datetime
) -> list[uuid.UUID]:
    if login_session.revoked_at is None:
        login_session.revoked_at = now
        login_session.revoked_reason = reason
        await session.flush()
    return [login_session.id]


async def logout(session: AsyncSession, session_id: uuid.UUID) -> list[uuid.UUID]:
    login_session = await session.get(LoginSession, session_id)
    if login_session is None:
        return []
    return await _revoke(session, login_session, "logout", utcnow())


async def revoke_sessions(
    session: AsyncSession,
    person_id: uuid.UUID,
    *,
    organisation_id: uuid.UUID | None = None,
    reason: str,
) -> list[uuid.UUID]:
    now = utcnow()
    ended: list[uuid.UUID] = []
    for login_session in await PeopleRepository(session).live_sessions(person_id, organisation_id):
        ended += await _revoke(session, login_session, reason, now)
    return ended


async def change_password(
    session: AsyncSession,
    person_id: uuid.UUID,
    *,
    current: str,
    new: str,
    keep_session: uuid.UUID | None,
) -> list[uuid.UUID]:
    """Set a new password (the current one must be given) and end every other session of
    the person: whoever learnt the old password is signed out. The sessions ended."""
    person = await get_person(session, person_id)
    if not passwords.verify(person.password_hash, current):
        raise InvalidCredentials()
    person.password_hash = passwords.hash_password(new)
    ended = [
        s
        for s in await revoke_sessions(session, person.id, reason="password-changed")
        if s != keep_session
    ]
    if keep_session is not None:  # revoke_sessions ended it too: this one stays
        kept = await session.get(LoginSession, keep_session)
        if kept is not None and kept.revoked_reason == "password-changed":
            kept.revoked_at = None
            kept.revoked_reason = None
    await session.flush()
    return ended


async def caller_of_session(session: AsyncSession, session_id: uuid.UUID) -> Caller | None:
    """Who a session acts as now; None if it is revoked, expired, its person disabled or
    no longer a member. What the gateway caches for each access token's ``sid``."""
    login_session = await session.get(LoginSession, session_id)
    if (
        login_session is None
        or login_session.revoked_at is not None
        or login_session.expires_at <= utcnow()
    ):
        return None
    person = await session.get(Person, login_session.person_id)
    if person is None or person.disabled_at is not None:
        return None
    membership = await membership_of(session, person.id, login_session.organisation_id)
    if membership is None and not (
        person.is_operator and login_session.organisation_id == OPERATOR_ORGANISATION
    ):
        return None
    return _caller(person, login_session, membership)


# --- invitations ---------------------------------------------------------------------


async def invite(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    email: str,
    role: Role,
    partner_id: uuid.UUID | None,
    invited_by: uuid.UUID,
    policy: Policy,
) -> tuple[Invitation, str]:
    """An invitation and its token (shown once: the admin hands it to the person)."""
    if (role is Role.PARTNER) != (partner_id is not None):
        raise Unprocessable(
            "the partner role, and only it, names a partner organisation (partner_id)",
            errors=[
                FieldProblem(field="partner_id", message="with role partner only", code="partner")
            ],
        )
    address = normalise_email(email)
    person = await find_person(session, address)
    if person is not None and await membership_of(session, person.id, organisation_id) is not None:
        raise AlreadyMember(f"{address} already belongs to this organisation")
    now = utcnow()
    plaintext = INVITATION_START + secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation_id=organisation_id,
        email=address,
        role=role,
        partner_id=partner_id,
        invited_by=invited_by,
        token_hash=_hash(plaintext),
        expires_at=now + dt.timedelta(seconds=policy.invitation_seconds),
        created_at=now,
    )
    session.add(invitation)
    await session.flush()
    return invitation, plaintext


async def invitations(session: AsyncSession, organisation_id: uuid.UUID) -> Sequence[Invitation]:
    return await PeopleRepository(session).invitations(organisation_id)


async def revoke_invitation(
    session: AsyncSession, organisation_id: uuid.UUID, invitation_id: uuid.UUID
) -> Invitation:
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation_id:
        raise InvitationNotFound(f"no invitation {invitation_id}")
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = utcnow()
        await session.flush()
    return invitation


async def accept(
    session: AsyncSession, *, token: str, password: str, display_name: str | None
) -> tuple[Person, Membership]:
    """Join the organisation the invitation is for: with a new account whose password this
    sets, or, when the address has an account, with that account's password."""
    now = utcnow()
    invitation = await PeopleRepository(session).invitation(_hash(token))
    if invitation is None:
        raise InvitationNotFound("no invitation has this token")
    if (
        invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        raise InvalidInvitation(
            "the invitation was used, withdrawn or has expired; ask for a new one"
        )
    person = await find_person(session, invitation.email)
    if person is None:
        person = await create_person(
            session,
            email=invitation.email,
            password=password,
            display_name=display_name or invitation.email,
        )
    elif not passwords.verify(person.password_hash, password):
        raise InvalidCredentials()
    membership = await add_membership(
        session,
        person,
        invitation.organisation_id,
        Role(invitation.role),
        partner_id=invitation.partner_id,
    )
    invitation.accepted_at = now
    await session.flush()
    return person, membership


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise PersonNotFound(f"no person {person_id}")
    return person
