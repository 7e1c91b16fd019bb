"""Public reads: a campaign's transparency report and its disclosures pass the gateway
without a key, and nothing else does."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from tests.gateway.conftest import AppFactory, GatewayFactory
from tests.gateway.factories import Key
from tests.gateway.upstreams import Recorder
from tests.support import running


async def campaign_with_a_donation(gateway: httpx.AsyncClient, key: Key) -> str:
    created = await gateway.post(
        "/api/v1/campaigns",
        headers=key.headers,
        json={"title": "蛇口 phase 1", "goal": {"amount": "20000", "currency": "CNY"}},
    )
    assert created.status_code == 201, created.text
    campaign_id: str = created.json()["id"]
    donated = await gateway.post(
        f"/api/v1/campaigns/{campaign_id}/donations",
        headers=key.headers,
        json={
            "amount": {"amount": "20670.18", "currency": "CNY"},
            "donor_name": "王小明",
            "donor_contact": "13800138000",
        },
    )
    assert donated.status_code == 201, donated.text
    await settled(gateway, campaign_id)
    return campaign_id


async def settled(gateway: httpx.AsyncClient, campaign_id: str) -> None:
    """Wait until the transparency log holds every entry the campaign's report counts:
    until then the report changes under a client that reads it twice (its ``log``)."""
    for _ in range(200):
        log = (await gateway.get(f"/api/v1/campaigns/{campaign_id}/report")).json()["log"]
        if log is not None and log["pending"] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the log never took in campaign {campaign_id}'s entries")


async def raw_get(app: FastAPI, raw_path: bytes) -> tuple[int, bytes]:
    """Send a request whose path no HTTP client would send as is (``..`` segments), the
    way a server hands it over: ``path`` percent-decoded, ``raw_path`` as received."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [(b"host", b"gateway.test")],
        "client": ("127.0.0.1", 50000),
        "server": ("gateway.test", 80),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays until the answer is complete
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


