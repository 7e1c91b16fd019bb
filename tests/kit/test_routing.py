"""kit.routing: a write request is validated whole before any dependency runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header
from pydantic import BaseModel

from kit.errors import install_problem_handlers
from kit.routing import validated_first


class Gift(BaseModel):
    amount: str
    note: str = ""


ran: list[str] = []


async def loads_and_locks(campaign_id: int) -> int:
    # Stands for a dependency that opens a transaction and locks the campaign.
    ran.append(f"locked {campaign_id}")
    return campaign_id


async def checks_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=3)] = None,
) -> None:
    ran.append("key")


router = APIRouter()


@router.post("/campaigns/{campaign_id}/gifts", status_code=201)
async def give(
    gift: Gift,
    campaign: Annotated[int, Depends(loads_and_locks)],
    _key: Annotated[None, Depends(checks_key)],
) -> dict[str, str]:
    return {"amount": gift.amount, "campaign": str(campaign)}


async def campaign_of_gift(gift: Gift) -> str:
    # Stands for a dependency that loads what the body names (the campaign a grant goes to).
    ran.append(f"body names {gift.amount}")
    return gift.amount


@router.post("/gifts", status_code=201)
async def give_named(
    gift: Gift, named: Annotated[str, Depends(campaign_of_gift)]
) -> dict[str, str]:
    return {"amount": gift.amount, "named": named}


@router.get("/campaigns/{campaign_id}")
async def read(campaign: Annotated[int, Depends(loads_and_locks)]) -> dict[str, int]:
    return {"campaign": campaign}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router, dependencies=[Depends(validated_first)])
    ran.clear()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://test"
    ) as client:
        yield client


async def test_a_valid_request_runs_its_dependencies(client: httpx.AsyncClient) -> None:
    response = await client.post("/campaigns/7/gifts", json={"amount": "1.00"})
    assert response.status_code == 201
    assert response.json() == {"amount": "1.00", "campaign": "7"}
    assert ran == ["locked 7", "key"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"note": "no amount"}, "amount"), ({"amount": 5}, "amount"), ([1, 2], "body")],
)
async def test_an_invalid_body_runs_no_dependency(
    client: httpx.AsyncClient, body: object, field: str
) -> None:
    response = await client.post("/campaigns/7/gifts", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert ran == []


async def test_an_invalid_header_or_path_runs_no_dependency(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/campaigns/seven/gifts", json={"amount": "1.00"}, headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "Idempotency-Key",
        "campaign_id",
    ]
    assert ran == []


async def test_a_missing_body_is_named(client: httpx.AsyncClient) -> None:
    response = await client.post("/campaigns/7/gifts")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert ran == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_json_of_another_media_type_is_415(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(
        "/campaigns/7/gifts", content=b'{"amount": "1.00"}', headers=headers
    )
    assert response.status_code == 415
    assert response.json()["type"] == "urn:fnet:problem:unsupported-media-type"
    assert "application/json" in response.json()["detail"]
    assert ran == []


async def test_json_with_a_charset_or_a_json_suffix_is_read(client: httpx.AsyncClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            "/campaigns/7/gifts",
            content=b'{"amount": "2.00"}',
            headers={"Content-Type": content_type},
        )
        assert response.status_code == 201, content_type


async def test_json_nested_too_deep_says_so(client: httpx.AsyncClient) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = await client.post(
        "/campaigns/7/gifts", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["code"] == "json_invalid"
    assert "nested too deeply" in problem["errors"][0]["message"]
    assert ran == []


async def test_a_number_too_large_says_so(client: httpx.AsyncClient) -> None:
    body = b'{"amount": ' + b"9" * 5000 + b"}"
    response = await client.post(
        "/campaigns/7/gifts", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "number too long" in response.json()["errors"][0]["message"]
    assert ran == []


async def test_broken_json_names_where(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/campaigns/7/gifts", content=b'{"amount": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert "is not valid JSON" in response.json()["errors"][0]["message"]


async def test_reads_are_not_checked_twice(client: httpx.AsyncClient) -> None:
    assert (await client.get("/campaigns/7")).json() == {"campaign": 7}
    assert (await client.get("/campaigns/x")).status_code == 422
    assert ran == ["locked 7"]


async def test_a_body_the_route_and_a_dependency_share_is_one_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/gifts", json={"amount": "3.00"})
    assert response.status_code == 201, response.text
    assert response.json() == {"amount": "3.00", "named": "3.00"}
    invalid = await client.post("/gifts", json={"note": "x"})
    assert invalid.status_code == 422
    assert ran == ["body names 3.00"]
