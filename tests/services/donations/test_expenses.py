"""Expenses: submitted, approved by someone else, paid; or rejected. Never more than the
campaign holds, also when many arrive at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import DEFAULT_SCOPES, Principal, Scope
from tests.services.donations.factories import (
    colleague,
    create_campaign,
    donate,
    funded_campaign,
    held,
    move_to,
    verified_entries,
)
from tests.services.donations.factories_spending import (
    decide,
    get_expense,
    pay_grant,
    settle,
    submit_expense,
    submitted,
)
from tests.support import client_for, principal

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
async def approver(app: FastAPI, foundation: Principal) -> AsyncIterator[httpx.AsyncClient]:
    """A colleague of ``foundation`` who approves what it submits."""
    async with client_for(app, colleague(foundation)) as client:
        yield client


class TestSubmitExpense:
    async def test_submitted_expense_waits_for_approval(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await funded_campaign(client)
        response = await submit_expense(
            client, campaign["id"], "860.00", evidence={"ref": "receipts/van.pdf", "sha256": SHA}
        )
        assert response.status_code == 201, response.text
        expense = response.json()
        assert expense["status"] == "submitted"
        assert expense["submitted_by"] == foundation.subject
        assert expense["amount"] == {"amount": "860.00", "currency": "CNY"}
        assert expense["evidence"] == {"ref": "receipts/van.pdf", "sha256": SHA}
        assert expense["version"] == 1
        assert response.headers["etag"] == '"1"'
        read = await client.get(response.headers["location"])
        assert read.json() == expense
        # Nothing is spent until it is paid.
        assert await held(client, campaign["id"]) == {"CNY": "1000.00"}
        assert await verified_entries(client) == 1

    async def test_evidence_hash_is_kept_in_lowercase(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client)
        response = await submit_expense(
            client, campaign["id"], evidence={"ref": "r", "sha256": SHA.upper()}
        )
        assert response.json()["evidence"]["sha256"] == SHA

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"category": "Transport"}, "category"),
            ({"category": ""}, "category"),
            ({"category": "venue hire"}, "category"),
            ({"category": "交通"}, "category"),
            ({"category": "-printing"}, "category"),
            ({"category": "x" * 65}, "category"),
            ({"payee": "  "}, "payee"),
            ({"evidence": {"ref": "r", "sha256": "abc"}}, "evidence.sha256"),
            ({"evidence": {"ref": "", "sha256": SHA}}, "evidence.ref"),
            ({"amount": {"amount": "0", "currency": "CNY"}}, "amount.amount"),
            ({"amount": {"amount": "-5", "currency": "CNY"}}, "amount.amount"),
            ({"amount": {"amount": 12.5, "currency": "CNY"}}, "amount.amount"),
            ({"amount": {"amount": "1.001", "currency": "CNY"}}, "amount.amount"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, extra: dict[str, object], field: str
    ) -> None:
        campaign = await funded_campaign(client)
        body = {
            "category": "transport",
            "payee": "Shunda Freight",
            "amount": {"amount": "10.00", "currency": "CNY"},
            **extra,
        }
        response = await client.post(f"/api/v1/campaigns/{campaign['id']}/expenses", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/expenses")
        assert listing.json()["items"] == []

    async def test_spend_in_another_currency_is_422_and_stores_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        assert (await donate(client, campaign["id"], "500", currency="HKD")).status_code == 201
        response = await submit_expense(client, campaign["id"], "10.00", currency="HKD")
        assert response.status_code == 422
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:spend-in-other-currency"
        assert [e["field"] for e in problem["errors"]] == ["amount.currency"]
        assert "a spend in another currency" in problem["errors"][0]["message"]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/expenses")
        assert listing.json()["items"] == []

    async def test_a_draft_refuses_with_409(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        response = await submit_expense(client, campaign["id"])
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-spendable"
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/expenses")
        assert listing.json()["items"] == []

    async def test_a_settled_campaign_refuses_with_409(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client)
        await settle(client, campaign["id"])
        response = await submit_expense(client, campaign["id"])
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-spendable"
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/expenses")
        assert listing.json()["items"] == []

    async def test_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        async with client_for(app, principal()) as intruder:
            response = await submit_expense(intruder, campaign["id"])
        assert response.status_code == 404
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/expenses")
        assert listing.json()["items"] == []

    async def test_replay_returns_the_first_answer(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client)
        first = await submit_expense(client, campaign["id"], key="e-1")
        again = await submit_expense(client, campaign["id"], key="e-1")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/expenses")
        assert len(listing.json()["items"]) == 1

    async def test_without_the_spending_scope_is_403(
        self, app: FastAPI, foundation: Principal
    ) -> None:
        async with client_for(app, foundation) as client:
            campaign = await funded_campaign(client)
        reader = colleague(foundation, DEFAULT_SCOPES - {Scope.SPENDING_WRITE})
        async with client_for(app, reader) as client:
            response = await submit_expense(client, campaign["id"])
        assert response.status_code == 403


class TestApproveExpense:
    async def test_someone_else_approves(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(approver, campaign["id"], expense_id, "approve", note="ok")
        assert response.status_code == 200, response.text
        expense = response.json()
        assert expense["status"] == "approved"
        assert expense["decided_by"] != expense["submitted_by"]
        assert expense["decision_note"] == "ok"
        assert expense["decided_at"] is not None
        assert expense["version"] == 2
        assert response.headers["etag"] == '"2"'
        assert await get_expense(client, campaign["id"], expense_id) == expense

    async def test_the_note_is_optional(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await approver.post(
            f"/api/v1/campaigns/{campaign['id']}/expenses/{expense_id}/approve"
        )
        assert response.status_code == 200, response.text
        assert response.json()["decision_note"] == ""

    async def test_self_approval_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        before = await get_expense(client, campaign["id"], expense_id)
        response = await decide(client, campaign["id"], expense_id, "approve")
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:self-approval"
        assert "someone else must approve it" in problem["detail"]
        assert await get_expense(client, campaign["id"], expense_id) == before

    async def test_a_decided_expense_cannot_be_decided_again(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        assert (await decide(approver, campaign["id"], expense_id, "approve")).status_code == 200
        approved = await get_expense(client, campaign["id"], expense_id)
        for action in ("approve", "reject"):
            response = await decide(approver, campaign["id"], expense_id, action)
            assert response.status_code == 409
            assert response.json()["type"] == "urn:fnet:problem:expense-already-decided"
        assert await get_expense(client, campaign["id"], expense_id) == approved

    async def test_more_than_the_campaign_holds_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client, "100.00")
        expense_id = await submitted(client, campaign["id"], "100.01")
        response = await decide(approver, campaign["id"], expense_id, "approve")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:insufficient-funds"
        assert (await get_expense(client, campaign["id"], expense_id))["status"] == "submitted"
        assert await held(client, campaign["id"]) == {"CNY": "100.00"}

    async def test_approved_expenses_reserve_their_money(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client, "100.00")
        first = await submitted(client, campaign["id"], "60.00")
        second = await submitted(client, campaign["id"], "60.00")
        third = await submitted(client, campaign["id"], "40.00")
        assert (await decide(approver, campaign["id"], first, "approve")).status_code == 200
        refused = await decide(approver, campaign["id"], second, "approve")
        assert refused.status_code == 409
        assert "reserved by approved expenses" in refused.json()["detail"]
        # Exactly what is left still fits.
        assert (await decide(approver, campaign["id"], third, "approve")).status_code == 200

    async def test_stale_if_match_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(approver, campaign["id"], expense_id, "approve", if_match='"7"')
        assert response.status_code == 412
        assert response.headers["content-type"] == "application/problem+json"
        assert (await get_expense(client, campaign["id"], expense_id))["version"] == 1
        response = await decide(approver, campaign["id"], expense_id, "approve", if_match='"1"')
        assert response.status_code == 200

    async def test_a_retried_approval_with_its_if_match_returns_the_first_answer(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        first = await decide(
            approver, campaign["id"], expense_id, "approve", if_match='"1"', key="approve-1"
        )
        again = await decide(
            approver, campaign["id"], expense_id, "approve", if_match='"1"', key="approve-1"
        )
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"

    async def test_unquoted_if_match_is_400_saying_tags_are_quoted(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(approver, campaign["id"], expense_id, "approve", if_match="1")
        assert response.status_code == 400
        assert response.json()["type"] == "urn:fnet:problem:malformed-if-match"
        assert 'If-Match: "1"' in response.json()["detail"]
        assert (await get_expense(client, campaign["id"], expense_id))["version"] == 1

    async def test_without_the_approve_scope_is_403(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        clerk = colleague(foundation, DEFAULT_SCOPES - {Scope.EXPENSES_APPROVE})
        async with client_for(app, clerk) as other:
            response = await decide(other, campaign["id"], expense_id, "approve")
        assert response.status_code == 403
        assert (await get_expense(client, campaign["id"], expense_id))["status"] == "submitted"

    async def test_expense_of_another_campaign_is_404(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        other = await create_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(approver, other["id"], expense_id, "approve")
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:expense-not-found"


class TestRejectExpense:
    async def test_rejected_expense_can_be_neither_approved_nor_paid(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(approver, campaign["id"], expense_id, "reject", note="no receipt")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected"
        assert response.json()["decision_note"] == "no receipt"
        assert (await decide(approver, campaign["id"], expense_id, "approve")).status_code == 409
        paid = await decide(client, campaign["id"], expense_id, "pay")
        assert paid.status_code == 409
        assert paid.json()["type"] == "urn:fnet:problem:expense-not-approved"
        assert await verified_entries(client) == 1

    async def test_a_rejection_must_say_why(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(approver, campaign["id"], expense_id, "reject", note="   ")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["note"]
        assert (await get_expense(client, campaign["id"], expense_id))["status"] == "submitted"

    async def test_the_submitter_may_withdraw_their_own(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(client, campaign["id"], expense_id, "reject", note="duplicate")
        assert response.status_code == 200
        assert response.json()["status"] == "rejected"


class TestPayExpense:
    async def test_paying_posts_to_the_ledger(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client, "1000.00")
        expense_id = await submitted(client, campaign["id"], "860.00")
        await decide(approver, campaign["id"], expense_id, "approve")
        response = await decide(client, campaign["id"], expense_id, "pay", if_match='"2"')
        assert response.status_code == 200, response.text
        expense = response.json()
        assert expense["status"] == "paid"
        assert expense["paid_at"] is not None
        assert expense["version"] == 3
        assert await held(client, campaign["id"]) == {"CNY": "140.00"}

        entry = (await client.get(f"/api/v1/ledger/entries/{expense['entry_id']}")).json()
        assert entry["kind"] == "expense"
        assert entry["source_id"] == expense_id
        assert [(line["account"], line["debit"], line["credit"]) for line in entry["lines"]] == [
            ("expense:transport", {"amount": "860.00", "currency": "CNY"}, None),
            ("cash", None, {"amount": "860.00", "currency": "CNY"}),
        ]
        assert await verified_entries(client) == 2

    async def test_a_submitted_expense_cannot_be_paid(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        response = await decide(client, campaign["id"], expense_id, "pay")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:expense-not-approved"
        assert await held(client, campaign["id"]) == {"CNY": "1000.00"}

    async def test_paying_twice_pays_once(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        await decide(approver, campaign["id"], expense_id, "approve")
        assert (await decide(client, campaign["id"], expense_id, "pay")).status_code == 200
        again = await decide(client, campaign["id"], expense_id, "pay")
        assert again.status_code == 409
        assert "is paid" in again.json()["detail"]
        assert await held(client, campaign["id"]) == {"CNY": "900.00"}
        assert await verified_entries(client) == 2

    async def test_a_replayed_payment_returns_the_first_answer(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        await decide(approver, campaign["id"], expense_id, "approve")
        first = await decide(client, campaign["id"], expense_id, "pay", key="pay-1")
        again = await decide(client, campaign["id"], expense_id, "pay", key="pay-1")
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await verified_entries(client) == 2

    async def test_money_spent_elsewhere_since_the_approval_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client, "100.00")
        expense_id = await submitted(client, campaign["id"], "80.00")
        await decide(approver, campaign["id"], expense_id, "approve")
        # A grant takes most of the money meanwhile (grants do not see reservations).
        assert (await pay_grant(client, "50.00", campaign_id=campaign["id"])).status_code == 201
        before = await get_expense(client, campaign["id"], expense_id)
        entries = await verified_entries(client)

        response = await decide(client, campaign["id"], expense_id, "pay")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:insufficient-funds"
        assert await get_expense(client, campaign["id"], expense_id) == before
        assert await held(client, campaign["id"]) == {"CNY": "50.00"}
        assert await verified_entries(client) == entries

    async def test_settled_campaign_pays_nothing(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        await decide(approver, campaign["id"], expense_id, "approve")
        await settle(client, campaign["id"])
        entries = await verified_entries(client)
        response = await decide(client, campaign["id"], expense_id, "pay")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-not-spendable"
        assert (await get_expense(client, campaign["id"], expense_id))["status"] == "approved"
        assert await verified_entries(client) == entries

    async def test_a_closed_campaign_still_pays(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        await decide(approver, campaign["id"], expense_id, "approve")
        await move_to(client, campaign["id"], "closed")
        assert (await decide(client, campaign["id"], expense_id, "pay")).status_code == 200


class TestReadExpenses:
    async def test_lists_filter_by_status(
        self, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        waiting = await submitted(client, campaign["id"])
        approved = await submitted(client, campaign["id"])
        await decide(approver, campaign["id"], approved, "approve")
        path = f"/api/v1/campaigns/{campaign['id']}/expenses"
        every = (await client.get(path)).json()["items"]
        assert [e["id"] for e in every] == [approved, waiting]  # newest first
        only = (await client.get(path, params={"status": "submitted"})).json()["items"]
        assert [e["id"] for e in only] == [waiting]
        bad = await client.get(path, params={"status": "lost"})
        assert bad.status_code == 422
        assert [e["field"] for e in bad.json()["errors"]] == ["status"]

    async def test_the_approvers_queue_spans_the_foundations_campaigns_only(
        self, app: FastAPI, client: httpx.AsyncClient, approver: httpx.AsyncClient
    ) -> None:
        first = await funded_campaign(client)
        second = await funded_campaign(client)
        one = await submitted(client, first["id"])
        two = await submitted(client, second["id"])
        decided = await submitted(client, second["id"])
        await decide(approver, second["id"], decided, "reject")
        async with client_for(app, principal()) as other:
            theirs = await funded_campaign(other)
            await submitted(other, theirs["id"])
        queue = await approver.get("/api/v1/expenses", params={"status": "submitted"})
        assert queue.status_code == 200
        assert [e["id"] for e in queue.json()["items"]] == [two, one]
        paged = (await approver.get("/api/v1/expenses", params={"limit": 2})).json()
        assert len(paged["items"]) == 2
        rest = await approver.get("/api/v1/expenses", params={"cursor": paged["next_cursor"]})
        assert [e["id"] for e in rest.json()["items"]] == [one]

    async def test_etag_and_if_none_match(self, client: httpx.AsyncClient) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        path = f"/api/v1/campaigns/{campaign['id']}/expenses/{expense_id}"
        read = await client.get(path)
        assert read.headers["etag"] == '"1"'
        unchanged = await client.get(path, headers={"If-None-Match": '"1"'})
        assert unchanged.status_code == 304
        assert unchanged.content == b""
        changed = await client.get(path, headers={"If-None-Match": '"0"'})
        assert changed.status_code == 200

    async def test_another_foundations_expense_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await funded_campaign(client)
        expense_id = await submitted(client, campaign["id"])
        async with client_for(app, principal()) as intruder:
            response = await intruder.get(
                f"/api/v1/campaigns/{campaign['id']}/expenses/{expense_id}"
            )
            queue = await intruder.get("/api/v1/expenses")
        assert response.status_code == 404
        assert queue.json()["items"] == []


class TestConcurrency:
    async def test_concurrent_approvals_never_reserve_more_than_the_campaign_holds(
        self, committing_app: FastAPI
    ) -> None:
        submitter = principal()
        async with (
            client_for(committing_app, submitter) as client,
            client_for(committing_app, colleague(submitter)) as approver,
        ):
            campaign = await funded_campaign(client, "100.00")
            ids = [await submitted(client, campaign["id"], "10.00") for _ in range(100)]
            responses = await asyncio.gather(
                *(decide(approver, campaign["id"], i, "approve") for i in ids)
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] * 10 + [409] * 90
            assert {r.json()["type"] for r in responses if r.status_code == 409} == {
                "urn:fnet:problem:insufficient-funds"
            }

            approved = [i for i, r in zip(ids, responses, strict=True) if r.status_code == 200]
            paid = await asyncio.gather(
                *(decide(client, campaign["id"], i, "pay") for i in approved)
            )
            assert {r.status_code for r in paid} == {200}
            assert await held(client, campaign["id"]) == {"CNY": "0.00"}
            assert await verified_entries(client) == 11

    async def test_concurrent_payments_of_one_expense_pay_it_once(
        self, committing_app: FastAPI
    ) -> None:
        submitter = principal()
        async with (
            client_for(committing_app, submitter) as client,
            client_for(committing_app, colleague(submitter)) as approver,
        ):
            campaign = await funded_campaign(client, "100.00")
            expense_id = await submitted(client, campaign["id"], "10.00")
            await decide(approver, campaign["id"], expense_id, "approve")
            responses = await asyncio.gather(
                *(decide(client, campaign["id"], expense_id, "pay") for _ in range(20))
            )
            assert sorted(r.status_code for r in responses) == [200] + [409] * 19
            assert await held(client, campaign["id"]) == {"CNY": "90.00"}
            assert await verified_entries(client) == 2

    async def test_approve_racing_reject_leaves_exactly_one_decision(
        self, committing_app: FastAPI
    ) -> None:
        submitter = principal()
        async with (
            client_for(committing_app, submitter) as client,
            client_for(committing_app, colleague(submitter)) as first,
            client_for(committing_app, colleague(submitter)) as second,
        ):
            campaign = await funded_campaign(client, "1000.00")
            for _ in range(10):
                expense_id = await submitted(client, campaign["id"], "10.00")
                approved, rejected, again = await asyncio.gather(
                    decide(first, campaign["id"], expense_id, "approve"),
                    decide(second, campaign["id"], expense_id, "reject"),
                    decide(second, campaign["id"], expense_id, "approve"),
                )
                codes = [approved.status_code, rejected.status_code, again.status_code]
                assert sorted(codes) == [200, 409, 409]
                winner = next(r for r in (approved, rejected, again) if r.status_code == 200)
                final = await get_expense(client, campaign["id"], expense_id)
                assert final == winner.json()
                assert final["version"] == 2
