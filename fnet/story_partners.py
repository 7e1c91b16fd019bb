"""The partners part of the Shekou story, loaded through the gateway: the collaborations
with 妈妈幸福学习园 (community radio), 朴元生态 and The Nature Conservancy (planting courses)
and 踏实玩乐 (culture activities); the 蛇口买菜 topic group and its grocery guide; and an
owners' committee's crowdfunding for its property staff. Loading again writes nothing:
creates carry Idempotency-Keys, and moves, completions and publications are made only
from the state they start from.

The partners themselves are created by :mod:`fnet.demo` (``story.SHEKOU_PARTNERS``); the
radio's funding is the grant the demo pays 妈妈幸福学习园 (``story.RADIO_GRANT``), which the
partners service learns of from ``donations.grant.paid``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gateway.keys import service as keys
from kit.db import Database, transaction

RADIO_PARTNER = "妈妈幸福学习园"
OWNERS_COMMITTEE = {
    "name": "海上世界业委会",
    "name_en": "Sea World owners' committee",
    "kind": "owners_committee",
    "district": "蛇口 Shekou",
    "description": "The owners' committee of a Shekou compound; crowdfunded for its "
    "property staff during the epidemic.",
}


@dataclass(frozen=True)
class DemoCollaboration:
    key: str
    title: str
    area: str
    goals: str
    starts_on: str
    ends_on: str
    partners: tuple[str, ...]
    final_status: str
    milestones: tuple[tuple[str, str, bool], ...]  # title, due_on, completed
    outcomes: tuple[tuple[str, int, str, str], ...]  # metric, value, unit, reported_on
    updates: tuple[str, ...] = field(default=())


COLLABORATIONS = (
    DemoCollaboration(
        "radio",
        "线上社区电台 Online community radio",
        "亲子教育与防疫信息 parent education, epidemic information",
        "Weekly radio programmes for families at home: epidemic-prevention tips (防疫小妙招), "
        "stories for children, advice for parents.",
        "2020-02-10",
        "2020-06-30",
        (RADIO_PARTNER,),
        "active",
        (
            ("第一期节目上线 First programme on air", "2020-02-15", True),
            ("防疫小妙招系列 Epidemic-tips series complete", "2020-03-31", False),
        ),
        (
            ("sessions_held", 12, "sessions", "2020-03-31"),
            ("residents_reached", 1500, "people", "2020-03-31"),
        ),
        ("第一期《防疫小妙招》上线, 300 多户家庭收听。",),
    ),
    DemoCollaboration(
        "planting",
        "线上种植课 Online planting courses",
        "生态与健康社区 ecology, healthy community",
        "Balcony planting lessons online for families, with nature education by TNC.",
        "2020-03-01",
        "2020-05-31",
        ("朴元生态", "大自然保护协会 The Nature Conservancy"),
        "active",
        (("第一轮课程 First course round", "2020-03-31", True),),
        (
            ("sessions_held", 6, "sessions", "2020-03-31"),
            ("participants", 180, "people", "2020-03-31"),
        ),
        ("阳台种植课第一轮结束, 180 人次参与。",),
    ),
    DemoCollaboration(
        "culture",
        "线上蛇口文化活动 Online Shekou culture activities",
        "社区文化 local culture",
        "Online walks and stories of Shekou's history for residents at home.",
        "2020-03-15",
        "2020-06-30",
        ("踏实玩乐",),
        "completed",
        (("蛇口故事系列 Shekou stories series", "2020-05-31", True),),
        (("sessions_held", 8, "sessions", "2020-05-31"),),
        ("八期线上蛇口故事全部完成。",),
    ),
)

TOPIC_GROUP = {
    "topic": "蛇口买菜 Buying groceries in Shekou",
    "district": "蛇口 Shekou",
    "description": "Where can residents buy food while markets are closed?",
}
TOPIC_MEMBERS = (
    {"name": "王阿姨", "member_type": "resident", "role": "researcher", "contact": "13900000001"},
    {"name": "李社工", "member_type": "staff", "role": "convenor"},
    {"name": RADIO_PARTNER, "member_type": "partner", "role": "writer"},
)
TOPIC_ACTIVITIES = (
    {
        "kind": "survey",
        "title": "买菜渠道问卷 Grocery survey",
        "held_on": "2020-02-06",
        "participants": 300,
        "summary": "Which markets, shops and apps still deliver",
    },
    {
        "kind": "workshop",
        "title": "攻略编写会 Writing the guide",
        "held_on": "2020-02-09",
        "participants": 8,
    },
)
GROCERY_GUIDE = {
    "title": "蛇口买菜攻略 Where to buy groceries in Shekou",
    "body": "## 菜市场 Markets\n\n- 蛇口市场: 7:00-19:00, 测温入场\n\n"
    "## 线上 Online\n\n- 社区团购: 每日 20:00 前下单\n",
    "language": "zh",
    "tags": ["买菜", "防疫", "蛇口"],
}
CROWDFUNDING = {
    "group_name": "海上世界业委会 Sea World owners' committee",
    "purpose": "Masks and a thank-you subsidy for the compound's property staff and guards",
    "plan": "Raise in the owners' group; the treasurer lists every gift; receipts kept; the "
    "use of the money is reported to all owners within three months.",
    "goal": {"amount": "8000.00", "currency": "CNY"},
    "starts_on": "2020-02-08",
    "ends_on": "2020-02-22",
}
CROWDFUNDING_REPORTS = (
    {
        "kind": "raised",
        "amount": {"amount": "7600.50", "currency": "CNY"},
        "reported_on": "2020-02-22",
    },
    {
        "kind": "used",
        "amount": {"amount": "5200.00", "currency": "CNY"},
        "reported_on": "2020-02-18",
        "note": "masks and subsidies; the rest not yet reported",
    },
)
CROWDFUNDING_CHECKS = ("plan_published", "custodian_named", "donations_listed")


def _ok(response: httpx.Response, *ok: int) -> dict[str, Any]:
    if response.status_code not in ok:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


class _Loader:
    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    async def post(self, path: str, body: dict[str, Any] | None, step: str) -> dict[str, Any]:
        return _ok(
            await self.api.post(path, json=body, headers={"Idempotency-Key": f"demo:{step}"}),
            200,
            201,
        )

    async def partner_ids(self) -> dict[str, str]:
        listed = _ok(await self.api.get("/api/v1/partners", params={"limit": 200}), 200)
        found = {p["name"]: p["id"] for p in listed["items"]}
        if OWNERS_COMMITTEE["name"] not in found:
            created = await self.post("/api/v1/partners", OWNERS_COMMITTEE, "partner:owners")
            found[created["name"]] = created["id"]
        return found

    async def collaboration(self, c: DemoCollaboration, partners: dict[str, str]) -> str:
        created = await self.post(
            "/api/v1/collaborations",
            {
                "title": c.title,
                "area": c.area,
                "goals": c.goals,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "partner_ids": [partners[name] for name in c.partners],
            },
            f"collaboration:{c.key}",
        )
        path = f"/api/v1/collaborations/{created['id']}"
        milestones = []
        for i, (title, due_on, _) in enumerate(c.milestones):
            milestones.append(
                await self.post(
                    f"{path}/milestones",
                    {"title": title, "due_on": due_on},
                    f"collaboration:{c.key}:milestone:{i}",
                )
            )
        current = _ok(await self.api.get(path), 200)
        if current["status"] == "proposed":
            current = await self.move(path, current, "active")
        if current["status"] == "active":
            listed = _ok(await self.api.get(f"{path}/milestones", params={"limit": 200}), 200)
            already = {m["id"] for m in listed["items"] if m["completed_at"] is not None}
            for milestone, (_, _, completed) in zip(milestones, c.milestones, strict=True):
                if completed and milestone["id"] not in already:
                    done = f"{path}/milestones/{milestone['id']}/completion"
                    _ok(await self.api.post(done, json={}), 200)
            for i, (metric, value, unit, reported_on) in enumerate(c.outcomes):
                await self.post(
                    f"{path}/outcomes",
                    {"metric": metric, "value": value, "unit": unit, "reported_on": reported_on},
                    f"collaboration:{c.key}:outcome:{i}",
                )
            for i, text in enumerate(c.updates):
                await self.post(
                    f"{path}/updates", {"body": text}, f"collaboration:{c.key}:update:{i}"
                )
            if c.final_status != "active":
                await self.move(path, current, c.final_status)
        return str(created["id"])

    async def move(self, path: str, current: dict[str, Any], status: str) -> dict[str, Any]:
        return _ok(
            await self.api.post(
                f"{path}/status",
                json={"status": status},
                headers={"If-Match": f'"{current["version"]}"'},
            ),
            200,
        )

    async def topic_group(self, partners: dict[str, str]) -> str:
        group = await self.post("/api/v1/topic-groups", TOPIC_GROUP, "topic-group:groceries")
        base = f"/api/v1/topic-groups/{group['id']}"
        for i, member in enumerate(TOPIC_MEMBERS):
            body = dict(member)
            if body["member_type"] == "partner":
                body["partner_id"] = partners[str(body["name"])]
            await self.post(f"{base}/members", body, f"topic-group:groceries:member:{i}")
        for i, activity in enumerate(TOPIC_ACTIVITIES):
            await self.post(f"{base}/activities", activity, f"topic-group:groceries:activity:{i}")
        guide = await self.post(f"{base}/outputs", GROCERY_GUIDE, "topic-group:groceries:guide")
        # A replayed create answers as the draft was then; publish only a current draft.
        current = _ok(await self.api.get(f"{base}/outputs/{guide['id']}"), 200)
        if current["status"] == "draft":
            _ok(await self.api.post(f"{base}/outputs/{guide['id']}/publication"), 200)
        return str(group["id"])

    async def crowdfunding(self, partners: dict[str, str]) -> str:
        found = await self.post(
            "/api/v1/crowdfundings",
            {**CROWDFUNDING, "partner_id": partners[OWNERS_COMMITTEE["name"]]},
            "crowdfunding:owners",
        )
        base = f"/api/v1/crowdfundings/{found['id']}"
        for i, entry in enumerate(CROWDFUNDING_REPORTS):
            await self.post(f"{base}/reports", entry, f"crowdfunding:owners:report:{i}")
        for item in CROWDFUNDING_CHECKS:
            _ok(await self.api.put(f"{base}/checklist/{item}", json={"done": True}), 200)
        return str(found["id"])


async def load(api: httpx.AsyncClient) -> dict[str, Any]:
    """Load the partners story as the foundation's key ``api``; answers the ids made."""
    loader = _Loader(api)
    partners = await loader.partner_ids()
    collaborations = {c.key: await loader.collaboration(c, partners) for c in COLLABORATIONS}
    return {
        "partners": partners,
        "collaborations": collaborations,
        "topic_group": await loader.topic_group(partners),
        "crowdfunding": await loader.crowdfunding(partners),
    }


