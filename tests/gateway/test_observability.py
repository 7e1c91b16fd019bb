"""Logs carry the request id on every line; the metrics tell each service's answers, its
latency, its failures and its breaker, and the rate limit's refusals."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson
import pytest

from kit.logs import JsonFormatter
from tests.gateway.conftest import GatewayFactory
from tests.gateway.factories import Key
from tests.gateway.servers import free_port


class _Lines(logging.Handler):
    """Formats each record as it is logged (the request id is read then, from the
    request's context), as the gateway's own JSON handler does."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter("gateway"))
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[_Lines]:
    handler = _Lines()
    logger = logging.getLogger("fnet")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_every_line_of_a_request_carries_its_id(
    make_gateway: GatewayFactory, key: Key, log_lines: _Lines
) -> None:
    # A refused connection: a warning of the proxy, then the access log line.
    async with make_gateway(
        network_url=f"http://127.0.0.1:{free_port()}", upstream_retries=1
    ) as gateway:
        log_lines.lines.clear()
        response = await gateway.get(
            "/api/v1/networks", headers={**key.headers, "X-Request-ID": "trace-me-42"}
        )
    assert response.status_code == 503
    lines = [line for line in log_lines.lines if str(line["logger"]).startswith("fnet")]
    assert {str(line["logger"]) for line in lines} >= {"fnet.gateway.proxy", "fnet.access"}
    for line in lines:
        assert line["request_id"] == "trace-me-42", line
        assert "trace_id" in line


async def test_the_metrics_tell_each_services_answers_and_the_limits_refusals(
    make_gateway: GatewayFactory, key: Key
) -> None:
    async with make_gateway(rate_limit_per_principal="2/minute") as gateway:
        for _ in range(3):
            await gateway.get("/api/v1/networks", headers=key.headers)
        text = (await gateway.get("/metrics")).text
    assert 'fnet_gateway_upstream_requests_total{outcome="2xx",service="network"} 2.0' in text
    assert 'fnet_gateway_upstream_duration_seconds_count{service="network"} 2.0' in text
    assert 'fnet_gateway_rate_limited_total{policy="principal"} 1.0' in text
    assert 'fnet_gateway_circuit_state{service="donations"} 0.0' in text
    assert (
        'fnet_http_requests_total{app="gateway",method="GET",route="/api/v1/networks",'
        'status="429"} 1.0'
    ) in text
    assert (
        'fnet_http_request_duration_seconds_bucket{app="gateway",le="0.005",method="GET",route="/api/v1/networks"}'
        in text
    )
