from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kit.db import transaction
from kit.events import Event, export_schemas
from kit.events.outbox import outbox, row_to_event
from kit.identity import ALL_SCOPES, Scope, TokenSigner
from tests.services.network.factories import create_foundation, register, unique_slug
from tests.support import client_for, principal

SHEKOU: dict[str, Any] = {
    "slug": "shekou-community-foundation",
    "name": "蛇口社区基金会",
    "name_en": "Shekou Community Foundation",
    "city": "Shenzhen",
    "region": "Nanshan",
    "description": "A community foundation for the residents of Shekou",
    "public_fundraising_licence": True,
    "website": "https://www.skcf.org.cn",
    "contact": "network@skcf.org.cn",
}

BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"slug": "s"}, "slug"),
    ({"slug": "s" * 64}, "slug"),
    ({"slug": "Shekou"}, "slug"),
    ({"slug": "shekou_cf"}, "slug"),
    ({"slug": "-shekou"}, "slug"),
    ({"slug": "shekou-"}, "slug"),
    ({"slug": "she--kou"}, "slug"),
    ({"slug": "蛇口"}, "slug"),
    ({"slug": None}, "slug"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "\u3000\u3000"}, "name"),
    ({"name": "名" * 201}, "name"),
    ({"name_en": ""}, "name_en"),
    ({"name_en": "\t "}, "name_en"),
    ({"city": "c" * 101}, "city"),
    ({"region": " "}, "region"),
    ({"description": "d" * 5001}, "description"),
    ({"public_fundraising_licence": "maybe"}, "public_fundraising_licence"),
    ({"website": "mailto:info@example.org"}, "website"),
    ({"website": "example.org"}, "website"),
    ({"founded": "2014"}, "founded"),
    # PostgreSQL cannot store U+0000: refused up front, not a 503 at the write
    ({"name": "蛇口\x00"}, "name"),
    ({"city": "Shen\x00zhen"}, "city"),
    ({"description": "\x00"}, "description"),
]


async def by_slug(client: httpx.AsyncClient, slug: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/foundations", params={"slug": slug})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestRegisterFoundation:
    async def test_answers_the_foundation_as_stored(self, client: httpx.AsyncClient) -> None:
        foundation = await create_foundation(client, **SHEKOU)

        assert {k: foundation[k] for k in SHEKOU} == SHEKOU
        assert uuid.UUID(foundation["id"]).version == 7
        assert foundation["created_at"] == foundation["updated_at"]
        read = await client.get(f"/api/v1/foundations/{foundation['id']}")
        assert read.json() == foundation

    async def test_optional_fields_default_to_empty(self, client: httpx.AsyncClient) -> None:
        foundation = await create_foundation(client, slug="nanshan-cf", name="南山社区基金会")
        assert foundation["name_en"] is None
        assert foundation["city"] is None
        assert foundation["region"] is None
        assert foundation["description"] == ""
        assert foundation["public_fundraising_licence"] is False
        assert foundation["website"] is None

    async def test_location_points_at_the_new_foundation(self, client: httpx.AsyncClient) -> None:
        response = await register(client)
        assert response.status_code == 201
        assert response.headers["location"] == f"/api/v1/foundations/{response.json()['id']}"
        assert (await client.get(response.headers["location"])).status_code == 200

    @pytest.mark.parametrize(("change", "field"), BAD_INPUT)
    async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, change: dict[str, Any], field: str
    ) -> None:
        body = {**SHEKOU, "slug": "bad-input-cf", **change}
        response = await client.post("/api/v1/foundations", json=body)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await by_slug(client, "bad-input-cf") == []

    async def test_needs_the_directory_admin_scope(
        self, client: httpx.AsyncClient, member_client: httpx.AsyncClient
    ) -> None:
        response = await register(member_client, slug="self-registered")

        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:forbidden"
        assert Scope.DIRECTORY_ADMIN in response.json()["detail"]
        assert await by_slug(client, "self-registered") == []


