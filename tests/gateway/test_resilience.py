"""Timeouts, retries, circuit breakers, and failures that keep their details to themselves,
against real stand-in services on loopback ports (tests/gateway/upstreams.py) that count
what reaches them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.breaker import CircuitBreaker, CircuitState
from gateway.settings import GatewaySettings
from kit.db import DEFAULT_POOL_TIMEOUT_SECONDS, make_engine, utcnow
from kit.idempotency import IN_PROGRESS_WAIT_SECONDS, idempotency_keys
from services.donations.app import MIGRATIONS as DONATIONS_MIGRATIONS
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import Key
from tests.gateway.servers import free_port, serving
from tests.gateway.test_settings import REQUIRED
from tests.gateway.upstreams import Flaky, flaky_app
from tests.support import TestDatabases

PATH = "/api/v1/networks"  # the network service's, played by the flaky stand-in


@pytest.fixture
def flaky() -> Flaky:
    return Flaky()


@pytest.fixture
async def flaky_url(flaky: Flaky) -> AsyncIterator[str]:
    async with serving(flaky_app(flaky)) as url:
        yield url


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["type"] == f"urn:fnet:problem:{slug}"
    return body


class TestTimeouts:
    async def test_a_hanging_service_is_504_within_its_timeout_and_not_retried(
        self, make_gateway: GatewayFactory, key: Key, echo_url: str, recorder: object
    ) -> None:
        async with make_gateway(network_url=echo_url, upstream_timeout_seconds=0.3) as gateway:
            start = time.monotonic()
            response = await gateway.get(
                "/api/v1/networks/hang", headers=key.headers, params={"delay": "3"}
            )
            elapsed = time.monotonic() - start
        body = assert_problem(response, 504, "gateway-timeout")
        assert body["detail"] == "the network service did not answer within 0.3 s"
        assert 0.3 <= elapsed < 1.5

    async def test_a_service_can_have_a_timeout_of_its_own(
        self, make_gateway: GatewayFactory, key: Key, echo_url: str
    ) -> None:
        async with make_gateway(
            network_url=echo_url,
            upstream_timeout_seconds=0.2,
            service_timeout_seconds={"network": 2.0},
        ) as gateway:
            response = await gateway.get(
                "/api/v1/networks/slowish", headers=key.headers, params={"delay": "0.5"}
            )
        assert response.status_code == 200

    def test_the_gateway_outwaits_every_documented_wait_of_the_services(self) -> None:
        # A duplicate of an Idempotency-Key in progress: up to the pool's wait for a
        # connection, then IN_PROGRESS_WAIT_SECONDS, then the service's 409. The gateway
        # must not cut it off with a 504 first.
        settings = GatewaySettings(**REQUIRED)
        margin = settings.upstream_timeout_seconds - (
            IN_PROGRESS_WAIT_SECONDS + DEFAULT_POOL_TIMEOUT_SECONDS
        )
        assert margin >= 2

    async def test_a_retry_of_a_stuck_idempotent_request_gets_the_services_409(
        self, make_gateway: GatewayFactory, key: Key, databases: TestDatabases, backend: str
    ) -> None:
        """The case the timeouts were fitted for: a client retries a request that is still
        running, with its Idempotency-Key. The service waits IN_PROGRESS_WAIT_SECONDS for
        the first and answers 409; the gateway's timeout (longer) lets that answer through."""
        if backend != "postgresql":
            pytest.skip("SQLite queues the duplicate on its write lock, not on a row lock")
        url = await databases.url(DONATIONS_MIGRATIONS, backend)
        engine = make_engine(url, pool_size=1)
        try:
            async with make_gateway() as gateway:
                created = await gateway.post(
                    "/api/v1/campaigns",
                    headers=key.headers,
                    json={"title": "stuck", "goal": {"amount": "100", "currency": "CNY"}},
                )
                assert created.status_code == 201, created.text
                async with engine.connect() as connection:
                    transaction = await connection.begin()
                    # The first request, still running: it holds the key's row.
                    await connection.execute(
                        idempotency_keys.insert().values(
                            organisation_id=key.organisation_id,
                            key="stuck-1",
                            fingerprint="0" * 64,
                            created_at=utcnow(),
                        )
                    )
                    start = time.monotonic()
                    retry = await gateway.post(
                        f"/api/v1/campaigns/{created.json()['id']}/donations",
                        headers={**key.headers, "Idempotency-Key": "stuck-1"},
                        json={"amount": {"amount": "10", "currency": "CNY"}},
                    )
                    elapsed = time.monotonic() - start
                    await transaction.rollback()
        finally:
            await engine.dispose()
        assert_problem(retry, 409, "idempotency-in-progress")
        assert IN_PROGRESS_WAIT_SECONDS - 1 <= elapsed < 15

    def test_an_unknown_service_timeout_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not a service"):
            GatewaySettings(**REQUIRED, service_timeout_seconds={"ledger": 5})


