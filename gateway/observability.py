"""The gateway's own Prometheus metrics, beside kit's per-route request counts and latency
(:class:`kit.observability.Metrics`, labelled by route prefix) and in the same registry.

==============================================  =========================================
``fnet_gateway_upstream_requests_total``        answers of each service, by status class
                                                (2xx...5xx) or failure kind (connect,
                                                timeout, reset, invalid, open: refused by
                                                the breaker)
``fnet_gateway_upstream_duration_seconds``      time to each service's response headers
``fnet_gateway_upstream_retries_total``         retries, by service
``fnet_gateway_circuit_state``                  each service's breaker: 0 closed,
                                                1 half-open, 2 open
``fnet_gateway_circuit_opened_total``           times each breaker opened
``fnet_gateway_rate_limited_total``             429 answers, by policy (principal, address)
``fnet_gateway_rate_limit_storage_errors_total`` rate-limit checks skipped (storage failed)
==============================================  =========================================

Label children are bound once per service at start-up: the proxy path only increments.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from gateway.breaker import CircuitState
from kit.observability import Metrics

UPSTREAM_OUTCOMES = (
    "1xx",
    "2xx",
    "3xx",
    "4xx",
    "5xx",
    "connect",
    "timeout",
    "reset",
    "invalid",
    "open",
)


class UpstreamSeries:
    """One service's bound metrics."""

    __slots__ = ("duration", "opened", "outcomes", "retries", "state")

    def __init__(self, metrics: GatewayMetrics, service: str) -> None:
        self.outcomes = {
            outcome: metrics.upstream_requests.labels(service, outcome)
            for outcome in UPSTREAM_OUTCOMES
        }
        self.duration = metrics.upstream_duration.labels(service)
        self.retries = metrics.upstream_retries.labels(service)
        self.state = metrics.circuit_state.labels(service)
        self.opened = metrics.circuit_opened.labels(service)
        self.state.set(CircuitState.CLOSED)

    def status(self, status: int) -> None:
        self.outcomes[f"{min(max(status // 100, 1), 5)}xx"].inc()

    def circuit(self, state: CircuitState) -> None:
        self.state.set(state)
        if state is CircuitState.OPEN:
            self.opened.inc()


class GatewayMetrics:
    def __init__(self, metrics: Metrics, services: Iterable[str]) -> None:
        registry = metrics.registry
        self.upstream_requests = Counter(
            "fnet_gateway_upstream_requests_total",
            "Requests sent to each service, by status class or failure kind",
            ["service", "outcome"],
            registry=registry,
        )
        self.upstream_duration = Histogram(
            "fnet_gateway_upstream_duration_seconds",
            "Time to a service's response headers",
            ["service"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30),
        )
        self.upstream_retries = Counter(
            "fnet_gateway_upstream_retries_total",
            "Requests sent to a service again after a failure before it answered, or a 503",
            ["service"],
            registry=registry,
        )
        self.circuit_state = Gauge(
            "fnet_gateway_circuit_state",
            "Circuit breaker of each service: 0 closed, 1 half-open, 2 open",
            ["service"],
            registry=registry,
        )
        self.circuit_opened = Counter(
            "fnet_gateway_circuit_opened_total",
            "Times the circuit breaker of a service opened",
            ["service"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "fnet_gateway_rate_limited_total",
            "Requests refused with 429, by rate-limit policy",
            ["policy"],
            registry=registry,
        )
        self.rate_limit_storage_errors = Counter(
            "fnet_gateway_rate_limit_storage_errors_total",
            "Rate-limit checks skipped because the counters' storage failed",
            registry=registry,
        )
        self.services = {service: UpstreamSeries(self, service) for service in services}
