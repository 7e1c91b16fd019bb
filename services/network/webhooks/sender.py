"""Sends due webhook deliveries: signed per Standard Webhooks, retried with exponential
backoff and jitter (the schedule is ``webhook_retry_schedule_seconds``), every attempt
logged, an endpoint that answers 410 Gone disabled.

One sender runs in each app process (started by the app's lifespan). Deliveries are leased
for the attempt's duration in a short transaction, so the HTTP call holds no database
transaction, and replicas never send one delivery at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Sequence

import httpx
from standardwebhooks.webhooks import Webhook

from kit.db import Database, transaction, utcnow
from services.network.settings import NetworkSettings
from services.network.webhooks import targets
from services.network.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from services.network.webhooks.repository import DeliveryRepository

logger = logging.getLogger("fnet.network.webhooks")

ANSWER_KEPT = 1000
BATCH = 20
USER_AGENT = "FoundationNetwork-Webhooks/1"


def next_delay(
    schedule: Sequence[float], attempts: int, jitter: float, rng: random.Random
) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones, or None when the
    schedule is used up. Each delay is spread by ``jitter`` (0.2: ±20 %) so that many
    deliveries that failed together do not all come back at once."""
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    return max(0.0, base * (1 + rng.uniform(-jitter, jitter)))


class Sender:
    def __init__(
        self,
        database: Database,
        settings: NetworkSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self._http = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            transport=transport,
            headers={"user-agent": USER_AGENT},
        )
        self._rng = random.Random()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("webhook sender failed; trying again")
                sent = 0
            if not sent:
                await asyncio.sleep(self.settings.webhook_poll_interval_seconds)

    async def send_due(self) -> int:
        """Send what is due now; how many were sent."""
        now = utcnow()
        lease = now + dt.timedelta(seconds=self.settings.webhook_timeout_seconds * 3)
        async with transaction(self.database, write=True) as session:
            due = list(await DeliveryRepository(session).lease_due(now, lease, BATCH))
            endpoints = {d.endpoint_id: await session.get(Endpoint, d.endpoint_id) for d in due}
        await asyncio.gather(*(self._send(d, endpoints[d.endpoint_id]) for d in due))
        return len(due)

    async def _send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        started = time.monotonic()
        status: int | None = None
        answer = ""
        error: str | None = None
        if endpoint is not None and endpoint.enabled:
            try:
                status, answer = await self._post(delivery, endpoint)
            except targets.Refused as exc:
                error = f"refused: {exc}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            error = "endpoint disabled or removed"
        duration_ms = int((time.monotonic() - started) * 1000)
        await self._record(
            delivery, endpoint, status=status, answer=answer, error=error, duration_ms=duration_ms
        )

    async def _post(self, delivery: Delivery, endpoint: Endpoint) -> tuple[int, str]:
        target = await targets.resolve(
            endpoint.url, allow_private=self.settings.webhook_allow_private_targets
        )
        body = httpx.Request("POST", "http://x", json=delivery.payload).content.decode()
        now = dt.datetime.now(dt.UTC)
        signature = Webhook(endpoint.secret).sign(delivery.id, now, body)
        url = httpx.URL(endpoint.url)
        host = f"[{target.address}]" if ":" in target.address else target.address
        request = self._http.build_request(
            "POST",
            url.copy_with(host=host.strip("[]")),
            content=body.encode(),
            headers={
                "host": url.netloc.decode(),
                "content-type": "application/json",
                "webhook-id": delivery.id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature,
            },
            # Connect to the checked address; TLS still verifies the name in the URL.
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
        response = await self._http.send(request)
        text = (await response.aread())[:ANSWER_KEPT].decode("utf-8", "replace")
        return response.status_code, text

    async def _record(
        self,
        delivery: Delivery,
        endpoint: Endpoint | None,
        *,
        status: int | None,
        answer: str,
        error: str | None,
        duration_ms: int,
    ) -> None:
        now = utcnow()
        async with transaction(self.database, write=True) as session:
            session.add(
                Attempt(
                    delivery_id=delivery.id,
                    at=now,
                    status_code=status,
                    duration_ms=duration_ms,
                    response=answer,
                    error=error,
                )
            )
            row = await session.get(Delivery, delivery.id)
            if row is None:
                return
            row.attempts += 1
            row.leased_until = None
            if status is not None and 200 <= status < 300:
                row.status = DeliveryStatus.DELIVERED
            elif status == 410 or endpoint is None or not endpoint.enabled:
                row.status = DeliveryStatus.FAILED
                if status == 410 and endpoint is not None:
                    live = await session.get(Endpoint, endpoint.id)
                    if live is not None:
                        live.enabled = False
                        live.disabled_reason = f"answered 410 Gone at {now.isoformat()}"
                    await DeliveryRepository(session).fail_pending(endpoint.id)
            else:
                delay = next_delay(
                    self.settings.webhook_retry_schedule_seconds,
                    row.attempts,
                    self.settings.webhook_retry_jitter,
                    self._rng,
                )
                if delay is None:
                    row.status = DeliveryStatus.FAILED
                else:
                    row.next_attempt_at = now + dt.timedelta(seconds=delay)
