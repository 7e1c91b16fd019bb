from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal, Scope, TokenSigner
from tests.services.partners.factories import add_partner, create_partner
from tests.support import client_for, principal

KINDS = [
    "social_organisation",
    "company",
    "foundation",
    "volunteer_group",
    "resident_group",
    "government",
    "other",
]

BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "\t\u3000\n"}, "name"),
    ({"name": "名" * 201}, "name"),
    ({"name": 42}, "name"),
    ({"kind": "ngo"}, "kind"),
    ({"kind": None}, "kind"),
    ({"description": "d" * 5001}, "description"),
    ({"website": "ftp://example.org"}, "website"),
    ({"website": "www.example.org"}, "website"),
    ({"website": "https://"}, "website"),
    ({"website": "https://example.org/" + "p" * 481}, "website"),
    ({"expertise": ""}, "expertise"),
    ({"expertise": "e" * 501}, "expertise"),
    ({"colour": "green"}, "colour"),
    # PostgreSQL cannot store U+0000: refused up front, not a 503 at the write
    ({"name": "踏实\x00玩乐"}, "name"),
    ({"description": "\x00"}, "description"),
    ({"expertise": "culture\x00"}, "expertise"),
]


async def names(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/v1/partners")
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


class TestCreatePartner:
    async def test_answers_the_partner_as_stored(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(
            client,
            name="大自然保护协会 The Nature Conservancy",
            description="Nature education walks for families",
            website="https://www.tnc.org.cn",
            expertise="environmental education",
        )

        assert partner["foundation_id"] == str(foundation.organisation_id)
        assert partner["kind"] == "social_organisation"
        assert partner["website"] == "https://www.tnc.org.cn"
        assert partner["expertise"] == "environmental education"
        assert uuid.UUID(partner["id"]).version == 7
        read = await client.get(f"/api/v1/partners/{partner['id']}")
        assert read.json() == partner

    async def test_optional_fields_default_to_empty(self, client: httpx.AsyncClient) -> None:
        partner = await create_partner(client, name="踏实玩乐", kind="volunteer_group")
        assert partner["description"] == ""
        assert partner["website"] is None
        assert partner["expertise"] is None

    async def test_location_points_at_the_new_partner(self, client: httpx.AsyncClient) -> None:
        response = await add_partner(client, name="朴元生态")
        assert response.status_code == 201
        assert response.headers["location"] == f"/api/v1/partners/{response.json()['id']}"
        assert (await client.get(response.headers["location"])).status_code == 200

    @pytest.mark.parametrize("kind", KINDS)
    async def test_every_kind_is_accepted(self, client: httpx.AsyncClient, kind: str) -> None:
        partner = await create_partner(client, name=f"partner {kind}", kind=kind)
        assert partner["kind"] == kind

    async def test_surrounding_spaces_are_not_part_of_the_name(
        self, client: httpx.AsyncClient
    ) -> None:
        partner = await create_partner(client, name="  朴元生态 ")
        assert partner["name"] == "朴元生态"

    @pytest.mark.parametrize(("change", "field"), BAD_INPUT)
    async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, change: dict[str, Any], field: str
    ) -> None:
        body = {"name": "朴元生态", "kind": "social_organisation", **change}
        response = await client.post("/api/v1/partners", json=body)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await names(client) == []

    async def test_missing_kind_is_422_naming_it(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/api/v1/partners", json={"name": "朴元生态"})
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["kind"]

    async def test_needs_the_write_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        reader = principal(foundation.organisation_id, scopes=frozenset({Scope.PARTNERS_READ}))
        async with client_for(app, reader) as as_reader:
            response = await add_partner(as_reader)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:forbidden"
        assert await names(client) == []


class TestDuplicateName:
    async def test_same_name_twice_is_409_and_keeps_the_first(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await create_partner(client, name="妈妈幸福学习园")
        response = await add_partner(client, name="妈妈幸福学习园", kind="other")

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:partner-name-taken"
        assert [e["field"] for e in problem["errors"]] == ["name"]
        listing = (await client.get("/api/v1/partners")).json()["items"]
        assert [p["id"] for p in listing] == [first["id"]]
        assert listing[0]["kind"] == "social_organisation"

    async def test_name_with_spaces_around_is_the_same_name(
        self, client: httpx.AsyncClient
    ) -> None:
        await create_partner(client, name="朴元生态")
        response = await add_partner(client, name=" 朴元生态  ")
        assert response.status_code == 409

    async def test_another_foundation_may_use_the_name(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        mine = await create_partner(client, name="踏实玩乐")
        async with client_for(app, principal()) as other:
            theirs = await add_partner(other, name="踏实玩乐")
        assert theirs.status_code == 201
        assert theirs.json()["id"] != mine["id"]

    async def test_concurrent_creates_of_one_name_make_one_partner(
        self, committing_app: FastAPI
    ) -> None:
        async with client_for(committing_app, principal()) as client:
            responses = await asyncio.gather(
                *(
                    add_partner(client, name="大自然保护协会", kind=KINDS[i % len(KINDS)])
                    for i in range(20)
                )
            )
            listing = await names(client)

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code >= 500]
        assert {r.json()["type"] for r in responses if r.status_code == 409} == {
            "urn:fnet:problem:partner-name-taken"
        }
        assert listing == ["大自然保护协会"]


class TestReadPartner:
    async def test_another_foundations_partner_is_not_found(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        partner = await create_partner(client)
        async with client_for(app, principal()) as other:
            response = await other.get(f"/api/v1/partners/{partner['id']}")
            listing = await other.get("/api/v1/partners")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:partner-not-found"
        assert listing.json()["items"] == []

    async def test_unknown_id_is_not_found(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/api/v1/partners/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:partner-not-found"

    async def test_malformed_id_is_a_422_naming_it(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/partners/not-a-uuid")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "partner_id"

    async def test_needs_the_read_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        writer = principal(foundation.organisation_id, scopes=frozenset({Scope.PARTNERS_WRITE}))
        async with client_for(app, writer) as as_writer:
            one = await as_writer.get(f"/api/v1/partners/{partner['id']}")
            listing = await as_writer.get("/api/v1/partners")
        assert one.status_code == listing.status_code == 403
        assert listing.headers["content-type"] == "application/problem+json"


class TestListPartners:
    async def test_empty_for_a_new_foundation(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/partners")
        assert response.json() == {"items": [], "next_cursor": None}

    async def test_pages_newest_first_without_gaps_or_repeats(
        self, client: httpx.AsyncClient
    ) -> None:
        made = [(await create_partner(client, name=f"partner {i}"))["id"] for i in range(5)]

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/partners", params=params)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert seen == list(reversed(made))

    async def test_limit_out_of_range_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/partners", params={"limit": "201"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"

    async def test_foreign_cursor_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/partners", params={"cursor": "bm90LWEtY3Vyc29y"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cursor"


class TestIdempotency:
    async def test_replay_returns_the_first_answer(self, client: httpx.AsyncClient) -> None:
        first = await add_partner(client, name="朴元生态", key="p-1")
        again = await add_partner(client, name="朴元生态", key="p-1")

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["location"] == first.headers["location"]
        assert await names(client) == ["朴元生态"]

    async def test_same_key_other_body_is_422(self, client: httpx.AsyncClient) -> None:
        await add_partner(client, name="朴元生态", key="p-2")
        response = await add_partner(client, name="踏实玩乐", key="p-2")
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:idempotency-key-reused"
        assert await names(client) == ["朴元生态"]

    async def test_failed_request_does_not_burn_the_key(self, client: httpx.AsyncClient) -> None:
        await create_partner(client, name="朴元生态")
        failed = await add_partner(client, name="朴元生态", key="p-3")
        succeeded = await add_partner(client, name="踏实玩乐", key="p-3")
        assert failed.status_code == 409
        assert succeeded.status_code == 201

    async def test_concurrent_identical_requests_make_one_partner(
        self, committing_app: FastAPI
    ) -> None:
        async with client_for(committing_app, principal()) as client:
            responses = await asyncio.gather(
                *(add_partner(client, name="妈妈幸福学习园", key="burst") for _ in range(20))
            )
            listing = await names(client)
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert listing == ["妈妈幸福学习园"]


class TestGatewayToken:
    async def test_request_without_token_is_401(self, app: FastAPI) -> None:
        async with client_for(app, None) as client:
            listing = await client.get("/api/v1/partners")
            created = await add_partner(client)
        assert listing.status_code == created.status_code == 401
        assert listing.headers["content-type"] == "application/problem+json"

    async def test_token_signed_with_another_secret_is_401(self, app: FastAPI) -> None:
        forged = TokenSigner("another-secret-" + "x" * 40).sign(principal())
        async with client_for(app, None) as client:
            response = await client.get("/api/v1/partners", headers={"x-fnet-identity": forged})
        assert response.status_code == 401
