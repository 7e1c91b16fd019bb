from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import Principal
from tests.services.donations.factories import (
    create_campaign,
    donate,
    edit,
    move_to,
    patch_campaign,
    read_campaign,
)
from tests.services.donations.test_campaigns_create import HOST
from tests.support import client_for, principal


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
