from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contracts.partners import PartnerCreatedV1
from kit.identity import DEFAULT_SCOPES, Principal, Scope, TokenSigner
from tests.services.partners.factories import (
    add_partner,
    create_partner,
    outbox_events,
    partner_key,
)
from tests.support import client_for, principal

KINDS = [
    "social_organisation",
    "resident_group",
    "volunteer_team",
    "owners_committee",
    "enterprise",
    "foundation",
    "community_workstation",
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
        partner = await create_partner(client, name="踏实玩乐", kind="volunteer_team")
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
        response = await add_partner(client, name="妈妈幸福学习园", kind="enterprise")

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:duplicate-partner"
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

    async def test_the_same_name_in_another_district_is_another_partner(
        self, client: httpx.AsyncClient
    ) -> None:
        await create_partner(client, name="业主委员会", kind="owners_committee", district="蛇口")
        other = await add_partner(
            client, name="业主委员会", kind="owners_committee", district="南头"
        )
        again = await add_partner(
            client, name="业主委员会", kind="owners_committee", district="蛇口"
        )
        assert other.status_code == 201
        assert again.status_code == 409
        assert len(await names(client)) == 2

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
            "urn:fnet:problem:duplicate-partner"
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


class TestEditPartner:
    async def test_if_match_edit_changes_the_fields_given_and_bumps_the_version(
        self, client: httpx.AsyncClient
    ) -> None:
        partner = await create_partner(client, name="朴元生态", tags=["园艺"], district="蛇口")
        read = await client.get(f"/api/v1/partners/{partner['id']}")
        assert read.headers["etag"] == '"1"'

        response = await client.patch(
            f"/api/v1/partners/{partner['id']}",
            json={"name_en": "Puyuan Ecology", "tags": ["园艺", "自然教育", "园艺"]},
            headers={"If-Match": read.headers["etag"]},
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name_en"] == "Puyuan Ecology"
        assert body["tags"] == ["园艺", "自然教育"]
        assert body["district"] == "蛇口"
        assert body["version"] == 2
        assert response.headers["etag"] == '"2"'

    async def test_without_if_match_is_428_and_with_a_stale_one_412(
        self, client: httpx.AsyncClient
    ) -> None:
        partner = await create_partner(client, name="踏实玩乐")
        path = f"/api/v1/partners/{partner['id']}"
        missing = await client.patch(path, json={"description": "x"})
        first = await client.patch(path, json={"description": "a"}, headers={"If-Match": '"1"'})
        stale = await client.patch(path, json={"description": "b"}, headers={"If-Match": '"1"'})

        assert missing.status_code == 428
        assert first.status_code == 200
        assert stale.status_code == 412
        assert stale.headers["content-type"] == "application/problem+json"
        assert (await client.get(path)).json()["description"] == "a"

    async def test_renaming_onto_another_partner_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        await create_partner(client, name="朴元生态")
        other = await create_partner(client, name="踏实玩乐")
        path = f"/api/v1/partners/{other['id']}"
        response = await client.patch(path, json={"name": "朴元生态"}, headers={"If-Match": '"1"'})
        assert response.status_code == 409
        assert (await client.get(path)).json()["name"] == "踏实玩乐"

    async def test_null_clears_what_may_be_empty_and_is_422_for_name_or_kind(
        self, client: httpx.AsyncClient
    ) -> None:
        partner = await create_partner(client, name="朴元生态", tags=["园艺"], district="南山")
        path = f"/api/v1/partners/{partner['id']}"
        cleared = await client.patch(
            path,
            json={"tags": None, "district": None, "name_en": None},
            headers={"If-Match": '"1"'},
        )
        assert cleared.status_code == 200, cleared.text
        assert (cleared.json()["tags"], cleared.json()["district"]) == ([], "")
        for field in ("name", "kind"):
            refused = await client.patch(path, json={field: None}, headers={"If-Match": '"2"'})
            assert refused.status_code == 422, refused.text
            assert [e["field"] for e in refused.json()["errors"]] == [field]
        assert (await client.get(path)).json()["version"] == 2

    async def test_if_none_match_gives_304(self, client: httpx.AsyncClient) -> None:
        partner = await create_partner(client)
        response = await client.get(
            f"/api/v1/partners/{partner['id']}", headers={"If-None-Match": '"1"'}
        )
        assert response.status_code == 304


class TestVerifyAndArchive:
    async def test_verification_records_who_when_and_evidence(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        response = await client.post(
            f"/api/v1/partners/{partner['id']}/verification",
            json={"evidence": "民政登记证书 5244030000000000XX"},
        )
        assert response.status_code == 200, response.text
        verification = response.json()["verification"]
        assert verification["verified_by"] == foundation.subject
        assert verification["evidence"].startswith("民政登记证书")
        listed = await client.get("/api/v1/partners", params={"verified": "true"})
        assert [p["id"] for p in listed.json()["items"]] == [partner["id"]]

    async def test_archived_partners_leave_the_list_and_cannot_be_edited(
        self, client: httpx.AsyncClient
    ) -> None:
        partner = await create_partner(client)
        path = f"/api/v1/partners/{partner['id']}"
        archived = await client.post(f"{path}/archive")
        again = await client.post(f"{path}/archive")
        edit = await client.patch(path, json={"description": "x"}, headers={"If-Match": "*"})

        assert archived.status_code == 200
        assert archived.json()["archived_at"] is not None
        assert again.json()["version"] == archived.json()["version"]
        assert edit.status_code == 409
        assert await names(client) == []
        only = await client.get("/api/v1/partners", params={"archived": "true"})
        assert [p["id"] for p in only.json()["items"]] == [partner["id"]]


class TestFilters:
    async def test_kind_tag_district_and_name_search(self, client: httpx.AsyncClient) -> None:
        radio = await create_partner(
            client, name="妈妈幸福学习园", district="蛇口", tags=["亲子教育", "社区电台"]
        )
        plants = await create_partner(
            client, name="朴元生态", name_en="Puyuan Ecology", district="南山", tags=["园艺"]
        )
        owners = await create_partner(
            client, name="海上世界业委会", kind="owners_committee", district="蛇口"
        )

        async def ids(**query: str) -> set[str]:
            response = await client.get("/api/v1/partners", params=query)
            assert response.status_code == 200, response.text
            return {p["id"] for p in response.json()["items"]}

        assert await ids(kind="owners_committee") == {owners["id"]}
        assert await ids(tag="园艺") == {plants["id"]}
        assert await ids(district="蛇口") == {radio["id"], owners["id"]}
        assert await ids(q="幸福") == {radio["id"]}
        assert await ids(q="puyuan") == {plants["id"]}
        assert await ids(q="100%") == set()
        assert await ids(district="蛇口", kind="social_organisation") == {radio["id"]}


class TestContacts:
    async def test_contacts_need_their_own_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client)
        path = f"/api/v1/partners/{partner['id']}/contacts"
        contact = {"name": "陈老师", "role": "负责人", "phone": "13800000000"}

        without_scope = await client.post(path, json=contact)
        assert without_scope.status_code == 403
        assert (await client.get(path)).status_code == 403

        scoped = Principal(
            subject="staff",
            organisation_id=foundation.organisation_id,
            scopes=DEFAULT_SCOPES | {Scope.PARTNER_CONTACTS_READ},
        )
        async with client_for(app, scoped) as staff:
            added = await staff.post(path, json=contact)
            listed = await staff.get(path)
        assert added.status_code == 201, added.text
        assert [c["name"] for c in listed.json()["items"]] == ["陈老师"]
        assert "phone" not in (await client.get(f"/api/v1/partners/{partner['id']}")).text


class TestPartnerEvents:
    async def test_each_change_emits_its_event_with_the_whole_record(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        partner = await create_partner(client, name="妈妈幸福学习园", district="蛇口")
        path = f"/api/v1/partners/{partner['id']}"
        await client.patch(path, json={"tags": ["电台"]}, headers={"If-Match": '"1"'})
        await client.post(f"{path}/verification", json={"evidence": "visit"})
        await client.post(f"{path}/archive")

        found = []
        for verb in ("created", "updated", "verified", "archived"):
            events = [
                e
                for e in await outbox_events(app, f"partners.partner.{verb}")
                if e.foundation_id == foundation.organisation_id
            ]
            assert len(events) == 1, verb
            found.append(events[0].parse())
        created = found[0]
        assert isinstance(created, PartnerCreatedV1)
        assert str(created.partner_id) == partner["id"]
        assert created.district == "蛇口"
        assert [p.version for p in found] == [1, 2, 3, 4]  # type: ignore[attr-defined]
        assert found[3].archived is True  # type: ignore[attr-defined]


class TestPartnerKeys:
    async def test_a_partner_key_reads_its_own_record_and_grants_only(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        mine = await create_partner(client, name="妈妈幸福学习园")
        other = await create_partner(client, name="踏实玩乐")
        async with client_for(app, partner_key(foundation, mine["id"])) as partner:
            assert (await partner.get(f"/api/v1/partners/{mine['id']}")).status_code == 200
            assert (await partner.get(f"/api/v1/partners/{mine['id']}/grants")).status_code == 200
            assert (await partner.get(f"/api/v1/partners/{other['id']}")).status_code == 404
            assert (await partner.get(f"/api/v1/partners/{other['id']}/grants")).status_code == 404
