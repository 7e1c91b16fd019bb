"""``GET /api/v1/mobile/home``: the home screen in one call, from the real donations,
partners and network services on loopback ports; a service that is stopped, hangs or
fails leaves its part out and is named in ``degraded``, within the part's timeout."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.identity import is_own_path
from gateway.mobile.service import progress_percent
from gateway.people.roles import Role
from kit.db import Database
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import Member, new_key, new_person
from tests.gateway.servers import free_port, serving
from tests.gateway.test_auth import assert_unauthorized
from tests.gateway.test_people import bearer, signed_in

HOME = "/api/v1/mobile/home"
TODAY = dt.datetime.now(dt.UTC).date()


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def services(
    make_gateway: GatewayFactory, partners_url: str, network_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway in front of all three real services."""
    async with make_gateway(partners_url=partners_url, network_url=network_url) as client:
        yield client


async def headers_of(gateway: httpx.AsyncClient, member: Member) -> dict[str, str]:
    return bearer((await signed_in(gateway, member))["access_token"])


class Foundation:
    """What a foundation's admin (its treasurer) set up in each service, through the
    gateway."""

    def __init__(self, gateway: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.gateway = gateway
        self.headers = headers

    async def post(self, path: str, body: dict[str, Any], **extra: str) -> dict[str, Any]:
        headers = {**self.headers, "Idempotency-Key": str(uuid.uuid4()), **extra}
        return ok(await self.gateway.post(path, json=body, headers=headers), 201)

    async def campaign(self, title: str, **fields: Any) -> dict[str, Any]:
        body = {"title": title, "goal": {"amount": "1000.00", "currency": "CNY"}, **fields}
        return await self.post("/api/v1/campaigns", body)

    async def partner(self, name: str) -> str:
        made = await self.post("/api/v1/partners", {"name": name, "kind": "social_organisation"})
        return str(made["id"])

    async def collaboration(self, title: str, partner_id: str) -> dict[str, Any]:
        made = await self.post(
            "/api/v1/collaborations",
            {
                "title": title,
                "area": "亲子教育 parent education",
                "starts_on": str(TODAY - dt.timedelta(days=10)),
                "ends_on": str(TODAY + dt.timedelta(days=60)),
                "partner_ids": [partner_id],
            },
        )
        url = f"/api/v1/collaborations/{made['id']}"
        etag = (await self.gateway.get(url, headers=self.headers)).headers["etag"]
        started = await self.gateway.post(
            f"{url}/status", json={"status": "active"}, headers={**self.headers, "If-Match": etag}
        )
        return ok(started)

    async def milestone(self, collaboration_id: str, title: str, days: int) -> dict[str, Any]:
        return await self.post(
            f"/api/v1/collaborations/{collaboration_id}/milestones",
            {"title": title, "due_on": str(TODAY + dt.timedelta(days=days))},
        )


@pytest.fixture
async def treasurer(gateway_database: Database) -> Member:
    return await new_person(gateway_database, role=Role.ADMIN)


class TestHome:
    async def test_a_treasurer_gets_every_part_in_one_call(
        self, services: httpx.AsyncClient, treasurer: Member
    ) -> None:
        headers = await headers_of(services, treasurer)
        shekou = Foundation(services, headers)
        # Opened half a year ago and running another: its quarterly disclosures are due.
        supplies = await shekou.campaign(
            "抗疫物资 Epidemic supplies",
            starts_at=(dt.datetime.now(dt.UTC) - dt.timedelta(days=200)).isoformat(),
            ends_at=(dt.datetime.now(dt.UTC) + dt.timedelta(days=200)).isoformat(),
        )
        await shekou.post(
            f"/api/v1/campaigns/{supplies['id']}/donations",
            {"amount": {"amount": "250.00", "currency": "CNY"}},
        )
        await shekou.campaign("草稿 A draft", status="draft")
        radio = await shekou.partner("妈妈幸福学习园")
        collaboration = await shekou.collaboration("线上社区电台 Online radio", radio)
        overdue = await shekou.milestone(collaboration["id"], "Studio booked", -2)
        soon = await shekou.milestone(collaboration["id"], "Ten programmes on air", 7)
        await shekou.milestone(collaboration["id"], "Final report", 50)  # not due yet
        done = await shekou.milestone(collaboration["id"], "Volunteers trained", 3)
        completed = await services.post(
            f"/api/v1/collaborations/{collaboration['id']}/milestones/{done['id']}/completion",
            json={},
            headers=headers,
        )
        ok(completed)
        guide = await shekou.post(
            "/api/v1/shared-resources",
            {"kind": "guide", "title": "蛇口买菜攻略", "language": "zh-CN", "visibility": "public"},
        )

        response = await services.get(HOME, headers=headers)
        home = ok(response)

        assert home["degraded"] == []
        assert response.headers["cache-control"] == "no-store"
        assert [c["id"] for c in home["campaigns"]] == [supplies["id"]]  # the draft is not open
        campaign = home["campaigns"][0]
        assert campaign["raised"] == {"amount": "250.00", "currency": "CNY"}
        assert campaign["goal"] == {"amount": "1000.00", "currency": "CNY"}
        assert campaign["progress_percent"] == 25
        assert campaign["donation_count"] == 1
        # What is due is the calendar the donations service keeps, as the treasurer reads it.
        calendar = ok(await services.get("/api/v1/disclosures", headers=headers))
        assert home["due"]["disclosures"] == calendar["items"]
        assert {d["campaign_id"] for d in home["due"]["disclosures"]} == {supplies["id"]}
        assert [(m["id"], m["overdue"]) for m in home["due"]["milestones"]] == [
            (overdue["id"], True),
            (soon["id"], False),
        ]
        assert home["due"]["milestones"][0]["collaboration_title"] == "线上社区电台 Online radio"
        assert [c["id"] for c in home["collaborations"]] == [collaboration["id"]]
        assert home["collaborations"][0]["milestones_completed"] == 1
        assert home["shared_resources"][0]["id"] == guide["id"]
        assert home["shared_resources"][0]["title"] == "蛇口买菜攻略"

    async def test_without_credentials_is_401(self, services: httpx.AsyncClient) -> None:
        assert_unauthorized(await services.get(HOME))
        assert_unauthorized(await services.get(HOME, headers=bearer("eyJ.not.a-token")))

    async def test_a_partner_s_person_sees_only_their_partner_s_collaborations(
        self, services: httpx.AsyncClient, treasurer: Member, gateway_database: Database
    ) -> None:
        shekou = Foundation(services, await headers_of(services, treasurer))
        radio = await shekou.partner("妈妈幸福学习园")
        garden = await shekou.partner("踏实玩乐")
        theirs = await shekou.collaboration("线上社区电台 Online radio", radio)
        others = await shekou.collaboration("社区花园 Community garden", garden)
        due = await shekou.milestone(theirs["id"], "Ten programmes on air", 5)
        await shekou.milestone(others["id"], "Beds planted", 5)
        await shekou.campaign("抗疫物资 Epidemic supplies")
        member = await new_person(
            gateway_database,
            organisation_id=treasurer.organisation_id,
            role=Role.PARTNER,
            partner_id=uuid.UUID(radio),
        )

        home = ok(await services.get(HOME, headers=await headers_of(services, member)))

        assert [c["id"] for c in home["collaborations"]] == [theirs["id"]]
        assert [m["id"] for m in home["due"]["milestones"]] == [due["id"]]
        # A partner holds no campaigns:read or network:read: those parts are not theirs,
        # which is not a failure.
        assert home["campaigns"] is None
        assert home["due"]["disclosures"] is None
        assert home["shared_resources"] is None
        assert home["degraded"] == []

    async def test_an_api_key_is_taken_and_its_scopes_choose_the_parts(
        self, services: httpx.AsyncClient, gateway_database: Database
    ) -> None:
        key = await new_key(gateway_database, scopes=frozenset({"network:read"}))
        home = ok(await services.get(HOME, headers=key.headers))
        assert home["campaigns"] is None
        assert home["collaborations"] is None
        assert home["due"] == {"disclosures": None, "milestones": None}
        assert isinstance(home["shared_resources"], list)
        assert home["degraded"] == []


class Hanging:
    """A stand-in network service that never answers until the test ends, or answers 500."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.asked = asyncio.Event()

    def app(self, *, fail: bool) -> Starlette:
        async def answer(request: Request) -> Response:
            self.asked.set()
            if fail:
                return JSONResponse({"detail": "Traceback: secrets"}, status_code=500)
            await self.released.wait()
            return JSONResponse({"items": [], "next_cursor": None})

        return Starlette(routes=[Route("/{path:path}", answer)])


class TestDegraded:
    async def test_a_stopped_network_service_is_named_and_the_rest_comes_back(
        self, make_gateway: GatewayFactory, partners_url: str, treasurer: Member
    ) -> None:
        closed = f"http://127.0.0.1:{free_port()}"
        async with make_gateway(partners_url=partners_url, network_url=closed) as gateway:
            shekou = Foundation(gateway, await headers_of(gateway, treasurer))
            campaign = await shekou.campaign("抗疫物资 Epidemic supplies")
            radio = await shekou.partner("妈妈幸福学习园")
            collaboration = await shekou.collaboration("线上社区电台 Online radio", radio)

            start = time.monotonic()
            home = ok(await gateway.get(HOME, headers=shekou.headers))
            elapsed = time.monotonic() - start

        assert home["degraded"] == ["network"]
        assert home["shared_resources"] is None
        assert [c["id"] for c in home["campaigns"]] == [campaign["id"]]
        assert [c["id"] for c in home["collaborations"]] == [collaboration["id"]]
        assert home["due"]["milestones"] == []
        assert elapsed < 3.0  # the part's timeout (the default, 3 s)

    @pytest.mark.parametrize("fail", [False, True], ids=["hangs", "answers-500"])
    async def test_a_hanging_or_failing_network_service_is_degraded_within_its_timeout(
        self, make_gateway: GatewayFactory, partners_url: str, treasurer: Member, fail: bool
    ) -> None:
        stand_in = Hanging()
        async with serving(stand_in.app(fail=fail)) as hanging_url:
            try:
                async with make_gateway(
                    partners_url=partners_url,
                    network_url=hanging_url,
                    mobile_part_timeout_seconds=0.5,
                ) as gateway:
                    headers = await headers_of(gateway, treasurer)
                    start = time.monotonic()
                    response = await gateway.get(HOME, headers=headers)
                    elapsed = time.monotonic() - start
            finally:
                stand_in.released.set()

        home = ok(response)
        assert stand_in.asked.is_set()
        assert home["degraded"] == ["network"]
        assert home["shared_resources"] is None
        assert home["campaigns"] == []  # the donations service answered: none open
        assert "Traceback" not in response.text
        assert elapsed < 2.0
        if not fail:
            assert elapsed >= 0.5

    async def test_every_service_down_is_still_200(
        self, make_gateway: GatewayFactory, treasurer: Member
    ) -> None:
        # The partners service is nowhere by default; the others are closed ports too.
        async with make_gateway(
            donations_url=f"http://127.0.0.1:{free_port()}",
            network_url=f"http://127.0.0.1:{free_port()}",
        ) as gateway:
            home = ok(await gateway.get(HOME, headers=await headers_of(gateway, treasurer)))
        assert home["degraded"] == ["donations", "partners", "network"]
        assert home["campaigns"] is None
        assert home["due"] == {"disclosures": None, "milestones": None}


class TestDocument:
    async def test_is_in_the_merged_document_with_its_answer(
        self, services: httpx.AsyncClient
    ) -> None:
        document = ok(await services.get("/openapi.json"))
        operation = document["paths"][HOME]["get"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/MobileHome"}
        home = document["components"]["schemas"]["MobileHome"]
        assert set(home["required"]) == {
            "campaigns",
            "due",
            "collaborations",
            "shared_resources",
            "degraded",
        }
        assert home["examples"][0]["degraded"] == ["network"]
        assert {"401", "429", "503"} <= set(operation["responses"])
        assert {"PersonToken": []} in operation["security"]


def test_the_gateway_answers_the_mobile_paths_itself() -> None:
    assert is_own_path(HOME)
    assert not is_own_path("/api/v1/mobilex")
    assert not is_own_path("/api/v1/campaigns")


@pytest.mark.parametrize(
    ("goal", "raised", "percent"),
    [("1000.00", "250.00", 25), ("3.00", "1.00", 33), ("100", "150.50", 150), ("0", "5", 0)],
)
def test_progress_is_rounded_down_in_exact_decimals(goal: str, raised: str, percent: int) -> None:
    assert progress_percent(goal, raised) == percent
