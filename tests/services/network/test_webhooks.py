"""Registering webhook endpoints (the delivery itself: test_webhook_delivery.py)."""

from __future__ import annotations

import pytest

from tests.services.network.conftest import Members

URL = "/api/v1/webhook-endpoints"


class TestRegister:
    async def test_the_secret_is_shown_once(self, members: Members) -> None:
        wuhou = await members.add("wuhou")
        response = await wuhou.post(
            URL,
            json={"url": "https://93.184.215.14/hooks", "event_types": ["shared_resource.created"]},
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["secret"].startswith("whsec_")
        assert created["enabled"] is True
        read = await wuhou.get(f"{URL}/{created['id']}")
        assert "secret" not in read.json()
        listed = (await wuhou.get(URL)).json()["items"]
        assert [e["id"] for e in listed] == [created["id"]]
        assert all("secret" not in e for e in listed)

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/hook",
            "http://192.168.1.10/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://localhost/hook",
            "http://0.0.0.0/hook",
        ],
    )
    async def test_a_private_target_is_422_and_stores_nothing(
        self, members: Members, url: str
    ) -> None:
        wuhou = await members.add("wuhou")
        response = await wuhou.post(URL, json={"url": url})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:fnet:problem:webhook-target-refused"
        assert [e["field"] for e in response.json()["errors"]] == ["url"]
        assert (await wuhou.get(URL)).json()["items"] == []

    async def test_unknown_event_type_is_422(self, members: Members) -> None:
        wuhou = await members.add("wuhou")
        response = await wuhou.post(
            URL, json={"url": "https://93.184.215.14/h", "event_types": ["donation.made"]}
        )
        assert response.status_code == 422

    async def test_others_cannot_see_an_endpoint(self, members: Members) -> None:
        wuhou, other = await members.add("wuhou"), await members.add("other")
        made = (await wuhou.post(URL, json={"url": "https://93.184.215.14/h"})).json()
        assert (await other.get(f"{URL}/{made['id']}")).status_code == 404
        assert (await other.delete(f"{URL}/{made['id']}")).status_code == 404
