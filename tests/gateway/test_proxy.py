"""Forwarding: headers, bodies, limits, and what happens when a service misbehaves."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import AppFactory, GatewayFactory
from tests.gateway.factories import Key
from tests.gateway.servers import free_port, serving
from tests.gateway.upstreams import PREFIX, Recorder, echo_app

ECHO = f"{PREFIX}/echo"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def received(recorder: Recorder, name: str) -> list[str]:
    return [v for k, v in recorder.requests[-1]["headers"] if k == name]


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:fnet:problem:{slug}"
    assert body["status"] == status
    return body


class TestRouting:
    async def test_path_and_query_are_forwarded_unchanged(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        response = await gateway.get(
            f"{PREFIX}/a%2Fb/%E8%9B%87%E5%8F%A3",
            params={"q": "蛇口 & co", "limit": "2"},
            headers=key.headers,
        )
        assert response.status_code == 200
        seen = recorder.requests[-1]
        assert seen["raw_path"] == f"{PREFIX}/a%2Fb/%E8%9B%87%E5%8F%A3"
        assert seen["query"] == "q=%E8%9B%87%E5%8F%A3+%26+co&limit=2"

    async def test_the_prefix_itself_is_routed(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        assert (await gateway.get(PREFIX, headers=key.headers)).status_code == 200
        assert recorder.requests[-1]["path"] == PREFIX

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/unknown",
            "/api/v1/foundationsx",
            "/api/v2/campaigns",
            f"{PREFIX}/../../metrics",
            f"{PREFIX}/%2e%2e/x",
        ],
    )
    async def test_unknown_api_path_is_404_problem(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder, path: str
    ) -> None:
        response = await gateway.get(path, headers=key.headers)
        assert_problem(response, 404, "no-such-api")
        assert recorder.requests == []

    async def test_methods_and_bodies_are_forwarded(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        response = await gateway.put(ECHO, headers=key.headers, content=b'{"a": 1}')
        assert response.status_code == 200
        assert recorder.requests[-1]["method"] == "PUT"
        assert recorder.requests[-1]["body"] == '{"a": 1}'
        assert received(recorder, "content-length") == ["8"]

    async def test_a_streamed_request_body_is_forwarded(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        async def parts() -> Any:
            for i in range(5):
                yield f"part {i};".encode()

        response = await gateway.post(ECHO, headers=key.headers, content=parts())
        assert response.status_code == 200
        assert recorder.requests[-1]["body"] == "".join(f"part {i};" for i in range(5))

    async def test_a_created_campaign_comes_back_with_its_location(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        created = await gateway.post(
            "/api/v1/campaigns",
            headers={**key.headers, "Idempotency-Key": "k1"},
            json={"title": "phase 1", "goal": {"amount": "20000", "currency": "CNY"}},
        )
        assert created.status_code == 201, created.text
        read = await gateway.get(created.headers["location"], headers=key.headers)
        assert read.json() == created.json()


class TestHeaders:
    async def test_request_id_and_trace_reach_the_service_and_come_back(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        response = await gateway.get(
            ECHO, headers={**key.headers, "X-Request-ID": "req-123", "traceparent": TRACEPARENT}
        )
        assert response.headers["x-request-id"] == "req-123"
        assert received(recorder, "x-request-id") == ["req-123"]
        [traceparent] = received(recorder, "traceparent")
        version, trace_id, span_id, _flags = traceparent.split("-")
        assert (version, trace_id) == ("00", TRACE_ID)
        assert span_id != "00f067aa0ba902b7"  # the gateway's own span

    async def test_a_request_id_is_made_when_none_is_sent(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        response = await gateway.get(ECHO, headers=key.headers)
        assert received(recorder, "x-request-id") == [response.headers["x-request-id"]]
        assert len(received(recorder, "traceparent")) == 1

    async def test_hop_by_hop_headers_are_dropped_both_ways(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        response = await gateway.get(
            ECHO,
            headers={
                **key.headers,
                "Connection": "keep-alive, X-Hop",
                "X-Hop": "1",
                "TE": "trailers",
                "Keep-Alive": "timeout=5",
                "Proxy-Authorization": "Basic eA==",
                "X-End-To-End": "kept",
            },
        )
        assert response.status_code == 200
        names = {k for k, _ in recorder.requests[-1]["headers"]}
        assert names.isdisjoint({"x-hop", "te", "keep-alive", "proxy-authorization"})
        assert received(recorder, "x-end-to-end") == ["kept"]
        assert response.headers["x-upstream"] == "echo"
        assert "keep-alive" not in response.headers

    async def test_forwarding_headers_name_the_client(
        self, gateway: httpx.AsyncClient, key: Key, recorder: Recorder
    ) -> None:
        await gateway.get(ECHO, headers={**key.headers, "X-Forwarded-For": "203.0.113.9"})
        assert received(recorder, "x-forwarded-for") == ["203.0.113.9, 127.0.0.1"]
        assert received(recorder, "x-forwarded-proto") == ["http"]
        assert received(recorder, "x-forwarded-host") == ["gateway.test"]


class TestRequestSize:
    async def test_declared_body_over_the_limit_is_413_and_not_forwarded(
        self, make_gateway: GatewayFactory, key: Key, recorder: Recorder
    ) -> None:
        async with make_gateway(max_request_bytes=1000) as gateway:
            response = await gateway.post(ECHO, headers=key.headers, content=b"x" * 1001)
            at_limit = await gateway.post(ECHO, headers=key.headers, content=b"x" * 1000)
        body = assert_problem(response, 413, "payload-too-large")
        assert "1000 bytes" in body["detail"]
        assert at_limit.status_code == 200
        assert len(recorder.requests) == 1

    async def test_streamed_body_over_the_limit_is_413(
        self, make_gateway: GatewayFactory, key: Key, recorder: Recorder
    ) -> None:
        async def parts() -> Any:
            for _ in range(20):
                yield b"x" * 100

        async with make_gateway(max_request_bytes=1000) as gateway:
            response = await gateway.post(ECHO, headers=key.headers, content=parts())
        assert_problem(response, 413, "payload-too-large")

    async def test_unauthenticated_large_body_is_401(self, make_gateway: GatewayFactory) -> None:
        async with make_gateway(max_request_bytes=10) as gateway:
            response = await gateway.post(ECHO, content=b"x" * 100)
        assert response.status_code == 401


CAMPAIGN = "01a2257d-aaa3-7772-a158-06398df16ff7"
IMPORT = f"/api/v1/campaigns/{CAMPAIGN}/donations/imports"


@pytest.fixture
def import_gateway(make_gateway: GatewayFactory, echo_url: str) -> GatewayFactory:
    """``make_gateway`` with the echoing stand-in in the donations service's place, so
    that the recorder sees what reaches it."""
    return functools.partial(make_gateway, donations_url=echo_url)


class TestImportLimits:
    """A CSV import may carry a larger body and take longer than any other request."""

    async def test_an_import_may_send_up_to_its_own_limit(
        self, import_gateway: GatewayFactory, key: Key, recorder: Recorder
    ) -> None:
        async with import_gateway(max_request_bytes=1000, max_import_bytes=5000) as gateway:
            at_limit = await gateway.post(IMPORT, headers=key.headers, content=b"x" * 5000)
            over = await gateway.post(IMPORT, headers=key.headers, content=b"x" * 5001)

        assert at_limit.status_code == 200, at_limit.text
        assert at_limit.json()["body"] == "x" * 5000
        assert at_limit.json()["path"] == IMPORT
        body = assert_problem(over, 413, "payload-too-large")
        assert "5000 bytes" in body["detail"]
        assert len(recorder.requests) == 1

    async def test_a_streamed_import_is_cut_at_its_own_limit(
        self, import_gateway: GatewayFactory, key: Key, recorder: Recorder
    ) -> None:
        def parts(count: int) -> Any:
            async def chunks() -> Any:
                for _ in range(count):
                    yield b"x" * 1000

            return chunks()

        async with import_gateway(max_request_bytes=1000, max_import_bytes=5000) as gateway:
            within = await gateway.post(IMPORT, headers=key.headers, content=parts(5))
            over = await gateway.post(IMPORT, headers=key.headers, content=parts(6))

        assert within.status_code == 200, within.text
        assert len(within.json()["body"]) == 5000
        assert_problem(over, 413, "payload-too-large")

    @pytest.mark.parametrize(
        "request_line",
        [
            f"POST /api/v1/campaigns/{CAMPAIGN}/donations",
            f"POST {IMPORT}/x",
            "POST /api/v1/campaigns/not-a-campaign/donations/imports",
            f"PUT {IMPORT}",
            f"POST {ECHO}",
        ],
    )
    async def test_every_other_request_keeps_the_default_limit(
        self, import_gateway: GatewayFactory, key: Key, recorder: Recorder, request_line: str
    ) -> None:
        method, path = request_line.split()
        async with import_gateway(max_request_bytes=1000, max_import_bytes=5000) as gateway:
            response = await gateway.request(method, path, headers=key.headers, content=b"x" * 1001)
        body = assert_problem(response, 413, "payload-too-large")
        assert "1000 bytes" in body["detail"]
        assert recorder.requests == []

    async def test_an_unauthenticated_import_is_401_before_its_body_is_read(
        self, import_gateway: GatewayFactory, recorder: Recorder
    ) -> None:
        async with import_gateway(max_import_bytes=10) as gateway:
            response = await gateway.post(IMPORT, content=b"x" * 100)
        assert response.status_code == 401
        assert recorder.requests == []

    async def test_an_import_waits_for_its_own_timeout(
        self, import_gateway: GatewayFactory, key: Key
    ) -> None:
        async with import_gateway(
            upstream_timeout_seconds=0.3, import_timeout_seconds=5
        ) as gateway:
            slow_import = await gateway.post(
                IMPORT, headers=key.headers, params={"delay": "0.8"}, content=b"csv"
            )
            slow_other = await gateway.post(
                f"/api/v1/campaigns/{CAMPAIGN}/donations",
                headers=key.headers,
                params={"delay": "0.8"},
                content=b"{}",
            )

        assert slow_import.status_code == 200, slow_import.text
        assert slow_import.json()["body"] == "csv"
        body = assert_problem(slow_other, 504, "gateway-timeout")
        assert "0.3 s" in body["detail"]

    async def test_an_import_slower_than_its_timeout_is_504(
        self, import_gateway: GatewayFactory, key: Key
    ) -> None:
        async with import_gateway(
            upstream_timeout_seconds=0.2, import_timeout_seconds=0.5
        ) as gateway:
            start = time.monotonic()
            response = await gateway.post(
                IMPORT, headers=key.headers, params={"delay": "1.5"}, content=b"csv"
            )
            elapsed = time.monotonic() - start
        body = assert_problem(response, 504, "gateway-timeout")
        assert "donations" in body["detail"]
        assert "0.5 s" in body["detail"]
        assert 0.5 <= elapsed < 1.4


class TestImportThroughTheGateway:
    async def test_a_days_export_over_a_mebibyte_is_imported(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        # A host platform's export with full donor details: over the gateway's 1 MiB
        # default for other requests, within the import's own limit.
        name = "深圳市南山区蛇口街道爱心居民互助小组" * 3
        rows = [
            f"TX{i:07d},{1 + i % 97}.{i % 100:02d},2020-01-28 09:{i % 60:02d}:00,"
            f"{name}{i},否,volunteer-{i:07d}@{'shekou-community-foundation.example.org' * 3},"
            f"user-{i:07d}"
            for i in range(3000)
        ]
        header = "transaction_id,amount,donated_at,donor_name,anonymous,donor_contact,donor_ref"
        body = "\n".join([header, *rows]).encode()
        assert 1_048_576 < len(body) < 5 * 1_048_576

        async with make_gateway() as gateway:
            created = await gateway.post(
                "/api/v1/campaigns",
                headers=key.headers,
                json={"title": "phase 1", "goal": {"amount": "20000", "currency": "CNY"}},
            )
            campaign_id = created.json()["id"]
            response = await gateway.post(
                f"/api/v1/campaigns/{campaign_id}/donations/imports",
                headers={**key.headers, "Content-Type": "text/csv"},
                content=body,
            )
            read = await gateway.get(f"/api/v1/campaigns/{campaign_id}", headers=key.headers)

        assert response.status_code == 201, response.text[:500]
        assert response.json()["imported"] == 3000
        assert read.json()["donation_count"] == 3000
        assert read.json()["unique_donors"] == 3000

    async def test_an_export_over_a_mebibyte_as_a_form_is_imported(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        # What a generated client sends: the file as a form's part, under the same limit.
        rows = [f"TX{i:07d},1.00,2020-01-28 09:00:00,{'李' * 100}{i}" for i in range(4000)]
        body = "\n".join(["transaction_id,amount,donated_at,donor_name", *rows]).encode()
        assert 1_048_576 < len(body) < 5 * 1_048_576

        async with make_gateway() as gateway:
            created = await gateway.post(
                "/api/v1/campaigns",
                headers=key.headers,
                json={"title": "phase 1", "goal": {"amount": "20000", "currency": "CNY"}},
            )
            response = await gateway.post(
                f"/api/v1/campaigns/{created.json()['id']}/donations/imports",
                headers=key.headers,
                files={"file": ("export.csv", body, "text/csv")},
            )

        assert response.status_code == 201, response.text[:500]
        assert response.json()["imported"] == 4000


class TestUnavailableService:
    async def test_nothing_listening_is_503_naming_the_service_quickly(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        start = time.monotonic()
        response = await gateway.get("/api/v1/partners", headers=key.headers)
        assert time.monotonic() - start < 1
        body = assert_problem(response, 503, "service-unavailable")
        assert "partners" in body["detail"]
        assert response.headers["retry-after"] == "1"
        assert response.headers["x-request-id"]

    async def test_slow_service_is_504_after_the_timeout(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with (
            serving(echo_app(slow_seconds=1)) as slow_url,
            make_gateway(network_url=slow_url, upstream_timeout_seconds=0.3) as gateway,
        ):
            start = time.monotonic()
            response = await gateway.get(f"{PREFIX}/slow", headers=key.headers)
            elapsed = time.monotonic() - start
        body = assert_problem(response, 504, "gateway-timeout")
        assert "network" in body["detail"]
        assert 0.3 <= elapsed < 1.5

    async def test_service_that_comes_up_is_reached(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        port = free_port()
        async with make_gateway(network_url=f"http://127.0.0.1:{port}") as gateway:
            down = await gateway.get(ECHO, headers=key.headers)
            async with serving(echo_app(), port=port):
                up = await gateway.get(ECHO, headers=key.headers)
        assert down.status_code == 503
        assert up.status_code == 200

    async def test_a_restarted_service_is_reached_again(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        # The first answer leaves a kept-alive connection in the pool; the restart kills it.
        port = free_port()
        async with make_gateway(network_url=f"http://127.0.0.1:{port}") as gateway:
            async with serving(echo_app(), port=port):
                before = await gateway.get(ECHO, headers=key.headers)
            gone = await gateway.get(ECHO, headers=key.headers)
            async with serving(echo_app(), port=port):
                after = [await gateway.get(ECHO, headers=key.headers) for _ in range(3)]
                posted = await gateway.post(ECHO, headers=key.headers, content=b"{}")
        assert before.status_code == 200
        assert gone.status_code == 503
        assert [r.status_code for r in after] == [200, 200, 200]
        assert posted.status_code == 200


class TestResponses:
    async def test_a_streamed_response_is_relayed_whole(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        response = await gateway.get(f"{PREFIX}/stream", headers=key.headers)
        assert response.status_code == 200
        assert response.text == "part 0\npart 1\npart 2\n"

    async def test_a_service_failing_mid_response_aborts_the_response(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        # In-process, the aborted connection shows as the app's exception.
        with pytest.raises(Exception, match="mid-response"):
            await gateway.get(f"{PREFIX}/broken", headers=key.headers)

    async def test_head_is_answered_without_a_body(
        self, gateway: httpx.AsyncClient, key: Key
    ) -> None:
        response = await gateway.head(ECHO, headers=key.headers)
        assert response.status_code == 200
        assert response.content == b""


class TestConcurrency:
    async def test_fifty_concurrent_requests_all_succeed(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway() as gateway:
            created = await gateway.post(
                "/api/v1/campaigns",
                headers=key.headers,
                json={"title": "phase 1", "goal": {"amount": "20000", "currency": "CNY"}},
            )
            campaign = created.json()
            responses = await asyncio.gather(
                *(
                    gateway.get(f"/api/v1/campaigns/{campaign['id']}", headers=key.headers)
                    for _ in range(50)
                )
            )
        assert [r.status_code for r in responses] == [200] * 50
        assert {r.json()["id"] for r in responses} == {campaign["id"]}

    async def test_fifty_concurrent_donations_all_count(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway() as gateway:
            created = await gateway.post(
                "/api/v1/campaigns",
                headers=key.headers,
                json={"title": "phase 1", "goal": {"amount": "20000", "currency": "CNY"}},
            )
            campaign_id = created.json()["id"]
            responses = await asyncio.gather(
                *(
                    gateway.post(
                        f"/api/v1/campaigns/{campaign_id}/donations",
                        headers={**key.headers, "Idempotency-Key": f"d-{i}"},
                        json={"amount": {"amount": "1.01", "currency": "CNY"}},
                    )
                    for i in range(50)
                )
            )
            read = await gateway.get(f"/api/v1/campaigns/{campaign_id}", headers=key.headers)
        assert {r.status_code for r in responses} == {201}
        assert read.json()["donation_count"] == 50
        assert read.json()["raised"]["amount"] == "50.50"


class TestOverRealConnections:
    """The gateway under uvicorn, as clients meet it."""

    async def test_concurrent_clients_on_their_own_connections(
        self, gateway_app: AppFactory, key: Key
    ) -> None:
        limits = httpx.Limits(max_connections=50)
        async with (
            serving(gateway_app()) as url,
            httpx.AsyncClient(base_url=url, limits=limits) as client,
        ):
            responses = await asyncio.gather(
                *(client.get(f"{ECHO}/{i}", headers=key.headers) for i in range(50))
            )
        assert [r.status_code for r in responses] == [200] * 50
        assert sorted(r.json()["path"] for r in responses) == sorted(
            f"{ECHO}/{i}" for i in range(50)
        )

    async def test_an_endless_stream_stops_when_the_client_leaves(
        self, gateway_app: AppFactory, key: Key, recorder: Recorder
    ) -> None:
        recorder.endless_stopped.clear()
        async with serving(gateway_app()) as url, httpx.AsyncClient(base_url=url) as client:
            async with client.stream("GET", f"{PREFIX}/endless", headers=key.headers) as stream:
                assert stream.status_code == 200
                async for chunk in stream.aiter_bytes():
                    assert chunk.startswith(b"data: tick")
                    break
            # The client hung up; the gateway must hang up on the service too.
            await asyncio.wait_for(recorder.endless_stopped.wait(), timeout=2)

    async def test_a_service_failing_mid_response_truncates_the_response(
        self, gateway_app: AppFactory, key: Key
    ) -> None:
        async with serving(gateway_app()) as url, httpx.AsyncClient(base_url=url) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(f"{PREFIX}/broken", headers=key.headers)
            # The gateway is unharmed.
            assert (await client.get(ECHO, headers=key.headers)).status_code == 200

    async def test_large_bodies_pass_both_ways_intact(
        self, gateway_app: AppFactory, key: Key, recorder: Recorder
    ) -> None:
        size = 3 * 1024 * 1024 + 17
        upload = bytes(range(256)) * 4096  # 1 MiB, the default limit
        async with serving(gateway_app()) as url, httpx.AsyncClient(base_url=url) as client:
            download = await client.get(
                f"{PREFIX}/large", params={"size": str(size)}, headers=key.headers
            )
            posted = await client.post(ECHO, headers=key.headers, content=upload)
        expected = b"".join(
            bytes([offset // 65536 % 251]) * min(65536, size - offset)
            for offset in range(0, size, 65536)
        )
        assert download.status_code == 200
        assert download.content == expected
        assert posted.status_code == 200
        assert recorder.requests[-1]["body"].encode("latin-1") == upload
