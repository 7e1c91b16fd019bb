"""The running system, tried through the gateway as a partner foundation's system would."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from kit.db import Database, transaction
from services.donations.foundations.models import FoundationCopy
from tests.e2e.conftest import System, settled_report

# One worker runs every test of the e2e system, so that it starts once (see conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _campaign(client: httpx.Client, title: str = "Phase 1") -> dict[str, str]:
    response = client.post(
        "/api/v1/campaigns", json={"title": title, "goal": {"amount": "20000", "currency": "CNY"}}
    )
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


class TestCampaignLifecycleThroughTheGateway:
    def test_draft_edit_open_close_with_etags(self, system: System) -> None:
        host = {"name": "深圳市社会公益基金会", "filing_number": "F-2020-1", "platform": "Tencent"}
        with system.client("shekou") as shekou:
            created = shekou.post(
                "/api/v1/campaigns",
                json={
                    "title": "Phase 1",
                    "goal": {"amount": "20000", "currency": "CNY"},
                    "status": "draft",
                    "host": host,
                },
            )
            assert created.status_code == 201, created.text
            url = f"/api/v1/campaigns/{created.json()['id']}"
            etag = created.headers["etag"]
            unchanged = shekou.get(url, headers={"If-None-Match": etag})
            unguarded = shekou.patch(url, json={"title": "Phase one"})
            edited = shekou.patch(url, json={"title": "Phase one"}, headers={"If-Match": etag})
            stale = shekou.patch(url, json={"title": "Phase 1"}, headers={"If-Match": etag})
            opened = shekou.post(f"{url}/transitions", json={"to": "open"})
            donation = shekou.post(
                f"{url}/donations", json={"amount": {"amount": "10", "currency": "CNY"}}
            )
            closed = shekou.post(f"{url}/transitions", json={"to": "closed"})
            late = shekou.post(
                f"{url}/donations", json={"amount": {"amount": "10", "currency": "CNY"}}
            )
            settling = shekou.post(f"{url}/transitions", json={"to": "settled"})

        assert (unchanged.status_code, unchanged.content) == (304, b"")
        assert unchanged.headers["etag"] == etag
        assert unguarded.status_code == 428
        assert edited.status_code == 200
        assert edited.json()["host"] == host
        assert stale.status_code == 412
        assert opened.json()["status"] == "open"
        assert donation.status_code == 201
        assert closed.json()["donation_count"] == 1
        assert late.status_code == 409
        assert settling.status_code == 409
        assert "still holds 10.00 CNY" in settling.json()["detail"]


class TestDonationsThroughTheGateway:
    def test_campaign_donations_and_totals(self, system: System) -> None:
        with system.client("shekou") as shekou:
            campaign = _campaign(shekou)
            for amount in ("100.00", "66.66", "0.52"):
                response = shekou.post(
                    f"/api/v1/campaigns/{campaign['id']}/donations",
                    json={"amount": {"amount": amount, "currency": "CNY"}},
                )
                assert response.status_code == 201, response.text
            read = shekou.get(f"/api/v1/campaigns/{campaign['id']}").json()
            listing = shekou.get(f"/api/v1/campaigns/{campaign['id']}/donations").json()
        assert read["raised"] == {"amount": "167.18", "currency": "CNY"}
        assert read["donation_count"] == 3
        assert len(listing["items"]) == 3

    @pytest.mark.parametrize("amount", ["0", "-1", "1.001", "abc", "1e20", 5])
    def test_bad_amounts_are_422_naming_the_field(self, system: System, amount: object) -> None:
        with system.client("shekou") as shekou:
            campaign = _campaign(shekou)
            response = shekou.post(
                f"/api/v1/campaigns/{campaign['id']}/donations",
                json={"amount": {"amount": amount, "currency": "CNY"}},
            )
            read = shekou.get(f"/api/v1/campaigns/{campaign['id']}").json()
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"].startswith("amount")
        assert read["donation_count"] == 0

    def test_unknown_currency_is_422(self, system: System) -> None:
        with system.client("shekou") as shekou:
            campaign = _campaign(shekou)
            response = shekou.post(
                f"/api/v1/campaigns/{campaign['id']}/donations",
                json={"amount": {"amount": "1", "currency": "ZZZ"}},
            )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "amount.currency"

    def test_concurrent_retries_with_one_key_store_one_donation(self, system: System) -> None:
        with system.client("shekou") as shekou:
            campaign = _campaign(shekou)
            url = f"/api/v1/campaigns/{campaign['id']}/donations"
            body = {"amount": {"amount": "88.88", "currency": "CNY"}}
            key = {"Idempotency-Key": str(uuid.uuid4())}

            def post(_: int) -> httpx.Response:
                with system.client("shekou") as client:
                    return client.post(url, json=body, headers=key)

            with ThreadPoolExecutor(max_workers=50) as pool:
                responses = list(pool.map(post, range(50)))
            read = shekou.get(f"/api/v1/campaigns/{campaign['id']}").json()
            other_body = shekou.post(
                url, json={"amount": {"amount": "1", "currency": "CNY"}}, headers=key
            )
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert read["donation_count"] == 1
        assert other_body.status_code == 422


class TestAccess:
    def test_the_transparency_report_is_public(self, system: System) -> None:
        with system.client("shekou") as shekou:
            campaign = _campaign(shekou, "Public phase")
            donated = shekou.post(
                f"/api/v1/campaigns/{campaign['id']}/donations",
                json={"amount": {"amount": "165.00", "currency": "CNY"}, "donor_name": "王小明"},
            )
            assert donated.status_code == 201, donated.text
        with system.client(None) as anyone:
            report = settled_report(anyone, campaign["id"])
            donations = anyone.get(f"/api/v1/campaigns/{campaign['id']}/report/donations")
            private = anyone.get(f"/api/v1/campaigns/{campaign['id']}")
        assert report.status_code == 200, report.text
        assert report.json()["raised"][0]["net"] == {"amount": "165.00", "currency": "CNY"}
        assert [d["donor"] for d in donations.json()["items"]] == ["王**"]
        assert private.status_code == 401

    def test_no_key_is_401(self, system: System) -> None:
        with system.client(None) as anonymous:
            response = anonymous.get("/api/v1/campaigns")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    def test_wrong_key_is_401(self, system: System) -> None:
        with httpx.Client(base_url=system.gateway, headers={"X-API-Key": "fnet_nope_nope"}) as c:
            assert c.get("/api/v1/campaigns").status_code == 401

    def test_another_foundations_campaign_is_404(self, system: System) -> None:
        with system.client("shekou") as shekou, system.client("wuhou") as wuhou:
            campaign = _campaign(shekou)
            response = wuhou.get(f"/api/v1/campaigns/{campaign['id']}")
            donation = wuhou.post(
                f"/api/v1/campaigns/{campaign['id']}/donations",
                json={"amount": {"amount": "1", "currency": "CNY"}},
            )
        assert response.status_code == 404
        assert donation.status_code == 404

    def test_service_called_directly_without_gateway_token_is_401(self, system: System) -> None:
        paths = {"donations": "campaigns", "partners": "partners", "network": "networks"}
        for name, path in paths.items():
            response = httpx.get(
                f"{system.apps[name].url}/api/v1/{path}",
                headers={"X-API-Key": system.keys["shekou"]},
            )
            assert response.status_code == 401, name

    def test_merged_openapi_lists_every_service(self, system: System) -> None:
        document = httpx.get(f"{system.gateway}/openapi.json").json()
        for path in (
            "/api/v1/campaigns",
            "/api/v1/campaigns/{campaign_id}/donations",
            "/api/v1/partners",
            "/api/v1/foundations",
        ):
            assert path in document["paths"], path

    def test_request_id_comes_back(self, system: System) -> None:
        with system.client("shekou") as shekou:
            response = shekou.get("/api/v1/campaigns", headers={"X-Request-ID": "e2e-trace-1"})
        assert response.headers["x-request-id"] == "e2e-trace-1"


class TestUpstreamDown:
    def test_503_while_donations_is_stopped_then_recovers(self, system: System) -> None:
        donations = system.apps["donations"]
        donations.stop()
        try:
            with system.client("shekou") as shekou:
                # The client's own timeout turns a hang into a failure.
                response = shekou.get("/api/v1/campaigns", timeout=10)
                partners = shekou.get("/api/v1/partners")
        finally:
            donations.start()
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "donations" in response.json()["detail"]
        assert partners.status_code == 200  # the other services are unaffected
        with system.client("shekou") as shekou:
            assert shekou.get("/api/v1/campaigns").status_code == 200


async def _donations_copy_name(url: str, foundation_id: str) -> str | None:
    database = Database.from_url(url, pool_size=1)
    try:
        async with transaction(database, write=False) as session:
            copy = await session.get(FoundationCopy, uuid.UUID(foundation_id))
            return copy.name if copy else None
    finally:
        await database.dispose()


class TestEventsBetweenServices:
    def test_a_foundation_renamed_through_the_gateway_reaches_the_donations_copy(
        self, system: System
    ) -> None:
        foundation_id = system.foundations["wuhou"]
        url = system.env["FNET_DONATIONS_DATABASE_URL"]
        with system.client("wuhou") as wuhou:  # a foundation may rename itself
            response = wuhou.patch(
                f"/api/v1/foundations/{foundation_id}", json={"name": "武侯社区公益基金会"}
            )
        assert response.status_code == 200, response.text

        deadline = time.monotonic() + 20
        name = None
        while time.monotonic() < deadline:
            name = asyncio.run(_donations_copy_name(url, foundation_id))
            if name == "武侯社区公益基金会":
                break
            time.sleep(0.1)
        assert name == "武侯社区公益基金会"