class TestDuplicateSlug:
    async def test_taken_slug_is_409_and_keeps_the_first(self, client: httpx.AsyncClient) -> None:
        first = await create_foundation(client, slug="shekou-cf")
        response = await register(client, slug="shekou-cf", name="另一个基金会")

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:foundation-slug-taken"
        assert [e["field"] for e in problem["errors"]] == ["slug"]
        stored = await by_slug(client, "shekou-cf")
        assert [f["id"] for f in stored] == [first["id"]]
        assert stored[0]["name"] == "蛇口社区基金会"

    async def test_concurrent_registrations_of_one_slug_make_one_foundation(
        self, committing_app: FastAPI
    ) -> None:
        slug = unique_slug("race")
        async with client_for(committing_app, principal(scopes=ALL_SCOPES)) as client:
            responses = await asyncio.gather(
                *(register(client, slug=slug, name=f"基金会 {i}") for i in range(20))
            )
            stored = await by_slug(client, slug)

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code >= 500]
        assert {r.json()["type"] for r in responses if r.status_code == 409} == {
            "urn:fnet:problem:foundation-slug-taken"
        }
        winner = next(r.json() for r in responses if r.status_code == 201)
        assert stored == [winner]


class TestReadFoundation:
    async def test_any_member_can_read_any_foundation(
        self, client: httpx.AsyncClient, member_client: httpx.AsyncClient
    ) -> None:
        foundation = await create_foundation(client, **SHEKOU)
        response = await member_client.get(f"/api/v1/foundations/{foundation['id']}")
        assert response.status_code == 200
        assert response.json() == foundation

    async def test_unknown_id_is_not_found(self, member_client: httpx.AsyncClient) -> None:
        response = await member_client.get(f"/api/v1/foundations/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:foundation-not-found"

    async def test_malformed_id_is_a_422_naming_it(self, member_client: httpx.AsyncClient) -> None:
        response = await member_client.get("/api/v1/foundations/not-a-uuid")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "foundation_id"

    async def test_reads_need_no_identity(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        foundation = await create_foundation(client, **SHEKOU)
        async with client_for(app, None) as anonymous:
            one = await anonymous.get(f"/api/v1/foundations/{foundation['id']}")
            listing = await anonymous.get("/api/v1/foundations", params={"slug": SHEKOU["slug"]})
        assert one.status_code == listing.status_code == 200
        assert one.json() == foundation
        assert listing.json()["items"] == [foundation]


class TestListFoundations:
    async def test_pages_newest_first_without_gaps_or_repeats(
        self, client: httpx.AsyncClient, member_client: httpx.AsyncClient
    ) -> None:
        # The directory is shared: foundations other tests committed may follow ours.
        made = [(await create_foundation(client, slug=f"cf-{i}"))["id"] for i in range(5)]

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await member_client.get("/api/v1/foundations", params=params)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        one_page = await member_client.get("/api/v1/foundations", params={"limit": "200"})
        assert seen[:5] == list(reversed(made))
        assert seen == [item["id"] for item in one_page.json()["items"]]

    async def test_slug_filter_finds_exactly_that_foundation(
        self, client: httpx.AsyncClient, member_client: httpx.AsyncClient
    ) -> None:
        shekou = await create_foundation(client, **SHEKOU)
        await create_foundation(client, slug="nanshan-cf", name="南山社区基金会")

        assert await by_slug(member_client, "shekou-community-foundation") == [shekou]
        assert await by_slug(member_client, "no-such-foundation") == []

    async def test_malformed_slug_filter_is_422_naming_it(
        self, member_client: httpx.AsyncClient
    ) -> None:
        response = await member_client.get("/api/v1/foundations", params={"slug": "Shekou CF"})
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["slug"]

    async def test_searches_by_name_city_and_region(
        self, client: httpx.AsyncClient, member_client: httpx.AsyncClient
    ) -> None:
        tag = unique_slug("s")
        shekou = await create_foundation(
            client, **{**SHEKOU, "slug": f"{tag}-shekou", "name": f"蛇口{tag}"}
        )
        wuhou = await create_foundation(
            client,
            slug=f"{tag}-wuhou",
            name=f"武侯{tag}",
            name_en=f"Wuhou {tag} Community Foundation",
            city="Chengdu",
            region="Wuhou",
        )

        async def ids(**params: str) -> list[str]:
            response = await member_client.get("/api/v1/foundations", params=params)
            assert response.status_code == 200, response.text
            return [f["id"] for f in response.json()["items"]]

        assert await ids(name=tag) == [wuhou["id"], shekou["id"]]
        assert await ids(name=f"WUHOU {tag.upper()}") == [wuhou["id"]]
        assert await ids(name=f"蛇口{tag}") == [shekou["id"]]
        assert await ids(name=tag, city="chengdu") == [wuhou["id"]]
        assert await ids(name=tag, region="Nanshan") == [shekou["id"]]
        assert await ids(name=f"%{tag}") == []  # a literal %, not a wildcard

    async def test_limit_out_of_range_is_422(self, member_client: httpx.AsyncClient) -> None:
        response = await member_client.get("/api/v1/foundations", params={"limit": "0"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"


class TestIdempotency:
    async def test_replay_returns_the_first_answer(self, client: httpx.AsyncClient) -> None:
        first = await register(client, key="f-1", **SHEKOU)
        again = await register(client, key="f-1", **SHEKOU)

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["location"] == first.headers["location"]
        assert len(await by_slug(client, SHEKOU["slug"])) == 1

    async def test_same_key_other_body_is_422(self, client: httpx.AsyncClient) -> None:
        await register(client, slug="shekou-cf", key="f-2")
        response = await register(client, slug="nanshan-cf", key="f-2")
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:idempotency-key-reused"
        assert await by_slug(client, "nanshan-cf") == []

    async def test_failed_request_does_not_burn_the_key(self, client: httpx.AsyncClient) -> None:
        await create_foundation(client, slug="shekou-cf")
        failed = await register(client, slug="shekou-cf", key="f-3")
        succeeded = await register(client, slug="nanshan-cf", key="f-3")
        assert failed.status_code == 409
        assert succeeded.status_code == 201

    async def test_concurrent_identical_requests_make_one_foundation(
        self, committing_app: FastAPI
    ) -> None:
        slug = unique_slug("burst")
        async with client_for(committing_app, principal(scopes=ALL_SCOPES)) as client:
            responses = await asyncio.gather(
                *(register(client, slug=slug, key="burst") for _ in range(20))
            )
            stored = await by_slug(client, slug)
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert len(stored) == 1


class TestGatewayToken:
    async def test_write_without_token_is_401(self, app: FastAPI) -> None:
        async with client_for(app, None) as client:
            created = await register(client)
        assert created.status_code == 401
        assert created.headers["content-type"] == "application/problem+json"

    async def test_token_signed_with_another_secret_is_401(self, app: FastAPI) -> None:
        forged = TokenSigner("another-secret-" + "x" * 40).sign(principal(scopes=ALL_SCOPES))
        async with client_for(app, None) as client:
            response = await client.post(
                "/api/v1/foundations",
                json={"slug": "forged-cf", "name": "x"},
                headers={"x-fnet-identity": forged},
            )
        assert response.status_code == 401


async def outbox_events(app: FastAPI, *foundation_ids: str) -> list[Event]:
    """The outbox's events about these foundations (the session's database also holds
    what committing tests left)."""
    ids = [uuid.UUID(i) for i in foundation_ids]
    async with transaction(app.state.database, write=False) as session:
        rows = (
            await session.execute(
                select(outbox).where(outbox.c.foundation_id.in_(ids)).order_by(outbox.c.seq)
            )
        ).all()
    return [row_to_event(row) for row in rows]


class TestUpdateFoundation:
    async def test_the_operator_renames_a_foundation(self, client: httpx.AsyncClient) -> None:
        created = await create_foundation(client, slug=unique_slug())

        response = await client.patch(
            f"/api/v1/foundations/{created['id']}",
            json={"name": "蛇口社区公益基金会", "city": "Shenzhen", "website": None},
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"] == "蛇口社区公益基金会"
        assert body["city"] == "Shenzhen"
        assert body["website"] is None
        assert body["slug"] == created["slug"]
        assert body["updated_at"] > created["updated_at"]
        read = await client.get(f"/api/v1/foundations/{created['id']}")
        assert read.json()["name"] == "蛇口社区公益基金会"

    async def test_a_foundation_may_edit_itself(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        created = await create_foundation(client, slug=unique_slug())
        itself = principal(organisation_id=uuid.UUID(created["id"]))

        async with client_for(app, itself) as own:
            response = await own.patch(
                f"/api/v1/foundations/{created['id']}", json={"name_en": "Shekou CF"}
            )

        assert response.status_code == 200, response.text
        assert response.json()["name_en"] == "Shekou CF"

    async def test_another_member_may_not(
        self, client: httpx.AsyncClient, member_client: httpx.AsyncClient
    ) -> None:
        created = await create_foundation(client, slug=unique_slug())

        response = await member_client.patch(
            f"/api/v1/foundations/{created['id']}", json={"name": "Not yours"}
        )

        assert response.status_code == 403
        assert (await client.get(f"/api/v1/foundations/{created['id']}")).json()["name"] == (
            created["name"]
        )

    async def test_an_unknown_foundation_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.patch(f"/api/v1/foundations/{uuid.uuid4()}", json={"name": "X"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": None}, "name"),
            ({"name": ""}, "name"),
            ({"name": " \u3000 "}, "name"),
            ({"name_en": "   "}, "name_en"),
            ({"name": "名" * 201}, "name"),
            ({"description": None}, "description"),
            ({"website": "example.org"}, "website"),
            ({"city": "c" * 101}, "city"),
            ({"slug": "renamed"}, "slug"),
            ({"public_fundraising_licence": True}, "public_fundraising_licence"),
        ],
    )
    async def test_bad_input_is_422_and_changes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        created = await create_foundation(client, slug=unique_slug())

        response = await client.patch(f"/api/v1/foundations/{created['id']}", json=body)

        assert response.status_code == 422, response.text
        assert field in [problem["field"] for problem in response.json()["errors"]]
        assert (await client.get(f"/api/v1/foundations/{created['id']}")).json() == created
        assert [e.type for e in await outbox_events(app, created["id"])] == [
            "network.foundation.created"
        ]

    async def test_an_empty_body_is_422(self, client: httpx.AsyncClient) -> None:
        created = await create_foundation(client, slug=unique_slug())
        response = await client.patch(f"/api/v1/foundations/{created['id']}", json={})
        assert response.status_code == 422


class TestDirectoryEvents:
    async def test_create_and_update_write_their_events_in_the_same_transaction(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        created = await create_foundation(client, slug=unique_slug(), name_en="Shekou CF")
        updated = (
            await client.patch(f"/api/v1/foundations/{created['id']}", json={"name": "新名"})
        ).json()

        events = await outbox_events(app, created["id"])

        assert [e.type for e in events] == [
            "network.foundation.created",
            "network.foundation.updated",
        ]
        assert all(e.producer == "network" for e in events)
        assert all(str(e.foundation_id) == created["id"] for e in events)
        assert events[0].payload["slug"] == created["slug"]
        assert events[0].payload["name_en"] == "Shekou CF"
        assert events[1].payload["name"] == "新名"
        assert events[1].payload["updated_at"] == updated["updated_at"].replace("+00:00", "Z")

    async def test_the_event_carries_the_request_id(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/api/v1/foundations",
            json={"slug": unique_slug(), "name": "武侯社区基金会"},
            headers={"X-Request-ID": "req-events-1"},
        )
        [event] = await outbox_events(app, response.json()["id"])
        assert event.request_id == "req-events-1"

    async def test_a_refused_write_emits_nothing(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        slug = unique_slug()
        created = await create_foundation(client, slug=slug)
        async with transaction(app.state.database, write=False) as session:
            before = await session.scalar(select(func.count()).select_from(outbox))

        taken = await register(client, slug=slug, name="又一个")

        assert taken.status_code == 409
        async with transaction(app.state.database, write=False) as session:
            assert await session.scalar(select(func.count()).select_from(outbox)) == before
        assert len(await outbox_events(app, created["id"])) == 1

    async def test_every_event_published_validates_against_its_contract(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        ids = []
        for _ in range(3):
            created = await create_foundation(client, slug=unique_slug(), city="Chengdu")
            await client.patch(f"/api/v1/foundations/{created['id']}", json={"name": "改名"})
            await client.patch(f"/api/v1/foundations/{created['id']}", json={"name_en": None})
            ids.append(created["id"])

        events = await outbox_events(app, *ids)

        assert len(events) == 9
        for event in events:
            schema = export_schemas()[f"{event.type}.v{event.version}"]
            jsonschema.validate(event.payload, schema)
            event.parse()
