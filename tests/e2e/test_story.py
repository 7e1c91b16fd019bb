"""The Shekou story, end to end through the gateway: a phase 1 campaign raised under a
licensed host, 165 donations summing to 20,670.18 CNY, 2,700 masks and 720 sprays bought
and given out to 24 named communities, an approved expense, phase 2 with a restricted grant,
and a grant to a partner. The public report must show each figure exactly, and the ledger
must verify."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fnet import story
from fnet.demo import load_story
from tests.e2e.conftest import System, _create_key, settled_report

# One worker runs every test of the e2e system, so that it starts once (see conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


@pytest.fixture(scope="module")
def shekou_story(system: System) -> dict[str, Any]:
    with system.client("operator") as operator:
        created = operator.post(
            "/api/v1/foundations", json={"slug": "shekou-story", "name": "蛇口社区基金会"}
        )
        assert created.status_code == 201, created.text
    foundation = created.json()["id"]
    main_key = _create_key(system.env, foundation)
    treasurer_key = _create_key(system.env, foundation)

    async def load() -> dict[str, str]:
        async with (
            httpx.AsyncClient(
                base_url=system.gateway, headers={"X-API-Key": main_key}, timeout=60
            ) as api,
            httpx.AsyncClient(
                base_url=system.gateway, headers={"X-API-Key": treasurer_key}, timeout=60
            ) as treasurer,
        ):
            return await load_story(api, treasurer)

    campaigns = asyncio.run(load())
    with httpx.Client(base_url=system.gateway, timeout=30) as public:
        reports = {name: settled_report(public, cid) for name, cid in campaigns.items()}
    with httpx.Client(base_url=system.gateway, headers={"X-API-Key": main_key}, timeout=60) as api:
        verify = api.get("/api/v1/ledger/verify")
        trial = api.get("/api/v1/ledger/trial-balance")
        again = asyncio.run(load())
        verify_again = api.get("/api/v1/ledger/verify")
    return {
        "campaigns": campaigns,
        "reports": {name: r.json() for name, r in reports.items()},
        "statuses": {name: r.status_code for name, r in reports.items()},
        "verify": verify.json(),
        "trial": trial.json(),
        "again": again,
        "verify_again": verify_again.json(),
    }


class TestShekouStory:
    def test_the_reports_are_public(self, shekou_story: dict[str, Any]) -> None:
        assert shekou_story["statuses"] == {"shekou-phase-1": 200, "shekou-phase-2": 200}

    def test_phase_1_was_raised_under_the_licensed_host(self, shekou_story: dict[str, Any]) -> None:
        facts = shekou_story["reports"]["shekou-phase-1"]["campaign"]
        assert facts["host"]["name"] == "深圳市社会公益基金会"
        assert facts["host"]["filing_number"] == story.HOST["filing_number"]
        assert facts["status"] == "closed"
        assert facts["phase"] == 1

    def test_phase_1_raised_20670_18_from_165_donations(self, shekou_story: dict[str, Any]) -> None:
        report = shekou_story["reports"]["shekou-phase-1"]
        assert report["raised"] == [
            {
                "currency": "CNY",
                "gross": _money("20670.18"),
                "refunds": _money("0.00"),
                "net": _money("20670.18"),
            }
        ]
        assert report["donation_count"] == 165

    def test_phase_1_bought_2700_masks_and_720_sprays(self, shekou_story: dict[str, Any]) -> None:
        bought = {
            b["item"]: (b["quantity"], b["cost"])
            for b in shekou_story["reports"]["shekou-phase-1"]["bought"]
        }
        assert bought == {
            story.MASKS.item: (2700, _money("11340.00")),
            story.SPRAYS.item: (720, _money("9000.00")),
        }

    def test_everything_went_to_24_named_communities(self, shekou_story: dict[str, Any]) -> None:
        report = shekou_story["reports"]["shekou-phase-1"]
        recipients = report["distributed"]
        assert sorted(r["name"] for r in recipients) == sorted(story.COMMUNITIES)
        assert {r["kind"] for r in recipients} == {"community"}
        given = {story.MASKS.item: 0, story.SPRAYS.item: 0}
        for recipient in recipients:
            for item in recipient["items"]:
                given[item["item"]] += item["quantity"]
        assert given == {story.MASKS.item: 2700, story.SPRAYS.item: 720}
        assert report["balance"]["stock"] == [] or all(
            s["quantity"] == 0 for s in report["balance"]["stock"]
        )

    def test_what_is_left_is_what_was_raised_less_what_was_spent(
        self, shekou_story: dict[str, Any]
    ) -> None:
        report = shekou_story["reports"]["shekou-phase-1"]
        assert report["expenses"] == [{"category": "transport", "amount": _money("300.00")}]
        left = Decimal("20670.18") - Decimal("11340.00") - Decimal("9000.00") - Decimal("300.00")
        assert report["balance"]["cash"] == [_money(f"{left:.2f}")]

    def test_phase_2_follows_with_the_stream_plan_grant_and_a_grant_to_a_partner(
        self, shekou_story: dict[str, Any]
    ) -> None:
        report = shekou_story["reports"]["shekou-phase-2"]
        assert report["campaign"]["phase"] == 2
        assert report["campaign"]["follows_id"] == shekou_story["campaigns"]["shekou-phase-1"]
        assert report["grants_received"] == [_money("10000.00")]
        assert report["grants_paid"] == [_money("3000.00")]
        raised = sum(Decimal(a) for a in story.PHASE_2_DONATIONS)
        assert report["raised"][0]["net"] == _money(f"{raised:.2f}")
        assert report["donation_count"] == len(story.PHASE_2_DONATIONS)
        given = {r["name"]: r["items"][0]["quantity"] for r in report["distributed"]}
        assert given == {name: quantity for name, _, quantity in story.PHASE_2_RECIPIENTS}
        left = raised + Decimal("10000.00") - Decimal("4000.00") - Decimal("3000.00")
        assert report["balance"]["cash"] == [_money(f"{left:.2f}")]

    def test_the_ledger_verifies_and_the_reports_name_its_head(
        self, shekou_story: dict[str, Any]
    ) -> None:
        verify = shekou_story["verify"]
        assert verify["valid"] is True, verify["breaks"]
        # 165 + 6 donations, 2 purchases, 24 + 2 distributions, 1 expense, 2 grants.
        assert verify["entries"] == 165 + 6 + 2 + 26 + 1 + 2
        # The latest report counts every entry: those of the log's head it names.
        latest = shekou_story["reports"]["shekou-phase-2"]
        assert latest["log"]["pending"] == 0
        assert (latest["ledger"]["seq"], latest["ledger"]["hash"]) == (
            verify["entries"],
            latest["log"]["root_hash"],
        )

    def test_debits_equal_credits(self, shekou_story: dict[str, Any]) -> None:
        totals = shekou_story["trial"]["totals"]
        assert [t["currency"] for t in totals] == ["CNY"]
        assert totals[0]["debit"] == totals[0]["credit"]

    def test_loading_the_story_again_changes_nothing(self, shekou_story: dict[str, Any]) -> None:
        assert shekou_story["again"] == shekou_story["campaigns"]
        assert shekou_story["verify_again"] == shekou_story["verify"]
