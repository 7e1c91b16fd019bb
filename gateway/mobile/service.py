"""Assembling the home screen: one task per service, each asking its service as the caller
through the gateway's upstream session (:class:`gateway.upstream.Upstreams`: its
circuit breakers, retries of reads and metrics), cut at the part's timeout.

A part fails as a whole: a service that refuses the connection, does not answer within
the part's timeout, answers other than 200 (a 5xx, its breaker open) or sends what the
home screen cannot read leaves its lists null and is named in ``degraded``. A part the
caller holds no scope for is never asked for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from yarl import URL

from gateway.mobile.schemas import (
    CampaignProgress,
    CollaborationSummary,
    DisclosureDue,
    Due,
    MilestoneDue,
    MobileHome,
    Part,
    ResourceSummary,
)
from gateway.routes import Upstream
from gateway.settings import GatewaySettings
from gateway.upstream import Upstreams
from kit.context import outgoing_headers
from kit.identity import IDENTITY_HEADER, Principal, Scope

logger = logging.getLogger("fnet.gateway.mobile")

PATH = "/api/v1/mobile/home"
# As many as a phone's home screen lists of each.
CAMPAIGNS_SHOWN = 20
COLLABORATIONS_SHOWN = 20
RESOURCES_SHOWN = 5
# A collaboration's open milestones are few; one page holds them.
MILESTONES_READ = 100
# Milestones due within this many days are shown (the disclosure calendar's own default
# horizon is 30 days too).
DUE_DAYS = 30

M = TypeVar("M", bound=BaseModel)


class PartFailed(Exception):
    """The service did not give its part: the reason is logged, the part is degraded."""


class Asker:
    """Asks one service for JSON, as the caller, within what is left of the part's time."""

    def __init__(self, upstreams: Upstreams, upstream: Upstream, token: str) -> None:
        self.upstreams = upstreams
        self.upstream = upstream
        self.token = token

    async def get(self, path: str, query: Mapping[str, str | int] | None = None) -> Any:
        headers = [
            ("accept", "application/json"),
            *outgoing_headers().items(),
            (IDENTITY_HEADER, self.token),
        ]
        url = URL(self.upstream.base_url + path).with_query(query or {})
        response = await self.upstreams.request(self.upstream, "GET", url, headers, None)
        try:
            body = await response.read()
        except BaseException:
            response.close()
            raise
        response.release()
        if response.status != 200:
            raise PartFailed(f"{self.upstream.service} answered {response.status} for {path}")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise PartFailed(f"{self.upstream.service} answered {path} with no JSON") from exc


def _items(answer: Any, model: type[M]) -> list[M]:
    """The ``items`` of a page, read as ``model``."""
    if not isinstance(answer, dict):
        raise PartFailed("the answer is not a page")
    return _list_adapter(model).validate_python(answer.get("items"))


_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return adapter


