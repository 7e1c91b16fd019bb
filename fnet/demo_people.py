"""The demo's people who sign in: the network's operator, Shekou's treasurer (an admin of
the foundation) and a person of the partner 妈妈幸福学习园. Their addresses and passwords
are in the ``logins`` entry of ``var/demo-credentials.json``; a second load keeps them
while the saved password still works, and otherwise sets a new one."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import update

from gateway.people import passwords
from gateway.people import service as people
from gateway.people.models import Person
from gateway.people.roles import Role
from kit.db import Database, transaction

OPERATOR = "operator"
TREASURER = "treasurer"
PARTNER = "partner"


async def ensure(
    gateway_db: Database,
    *,
    shekou_id: str,
    partner_id: str,
    previous: dict[str, Any],
) -> dict[str, dict[str, str]]:
    """The ``logins`` entry of the credentials file."""
    wanted: list[tuple[str, str, str, Role | None, str | None, str | None]] = [
        (OPERATOR, "operator@fnet.demo", "Network operator", None, None, None),
        (TREASURER, "treasurer@shekou.demo", "Shekou treasurer", Role.ADMIN, shekou_id, None),
        (PARTNER, "radio@partners.demo", "妈妈幸福学习园", Role.PARTNER, shekou_id, partner_id),
    ]
    logins: dict[str, dict[str, str]] = {}
    for name, email, display, role, organisation, partner in wanted:
        saved = previous.get(name, {})
        password = await _ensure_person(
            gateway_db,
            email=email,
            display_name=display,
            role=role,
            organisation_id=uuid.UUID(organisation) if organisation else None,
            partner_id=uuid.UUID(partner) if partner else None,
            saved_password=saved.get("password"),
        )
        entry = {"email": email, "password": password, "role": role.value if role else "operator"}
        if organisation:
            entry["organisation_id"] = organisation
        if partner:
            entry["partner_id"] = partner
        logins[name] = entry
    return logins


async def _ensure_person(
    gateway_db: Database,
    *,
    email: str,
    display_name: str,
    role: Role | None,
    organisation_id: uuid.UUID | None,
    partner_id: uuid.UUID | None,
    saved_password: str | None,
) -> str:
    async with transaction(gateway_db, write=True) as session:
        person = await people.find_person(session, email)
        password = saved_password or ""
        if person is None:
            password = password or secrets.token_urlsafe(12)
            person = await people.create_person(
                session,
                email=email,
                password=password,
                display_name=display_name,
                is_operator=role is None,
            )
        elif not password or not passwords.verify(person.password_hash, password):
            password = secrets.token_urlsafe(12)
            await session.execute(
                update(Person)
                .where(Person.id == person.id)
                .values(
                    password_hash=passwords.hash_password(password),
                    failed_logins=0,
                    locked_until=None,
                )
            )
        if organisation_id is not None and role is not None:
            membership = await people.membership_of(session, person.id, organisation_id)
            if membership is None:
                await people.add_membership(
                    session, person, organisation_id, role, partner_id=partner_id
                )
        return password
