"""Plain async helpers that make test data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from gateway.keys import service
from gateway.keys.cache import forget_everywhere
from gateway.keys.models import ApiKey
from gateway.people import service as people
from gateway.people.models import Person
from gateway.people.roles import Role
from kit.db import Database, transaction
from kit.identity import DEFAULT_SCOPES


@dataclass(frozen=True)
class Key:
    record: ApiKey
    plaintext: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.plaintext}

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.record.organisation_id


async def new_key(
    database: Database,
    *,
    organisation_id: uuid.UUID | None = None,
    name: str = "partner sync job",
    scopes: frozenset[str] = DEFAULT_SCOPES,
    partner_id: uuid.UUID | None = None,
) -> Key:
    async with transaction(database, write=True) as session:
        record, plaintext = await service.create_key(
            session,
            organisation_id=organisation_id or uuid.uuid4(),
            name=name,
            scopes=scopes,
            partner_id=partner_id,
        )
    return Key(record, plaintext)


async def revoke(database: Database, key: Key) -> None:
    """Revoke as ``fnet keys revoke`` does, in this process: every gateway of the process
    drops the key at once (one elsewhere would once its cache expires)."""
    async with transaction(database, write=True) as session:
        await service.revoke_key(session, key.record.id)
    forget_everywhere(key.record.prefix)


PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Member:
    """A person with a role in one organisation, as the tests sign them in."""

    person: Person
    organisation_id: uuid.UUID
    password: str = PASSWORD

    @property
    def email(self) -> str:
        return self.person.email


async def new_person(
    database: Database,
    *,
    organisation_id: uuid.UUID | None = None,
    role: Role = Role.ADMIN,
    partner_id: uuid.UUID | None = None,
    is_operator: bool = False,
    password: str = PASSWORD,
) -> Member:
    """A person (with a fresh address) and, unless they are the operator, a membership."""
    organisation = organisation_id or uuid.uuid4()
    async with transaction(database, write=True) as session:
        person = await people.create_person(
            session,
            email=f"{role.value}-{uuid.uuid4().hex[:10]}@example.org",
            password=password,
            display_name=f"A {role.value}",
            is_operator=is_operator,
        )
        if not is_operator:
            await people.add_membership(session, person, organisation, role, partner_id=partner_id)
    return Member(person, organisation, password)