def progress_percent(goal: str, raised: str) -> int:
    """``raised`` as a whole percentage of ``goal`` (both decimal strings of one
    currency), rounded down; exact decimals, never floats."""
    goal_amount = Decimal(goal)
    if goal_amount <= 0:
        return 0
    return max(0, int(Decimal(raised) * 100 // goal_amount))


class _Campaign(CampaignProgress):
    progress_percent: int = 0  # computed here, not sent by the service


async def campaigns_part(donations: Asker) -> list[CampaignProgress]:
    answer = await donations.get("/api/v1/campaigns", {"status": "open", "limit": CAMPAIGNS_SHOWN})
    shown = []
    for campaign in _items(answer, _Campaign):
        # raised is in the campaign's own currency, which is the goal's.
        percent = progress_percent(campaign.goal.amount, campaign.raised.amount)
        shown.append(
            CampaignProgress.model_validate({**campaign.model_dump(), "progress_percent": percent})
        )
    return shown


async def disclosures_part(donations: Asker) -> list[DisclosureDue]:
    answer = await donations.get("/api/v1/disclosures")
    return _items(answer, DisclosureDue)


class _Milestone(BaseModel):
    id: uuid.UUID
    title: str
    due_on: dt.date
    completed_at: dt.datetime | None


async def partners_part(
    partners: Asker, today: dt.date
) -> tuple[list[CollaborationSummary], list[MilestoneDue]]:
    """The caller's collaborations, then the open milestones of the active ones among them
    that fall due within :data:`DUE_DAYS` (or are overdue). The partners service has no
    list of milestones across collaborations, so those with open milestones are asked
    for theirs concurrently."""
    collaborations = _items(
        await partners.get("/api/v1/collaborations", {"limit": COLLABORATIONS_SHOWN}),
        CollaborationSummary,
    )
    open_work = [
        c
        for c in collaborations
        if c.status == "active" and c.milestones_completed < c.milestones_total
    ]
    # A task group: one failure stops the others at once (the part is lost anyway).
    async with asyncio.TaskGroup() as group:
        asking = [
            group.create_task(
                partners.get(
                    f"/api/v1/collaborations/{c.id}/milestones", {"limit": MILESTONES_READ}
                )
            )
            for c in open_work
        ]
    pages = [task.result() for task in asking]
    horizon = today + dt.timedelta(days=DUE_DAYS)
    due = [
        MilestoneDue(
            id=m.id,
            collaboration_id=c.id,
            collaboration_title=c.title,
            title=m.title,
            due_on=m.due_on,
            overdue=m.due_on < today,
        )
        for c, page in zip(open_work, pages, strict=True)
        for m in _items(page, _Milestone)
        if m.completed_at is None and m.due_on <= horizon
    ]
    due.sort(key=lambda m: (m.due_on, m.collaboration_title, m.title))
    return collaborations, due


async def resources_part(network: Asker) -> list[ResourceSummary]:
    answer = await network.get("/api/v1/shared-resources", {"limit": RESOURCES_SHOWN})
    return _items(answer, ResourceSummary)


T = TypeVar("T")


class HomeScreen:
    """Made once per app (on its first use) from the settings and the upstream session."""

    def __init__(self, settings: GatewaySettings, upstreams: Upstreams) -> None:
        self.upstreams = upstreams
        self.timeout = settings.mobile_part_timeout_seconds
        self.services = {
            Part.DONATIONS: Upstream(PATH, "donations", settings.donations_url),
            Part.PARTNERS: Upstream(PATH, "partners", settings.partners_url),
            Part.NETWORK: Upstream(PATH, "network", settings.network_url),
        }

    async def _within(self, part: Part, work: Callable[[], Awaitable[T]]) -> T | None:
        """What ``work`` gives within the part's timeout; None if it failed or ran out."""
        try:
            async with asyncio.timeout(self.timeout):
                return await work()
        except TimeoutError:
            reason = f"no answer within {self.timeout:g} s"
        except (PartFailed, ValidationError, aiohttp.ClientError) as exc:
            reason = str(exc) or repr(exc)
        except Exception as exc:  # the breaker's refusal; failures within a task group
            reason = repr(exc)
        logger.warning(
            "the mobile home goes without the %s service: %s",
            part.value,
            reason,
            extra={"service": part.value, "reason": reason},
        )
        return None

    async def build(self, principal: Principal, token: str) -> MobileHome:
        def asker(part: Part) -> Asker:
            return Asker(self.upstreams, self.services[part], token)

        def allowed(scope: str) -> bool:
            return principal.has(scope)

        today = dt.datetime.now(dt.UTC).date()
        asked: dict[Part, Awaitable[Any]] = {}
        donations = asker(Part.DONATIONS)
        if allowed(Scope.CAMPAIGNS_READ):

            async def donations_part() -> tuple[list[CampaignProgress], list[DisclosureDue]]:
                async with asyncio.TaskGroup() as group:
                    campaigns = group.create_task(campaigns_part(donations))
                    disclosures = group.create_task(disclosures_part(donations))
                return campaigns.result(), disclosures.result()

            asked[Part.DONATIONS] = self._within(Part.DONATIONS, donations_part)
        if allowed(Scope.PARTNERS_READ):
            partners = asker(Part.PARTNERS)
            asked[Part.PARTNERS] = self._within(
                Part.PARTNERS, lambda: partners_part(partners, today)
            )
        if allowed(Scope.NETWORK_READ):
            network = asker(Part.NETWORK)
            asked[Part.NETWORK] = self._within(Part.NETWORK, lambda: resources_part(network))

        results = dict(zip(asked, await asyncio.gather(*asked.values()), strict=True))
        degraded = [part for part in asked if results[part] is None]
        from_donations = results.get(Part.DONATIONS)
        from_partners = results.get(Part.PARTNERS)
        return MobileHome(
            campaigns=from_donations[0] if from_donations else None,
            due=Due(
                disclosures=from_donations[1] if from_donations else None,
                milestones=from_partners[1] if from_partners else None,
            ),
            collaborations=from_partners[0] if from_partners else None,
            shared_resources=results.get(Part.NETWORK),
            degraded=degraded,
        )
