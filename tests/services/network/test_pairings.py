from __future__ import annotations

import httpx

from tests.services.network.conftest import Members
from tests.services.network.factories import pair


async def pairings(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/v1/pairings")
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


class TestProposeAndAnswer:
    async def test_proposed_then_accepted(self, members: Members) -> None:
        shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
        proposed = await shekou.post(
            "/api/v1/pairings", json={"partner_id": members.ids["wuhou"], "note": "结对合作"}
        )
        assert proposed.status_code == 201
        pairing = proposed.json()
        assert pairing["status"] == "proposed"
        assert proposed.headers["location"] == f"/api/v1/pairings/{pairing['id']}"

        self_accept = await shekou.post(f"/api/v1/pairings/{pairing['id']}/accept")
        assert self_accept.status_code == 403
        accepted = await wuhou.post(f"/api/v1/pairings/{pairing['id']}/accept")
        assert accepted.status_code == 200
        assert accepted.json()["status"] == "active"
        assert await pairings(shekou) == await pairings(wuhou) == [pairing["id"]]

    async def test_declined(self, members: Members) -> None:
        shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
        pid = (
            await shekou.post("/api/v1/pairings", json={"partner_id": members.ids["wuhou"]})
        ).json()["id"]
        declined = await wuhou.post(f"/api/v1/pairings/{pid}/decline")
        assert declined.json()["status"] == "declined"
        late = await wuhou.post(f"/api/v1/pairings/{pid}/accept")
        assert late.status_code == 409
        assert late.json()["type"] == "urn:fnet:problem:pairing-not-open"

    async def test_a_pairing_with_oneself_is_422_and_stores_nothing(self, members: Members) -> None:
        shekou = await members.add("shekou")
        response = await shekou.post("/api/v1/pairings", json={"partner_id": members.ids["shekou"]})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:pairing-with-itself"
        assert [e["field"] for e in response.json()["errors"]] == ["partner_id"]
        assert await pairings(shekou) == []

    async def test_one_open_pairing_per_two(self, members: Members) -> None:
        shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
        await pair(shekou, wuhou, members.ids["wuhou"])
        again = await wuhou.post("/api/v1/pairings", json={"partner_id": members.ids["shekou"]})
        assert again.status_code == 409
        assert again.json()["type"] == "urn:fnet:problem:pairing-exists"


class TestEndAndPrivacy:
    async def test_either_side_ends_it(self, members: Members) -> None:
        shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
        pairing = await pair(shekou, wuhou, members.ids["wuhou"])
        ended = await wuhou.post(f"/api/v1/pairings/{pairing['id']}/end")
        assert ended.status_code == 200
        assert ended.json()["status"] == "ended"
        assert ended.json()["ended_by"] == members.ids["wuhou"]
        assert (await shekou.post(f"/api/v1/pairings/{pairing['id']}/end")).status_code == 409

    async def test_others_never_see_it(self, members: Members) -> None:
        shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
        outsider = await members.add("outsider")
        pairing = await pair(shekou, wuhou, members.ids["wuhou"])
        response = await outsider.get(f"/api/v1/pairings/{pairing['id']}")
        assert response.status_code == 404
        assert (await outsider.post(f"/api/v1/pairings/{pairing['id']}/end")).status_code == 404
        assert await pairings(outsider) == []
