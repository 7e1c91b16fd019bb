"""The queries of people, memberships, sessions and invitations (the rules are in
:mod:`gateway.people.service`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.people.models import Invitation, LoginSession, Membership, Person, RefreshToken


class PeopleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def person_by_email(self, email: str) -> Person | None:
        """``email`` as stored: lower-cased."""
        stmt = select(Person).where(Person.email == email)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def people(self, organisation_id: uuid.UUID | None = None) -> Sequence[Person]:
        """By address; everyone, or the organisation's people."""
        stmt = select(Person).order_by(Person.email)
        if organisation_id is not None:
            stmt = stmt.join(Membership, Membership.person_id == Person.id).where(
                Membership.organisation_id == organisation_id
            )
        return (await self.session.execute(stmt)).scalars().unique().all()

    async def membership(
        self, person_id: uuid.UUID, organisation_id: uuid.UUID
    ) -> Membership | None:
        stmt = select(Membership).where(
            Membership.person_id == person_id, Membership.organisation_id == organisation_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def memberships(self, person_id: uuid.UUID) -> Sequence[Membership]:
        stmt = (
            select(Membership)
            .where(Membership.person_id == person_id)
            .order_by(Membership.created_at)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def members(self, organisation_id: uuid.UUID) -> list[tuple[Membership, Person]]:
        stmt = (
            select(Membership, Person)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.organisation_id == organisation_id)
            .order_by(Person.email)
        )
        return [(m, p) for m, p in (await self.session.execute(stmt)).all()]

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def live_sessions(
        self, person_id: uuid.UUID, organisation_id: uuid.UUID | None = None
    ) -> Sequence[LoginSession]:
        stmt = select(LoginSession).where(
            LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None)
        )
        if organisation_id is not None:
            stmt = stmt.where(LoginSession.organisation_id == organisation_id)
        return (await self.session.execute(stmt)).scalars().all()

    async def invitations(self, organisation_id: uuid.UUID) -> Sequence[Invitation]:
        stmt = (
            select(Invitation)
            .where(Invitation.organisation_id == organisation_id)
            .order_by(Invitation.created_at.desc())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def invitation(self, token_hash: str) -> Invitation | None:
        stmt = select(Invitation).where(Invitation.token_hash == token_hash)
        return (await self.session.execute(stmt)).scalar_one_or_none()
