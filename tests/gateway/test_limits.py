"""Rate limits: per principal, per client address for public reads, in memory and in the
real Redis (``FNET_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``), where two
gateways hold one limit together."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
import redis.asyncio

from gateway.limits import parse_limits
from kit.db import Database
from tests.gateway.conftest import AppFactory, GatewayFactory
from tests.gateway.factories import Key, new_key
from tests.gateway.servers import free_port
from tests.gateway.upstreams import Recorder
from tests.support import running

REDIS_URL = os.environ.get("FNET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

PRIVATE = "/api/v1/networks"  # the echoing stand-in answers it; a key is needed
PUBLIC = "/api/v1/foundations"  # a public read, answered by the stand-in too


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the shared Redis, its keys deleted afterwards."""
    prefix = f"fnet-test-{secrets.token_hex(6)}"
    yield prefix
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


class TestPerPrincipal:
    async def test_the_limit_answers_429_with_retry_after_and_ratelimit_headers(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway(rate_limit_per_principal="3/minute") as gateway:
            answers = [await gateway.get(PRIVATE, headers=key.headers) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["ratelimit"] for a in answers[:3]] == [
            '"principal";r=2;t=60',
            '"principal";r=1;t=60',
            '"principal";r=0;t=60',
        ]
        for answer in answers:
            assert answer.headers["ratelimit-policy"] == '"principal";q=3;w=60'
        refused = answers[3]
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:fnet:problem:rate-limited"
        assert "3 requests per minute" in refused.json()["detail"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["ratelimit"] == f'"principal";r=0;t={refused.headers["retry-after"]}'

    async def test_each_principal_has_its_own_limit(
        self, make_gateway: GatewayFactory, key: Key, gateway_database: Database
    ) -> None:
        other = await new_key(gateway_database)
        async with make_gateway(rate_limit_per_principal="1/minute") as gateway:
            assert (await gateway.get(PRIVATE, headers=key.headers)).status_code == 200
            assert (await gateway.get(PRIVATE, headers=key.headers)).status_code == 429
            assert (await gateway.get(PRIVATE, headers=other.headers)).status_code == 200

    async def test_a_refused_request_never_reaches_the_service(
        self, make_gateway: GatewayFactory, key: Key, recorder: Recorder
    ) -> None:
        async with make_gateway(rate_limit_per_principal="1/minute") as gateway:
            await gateway.get(PRIVATE, headers=key.headers)
            before = len(recorder.requests)
            assert (await gateway.post(PRIVATE, headers=key.headers)).status_code == 429
            assert len(recorder.requests) == before

    async def test_several_limits_apply_together(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway(rate_limit_per_principal="2/second;3/minute") as gateway:
            first = await gateway.get(PRIVATE, headers=key.headers)
        assert first.headers["ratelimit-policy"] == ('"principal";q=2;w=1, "principal";q=3;w=60')
        assert first.headers["ratelimit"] == '"principal";r=1;t=1, "principal";r=2;t=60'

    async def test_an_empty_limit_turns_it_off(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway(rate_limit_per_principal="") as gateway:
            answer = await gateway.get(PRIVATE, headers=key.headers)
        assert answer.status_code == 200
        assert "ratelimit" not in answer.headers


class TestPerAddress:
    async def test_public_reads_are_limited_per_client_address(
        self, gateway_app: AppFactory
    ) -> None:
        app = gateway_app(rate_limit_per_address="2/minute")

        def client(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app, client=(address, 40000))
            return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")

        async with running(app), client("203.0.113.7") as one, client("203.0.113.8") as two:
            answers = [await one.get(PUBLIC) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 429]
            assert answers[2].headers["ratelimit-policy"] == '"address";q=2;w=60'
            assert "client address" in answers[2].json()["detail"]
            assert (await two.get(PUBLIC)).status_code == 200

    async def test_a_request_with_a_key_is_not_counted_against_the_address(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway(rate_limit_per_address="1/minute") as gateway:
            for _ in range(3):
                assert (await gateway.get(PRIVATE, headers=key.headers)).status_code == 200
            assert (await gateway.get(PUBLIC)).status_code == 200


async def _spread(clients: list[httpx.AsyncClient], key: Key, count: int) -> list[int]:
    """``count`` concurrent requests, each to the next of ``clients`` in turn."""
    answers = await asyncio.gather(
        *(clients[i % len(clients)].get(PRIVATE, headers=key.headers) for i in range(count))
    )
    return [answer.status_code for answer in answers]


class TestSharedInRedis:
    async def test_two_gateways_hold_one_limit_together(
        self, gateway_app: AppFactory, key: Key, redis_prefix: str
    ) -> None:
        settings = {
            "rate_limit_storage_url": REDIS_URL,
            "rate_limit_key_prefix": redis_prefix,
            # Counted, never skipped: a loaded test machine may be slow to read Redis.
            "rate_limit_storage_timeout_seconds": 10,
            "rate_limit_per_principal": "50/minute",
            "key_cache_seconds": 300,
        }
        async with AsyncExitStack() as stack:
            clients = []
            for _ in range(2):
                app = await stack.enter_async_context(running(gateway_app(**settings)))
                # Both gateways share the test's one database connection, which cannot
                # serve concurrent reads: each reads the key once, before the burst.
                await app.state.authenticator.principal(key.plaintext)
                clients.append(
                    await stack.enter_async_context(
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app), base_url="http://gateway.test"
                        )
                    )
                )
            statuses = await _spread(clients, key, 100)
        assert (statuses.count(200), statuses.count(429)) == (50, 50)

    async def test_two_gateways_hold_one_limit_per_address_together(
        self, gateway_app: AppFactory, redis_prefix: str
    ) -> None:
        settings = {
            "rate_limit_storage_url": REDIS_URL,
            "rate_limit_key_prefix": redis_prefix,
            "rate_limit_storage_timeout_seconds": 10,
            "rate_limit_per_address": "50/minute",
        }
        async with AsyncExitStack() as stack:
            clients = []
            for _ in range(2):
                app = await stack.enter_async_context(running(gateway_app(**settings)))
                clients.append(
                    await stack.enter_async_context(
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app), base_url="http://gateway.test"
                        )
                    )
                )
            answers = await asyncio.gather(*(clients[i % 2].get(PUBLIC) for i in range(100)))
        statuses = [answer.status_code for answer in answers]
        assert (statuses.count(200), statuses.count(429)) == (50, 50)

    async def test_in_memory_each_gateway_counts_alone(
        self, gateway_app: AppFactory, key: Key
    ) -> None:
        # Why production needs Redis: two replicas with memory:// let twice the limit through.
        async with AsyncExitStack() as stack:
            clients = []
            for _ in range(2):
                app = await stack.enter_async_context(
                    running(
                        gateway_app(rate_limit_per_principal="10/minute", key_cache_seconds=300)
                    )
                )
                await app.state.authenticator.principal(key.plaintext)
                clients.append(
                    await stack.enter_async_context(
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app), base_url="http://gateway.test"
                        )
                    )
                )
            statuses = await _spread(clients, key, 40)
        assert statuses.count(200) == 20

    async def test_the_window_is_reported_from_redis_on_a_refusal(
        self, make_gateway: GatewayFactory, key: Key, redis_prefix: str
    ) -> None:
        async with make_gateway(
            rate_limit_storage_url=REDIS_URL,
            rate_limit_key_prefix=redis_prefix,
            rate_limit_storage_timeout_seconds=10,
            rate_limit_per_principal="2/hour",
        ) as gateway:
            answers = [await gateway.get(PRIVATE, headers=key.headers) for _ in range(3)]
        assert [a.headers["ratelimit"] for a in answers[:2]] == [
            '"principal";r=1;t=3600',
            '"principal";r=0',  # the reset would cost a second round-trip: left out
        ]
        assert answers[2].status_code == 429
        assert 3590 <= int(answers[2].headers["retry-after"]) <= 3600

    async def test_an_unreachable_redis_lets_requests_through_and_counts_it(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway(
            rate_limit_storage_url=f"redis://127.0.0.1:{free_port()}/0",
            rate_limit_per_principal="1/minute",
        ) as gateway:
            answers = [await gateway.get(PRIVATE, headers=key.headers) for _ in range(3)]
            metrics = (await gateway.get("/metrics")).text
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert "fnet_gateway_rate_limit_storage_errors_total 1.0" in metrics


def test_limits_are_read_in_the_libraries_notation() -> None:
    assert [(i.amount, i.get_expiry()) for i in parse_limits("10/second; 600/minute")] == [
        (10, 1),
        (600, 60),
    ]
    assert parse_limits(" ") == ()