class TestRetries:
    async def test_a_read_answered_503_is_retried(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        flaky.fail_next = 2
        async with make_gateway(network_url=flaky_url, upstream_retries=2) as gateway:
            response = await gateway.get(PATH, headers=key.headers)
            metrics = (await gateway.get("/metrics")).text
        assert response.status_code == 200
        assert flaky.calls == 3
        assert 'fnet_gateway_upstream_retries_total{service="network"} 2.0' in metrics

    async def test_a_write_without_an_idempotency_key_is_never_retried(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        flaky.fail_next = 1
        async with make_gateway(network_url=flaky_url, upstream_retries=2) as gateway:
            response = await gateway.post(PATH, headers=key.headers, json={"name": "n"})
        assert response.status_code == 503  # the service's own problem, relayed
        assert flaky.calls == 1

    async def test_a_write_with_an_idempotency_key_is_retried(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        flaky.fail_next = 1
        async with make_gateway(network_url=flaky_url, upstream_retries=2) as gateway:
            response = await gateway.post(
                PATH, headers={**key.headers, "Idempotency-Key": "k-1"}, json={"name": "n"}
            )
        assert response.status_code == 200
        assert flaky.methods == ["POST", "POST"]

    async def test_retries_stop_at_their_number(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        flaky.failing = True
        async with make_gateway(
            network_url=flaky_url, upstream_retries=1, breaker_failures=10
        ) as gateway:
            response = await gateway.get(PATH, headers=key.headers)
        assert response.status_code == 503
        assert flaky.calls == 2

    async def test_a_refused_connection_is_retried_then_503_naming_the_service(
        self, make_gateway: GatewayFactory, key: Key
    ) -> None:
        async with make_gateway(
            network_url=f"http://127.0.0.1:{free_port()}", upstream_retries=2
        ) as gateway:
            response = await gateway.get(PATH, headers=key.headers)
            metrics = (await gateway.get("/metrics")).text
        body = assert_problem(response, 503, "service-unavailable")
        assert "network service is unreachable" in str(body["detail"])
        assert (
            'fnet_gateway_upstream_requests_total{outcome="connect",service="network"} 3.0'
            in metrics
        )


class TestCircuitBreaker:
    async def test_repeated_failures_open_it_and_recovery_closes_it(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        flaky.failing = True
        async with make_gateway(
            network_url=flaky_url,
            upstream_retries=0,
            breaker_failures=3,
            breaker_open_seconds=0.5,
        ) as gateway:
            failed = [await gateway.get(PATH, headers=key.headers) for _ in range(3)]
            assert [r.status_code for r in failed] == [503, 503, 503]
            assert flaky.calls == 3

            start = time.monotonic()
            refused = await gateway.get(PATH, headers=key.headers)
            assert time.monotonic() - start < 0.2
            body = assert_problem(refused, 503, "service-unavailable")
            assert "network service is failing" in str(body["detail"])
            assert refused.headers["retry-after"] == "1"
            assert flaky.calls == 3  # not called
            metrics = (await gateway.get("/metrics")).text
            assert 'fnet_gateway_circuit_state{service="network"} 2.0' in metrics
            assert 'fnet_gateway_circuit_opened_total{service="network"} 1.0' in metrics

            flaky.failing = False
            await asyncio.sleep(0.6)  # the breaker's open period, which only time ends
            recovered = [await gateway.get(PATH, headers=key.headers) for _ in range(3)]
            assert [r.status_code for r in recovered] == [200, 200, 200]
            assert flaky.calls == 6
            metrics = (await gateway.get("/metrics")).text
            assert 'fnet_gateway_circuit_state{service="network"} 0.0' in metrics

    async def test_a_failed_probe_opens_it_again(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        flaky.failing = True
        async with make_gateway(
            network_url=flaky_url,
            upstream_retries=0,
            breaker_failures=2,
            breaker_open_seconds=0.3,
        ) as gateway:
            for _ in range(2):
                await gateway.get(PATH, headers=key.headers)
            await asyncio.sleep(0.4)
            probe = await gateway.get(PATH, headers=key.headers)
            after = await gateway.get(PATH, headers=key.headers)
        assert probe.status_code == 503
        assert "failing" in after.json()["detail"]
        assert flaky.calls == 3  # the two failures and the probe

    async def test_each_service_has_its_own(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        flaky.failing = True
        async with make_gateway(
            network_url=flaky_url, partners_url=flaky_url, upstream_retries=0, breaker_failures=1
        ) as gateway:
            await gateway.get(PATH, headers=key.headers)
            assert "failing" in (await gateway.get(PATH, headers=key.headers)).json()["detail"]
            flaky.failing = False
            assert (await gateway.get("/api/v1/partners", headers=key.headers)).status_code == 200


def state(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state


class TestBreakerStates:
    def test_a_lost_probe_frees_its_slot(self) -> None:
        now = [0.0]
        breaker = CircuitBreaker(
            "network", failures=1, open_seconds=5, probe_seconds=2, clock=lambda: now[0]
        )
        breaker.failed()
        assert state(breaker) is CircuitState.OPEN
        assert not breaker.allow()
        assert breaker.retry_after() == 5
        now[0] = 5.0
        assert breaker.allow()  # the probe
        assert state(breaker) is CircuitState.HALF_OPEN
        assert not breaker.allow()  # one probe at a time
        now[0] = 7.5  # the probe never reported (its client left)
        assert breaker.allow()
        breaker.succeeded()
        assert state(breaker) is CircuitState.CLOSED
        assert breaker.allow()

    def test_a_success_resets_the_count(self) -> None:
        breaker = CircuitBreaker("network", failures=3, open_seconds=5, probe_seconds=1)
        for _ in range(5):
            breaker.failed()
            breaker.failed()
            breaker.succeeded()
        assert breaker.state is CircuitState.CLOSED


class TestNoInternalDetails:
    @pytest.mark.parametrize(("status", "slug"), [(500, "internal-error"), (502, "bad-gateway")])
    async def test_a_services_failure_is_answered_without_its_body(
        self,
        make_gateway: GatewayFactory,
        key: Key,
        flaky_url: str,
        status: int,
        slug: str,
    ) -> None:
        async with make_gateway(network_url=flaky_url) as gateway:
            response = await gateway.get(
                "/api/v1/networks/crash",
                headers={**key.headers, "X-Request-ID": "crash-1"},
                params={"status": str(status)},
            )
        body = assert_problem(response, status, slug)
        assert "network service failed" in str(body["detail"])
        assert "hunter2" not in response.text
        assert "Traceback" not in response.text
        assert response.headers["x-request-id"] == "crash-1"

    async def test_a_services_500_does_not_open_the_breaker(
        self, make_gateway: GatewayFactory, key: Key, flaky: Flaky, flaky_url: str
    ) -> None:
        # A bug in one route is not a service down: the others keep being called.
        async with make_gateway(network_url=flaky_url, breaker_failures=1) as gateway:
            for _ in range(3):
                await gateway.get("/api/v1/networks/crash", headers=key.headers)
            assert (await gateway.get(PATH, headers=key.headers)).status_code == 200
        assert flaky.calls == 4
