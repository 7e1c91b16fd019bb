from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal, TokenSigner
from tests.services.donations.factories import (
    create_campaign,
    donate,
    edit,
    move_to,
    patch_campaign,
    read_campaign,
    transition,
)
from tests.services.donations.factories_supplies import distribute, give_line, receive_in_kind
from tests.support import client_for, principal

HOST = {
    "name": "深圳市社会公益基金会",
    "filing_number": "53440300MJL1234567A2020001",
    "platform": "Tencent Charity",
}


class TestCreateCampaign:
    async def test_answers_the_campaign_with_empty_totals(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, goal="20000")

        assert campaign["goal"] == {"amount": "20000.00", "currency": "CNY"}
        assert campaign["raised"] == {"amount": "0.00", "currency": "CNY"}
        assert campaign["donation_count"] == 0
        assert campaign["status"] == "open"

    async def test_location_points_at_the_new_campaign(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns", json={"title": "t", "goal": {"amount": "1", "currency": "HKD"}}
        )
        assert response.headers["location"] == f"/api/v1/campaigns/{response.json()['id']}"
        assert (await client.get(response.headers["location"])).status_code == 200

    async def test_period_must_end_after_it_starts(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "starts_at": "2026-02-01T00:00:00Z",
                "ends_at": "2026-01-01T00:00:00Z",
            },
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "ends_at"
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    @pytest.mark.parametrize("body", [b'{"title": ', b'{"title": "t"}}', b"title=t"])
    async def test_body_that_is_not_json_is_422_naming_the_body(
        self, client: httpx.AsyncClient, body: bytes
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["detail"] == "Invalid field(s): body"
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("body", "json_invalid")]
        assert "not valid JSON" in problem["errors"][0]["message"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    @pytest.mark.parametrize("field", ["title", "purpose"])
    async def test_nul_character_is_422_naming_the_field(
        self, client: httpx.AsyncClient, field: str
    ) -> None:
        # PostgreSQL cannot store U+0000: refused up front, not a 503 at the write.
        body = {"title": "t", "goal": {"amount": "1", "currency": "CNY"}, field: "a\x00b"}
        response = await client.post("/api/v1/campaigns", json=body)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    @pytest.mark.parametrize("field", ["starts_at", "ends_at"])
    @pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
    async def test_time_outside_utcs_range_is_422_naming_it(
        self, client: httpx.AsyncClient, field: str, value: str
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}, field: value},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_times_are_answered_in_utc(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, starts_at="2020-01-28T09:00:00+08:00", ends_at="2020-02-28T09:00:00+08:00"
        )
        assert campaign["starts_at"] == "2020-01-28T01:00:00Z"
        assert campaign["ends_at"] == "2020-02-28T01:00:00Z"

    async def test_needs_the_write_scope(self, app: FastAPI) -> None:
        reader = principal(scopes=frozenset({"campaigns:read"}))
        async with client_for(app, reader) as client:
            response = await client.post(
                "/api/v1/campaigns", json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}}
            )
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"

    async def test_new_campaign_is_phase_1_open_version_1_without_host(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)

        assert campaign["phase"] == 1
        assert campaign["follows_id"] is None
        assert campaign["host"] is None
        assert campaign["co_organisers"] == []
        assert campaign["unique_donors"] == 0
        assert campaign["version"] == 1
        assert campaign["opened_at"] is not None
        assert (campaign["closed_at"], campaign["settled_at"]) == (None, None)

    async def test_draft_is_not_opened(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        assert campaign["status"] == "draft"
        assert campaign["opened_at"] is None

    async def test_raised_under_a_host_with_co_organisers(self, client: httpx.AsyncClient) -> None:
        partner_id = str(uuid.uuid4())
        campaign = await create_campaign(
            client,
            host=HOST,
            co_organisers=[
                {"name": " 致敬她 partner foundation ", "foundation_id": partner_id},
                {"name": "踏实玩乐"},
            ],
        )

        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        for answer in (campaign, read):
            assert answer["host"] == HOST
            assert answer["co_organisers"] == [
                {"name": "致敬她 partner foundation", "foundation_id": partner_id},
                {"name": "踏实玩乐", "foundation_id": None},
            ]

    async def test_host_platform_is_optional(self, client: httpx.AsyncClient) -> None:
        host = {"name": "深圳市社会公益基金会", "filing_number": "F-1"}
        campaign = await create_campaign(client, host=host)
        assert campaign["host"] == {**host, "platform": None}

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"status": "closed"}, "status"),
            ({"status": "settled"}, "status"),
            ({"host": {"name": "深圳市社会公益基金会"}}, "host.filing_number"),
            ({"host": {"filing_number": "F-1"}}, "host.name"),
            ({"host": {"name": "h", "filing_number": "  "}}, "host.filing_number"),
            ({"host": {"name": "h", "filing_number": "F", "fee": "1"}}, "host.fee"),
            ({"co_organisers": [{"name": "A"}, {"name": " a "}]}, "co_organisers"),
            ({"co_organisers": [{"name": ""}]}, "co_organisers.0.name"),
            ({"co_organisers": [{"name": f"o{i}"} for i in range(21)]}, "co_organisers"),
            (
                {"co_organisers": [{"name": "A", "foundation_id": "x"}]},
                "co_organisers.0.foundation_id",
            ),
            ({"follows_id": "not-a-uuid"}, "follows_id"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, extra: dict[str, Any], field: str
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}, **extra},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_duplicate_co_organiser_says_which_name(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "co_organisers": [{"name": "Wuhou"}, {"name": "WUHOU"}],
            },
        )
        assert response.status_code == 422
        assert "'WUHOU' appears twice" in response.json()["errors"][0]["message"]

    async def test_twenty_co_organisers_are_accepted(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, co_organisers=[{"name": f"o{i}"} for i in range(20)]
        )
        assert len(campaign["co_organisers"]) == 20

    async def test_the_same_co_organising_foundation_twice_is_422(
        self, client: httpx.AsyncClient
    ) -> None:
        same = str(uuid.uuid4())
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "co_organisers": [
                    {"name": "A", "foundation_id": same},
                    {"name": "B", "foundation_id": same},
                ],
            },
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["co_organisers"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_own_foundation_as_co_organiser_is_422(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "co_organisers": [
                    {"name": "A"},
                    {"name": "us", "foundation_id": str(foundation.organisation_id)},
                ],
            },
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["co_organisers.1.foundation_id"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_answers_its_etag(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/campaigns", json={"title": "t", "goal": {"amount": "1", "currency": "CNY"}}
        )
        read = await client.get(response.headers["location"])
        assert response.headers["etag"] == read.headers["etag"]

    async def test_replay_answers_the_first_campaign_with_its_etag(
        self, client: httpx.AsyncClient
    ) -> None:
        body = {"title": "t", "goal": {"amount": "1", "currency": "CNY"}, "status": "draft"}
        headers = {"Idempotency-Key": "create-1"}
        first = await client.post("/api/v1/campaigns", json=body, headers=headers)
        again = await client.post("/api/v1/campaigns", json=body, headers=headers)

        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]
        assert len((await client.get("/api/v1/campaigns")).json()["items"]) == 1


class TestCampaignPhases:
    async def test_each_phase_is_one_more_than_the_one_it_follows(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await create_campaign(client)
        second = await create_campaign(client, follows_id=first["id"], status="draft")
        third = await create_campaign(client, follows_id=second["id"])

        assert (second["phase"], second["follows_id"]) == (2, first["id"])
        assert (third["phase"], third["follows_id"]) == (3, second["id"])
        read = (await client.get(f"/api/v1/campaigns/{third['id']}")).json()
        assert (read["phase"], read["follows_id"]) == (3, second["id"])

    async def test_a_closed_campaign_can_be_followed(self, client: httpx.AsyncClient) -> None:
        first = await create_campaign(client)
        await move_to(client, first["id"], "closed", "settled")
        assert (await create_campaign(client, follows_id=first["id"]))["phase"] == 2

    async def test_unknown_campaign_is_422_naming_follows_id_and_stores_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "follows_id": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:unknown-followed-campaign"
        assert [e["field"] for e in response.json()["errors"]] == ["follows_id"]
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_another_foundations_campaign_cannot_be_followed(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        theirs = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await other.post(
                "/api/v1/campaigns",
                json={
                    "title": "t",
                    "goal": {"amount": "1", "currency": "CNY"},
                    "follows_id": theirs["id"],
                },
            )
            listing = (await other.get("/api/v1/campaigns")).json()
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["follows_id"]
        assert listing["items"] == []

    async def test_a_second_next_phase_is_409_naming_the_first(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await create_campaign(client)
        second = await create_campaign(client, follows_id=first["id"])

        response = await client.post(
            "/api/v1/campaigns",
            json={
                "title": "t",
                "goal": {"amount": "1", "currency": "CNY"},
                "follows_id": first["id"],
            },
        )
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-already-followed"
        assert second["id"] in response.json()["detail"]
        assert len((await client.get("/api/v1/campaigns")).json()["items"]) == 2

    async def test_concurrent_next_phases_make_exactly_one(self, committing_app: FastAPI) -> None:
        async with client_for(committing_app, principal()) as client:
            first = await create_campaign(client)
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/campaigns",
                        json={
                            "title": f"phase 2, try {i}",
                            "goal": {"amount": "1", "currency": "CNY"},
                            "follows_id": first["id"],
                        },
                    )
                    for i in range(10)
                )
            )
            listing = (await client.get("/api/v1/campaigns")).json()["items"]
        assert sorted(r.status_code for r in responses) == [201] + [409] * 9
        assert [c["follows_id"] for c in listing].count(first["id"]) == 1


class TestReadCampaign:
    async def test_another_foundations_campaign_is_not_found(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await other.get(f"/api/v1/campaigns/{campaign['id']}")
            listing = await other.get("/api/v1/campaigns")
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-found"
        assert listing.json()["items"] == []

    async def test_unknown_id_is_not_found(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/api/v1/campaigns/{uuid.uuid4()}")
        assert response.status_code == 404

    async def test_malformed_id_is_a_422_naming_it(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/campaigns/not-a-uuid")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "campaign_id"

    async def test_shows_unique_donors_next_to_the_donation_count(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        for ref in ("donor-a", "donor-b", "donor-a"):
            assert (await donate(client, campaign["id"], "10", donor_ref=ref)).status_code == 201

        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["donation_count"], read["unique_donors"]) == (3, 2)
        assert read["held"] == [{"amount": "30.00", "currency": "CNY"}]

    async def test_if_none_match_with_the_current_etag_is_304_without_a_body(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        etag = (await read_campaign(client, campaign["id"])).headers["etag"]

        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            response = await client.get(
                f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": header}
            )
            assert response.status_code == 304, header
            assert response.content == b""
            assert response.headers["etag"] == etag

    async def test_etag_is_stable_while_nothing_changes(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        first = await read_campaign(client, campaign["id"])
        second = await read_campaign(client, campaign["id"])
        assert first.headers["etag"] == second.headers["etag"]
        assert first.headers["etag"].startswith('"1-')

    @pytest.mark.parametrize("header", ['"1-0000000000000000"', '"1"', "not a tag", 'W/"x"'])
    async def test_a_stale_or_malformed_tag_gets_the_full_answer(
        self, client: httpx.AsyncClient, header: str
    ) -> None:
        campaign = await create_campaign(client)
        response = await client.get(
            f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": header}
        )
        assert response.status_code == 200
        assert response.json()["id"] == campaign["id"]

    async def test_a_donation_changes_the_etag(self, client: httpx.AsyncClient) -> None:
        # The figures are part of what a client caches: a 304 must never hide a new donation.
        campaign = await create_campaign(client)
        etag = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await donate(client, campaign["id"], "10")).status_code == 201

        response = await client.get(
            f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": etag}
        )
        assert response.status_code == 200
        assert response.headers["etag"] != etag
        assert response.json()["donation_count"] == 1

    async def test_an_edit_changes_the_etag(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        etag = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await edit(client, campaign["id"], {"title": "renamed"})).status_code == 200

        response = await client.get(
            f"/api/v1/campaigns/{campaign['id']}", headers={"If-None-Match": etag}
        )
        assert response.status_code == 200
        assert response.headers["etag"].startswith('"2-')


class TestListCampaigns:
    async def test_pages_newest_first_without_gaps_or_repeats(
        self, client: httpx.AsyncClient
    ) -> None:
        made = [(await create_campaign(client, title=f"c{i}"))["id"] for i in range(5)]

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/campaigns", params=params)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert seen == list(reversed(made))

    async def test_limit_out_of_range_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/campaigns", params={"limit": "0"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"

    async def test_filters_by_status(self, client: httpx.AsyncClient) -> None:
        draft = await create_campaign(client, status="draft")
        open_ = await create_campaign(client)
        closed = await create_campaign(client)
        await move_to(client, closed["id"], "closed")

        for status, expected in [("draft", draft), ("open", open_), ("closed", closed)]:
            page = (await client.get("/api/v1/campaigns", params={"status": status})).json()
            assert [c["id"] for c in page["items"]] == [expected["id"]], status
        settled = await client.get("/api/v1/campaigns", params={"status": "settled"})
        assert settled.json()["items"] == []
        assert len((await client.get("/api/v1/campaigns")).json()["items"]) == 3

    async def test_unknown_status_is_422_naming_it(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/campaigns", params={"status": "running"})
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["status"]


class TestUpdateCampaign:
    async def test_changes_the_fields_sent_and_bumps_the_version(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, purpose="masks", status="draft")
        read = await read_campaign(client, campaign["id"])
        changes = {
            "title": "Epidemic mutual-aid fundraising, phase 1 (extended)",
            "ends_at": "2030-03-31T16:00:00Z",
            "host": HOST,
            "co_organisers": [{"name": "Wuhou Community Foundation"}],
        }

        response = await patch_campaign(
            client, campaign["id"], changes, if_match=read.headers["etag"]
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert {k: body[k] for k in changes} == {
            **changes,
            "co_organisers": [{"name": "Wuhou Community Foundation", "foundation_id": None}],
        }
        assert body["purpose"] == "masks"  # not sent, kept
        assert body["version"] == 2
        assert response.headers["etag"].startswith('"2-')
        again = await read_campaign(client, campaign["id"])
        assert again.json() == body
        assert again.headers["etag"] == response.headers["etag"]

    async def test_null_clears_the_host_and_the_end(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, host=HOST, ends_at="2030-01-01T00:00:00Z", status="draft"
        )
        response = await edit(client, campaign["id"], {"host": None, "ends_at": None})
        assert response.status_code == 200
        assert (response.json()["host"], response.json()["ends_at"]) == (None, None)

    @pytest.mark.parametrize(
        "host",
        [None, {**HOST, "filing_number": "53440300MJL0000000-2020-999"}, {**HOST, "name": "x"}],
    )
    async def test_the_host_of_an_open_campaign_is_fixed(
        self, client: httpx.AsyncClient, host: dict[str, str] | None
    ) -> None:
        # Donors gave under the host's filing, and their receipts name it.
        campaign = await create_campaign(client, host=HOST)
        response = await edit(client, campaign["id"], {"host": host})
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-host-fixed"
        again = (await read_campaign(client, campaign["id"])).json()
        assert (again["host"]["filing_number"], again["version"]) == (HOST["filing_number"], 1)

    async def test_sending_the_same_host_again_is_no_change(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, host=HOST)
        response = await edit(client, campaign["id"], {"host": HOST, "title": "t2"})
        assert response.status_code == 200, response.text

    async def test_the_version_number_alone_is_a_valid_if_match(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        response = await patch_campaign(client, campaign["id"], {"title": "x"}, if_match='"1"')
        assert response.status_code == 200
        assert response.json()["version"] == 2

    async def test_donations_since_the_read_do_not_fail_the_edit(
        self, client: httpx.AsyncClient
    ) -> None:
        # A busy campaign must stay editable: the figures are not what the editor changes.
        campaign = await create_campaign(client)
        etag = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await donate(client, campaign["id"], "10")).status_code == 201

        response = await patch_campaign(client, campaign["id"], {"title": "x"}, if_match=etag)
        assert response.status_code == 200
        assert response.json()["raised"]["amount"] == "10.00"

    async def test_without_if_match_is_428_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        response = await patch_campaign(client, campaign["id"], {"title": "x"}, if_match=None)
        assert response.status_code == 428
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:if-match-required"
        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["title"], read["version"]) == (campaign["title"], 1)

    @pytest.mark.parametrize("if_match", ["stale", '"7"', 'W/"1"', '"x-1"'])
    async def test_another_version_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient, if_match: str
    ) -> None:
        campaign = await create_campaign(client)
        stale = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await edit(client, campaign["id"], {"purpose": "first"})).status_code == 200
        header = stale if if_match == "stale" else if_match

        response = await patch_campaign(client, campaign["id"], {"title": "x"}, if_match=header)

        assert response.status_code == 412
        assert response.json()["type"] == "urn:fnet:problem:campaign-changed"
        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["title"], read["purpose"], read["version"]) == (campaign["title"], "first", 2)

    @pytest.mark.parametrize(
        ("if_match", "suggested"),
        [("1", '"1"'), (" 1 ", '"1"'), ("1-abc", '"1-abc"'), ('"1', '"3"')],
    )
    async def test_an_unquoted_tag_is_400_saying_tags_are_quoted(
        self, client: httpx.AsyncClient, if_match: str, suggested: str
    ) -> None:
        # RFC 9110: entity tags are quoted. Version 1 is current, so a 412 claiming a
        # mismatch would be wrong; the answer says what to send instead.
        campaign = await create_campaign(client)

        response = await patch_campaign(client, campaign["id"], {"title": "x"}, if_match=if_match)

        assert response.status_code == 400
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:malformed-if-match"
        assert "quoted" in problem["detail"]
        assert f"If-Match: {suggested}" in problem["detail"]
        assert "version" not in problem["detail"]
        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["title"], read["version"]) == (campaign["title"], 1)
        quoted = await patch_campaign(client, campaign["id"], {"title": "x"}, if_match='"1"')
        assert quoted.status_code == 200

    async def test_goal_changes_while_draft(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        goal = {"amount": "30000.00", "currency": "HKD"}
        response = await edit(client, campaign["id"], {"goal": goal})
        assert response.status_code == 200
        assert response.json()["goal"] == goal
        assert response.json()["raised"] == {"amount": "0.00", "currency": "HKD"}

    @pytest.mark.parametrize("states", [(), ("closed",)])
    async def test_goal_change_once_opened_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient, states: tuple[str, ...]
    ) -> None:
        campaign = await create_campaign(client, goal="20000.00")
        await move_to(client, campaign["id"], *states)

        response = await edit(
            client,
            campaign["id"],
            {"title": "x", "goal": {"amount": "30000.00", "currency": "CNY"}},
        )

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-goal-fixed"
        read = (await read_campaign(client, campaign["id"])).json()
        assert read["goal"]["amount"] == "20000.00"
        assert read["title"] == campaign["title"]

    async def test_resending_the_same_goal_once_open_is_no_change(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, goal="20000")
        response = await edit(
            client, campaign["id"], {"goal": {"amount": "20000.00", "currency": "CNY"}}
        )
        assert response.status_code == 200
        assert response.json()["version"] == 1  # nothing changed, nothing to bump

    async def test_a_settled_campaign_is_409(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await move_to(client, campaign["id"], "closed", "settled")
        response = await edit(client, campaign["id"], {"title": "x"})
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-settled"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"ends_at": "2000-01-01T00:00:00Z"}, "ends_at"),
            ({"starts_at": "2040-01-01T00:00:00Z"}, "ends_at"),
            ({"title": None}, "title"),
            ({"title": ""}, "title"),
            ({"purpose": None}, "purpose"),
            ({"goal": None}, "goal"),
            ({"starts_at": None}, "starts_at"),
            ({"co_organisers": None}, "co_organisers"),
            ({"co_organisers": [{"name": "A"}, {"name": "a"}]}, "co_organisers"),
            ({"host": {"name": "h"}}, "host.filing_number"),
            ({"status": "closed"}, "status"),
            ({"follows_id": str(uuid.uuid4())}, "follows_id"),
            ({}, "body"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field_and_changes_nothing(
        self, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        campaign = await create_campaign(client, ends_at="2030-01-01T00:00:00Z")
        response = await edit(client, campaign["id"], body)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
        read = (await read_campaign(client, campaign["id"])).json()
        assert read["version"] == 1
        assert read["ends_at"] == "2030-01-01T00:00:00Z"

    async def test_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await patch_campaign(other, campaign["id"], {"title": "x"}, if_match='"1"')
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-found"
        assert (await read_campaign(client, campaign["id"])).json()["title"] == campaign["title"]

    async def test_needs_the_write_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await create_campaign(client)
        reader = principal(foundation.organisation_id, scopes=frozenset({"campaigns:read"}))
        async with client_for(app, reader) as read_only:
            response = await patch_campaign(
                read_only, campaign["id"], {"title": "x"}, if_match='"1"'
            )
        assert response.status_code == 403


class TestTransitionCampaign:
    async def test_draft_opens_closes_and_settles_recording_when(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, status="draft")

        opened = await move_to(client, campaign["id"], "open")
        closed = await move_to(client, campaign["id"], "closed")
        settled = await move_to(client, campaign["id"], "settled")

        assert (opened["status"], opened["version"]) == ("open", 2)
        assert opened["opened_at"] is not None
        assert opened["closed_at"] is None
        assert (closed["status"], closed["version"]) == ("closed", 3)
        assert closed["closed_at"] >= opened["opened_at"]
        assert (settled["status"], settled["version"]) == ("settled", 4)
        assert settled["settled_at"] >= closed["closed_at"]
        assert settled["opened_at"] == opened["opened_at"]
        assert (await read_campaign(client, campaign["id"])).json() == settled

    async def test_answers_the_new_etag(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await transition(client, campaign["id"], "closed")
        assert (
            response.headers["etag"]
            == (await read_campaign(client, campaign["id"])).headers["etag"]
        )

    @pytest.mark.parametrize(
        ("states", "to"),
        [
            ((), "draft"),
            ((), "open"),
            ((), "settled"),
            (("closed",), "open"),
            (("closed",), "closed"),
            (("closed",), "draft"),
            (("closed", "settled"), "open"),
            (("closed", "settled"), "closed"),
            (("closed", "settled"), "settled"),
        ],
    )
    async def test_other_moves_are_409_naming_both_states_and_change_nothing(
        self, client: httpx.AsyncClient, states: tuple[str, ...], to: str
    ) -> None:
        campaign = await create_campaign(client)
        before = await move_to(client, campaign["id"], *states) if states else campaign
        current = states[-1] if states else "open"

        response = await transition(client, campaign["id"], to)

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:transition-not-allowed"
        assert f"is {current}; it cannot become {to}" in response.json()["detail"]
        after = (await read_campaign(client, campaign["id"])).json()
        assert (after["status"], after["version"]) == (before["status"], before["version"])

    @pytest.mark.parametrize("to", ["closed", "settled"])
    async def test_a_draft_must_open_first(self, client: httpx.AsyncClient, to: str) -> None:
        campaign = await create_campaign(client, status="draft")
        response = await transition(client, campaign["id"], to)
        assert response.status_code == 409
        assert "is draft; it cannot become" in response.json()["detail"]
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "draft"

    async def test_settling_while_holding_money_is_409_naming_it(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        assert (await donate(client, campaign["id"], "100")).status_code == 201
        assert (await donate(client, campaign["id"], "5.5", currency="HKD")).status_code == 201
        await move_to(client, campaign["id"], "closed")

        response = await transition(client, campaign["id"], "settled")

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-holds-money"
        assert "still holds 100.00 CNY, 5.50 HKD" in response.json()["detail"]
        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["status"], read["settled_at"]) == ("closed", None)

    async def test_settling_while_holding_goods_is_409_naming_them(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        # Donated goods without a fair value: nothing in the ledger, still in stock.
        for item, unit, quantity in [("sprays", "bottle", 20), ("masks", "piece", 300)]:
            response = await receive_in_kind(
                client, campaign["id"], item=item, unit=unit, quantity=quantity
            )
            assert response.status_code == 201, response.text
        given = await distribute(client, campaign["id"], [give_line("masks", "piece", 299)])
        assert given.status_code == 201, given.text
        before = await move_to(client, campaign["id"], "closed")

        response = await transition(client, campaign["id"], "settled")

        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:campaign-holds-goods"
        assert "still holds goods: masks 1 piece, sprays 20 bottle;" in problem["detail"]
        assert "distribute them first" in problem["detail"]
        after = (await read_campaign(client, campaign["id"])).json()
        assert after == before

    async def test_goods_given_out_let_it_settle(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await receive_in_kind(client, campaign["id"], item="masks", unit="piece", quantity=300)
        await receive_in_kind(
            client,
            campaign["id"],
            item="sprays",
            unit="bottle",
            quantity=20,
            fair_value={"amount": "200.00", "currency": "CNY"},
        )
        await move_to(client, campaign["id"], "closed")
        lines = [give_line("masks", "piece", 300), give_line("sprays", "bottle", 20)]
        assert (await distribute(client, campaign["id"], lines)).status_code == 201

        response = await transition(client, campaign["id"], "settled")

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "settled"

    async def test_money_is_named_before_goods(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10")
        await receive_in_kind(client, campaign["id"], quantity=1)
        await move_to(client, campaign["id"], "closed")

        response = await transition(client, campaign["id"], "settled")

        assert response.json()["type"] == "urn:fnet:problem:campaign-holds-money"

    async def test_many_items_left_are_listed_then_counted(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        for i in range(23):
            response = await receive_in_kind(client, campaign["id"], item=f"item {i:02d}")
            assert response.status_code == 201, response.text
        await move_to(client, campaign["id"], "closed")

        detail = (await transition(client, campaign["id"], "settled")).json()["detail"]

        assert "item 00 100 piece" in detail
        assert "item 19 100 piece and 3 more items;" in detail
        assert "item 20" not in detail

    async def test_another_campaigns_goods_do_not_count(self, client: httpx.AsyncClient) -> None:
        stocked = await create_campaign(client)
        await receive_in_kind(client, stocked["id"], quantity=5)
        empty = await create_campaign(client, title="phase 2")
        await move_to(client, empty["id"], "closed")

        response = await transition(client, empty["id"], "settled")

        assert response.status_code == 200, response.text

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"to": "shut"}, "to"),
            ({"to": None}, "to"),
            ({"to": 3}, "to"),
            ({}, "to"),
            ({"to": "open", "at": "now"}, "at"),
        ],
    )
    async def test_bad_body_is_422_naming_the_field(
        self, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        campaign = await create_campaign(client, status="draft")
        response = await client.post(f"/api/v1/campaigns/{campaign['id']}/transitions", json=body)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "draft"

    async def test_if_match_is_optional_but_checked(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        stale = (await read_campaign(client, campaign["id"])).headers["etag"]
        assert (await edit(client, campaign["id"], {"title": "x"})).status_code == 200

        refused = await transition(client, campaign["id"], "open", if_match=stale)
        current = (await read_campaign(client, campaign["id"])).headers["etag"]
        accepted = await transition(client, campaign["id"], "open", if_match=current)

        assert refused.status_code == 412
        assert accepted.status_code == 200

    async def test_a_retry_with_the_same_key_answers_as_the_first(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        first = await transition(client, campaign["id"], "closed", key="close-1")
        again = await transition(client, campaign["id"], "closed", key="close-1")

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]

    async def test_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await transition(other, campaign["id"], "closed")
        assert response.status_code == 404
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "open"

    async def test_needs_the_write_scope(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await create_campaign(client)
        reader = principal(foundation.organisation_id, scopes=frozenset({"campaigns:read"}))
        async with client_for(app, reader) as read_only:
            response = await transition(read_only, campaign["id"], "closed")
        assert response.status_code == 403
        assert (await read_campaign(client, campaign["id"])).json()["status"] == "open"

    async def test_close_waits_for_donations_in_flight_and_none_come_after(
        self, committing_app: FastAPI
    ) -> None:
        # The close's answer is read under its lock: every donation that got in is in its
        # figures, and every one that did not was refused.
        async with client_for(committing_app, principal()) as client:
            campaign = await create_campaign(client)
            donations = [donate(client, campaign["id"], "1.00") for _ in range(30)]
            results = await asyncio.gather(
                *donations[:15], transition(client, campaign["id"], "closed"), *donations[15:]
            )
            final = (await read_campaign(client, campaign["id"])).json()
        close = results[15]
        accepted = [r for r in results if r is not close and r.status_code == 201]
        refused = [r for r in results if r is not close and r.status_code != 201]

        assert close.status_code == 200
        assert {r.status_code for r in refused} <= {409}
        assert all(r.json()["type"] == "urn:fnet:problem:campaign-closed" for r in refused)
        assert close.json()["donation_count"] == len(accepted) == final["donation_count"]
        assert close.json()["raised"] == final["raised"]

    async def test_close_under_a_steady_stream_of_donations_answers_at_once(
        self, committing_app: FastAPI, backend: str
    ) -> None:
        """16 clients donate without pause; a close waits only for the donations already in
        flight (PostgreSQL queues the campaign's locks fairly), so it answers at once, and
        nothing is recorded or accepted after it. SQLite serialises writers: nothing to
        starve there, so this runs on PostgreSQL (which CI always gives)."""
        if backend != "postgresql":
            pytest.skip("lock fairness is PostgreSQL's; SQLite runs one writer at a time")
        who = principal()
        async with client_for(committing_app, who) as client:
            campaign = await create_campaign(client)
            closed = asyncio.Event()
            close_answered_at: list[float] = []
            late: list[httpx.Response] = []

            async def donate_without_pause() -> None:
                while not closed.is_set():
                    asked_at = time.monotonic()
                    response = await donate(client, campaign["id"], "1.00")
                    if (
                        response.status_code == 201
                        and close_answered_at
                        and (asked_at > close_answered_at[0])
                    ):
                        late.append(response)
                    if response.status_code == 409:
                        return
                    assert response.status_code == 201, response.text

            donors = [asyncio.create_task(donate_without_pause()) for _ in range(16)]
            await asyncio.sleep(3)
            started = time.monotonic()
            close = await transition(client, campaign["id"], "closed")
            close_answered_at.append(time.monotonic())
            took = close_answered_at[0] - started
            # A few more donations after the answer: each must be refused.
            await asyncio.sleep(0.3)
            closed.set()
            await asyncio.gather(*donors)
            listed = await all_donations(client, campaign["id"])
            final = (await read_campaign(client, campaign["id"])).json()

        assert close.status_code == 200, close.text
        assert took < 1.0, f"the close took {took:.2f} s"
        closed_at = dt.datetime.fromisoformat(close.json()["closed_at"])
        assert final["donation_count"] > 16
        assert close.json()["donation_count"] == final["donation_count"] == len(listed)
        assert late == []
        for field in ("created_at", "donated_at"):
            after = [d for d in listed if dt.datetime.fromisoformat(d[field]) > closed_at]
            assert after == [], field


async def all_donations(client: httpx.AsyncClient, campaign_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(f"/api/v1/campaigns/{campaign_id}/donations", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


class TestDonationsByCampaignState:
    @pytest.mark.parametrize(
        ("status", "states"),
        [("draft", ()), ("open", ("closed",)), ("open", ("closed", "settled"))],
    )
    async def test_donation_outside_open_is_409_and_stores_nothing(
        self, client: httpx.AsyncClient, status: str, states: tuple[str, ...]
    ) -> None:
        campaign = await create_campaign(client, status=status)
        await move_to(client, campaign["id"], *states)
        current = states[-1] if states else status

        response = await donate(client, campaign["id"], "10", key=f"to-{current}")

        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-closed"
        assert f"is {current}" in response.json()["detail"]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")
        assert listing.json()["items"] == []
        read = (await read_campaign(client, campaign["id"])).json()
        assert (read["donation_count"], read["held"]) == (0, [])

    async def test_an_opened_draft_takes_donations(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        await move_to(client, campaign["id"], "open")
        assert (await donate(client, campaign["id"], "10")).status_code == 201


class TestGatewayToken:
    async def test_request_without_token_is_401(self, app: FastAPI) -> None:
        async with client_for(app, None) as client:
            response = await client.get("/api/v1/campaigns")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_token_signed_with_another_secret_is_401(self, app: FastAPI) -> None:
        forged = TokenSigner("another-secret-" + "x" * 40).sign(principal())
        async with client_for(app, None) as client:
            response = await client.get("/api/v1/campaigns", headers={"x-fnet-identity": forged})
        assert response.status_code == 401

    async def test_health_and_metrics_need_no_token(self, app: FastAPI) -> None:
        async with client_for(app, None) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            metrics = await client.get("/metrics")
        assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
        assert "fnet_http_requests_total" in metrics.text


class TestPaths:
    @pytest.mark.parametrize("method", ["GET", "POST"])
    async def test_trailing_slash_is_a_404_problem_not_a_redirect(
        self, client: httpx.AsyncClient, method: str
    ) -> None:
        # A redirect would send the client to the service's own address, past the gateway.
        body = {"title": "t", "goal": {"amount": "1", "currency": "CNY"}}
        response = await client.request(method, "/api/v1/campaigns/", json=body)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "location" not in response.headers
        assert (await client.get("/api/v1/campaigns")).json()["items"] == []

    async def test_trailing_slash_after_an_id_is_a_404_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        response = await client.get(f"/api/v1/campaigns/{campaign['id']}/")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
    async def test_other_method_is_405_allowing_every_method_of_the_path(
        self, client: httpx.AsyncClient, method: str
    ) -> None:
        campaign = await create_campaign(client)
        for path, allowed in [
            ("/api/v1/campaigns", "GET, HEAD, POST"),
            (f"/api/v1/campaigns/{campaign['id']}", "GET, HEAD, PATCH"),
            (f"/api/v1/campaigns/{campaign['id']}/transitions", "POST"),
            (f"/api/v1/campaigns/{campaign['id']}/donations", "GET, HEAD, POST"),
        ]:
            if method in allowed:
                continue
            response = await client.request(method, path)
            assert response.status_code == 405, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["allow"] == allowed, path
            problem = response.json()
            assert problem["detail"] == f"{method} is not allowed on {path}; it allows {allowed}"
