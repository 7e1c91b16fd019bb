"""The network part of the demo: the Pearl River Delta Community Foundation Action Network
(珠三角社区基金会行动网络) with Shekou and other delta foundations, the Shekou-Wuhou pairing
(结对合作), and the guides the story says they shared.

Loaded through the network service's API, each foundation acting for itself with an
identity token the loader signs (as ``fnet up`` may: it holds the services' secret).
Loading twice adds nothing twice: networks, pairings and resources are found by name first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from kit.identity import DEFAULT_SCOPES, IDENTITY_HEADER, Principal, TokenSigner

PRD_NETWORK = {
    "name": "珠三角社区基金会行动网络",
    "name_en": "Pearl River Delta Community Foundation Action Network",
    "description": "Community foundations of the Pearl River Delta sharing experience and "
    "resources; in 2020 they co-created guides for markets, return to the city and return "
    "to work.",
}


@dataclass(frozen=True, slots=True)
class NetworkFoundation:
    slug: str
    name: str
    name_en: str
    city: str
    region: str
    description: str


# Delta members besides Shekou (in the directory only; they have no demo API keys).
DELTA_MEMBERS = (
    NetworkFoundation(
        "futian-cf",
        "福田社区基金会",
        "Futian Community Foundation",
        "Shenzhen",
        "Futian",
        "A community foundation in Futian district, Shenzhen.",
    ),
    NetworkFoundation(
        "shunde-cf",
        "顺德社区基金会",
        "Shunde Community Foundation",
        "Foshan",
        "Shunde",
        "A community foundation in Shunde district, Foshan.",
    ),
)

GROCERY_GUIDE = {
    "kind": "guide",
    "title": "蛇口买菜攻略 Where to buy groceries in Shekou",
    "body": "## 蛇口买菜攻略\n\nAfter a survey by the resident topic group 蛇口买菜 "
    "(buying groceries in Shekou): the markets, shops and delivery groups that are open, "
    "their hours, and how to order without crowding.\n",
    "language": "zh-CN",
    "tags": ["epidemic", "groceries", "topic-group"],
}
TIPS = {
    "kind": "guide",
    "title": "防疫小妙招 Epidemic-prevention tips",
    "body": "## 防疫小妙招\n\nEveryday epidemic-prevention tips for residents, as broadcast "
    "on the online community radio.\n",
    "language": "zh-CN",
    "tags": ["epidemic", "residents"],
}
NETWORK_GUIDES = (
    {
        "kind": "guide",
        "title": "农贸市场防疫指引 Epidemic guide for markets",
        "body": "## Markets\n\nCo-created in the epidemic support network.\n",
        "language": "zh-CN",
        "tags": ["epidemic", "markets"],
    },
    {
        "kind": "guide",
        "title": "返城防疫指引 Guide for returning to the city",
        "body": "## Returning to the city\n\nCo-created in the epidemic support network.\n",
        "language": "zh-CN",
        "tags": ["epidemic", "return-to-city"],
    },
    {
        "kind": "guide",
        "title": "复工防疫指引 Guide for returning to work",
        "body": "## Returning to work\n\nCo-created in the epidemic support network.\n",
        "language": "zh-CN",
        "tags": ["epidemic", "return-to-work"],
    },
)


class NetworkDemoError(RuntimeError):
    """The network service answered the demo loader with something it did not expect."""


def _ok(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in statuses:
        raise NetworkDemoError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return response.json()


class _As:
    """Calls to the network service as one foundation."""

    def __init__(self, network: httpx.AsyncClient, signer: TokenSigner, foundation_id: str):
        self.network = network
        self.headers = {
            IDENTITY_HEADER: signer.sign(
                Principal(
                    subject="fnet-demo",
                    organisation_id=uuid.UUID(foundation_id),
                    scopes=DEFAULT_SCOPES,
                )
            )
        }

    async def get(self, path: str, **params: str) -> Any:
        return _ok(await self.network.get(path, params=params, headers=self.headers), 200)

    async def post(self, path: str, body: dict[str, Any] | None = None, *ok: int) -> Any:
        response = await self.network.post(path, json=body, headers=self.headers)
        return _ok(response, *(ok or (200, 201)))


async def _foundation(
    network: httpx.AsyncClient, operator: dict[str, str], f: NetworkFoundation
) -> str:
    found = _ok(await network.get("/api/v1/foundations", params={"slug": f.slug}), 200)
    if found["items"]:
        return str(found["items"][0]["id"])
    made = _ok(
        await network.post(
            "/api/v1/foundations",
            json={
                "slug": f.slug,
                "name": f.name,
                "name_en": f.name_en,
                "city": f.city,
                "region": f.region,
                "description": f.description,
            },
            headers={**operator, "Idempotency-Key": f"demo:foundation:{f.slug}"},
        ),
        201,
    )
    return str(made["id"])


async def _share(owner: _As, body: dict[str, Any]) -> str:
    mine = await owner.get("/api/v1/shared-resources", limit="200")
    for item in mine["items"]:
        # The same title can stand twice: the partners service's topic group publishes the
        # grocery guide too, and the network shares that copy with the networks.
        if all(item[field] == body[field] for field in ("title", "kind", "visibility")):
            return str(item["id"])
    made = await owner.post("/api/v1/shared-resources", body)
    return str(made["id"])


async def load(
    network: httpx.AsyncClient, *, secret: str, operator: dict[str, str], ids: dict[str, str]
) -> dict[str, Any]:
    """Load the network part of the story; ``ids`` holds the story's foundations by slug
    (``shekou``, ``wuhou``). Returns what was made, by name."""
    signer = TokenSigner(secret)
    members = {f.slug: await _foundation(network, operator, f) for f in DELTA_MEMBERS}
    shekou = _As(network, signer, ids["shekou"])
    wuhou = _As(network, signer, ids["wuhou"])

    mine = await shekou.get("/api/v1/networks", mine="true", limit="200")
    existing = [n for n in mine["items"] if n["name"] == PRD_NETWORK["name"]]
    network_id = str(
        existing[0]["id"]
        if existing
        else (await shekou.post("/api/v1/networks", PRD_NETWORK))["id"]
    )
    listed = await shekou.get(f"/api/v1/networks/{network_id}/members", limit="200")
    present = {m["foundation_id"] for m in listed["items"]}
    for member_id in members.values():
        if member_id in present:
            continue
        member = _As(network, signer, member_id)
        await member.post(f"/api/v1/networks/{network_id}/join-requests")
        await shekou.post(f"/api/v1/networks/{network_id}/members/{member_id}/accept")

    active = await shekou.get("/api/v1/pairings", status="active")
    pairing = next(
        (p for p in active["items"] if ids["wuhou"] in (p["proposer_id"], p["partner_id"])), None
    )
    if pairing is None:
        proposed = await shekou.post(
            "/api/v1/pairings",
            {"partner_id": ids["wuhou"], "note": "结对合作: compare and develop our models"},
        )
        pairing = await wuhou.post(f"/api/v1/pairings/{proposed['id']}/accept")
    pairing_id = str(pairing["id"])

    resources = {
        "grocery_guide": await _share(
            shekou, {**GROCERY_GUIDE, "visibility": "pairing", "pairing_id": pairing_id}
        ),
        "tips": await _share(shekou, {**TIPS, "visibility": "public"}),
    }
    for guide in NETWORK_GUIDES:
        resources[str(guide["tags"][1])] = await _share(
            shekou, {**guide, "visibility": "networks", "network_ids": [network_id]}
        )
    return {
        "network_id": network_id,
        "pairing_id": pairing_id,
        "members": members,
        "resources": resources,
    }