CREDENTIALS_ENTRY = "shekou-radio"


async def ensure_partner_key(
    gateway_db: Database, foundation_id: str, loaded: dict[str, Any], credentials: Path
) -> dict[str, dict[str, str]]:
    """The ``partner_keys`` entry of the credentials file: a key of 妈妈幸福学习园 (kind
    partner), reused from ``credentials`` while it still works."""
    partner_id = loaded["partners"][RADIO_PARTNER]
    previous = _previous(credentials)
    return {CREDENTIALS_ENTRY: await _partner_key(gateway_db, foundation_id, partner_id, previous)}


def _previous(credentials: Path) -> dict[str, Any]:
    if not credentials.exists():
        return {}
    saved = json.loads(credentials.read_text(encoding="utf-8"))
    found: dict[str, Any] = saved.get("partner_keys", {}).get(CREDENTIALS_ENTRY, {})
    return found


async def _partner_key(
    gateway_db: Database, foundation_id: str, partner_id: str, previous: dict[str, Any]
) -> dict[str, str]:
    async with transaction(gateway_db, write=True) as session:
        if previous.get("partner_id") == partner_id and previous.get("api_key"):
            principal = await keys.authenticate(session, previous["api_key"])
            if principal is not None and str(principal.partner_id) == partner_id:
                return {
                    "partner_id": partner_id,
                    "name": RADIO_PARTNER,
                    "api_key": str(previous["api_key"]),
                }
        _, plaintext = await keys.create_key(
            session,
            organisation_id=uuid.UUID(foundation_id),
            name=f"demo key of partner {RADIO_PARTNER}",
            partner_id=uuid.UUID(partner_id),
        )
    return {"partner_id": partner_id, "name": RADIO_PARTNER, "api_key": plaintext}
