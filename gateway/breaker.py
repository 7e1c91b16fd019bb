"""A circuit breaker per service: stop calling a service that keeps failing, so its
clients get a fast 503 instead of each waiting out a timeout, and the service gets room
to recover.

Closed, it counts consecutive failures (no connection, no answer in time, a 503); a
success resets the count. At ``failures`` in a row it opens: every request is refused at
once for ``open_seconds``. Then it is half-open: one request goes through as a probe; its
success closes the breaker, its failure opens it again. A probe that never reports (its
client left and the request was cancelled) frees its slot after ``probe_seconds``, so a
lost probe cannot keep the breaker half-open for ever.

Each gateway replica has its own breakers: each learns of a failing service from its own
requests, which is what a replica can rely on without another round-trip.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable

logger = logging.getLogger("fnet.gateway.breaker")


class CircuitState(enum.IntEnum):
    """The values of the ``fnet_gateway_circuit_state`` gauge."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    def __init__(
        self,
        service: str,
        *,
        failures: int,
        open_seconds: float,
        probe_seconds: float,
        on_change: Callable[[CircuitState], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.threshold = failures
        self.open_seconds = open_seconds
        self.probe_seconds = probe_seconds
        self.state = CircuitState.CLOSED
        self.failures = 0
        self._opened_at = 0.0
        self._probe_until = 0.0
        self._on_change = on_change
        self._clock = clock

    def allow(self) -> bool:
        """Whether a request may go to the service now; a True in the half-open state
        makes the request the probe."""
        if self.state is CircuitState.CLOSED:
            return True
        now = self._clock()
        if self.state is CircuitState.OPEN:
            if now - self._opened_at < self.open_seconds:
                return False
            self._change(CircuitState.HALF_OPEN)
        elif now < self._probe_until:
            return False  # a probe is on its way
        self._probe_until = now + self.probe_seconds
        return True

    def retry_after(self) -> int:
        """Whole seconds until the breaker lets a request through again (at least 1)."""
        if self.state is CircuitState.OPEN:
            left = self.open_seconds - (self._clock() - self._opened_at)
        else:
            left = self._probe_until - self._clock()
        return max(1, int(left + 0.999))

    def succeeded(self) -> None:
        self.failures = 0
        if self.state is not CircuitState.CLOSED:
            self._change(CircuitState.CLOSED)

    def failed(self) -> None:
        self.failures += 1
        if self.state is CircuitState.HALF_OPEN or (
            self.state is CircuitState.CLOSED and self.failures >= self.threshold
        ):
            self._opened_at = self._clock()
            self._change(CircuitState.OPEN)

    def _change(self, state: CircuitState) -> None:
        self.state = state
        if state is CircuitState.OPEN:
            logger.warning(
                "circuit breaker opened: the %s service is not called for %g s",
                self.service,
                self.open_seconds,
                extra={"service": self.service, "failures": self.failures},
            )
        elif state is CircuitState.CLOSED:
            logger.info("circuit breaker closed: the %s service answers again", self.service)
        if self._on_change is not None:
            self._on_change(state)
