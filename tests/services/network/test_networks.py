from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.services.network.conftest import Members
from tests.services.network.factories import create_network, join

PROBLEM = "application/problem+json"


async def member_ids(client: httpx.AsyncClient, network_id: str) -> dict[str, str]:
    response = await client.get(f"/api/v1/networks/{network_id}/members")
    assert response.status_code == 200, response.text
    return {m["foundation_id"]: m["status"] for m in response.json()["items"]}


async def audit(client: httpx.AsyncClient, network_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/networks/{network_id}/audit")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestCreateNetwork:
    async def test_the_creator_is_its_coordinator(self, members: Members) -> None:
        shekou = await members.add("shekou")
        network = await create_network(shekou, name_en="PRD Action Network")

        assert network["created_by"] == members.ids["shekou"]
        listed = (await shekou.get(f"/api/v1/networks/{network['id']}/members")).json()["items"]
        assert [(m["foundation_id"], m["role"], m["status"]) for m in listed] == [
            (members.ids["shekou"], "coordinator", "active")
        ]
        mine = (await shekou.get("/api/v1/networks", params={"mine": "true"})).json()["items"]
        assert [n["id"] for n in mine] == [network["id"]]

    async def test_bad_input_is_422(self, members: Members) -> None:
        shekou = await members.add("shekou")
        response = await shekou.post("/api/v1/networks", json={"name": ""})
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM


class TestJoinHandshake:
    async def test_request_then_coordinator_accepts(self, members: Members) -> None:
        shekou, futian = await members.add("shekou"), await members.add("futian")
        network = await create_network(shekou)
        nid, fid = network["id"], members.ids["futian"]

        asked = await futian.post(f"/api/v1/networks/{nid}/join-requests")
        assert asked.status_code == 201
        assert asked.json()["status"] == "requested"
        # Others see only active members; the coordinator and the asker see the request.
        assert fid not in await member_ids(await members.add("outsider"), nid)
        assert (await member_ids(shekou, nid))[fid] == "requested"

        self_accept = await futian.post(f"/api/v1/networks/{nid}/members/{fid}/accept")
        assert self_accept.status_code == 403
        assert self_accept.json()["type"] == "urn:fnet:problem:not-coordinator"

        accepted = await shekou.post(f"/api/v1/networks/{nid}/members/{fid}/accept")
        assert accepted.status_code == 200
        assert accepted.json()["status"] == "active"
        again = await shekou.post(f"/api/v1/networks/{nid}/members/{fid}/accept")
        assert again.status_code == 409

    async def test_invitation_then_foundation_accepts(self, members: Members) -> None:
        shekou, wuhou = await members.add("shekou"), await members.add("wuhou")
        nid = (await create_network(shekou))["id"]
        wid = members.ids["wuhou"]

        invited = await shekou.post(
            f"/api/v1/networks/{nid}/invitations", json={"foundation_id": wid}
        )
        assert invited.status_code == 201
        assert invited.json()["status"] == "invited"
        coordinator_accepts = await shekou.post(f"/api/v1/networks/{nid}/members/{wid}/accept")
        assert coordinator_accepts.status_code == 403
        assert coordinator_accepts.json()["type"] == "urn:fnet:problem:not-yours-to-answer"

        accepted = await wuhou.post(f"/api/v1/networks/{nid}/members/{wid}/accept")
        assert accepted.status_code == 200
        assert (await member_ids(wuhou, nid))[wid] == "active"

    async def test_only_coordinators_invite_and_only_known_foundations(
        self, members: Members
    ) -> None:
        shekou, futian = await members.add("shekou"), await members.add("futian")
        nid = (await create_network(shekou))["id"]
        await join(nid, futian, shekou, members.ids["futian"])

        by_member = await futian.post(
            f"/api/v1/networks/{nid}/invitations", json={"foundation_id": members.ids["shekou"]}
        )
        assert by_member.status_code == 403
        unknown = await shekou.post(
            f"/api/v1/networks/{nid}/invitations", json={"foundation_id": str(uuid.uuid4())}
        )
        assert unknown.status_code == 404
        assert unknown.json()["type"] == "urn:fnet:problem:foundation-not-found"

    async def test_reject_and_twice_asking(self, members: Members) -> None:
        shekou, futian = await members.add("shekou"), await members.add("futian")
        nid, fid = (await create_network(shekou))["id"], members.ids["futian"]

        assert (await futian.post(f"/api/v1/networks/{nid}/join-requests")).status_code == 201
        twice = await futian.post(f"/api/v1/networks/{nid}/join-requests")
        assert twice.status_code == 409
        assert twice.json()["type"] == "urn:fnet:problem:already-member"
        rejected = await shekou.post(f"/api/v1/networks/{nid}/members/{fid}/reject")
        assert rejected.status_code == 204
        assert fid not in await member_ids(shekou, nid)

    async def test_a_retried_join_request_gets_the_first_answer(self, members: Members) -> None:
        shekou, futian = await members.add("shekou"), await members.add("futian")
        nid = (await create_network(shekou))["id"]
        url = f"/api/v1/networks/{nid}/join-requests"

        first = await futian.post(url, headers={"Idempotency-Key": "join-1"})
        again = await futian.post(url, headers={"Idempotency-Key": "join-1"})

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"

    async def test_unknown_network_is_404(self, members: Members) -> None:
        shekou = await members.add("shekou")
        response = await shekou.post(f"/api/v1/networks/{uuid.uuid4()}/join-requests")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM


class TestLeaveAndRemove:
    async def test_leave_remove_and_the_last_coordinator(self, members: Members) -> None:
        shekou, futian, nanshan = (
            await members.add("shekou"),
            await members.add("futian"),
            await members.add("nanshan"),
        )
        nid = (await create_network(shekou))["id"]
        await join(nid, futian, shekou, members.ids["futian"])
        await join(nid, nanshan, shekou, members.ids["nanshan"])

        by_member = await futian.delete(f"/api/v1/networks/{nid}/members/{members.ids['nanshan']}")
        assert by_member.status_code == 403
        left = await futian.delete(f"/api/v1/networks/{nid}/members/{members.ids['futian']}")
        assert left.status_code == 204
        removed = await shekou.delete(f"/api/v1/networks/{nid}/members/{members.ids['nanshan']}")
        assert removed.status_code == 204
        last = await shekou.delete(f"/api/v1/networks/{nid}/members/{members.ids['shekou']}")
        assert last.status_code == 409
        assert last.json()["type"] == "urn:fnet:problem:last-coordinator"
        assert await member_ids(shekou, nid) == {members.ids["shekou"]: "active"}

    async def test_roles_change_but_one_coordinator_stays(self, members: Members) -> None:
        shekou, futian = await members.add("shekou"), await members.add("futian")
        nid = (await create_network(shekou))["id"]
        await join(nid, futian, shekou, members.ids["futian"])
        url = f"/api/v1/networks/{nid}/members"

        demote_self = await shekou.patch(f"{url}/{members.ids['shekou']}", json={"role": "member"})
        assert demote_self.status_code == 409
        promoted = await shekou.patch(
            f"{url}/{members.ids['futian']}", json={"role": "coordinator"}
        )
        assert promoted.json()["role"] == "coordinator"
        assert (await shekou.delete(f"{url}/{members.ids['shekou']}")).status_code == 204


class TestAudit:
    async def test_every_change_is_in_the_trail(self, members: Members) -> None:
        shekou, futian, wuhou = (
            await members.add("shekou"),
            await members.add("futian"),
            await members.add("wuhou"),
        )
        nid = (await create_network(shekou))["id"]
        await join(nid, futian, shekou, members.ids["futian"])
        await shekou.post(
            f"/api/v1/networks/{nid}/invitations", json={"foundation_id": members.ids["wuhou"]}
        )
        await wuhou.post(f"/api/v1/networks/{nid}/members/{members.ids['wuhou']}/reject")
        await futian.delete(f"/api/v1/networks/{nid}/members/{members.ids['futian']}")

        trail = list(reversed(await audit(shekou, nid)))
        assert [(r["action"], r["foundation_id"], r["actor_foundation_id"]) for r in trail] == [
            ("created", None, members.ids["shekou"]),
            ("accepted", members.ids["shekou"], members.ids["shekou"]),
            ("join_requested", members.ids["futian"], members.ids["futian"]),
            ("accepted", members.ids["futian"], members.ids["shekou"]),
            ("invited", members.ids["wuhou"], members.ids["shekou"]),
            ("rejected", members.ids["wuhou"], members.ids["wuhou"]),
            ("left", members.ids["futian"], members.ids["futian"]),
        ]
        outsider = await futian.get(f"/api/v1/networks/{nid}/audit")
        assert outsider.status_code == 403
        assert outsider.json()["type"] == "urn:fnet:problem:not-member"
