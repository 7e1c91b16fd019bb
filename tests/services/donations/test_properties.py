"""Property-based: random sequences of donations, refunds, purchases, in-kind gifts,
distributions, expenses and grants, checked against a simple model of what the campaign
should hold. After every sequence: each operation was accepted exactly when the model says it
was affordable (and refused without effect otherwise), the ledger verifies, every currency's
debits equal its credits, no balance or stock is below zero, and the public report equals
both the ledger and the model."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.events import InMemoryBus
from kit.identity import DEFAULT_SCOPES, Principal
from kit.migrations import upgrade
from kit.money import format_minor
from services.donations.app import MIGRATIONS, create_app
from services.donations.settings import DonationsSettings
from tests.services.donations.factories import public_client
from tests.services.donations.factories_partners import partner_of
from tests.support import TEST_SECRET, identity_headers, running

ITEM, UNIT = "口罩 mask", "只 piece"
CNY = "CNY"

amounts = st.integers(min_value=1, max_value=200_000)  # fen: up to 2,000.00 CNY
operations = st.lists(
    st.one_of(
        st.tuples(st.just("donate"), amounts),
        st.tuples(st.just("refund"), st.integers(0, 30), amounts),
        st.tuples(st.just("purchase"), st.integers(1, 40), st.integers(1, 5_000)),
        st.tuples(st.just("in_kind"), st.integers(1, 40), st.one_of(st.none(), amounts)),
        st.tuples(st.just("distribute"), st.integers(1, 60)),
        st.tuples(st.just("expense"), amounts),
        st.tuples(st.just("grant_in"), amounts),
        st.tuples(st.just("grant_out"), amounts),
    ),
    min_size=1,
    max_size=25,
)


def money(minor: int) -> dict[str, str]:
    return {"amount": format_minor(minor, CNY), "currency": CNY}


@dataclass
class Model:
    """What the campaign should hold, by simple arithmetic."""

    cash: int = 0
    donated: int = 0
    refunded: int = 0
    donations: list[tuple[str, int, int]] = field(default_factory=list)  # id, amount, refunded
    stock: int = 0
    bought: int = 0
    bought_cost: int = 0
    distributed: int = 0
    expenses: int = 0
    grants_in: int = 0
    grants_out: int = 0
    entries: int = 0


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("properties") / "donations.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(MIGRATIONS, url)
    return url


async def run(url: str, ops: list[tuple[Any, ...]]) -> None:
    organisation = uuid.uuid4()
    clerk = Principal("key:clerk", organisation, DEFAULT_SCOPES)
    treasurer = Principal("key:treasurer", organisation, DEFAULT_SCOPES)
    bus = InMemoryBus()
    settings_ = DonationsSettings(
        database_url=url, internal_token_secret=TEST_SECRET, json_logs=False
    )
    try:
        async with running(create_app(settings_, bus=bus)) as app:
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(
                    transport=transport, base_url="http://t", headers=identity_headers(clerk)
                ) as api,
                httpx.AsyncClient(
                    transport=transport, base_url="http://t", headers=identity_headers(treasurer)
                ) as approver,
                public_client(app) as public,
            ):
                await Scenario(api, approver, public).play(ops)
    finally:
        await bus.close()


class Scenario:
    def __init__(
        self, api: httpx.AsyncClient, approver: httpx.AsyncClient, public: httpx.AsyncClient
    ) -> None:
        self.api, self.approver, self.public = api, approver, public
        self.model = Model()
        self.campaign = ""

    async def post(self, path: str, body: dict[str, Any], ok: bool, *, by: Any = None) -> Any:
        """POST, and check it was accepted exactly when the model says it should be; a
        refusal must be a 409 or 422 problem."""
        response = await (by or self.api).post(path, json=body)
        if ok:
            assert response.status_code in (200, 201), (path, body, response.text)
            return response.json()
        assert response.status_code in (409, 422), (path, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        return None

    async def play(self, ops: list[tuple[Any, ...]]) -> None:
        created = await self.api.post(
            "/api/v1/campaigns", json={"title": "property", "goal": money(10_000_000)}
        )
        assert created.status_code == 201
        self.campaign = created.json()["id"]
        for op in ops:
            await getattr(self, op[0])(*op[1:])
        await self.check()

    @property
    def base(self) -> str:
        return f"/api/v1/campaigns/{self.campaign}"

    async def donate(self, amount: int) -> None:
        m = self.model
        donation = await self.post(f"{self.base}/donations", {"amount": money(amount)}, True)
        m.donations.append((donation["id"], amount, 0))
        m.cash += amount
        m.donated += amount
        m.entries += 1

    async def refund(self, index: int, amount: int) -> None:
        m = self.model
        if not m.donations:
            return
        donation_id, given, refunded = m.donations[index % len(m.donations)]
        ok = amount <= given - refunded and amount <= m.cash
        body = {"amount": money(amount), "reason": "property test"}
        if await self.post(f"{self.base}/donations/{donation_id}/refunds", body, ok):
            position = m.donations.index((donation_id, given, refunded))
            m.donations[position] = (donation_id, given, refunded + amount)
            m.cash -= amount
            m.refunded += amount
            m.entries += 1

    async def purchase(self, quantity: int, unit_price: int) -> None:
        m = self.model
        cost = quantity * unit_price
        body = {
            "supplier": "supplier",
            "lines": [
                {"item": ITEM, "unit": UNIT, "quantity": quantity, "unit_price": money(unit_price)}
            ],
        }
        if await self.post(f"{self.base}/purchases", body, cost <= m.cash):
            m.cash -= cost
            m.stock += quantity
            m.bought += quantity
            m.bought_cost += cost
            m.entries += 1

    async def in_kind(self, quantity: int, fair_value: int | None) -> None:
        m = self.model
        body: dict[str, Any] = {"item": ITEM, "unit": UNIT, "quantity": quantity}
        if fair_value is not None:
            body["fair_value"] = money(fair_value)
        await self.post(f"{self.base}/in-kind-donations", body, True)
        m.stock += quantity
        m.entries += fair_value is not None

    async def distribute(self, quantity: int) -> None:
        m = self.model
        body = {
            "recipient": {"name": "湾厦社区", "kind": "community"},
            "lines": [{"item": ITEM, "unit": UNIT, "quantity": quantity}],
        }
        if await self.post(f"{self.base}/distributions", body, quantity <= m.stock):
            m.stock -= quantity
            m.distributed += quantity
            listed = (await self.api.get(f"{self.base}/distributions?limit=1")).json()
            m.entries += listed["items"][0]["entry_id"] is not None

    async def expense(self, amount: int) -> None:
        m = self.model
        body = {"category": "transport", "payee": "driver", "amount": money(amount)}
        expense = await self.post(f"{self.base}/expenses", body, True)
        path = f"{self.base}/expenses/{expense['id']}"
        ok = amount <= m.cash
        # The submitter may not approve; someone else may, when the campaign can pay.
        await self.post(f"{path}/approve", {"note": "mine"}, False)
        if await self.post(f"{path}/approve", {"note": "ok"}, ok, by=self.approver):
            await self.post(f"{path}/pay", {}, True)
            m.cash -= amount
            m.expenses += amount
            m.entries += 1

    async def grant_in(self, amount: int) -> None:
        m = self.model
        body = {"grantor": "溪流计划", "amount": money(amount), "campaign_id": self.campaign}
        await self.post("/api/v1/grants/received", body, True)
        m.cash += amount
        m.grants_in += amount
        m.entries += 1

    async def grant_out(self, amount: int) -> None:
        m = self.model
        body = {
            "partner_organisation_id": await partner_of(self.api),
            "campaign_id": self.campaign,
            "purpose": "community radio",
            "amount": money(amount),
        }
        if await self.post("/api/v1/grants/paid", body, amount <= m.cash):
            m.cash -= amount
            m.grants_out += amount
            m.entries += 1

    async def check(self) -> None:
        m = self.model
        verify = (await self.api.get("/api/v1/ledger/verify")).json()
        assert verify["valid"] is True, verify["breaks"]
        assert verify["entries"] == m.entries

        trial = (await self.api.get("/api/v1/ledger/trial-balance")).json()
        for total in trial["totals"]:
            assert total["debit"] == total["credit"]
        balances = {
            row["account"]: row["balance"]["amount"]
            for row in trial["rows"]
            if row["fund_id"] == self.campaign
        }
        for account in ("cash", "stock"):
            assert not balances.get(account, "0").startswith("-")
        assert balances.get("cash", "0.00") == format_minor(m.cash, CNY)

        report = (await self.public.get(f"{self.base}/report")).json()
        assert report["balance"]["cash"] in ([money(m.cash)], [] if m.cash == 0 else None)
        if m.donated:
            assert report["raised"][0]["gross"] == money(m.donated)
            assert report["raised"][0]["refunds"] == money(m.refunded)
            assert report["raised"][0]["net"] == money(m.donated - m.refunded)
        assert report["donation_count"] == len(m.donations)
        on_hand = sum(s["quantity"] for s in report["balance"]["stock"])
        assert on_hand == m.stock
        assert sum(b["quantity"] for b in report["bought"]) == m.bought
        assert (
            sum(i["quantity"] for r in report["distributed"] for i in r["items"]) == m.distributed
        )
        assert report["grants_received"] == ([money(m.grants_in)] if m.grants_in else [])
        assert report["grants_paid"] == ([money(m.grants_out)] if m.grants_out else [])
        expenses = {e["category"]: e["amount"] for e in report["expenses"]}
        assert expenses == ({"transport": money(m.expenses)} if m.expenses else {})
        # The figures are those of the head the report names, which holds every entry.
        # (No log head before the first entry: the empty tree.)
        log = report["log"] or {"size": 0, "root_hash": hashlib.sha256(b"").hexdigest()}
        assert report["log"] is None or report["log"]["pending"] == 0
        assert (report["ledger"]["seq"], report["ledger"]["hash"]) == (
            log["size"],
            log["root_hash"],
        )
        assert log["size"] == m.entries
        read = (await self.api.get(self.base)).json()
        assert read["held"] == ([money(m.cash)] if m.cash else read["held"])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_sequences_keep_the_ledger_balanced_and_the_report_equal_to_it(
    database_url: str, ops: list[tuple[Any, ...]]
) -> None:
    asyncio.run(run(database_url, ops))