class TestWithoutKey:
    async def test_the_report_and_the_donation_list_need_no_key(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        report = await gateway.get(f"/api/v1/campaigns/{campaign_id}/report")
        assert report.status_code == 200, report.text
        assert report.json()["raised"][0]["net"] == {"amount": "20670.18", "currency": "CNY"}
        assert report.json()["donation_count"] == 1
        donations = await gateway.get(f"/api/v1/campaigns/{campaign_id}/report/donations")
        assert donations.status_code == 200
        assert [d["donor"] for d in donations.json()["items"]] == ["王**"]
        assert "13800138000" not in donations.text
        csv = await gateway.get(
            f"/api/v1/campaigns/{campaign_id}/report/donations", params={"format": "csv"}
        )
        assert csv.status_code == 200
        assert csv.content.startswith(b"\xef\xbb\xbf")

    async def test_a_foundations_campaigns_need_no_key_and_show_no_draft(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        draft = await gateway.post(
            "/api/v1/campaigns",
            headers=key.headers,
            json={"title": "草稿", "goal": {"amount": "1", "currency": "CNY"}, "status": "draft"},
        )
        assert draft.status_code == 201, draft.text
        path = f"/api/v1/foundations/{key.organisation_id}/campaigns"

        listing = await gateway.get(path, params={"limit": 10})

        assert listing.status_code == 200, listing.text
        [item] = listing.json()["items"]
        assert (item["id"], item["status"]) == (campaign_id, "open")
        assert item["raised"] == [{"amount": "20670.18", "currency": "CNY"}]
        assert (await gateway.get(item["report"])).status_code == 200
        head = await gateway.head(path)
        assert (head.status_code, head.content) == (200, b"")
        # What is not published still needs a key (the directory's profiles are public).
        assert (await gateway.get("/api/v1/networks")).status_code == 401
        writes = await gateway.post(path, json={"title": "x"})
        assert writes.status_code == 401

    async def test_published_disclosures_need_no_key(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        published = await gateway.post(
            f"/api/v1/campaigns/{campaign_id}/disclosures",
            headers={**key.headers, "Idempotency-Key": "d1"},
            json={"kind": "periodic"},
        )
        assert published.status_code == 201, published.text
        read = await gateway.get(published.headers["location"])
        assert read.status_code == 200
        assert read.json() == published.json()
        listing = await gateway.get(f"/api/v1/campaigns/{campaign_id}/disclosures")
        assert [d["id"] for d in listing.json()["items"]] == [published.json()["id"]]

    async def test_everything_else_still_needs_a_key(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        base = f"/api/v1/campaigns/{campaign_id}"
        for method, path in [
            ("GET", base),
            ("GET", "/api/v1/campaigns"),
            ("GET", f"{base}/donations"),
            ("GET", "/api/v1/disclosures"),
            ("POST", f"{base}/report"),
            ("POST", f"{base}/report/donations"),
            ("POST", f"{base}/disclosures"),
            ("HEAD", base),
            ("HEAD", "/api/v1/campaigns"),
            ("DELETE", f"/api/v1/disclosures/{uuid.uuid4()}"),
        ]:
            response = await gateway.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 401, (method, path, response.status_code)
            if method != "HEAD":
                assert response.json()["type"] == "urn:fnet:problem:api-key-required"

    async def test_head_of_a_public_read_needs_no_key_either(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        base = f"/api/v1/campaigns/{campaign_id}"
        for path in [f"{base}/report", f"{base}/report/donations", f"{base}/disclosures"]:
            get = await gateway.get(path)
            head = await gateway.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b""
            for name in ("content-length", "etag", "cache-control", "content-type"):
                assert head.headers.get(name) == get.headers.get(name), (path, name)
        tag = (await gateway.head(f"{base}/report")).headers["etag"]
        again = await gateway.head(f"{base}/report", headers={"If-None-Match": tag})
        assert again.status_code == 304
        assert again.content == b""

    async def test_head_with_a_key_goes_upstream_as_head(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        path = f"/api/v1/campaigns/{campaign_id}"
        get = await gateway.get(path, headers=key.headers)
        head = await gateway.head(path, headers=key.headers)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        assert int(head.headers["content-length"]) == len(get.content) > 0
        assert head.headers["etag"] == get.headers["etag"]
        again = await gateway.head(
            path, headers={**key.headers, "If-None-Match": get.headers["etag"]}
        )
        assert again.status_code == 304
        # The pooled upstream connection is still good after a body-less answer.
        assert (await gateway.get(path, headers=key.headers)).content == get.content
        refused = await gateway.head(f"{path}/transitions", headers=key.headers)
        assert refused.status_code == 405
        assert refused.headers["allow"] == "POST"

    async def test_post_and_delete_of_a_public_read_still_need_a_key(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        for method in ("POST", "DELETE"):
            response = await gateway.request(method, f"/api/v1/campaigns/{campaign_id}/report")
            assert response.status_code == 401, method

    async def test_etags_pass_both_ways(self, gateway: httpx.AsyncClient, key: Key) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        path = f"/api/v1/campaigns/{campaign_id}/report"
        first = await gateway.get(path)
        assert first.headers["cache-control"].startswith("public")
        again = await gateway.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""


class TestPathTricks:
    @pytest.mark.parametrize(
        "suffix",
        [
            "/report/",
            "/report/donations/",
            "/report//donations",
            "/report/donations/x",
            "/REPORT",
            "/report;x=1",
            "/report%3Bx=1",
            "%2Fdonations",
            "/donations%2F..%2Freport",
            "x/report",
        ],
    )
    async def test_lookalikes_of_public_paths_need_a_key(
        self, gateway: httpx.AsyncClient, key: Key, suffix: str
    ) -> None:
        campaign_id = await campaign_with_a_donation(gateway, key)
        response = await gateway.get(f"/api/v1/campaigns/{campaign_id}{suffix}")
        assert response.status_code in (401, 404), (suffix, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
        if response.status_code == 401:
            assert response.json()["type"] == "urn:fnet:problem:api-key-required"

    async def test_an_encoded_slash_reaches_only_the_path_it_spells(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        # Gateway and service both route on the decoded path: "%2Freport" is the report,
        # "%2Fdonations" the private list (above), never one for the other.
        campaign_id = await campaign_with_a_donation(gateway, key)
        response = await gateway.get(f"/api/v1/campaigns/{campaign_id}%2Freport")
        assert response.status_code == 200
        assert response.json()["campaign"]["id"] == campaign_id

    @pytest.mark.parametrize(
        "tail",
        [
            b"/report/../donations",
            b"/report/../../..",
            b"/report/%2E%2E/donations",
            b"/report%2F..%2Fdonations",
            b"/report/./donations",
            b"/report/donations/..",
        ],
    )
    async def test_dot_segments_open_nothing(
        self, gateway_app: AppFactory, key: Key, tail: bytes, recorder: Recorder
    ) -> None:
        async with running(gateway_app()) as app:
            campaign_id = uuid.uuid4()
            status, body = await raw_get(app, f"/api/v1/campaigns/{campaign_id}".encode() + tail)
        assert status == 404, body
        assert b"urn:fnet:problem:no-such-api" in body


class TestIdentity:
    async def test_no_identity_is_forwarded_and_a_key_is_not_looked_at(
        self, make_gateway: GatewayFactory, echo_url: str, key: Key, recorder: Recorder
    ) -> None:
        path = f"/api/v1/campaigns/{uuid.uuid4()}/report"
        async with make_gateway(donations_url=echo_url) as gateway:
            for headers in (
                {**key.headers, "X-Fnet-Identity": "forged"},
                {"X-API-Key": "fnet_not_a_real_key"},
                {"Authorization": "Bearer revoked-or-whatever"},
            ):
                response = await gateway.get(path, headers=headers)
                assert response.status_code == 200, response.text
                names = {name for name, _ in recorder.requests[-1]["headers"]}
                assert recorder.requests[-1]["path"] == path
                assert not names & {"x-fnet-identity", "x-api-key", "authorization"}

    async def test_a_private_path_still_gets_the_keys_identity(
        self, make_gateway: GatewayFactory, echo_url: str, key: Key, recorder: Recorder
    ) -> None:
        async with make_gateway(donations_url=echo_url) as gateway:
            response = await gateway.get(f"/api/v1/campaigns/{uuid.uuid4()}", headers=key.headers)
        assert response.status_code == 200
        assert "x-fnet-identity" in {name for name, _ in recorder.requests[-1]["headers"]}


class TestDocument:
    async def test_public_reads_are_documented_without_a_key(
        self, gateway: httpx.AsyncClient
    ) -> None:
        paths = (await gateway.get("/openapi.json")).json()["paths"]
        for path in (
            "/api/v1/campaigns/{campaign_id}/report",
            "/api/v1/campaigns/{campaign_id}/report/donations",
            "/api/v1/campaigns/{campaign_id}/disclosures",
            "/api/v1/disclosures/{disclosure_id}",
        ):
            assert paths[path]["get"]["security"] == [], path
            assert "401" not in paths[path]["get"]["responses"], path
        assert "401" in paths["/api/v1/campaigns/{campaign_id}/disclosures"]["post"]["responses"]
        assert paths["/api/v1/campaigns/{campaign_id}/disclosures"]["post"]["security"][0] == {
            "ApiKey": ["disclosures:write"]
        }
        assert "401" in paths["/api/v1/disclosures"]["get"]["responses"]
