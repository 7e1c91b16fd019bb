from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.keys import service
from gateway.keys.exceptions import InvalidKeyRequest, KeyNotFound
from gateway.keys.models import ApiKey
from kit.db import Database
from kit.identity import DEFAULT_SCOPES, PrincipalKind, Scope

KEY_FORMAT = re.compile(r"^fnet_([a-z2-7]{12})_([A-Za-z0-9_\-]{43})$")


@pytest.fixture
async def session(gateway_database: Database) -> AsyncIterator[AsyncSession]:
    async with gateway_database.session(write=True) as session:
        yield session


class TestCreateKey:
    async def test_the_plaintext_is_shown_once_and_only_its_hash_is_stored(
        self, session: AsyncSession
    ) -> None:
        record, plaintext = await service.create_key(
            session, organisation_id=uuid.uuid4(), name="sync job"
        )
        match = KEY_FORMAT.match(plaintext)
        assert match, plaintext
        prefix, secret = match.groups()
        stored = (
            await session.execute(select(ApiKey.__table__).where(ApiKey.id == record.id))
        ).one()
        assert record.prefix == prefix
        assert record.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert not any(secret in str(value) for value in stored)

    async def test_keys_get_the_default_scopes_unless_told(self, session: AsyncSession) -> None:
        default, _ = await service.create_key(session, organisation_id=uuid.uuid4(), name="a")
        narrow, _ = await service.create_key(
            session,
            organisation_id=uuid.uuid4(),
            name="b",
            scopes=frozenset({Scope.CAMPAIGNS_READ}),
        )
        assert set(default.scopes) == DEFAULT_SCOPES
        assert narrow.scopes == [Scope.CAMPAIGNS_READ]
        assert not default.revoked

    async def test_a_partner_key_is_of_kind_partner_with_the_partner_scopes_only(
        self, session: AsyncSession
    ) -> None:
        partner_id = uuid.uuid4()
        _, plaintext = await service.create_key(
            session, organisation_id=uuid.uuid4(), name="妈妈幸福学习园", partner_id=partner_id
        )
        who = await service.authenticate(session, plaintext)
        assert who is not None
        assert who.kind is PrincipalKind.PARTNER
        assert who.partner_id == partner_id
        assert who.scopes == service.PARTNER_SCOPES
        with pytest.raises(InvalidKeyRequest):
            await service.create_key(
                session,
                organisation_id=uuid.uuid4(),
                name="too much",
                partner_id=partner_id,
                scopes=frozenset({Scope.LEDGER_READ}),
            )

    async def test_every_key_is_different(self, session: AsyncSession) -> None:
        made = [
            await service.create_key(session, organisation_id=uuid.uuid4(), name="k")
            for _ in range(20)
        ]
        assert len({record.prefix for record, _ in made}) == 20
        assert len({plaintext for _, plaintext in made}) == 20

    async def test_unknown_scope_is_refused_naming_it(self, session: AsyncSession) -> None:
        with pytest.raises(InvalidKeyRequest, match="everything:admin"):
            await service.create_key(
                session,
                organisation_id=uuid.uuid4(),
                name="k",
                scopes=frozenset({"everything:admin"}),
            )

    @pytest.mark.parametrize("name", ["", "   ", "x" * 201])
    async def test_name_must_be_given_and_short(self, session: AsyncSession, name: str) -> None:
        with pytest.raises(InvalidKeyRequest):
            await service.create_key(session, organisation_id=uuid.uuid4(), name=name)


class TestListKeys:
    async def test_lists_an_organisations_keys_newest_first(self, session: AsyncSession) -> None:
        mine, other = uuid.uuid4(), uuid.uuid4()
        first, _ = await service.create_key(session, organisation_id=mine, name="first")
        await service.create_key(session, organisation_id=other, name="theirs")
        second, _ = await service.create_key(session, organisation_id=mine, name="second")

        listed = await service.list_keys(session, organisation_id=mine)
        everything = await service.list_keys(session)
        assert [k.id for k in listed] == [second.id, first.id]
        assert {first.id, second.id} < {k.id for k in everything}


class TestRevokeKey:
    async def test_revoked_key_no_longer_authenticates(self, session: AsyncSession) -> None:
        record, plaintext = await service.create_key(
            session, organisation_id=uuid.uuid4(), name="k"
        )
        revoked = await service.revoke_key(session, record.id)
        assert revoked.revoked
        assert revoked.revoked_at is not None
        assert await service.authenticate(session, plaintext) is None

    async def test_revoking_twice_keeps_the_first_time(self, session: AsyncSession) -> None:
        record, _ = await service.create_key(session, organisation_id=uuid.uuid4(), name="k")
        first = (await service.revoke_key(session, record.id)).revoked_at
        again = (await service.revoke_key(session, record.id)).revoked_at
        assert first == again

    async def test_unknown_key_is_not_found(self, session: AsyncSession) -> None:
        with pytest.raises(KeyNotFound):
            await service.revoke_key(session, uuid.uuid4())


class TestAuthenticate:
    async def test_the_key_acts_for_its_organisation_with_its_scopes(
        self, session: AsyncSession
    ) -> None:
        organisation = uuid.uuid4()
        record, plaintext = await service.create_key(
            session,
            organisation_id=organisation,
            name="k",
            scopes=frozenset({Scope.PARTNERS_READ}),
        )
        who = await service.authenticate(session, plaintext)
        assert who is not None
        assert who.subject == f"key:{record.prefix}"
        assert who.organisation_id == organisation
        assert who.scopes == frozenset({Scope.PARTNERS_READ})

    async def test_wrong_secret_with_the_right_prefix_is_refused(
        self, session: AsyncSession
    ) -> None:
        record, plaintext = await service.create_key(
            session, organisation_id=uuid.uuid4(), name="k"
        )
        _, other = await service.create_key(session, organisation_id=uuid.uuid4(), name="k2")
        spliced = f"fnet_{record.prefix}_{other.rsplit('_', 1)[-1]}"
        assert await service.authenticate(session, spliced) is None
        assert await service.authenticate(session, plaintext[:-1]) is None
        assert await service.authenticate(session, plaintext + "x") is None

    @pytest.mark.parametrize(
        "presented",
        [
            "",
            "fnet_",
            "fnet_abcdefghijkl",
            "fnet_abcdefghijkl_",
            "Fnet_abcdefghijkl_s",
            "fnet_abcdefghijk!_secret",
            "fnet_abcdefghijkl_" + "s" * 43,
        ],
    )
    async def test_malformed_or_unknown_key_is_refused(
        self, session: AsyncSession, presented: str
    ) -> None:
        assert await service.authenticate(session, presented) is None
