from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from kit.identity import DEFAULT_SCOPES, Scope
from tests.services.donations.factories import (
    create_campaign,
    donate,
    fund_balance,
    public_client,
)
from tests.support import client_for, principal

BAD_AMOUNTS = [
    ("0", "amount.amount"),
    ("-1", "amount.amount"),
    ("1.001", "amount.amount"),
    ("abc", "amount.amount"),
    ("1e20", "amount.amount"),
    ("1" + "0" * 20, "amount.amount"),
    (12.5, "amount.amount"),
    (12, "amount.amount"),
    ("12\n", "amount.amount"),
    ("12.00\n", "amount.amount"),
]


class TestRecordDonation:
    async def test_totals_follow_the_donations(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        for amount in ("100.00", "88.88", "0.01"):
            assert (await donate(client, campaign["id"], amount)).status_code == 201

        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert read["raised"] == {"amount": "188.89", "currency": "CNY"}
        assert read["donation_count"] == 3

    @pytest.mark.parametrize(("amount", "field"), BAD_AMOUNTS)
    async def test_bad_amount_is_422_naming_the_field_and_stores_nothing(
        self, client: httpx.AsyncClient, amount: object, field: str
    ) -> None:
        campaign = await create_campaign(client)
        response = await client.post(
            f"/api/v1/campaigns/{campaign['id']}/donations",
            json={"amount": {"amount": amount, "currency": "CNY"}},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")
        assert listing.json()["items"] == []

    @pytest.mark.parametrize(
        "donated_at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"]
    )
    async def test_time_outside_utcs_range_is_422_naming_it(
        self, client: httpx.AsyncClient, donated_at: str
    ) -> None:
        campaign = await create_campaign(client)
        response = await donate(client, campaign["id"], "10", donated_at=donated_at)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["donated_at"]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")
        assert listing.json()["items"] == []

    @pytest.mark.parametrize("donated_at", [0.5, 1580000000, "1580000000", "1580000000.5"])
    async def test_time_as_a_number_is_422_naming_it(
        self, client: httpx.AsyncClient, donated_at: object
    ) -> None:
        # Lax parsing took these for Unix times: 0.5 was a donation made in 1970.
        campaign = await create_campaign(client)
        response = await donate(client, campaign["id"], "10", donated_at=donated_at)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["donated_at"]
        assert "ISO 8601" in response.json()["errors"][0]["message"]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")
        assert listing.json()["items"] == []

    async def test_nul_character_in_donor_name_is_422_naming_it(
        self, client: httpx.AsyncClient
    ) -> None:
        # PostgreSQL cannot store U+0000: refused up front, not a 503 at the write.
        campaign = await create_campaign(client)
        response = await donate(client, campaign["id"], "10", donor_name="Li\x00Wei")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["donor_name"]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")
        assert listing.json()["items"] == []

    async def test_unknown_currency_is_422_naming_it(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await donate(client, campaign["id"], "10", currency="ABC")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["amount.currency"]

    async def test_other_currencies_are_summed_apart(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, currency="CNY")
        assert (await donate(client, campaign["id"], "10", currency="HKD")).status_code == 201
        assert (await donate(client, campaign["id"], "5.50", currency="CNY")).status_code == 201
        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert read["raised"] == {"amount": "5.50", "currency": "CNY"}
        assert read["raised_by_currency"] == [
            {"amount": "5.50", "currency": "CNY"},
            {"amount": "10.00", "currency": "HKD"},
        ]
        assert read["held"] == read["raised_by_currency"]
        assert read["donation_count"] == 2

    async def test_a_donation_in_another_currency_shows_in_every_total(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        # Accepted (sums stay per currency, never converted unseen), and never left out:
        # `raised` is the goal's currency, for the progress bar; every other figure names
        # every currency.
        campaign = await create_campaign(client, currency="CNY")
        assert (await donate(client, campaign["id"], "25.00", currency="USD")).status_code == 201
        usd = {"amount": "25.00", "currency": "USD"}

        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert read["raised"] == {"amount": "0.00", "currency": "CNY"}
        assert read["raised_by_currency"] == read["held"] == [usd]
        assert read["donation_count"] == 1
        [listed] = (await client.get("/api/v1/campaigns")).json()["items"]
        assert listed["raised_by_currency"] == [usd]
        async with public_client(app) as anyone:
            report = (await anyone.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()
        assert {r["currency"]: r["net"] for r in report["raised"]} == {
            "CNY": {"amount": "0.00", "currency": "CNY"},
            "USD": usd,
        }
        assert report["balance"]["cash"] == [usd]
        assert await fund_balance(client, campaign["id"], "donations") == {"USD": "-25.00"}

    async def test_a_gift_received_after_the_period_is_422_naming_donated_at(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2020-01-25T00:00:00Z", ends_at="2020-01-27T00:00:00Z"
        )
        late = await donate(client, campaign["id"], "10")
        later = await donate(client, campaign["id"], "10", donated_at="2020-01-27T00:00:00Z")
        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        for response in (late, later):
            assert response.status_code == 422
            assert response.json()["type"] == "urn:fnet:problem:received-after-end"
            assert [e["field"] for e in response.json()["errors"]] == ["donated_at"]
        assert read["donation_count"] == 0

    async def test_a_gift_received_within_the_period_is_recorded_after_it_ended(
        self, client: httpx.AsyncClient
    ) -> None:
        # Bank transfers and the host platform's export arrive days later; while the
        # campaign is open they are recorded at the time the money was received.
        campaign = await create_campaign(
            client, starts_at="2020-01-25T00:00:00Z", ends_at="2020-01-27T00:00:00Z"
        )
        response = await donate(client, campaign["id"], "10", donated_at="2020-01-26T23:59:59Z")
        assert response.status_code == 201, response.text

    async def test_donation_to_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as intruder:
            response = await donate(intruder, campaign["id"], "10")
        assert response.status_code == 404
        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert read["donation_count"] == 0

    async def test_donor_name_is_kept_and_readable(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await donate(client, campaign["id"], "5", donor_name="李", anonymous=False)
        donation = response.json()
        read = await client.get(response.headers["location"])
        assert read.json() == donation
        assert donation["donor_name"] == "李"
        assert donation["anonymous"] is False


class TestListDonations:
    async def test_most_recently_recorded_come_first_whatever_their_donated_at(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        # "Newest first" is by recording: a gift of last year recorded now (as a CSV import
        # of an old export does) comes before today's gift recorded a moment earlier.
        campaign = await create_campaign(client, starts_at="2020-01-01T00:00:00Z")
        today = (await donate(client, campaign["id"], "1.00")).json()
        old = (
            await donate(client, campaign["id"], "2.00", donated_at="2020-01-28T09:05:00+08:00")
        ).json()
        base = f"/api/v1/campaigns/{campaign['id']}"

        listed = (await client.get(f"{base}/donations")).json()["items"]
        async with public_client(app) as anyone:
            public = (await anyone.get(f"{base}/report/donations")).json()["items"]

        assert [d["id"] for d in listed] == [d["id"] for d in public] == [old["id"], today["id"]]
        assert listed[0]["donated_at"] < listed[1]["donated_at"]


class TestChannel:
    """A donation's channel is what the client says, else the host's platform for a
    campaign raising on one, else ``unspecified``: never a guess."""

    async def test_left_out_without_a_host_is_unspecified(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await donate(client, campaign["id"], "10.00")
        assert response.status_code == 201
        assert response.json()["channel"] == "unspecified"

    async def test_left_out_under_a_host_without_a_platform_is_unspecified(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, host={"name": "深圳市社会公益基金会", "filing_number": "F-1"}
        )
        assert (await donate(client, campaign["id"], "10.00")).json()["channel"] == "unspecified"

    async def test_left_out_under_a_host_platform_is_host_platform(
        self, client: httpx.AsyncClient
    ) -> None:
        host = {
            "name": "深圳市社会公益基金会",
            "filing_number": "F-1",
            "platform": "Tencent Charity",
        }
        campaign = await create_campaign(client, host=host)
        assert (await donate(client, campaign["id"], "10.00")).json()["channel"] == "host_platform"

    @pytest.mark.parametrize("channel", ["wechat_pay", "alipay", "bank_transfer", "cash"])
    async def test_a_channel_given_is_kept(self, client: httpx.AsyncClient, channel: str) -> None:
        host = {
            "name": "深圳市社会公益基金会",
            "filing_number": "F-1",
            "platform": "Tencent Charity",
        }
        campaign = await create_campaign(client, host=host)
        response = await donate(client, campaign["id"], "10.00", channel=channel)
        assert response.json()["channel"] == channel
        listed = (await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")).json()
        assert [d["channel"] for d in listed["items"]] == [channel]

    async def test_the_same_transaction_id_without_a_channel_is_recorded_once(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        assert (await donate(client, campaign["id"], "1", external_id="T-1")).status_code == 201
        again = await donate(client, campaign["id"], "1", external_id="T-1")
        assert again.status_code == 409
        assert again.json()["detail"].startswith("unspecified transaction 'T-1'")


class TestIdempotency:
    async def test_replay_returns_the_first_answer(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        first = await donate(client, campaign["id"], "10.50", key="k-1")
        again = await donate(client, campaign["id"], "10.50", key="k-1")

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert read["donation_count"] == 1

    @pytest.mark.parametrize("key", ["", "k" * 256, "\t", "caf\u00e9".encode().decode("latin-1")])
    async def test_invalid_key_is_422_naming_it_and_stores_nothing(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        campaign = await create_campaign(client)
        response = await client.post(
            f"/api/v1/campaigns/{campaign['id']}/donations",
            json={"amount": {"amount": "10", "currency": "CNY"}},
            headers=[(b"Idempotency-Key", key.encode("latin-1"))],
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
        listing = await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")
        assert listing.json()["items"] == []

    async def test_longest_key_is_accepted(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        assert (await donate(client, campaign["id"], "1", key="~ " * 127 + "k")).status_code == 201

    async def test_same_key_other_body_is_422(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "10.50", key="k-2")
        response = await donate(client, campaign["id"], "10.51", key="k-2")
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:idempotency-key-reused"

    async def test_keys_are_per_foundation(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        mine = await create_campaign(client)
        async with client_for(app, principal()) as other:
            theirs = await create_campaign(other)
            theirs_response = await donate(other, theirs["id"], "1", key="shared")
        mine_response = await donate(client, mine["id"], "1", key="shared")
        assert theirs_response.status_code == mine_response.status_code == 201
        assert theirs_response.json()["id"] != mine_response.json()["id"]

    async def test_failed_request_does_not_burn_the_key(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        failed = await donate(
            client, campaign["id"], "10", donated_at="2999-01-01T00:00:00Z", key="k-3"
        )
        succeeded = await donate(client, campaign["id"], "10", key="k-3")
        assert failed.status_code == 422
        assert succeeded.status_code == 201

    async def test_concurrent_identical_requests_store_one_donation(
        self, committing_app: FastAPI
    ) -> None:
        async with client_for(committing_app, principal()) as client:
            campaign = await create_campaign(client)
            responses = await asyncio.gather(
                *(donate(client, campaign["id"], "66.66", key="burst") for _ in range(100))
            )
            read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
            conflicting = await donate(client, campaign["id"], "66.67", key="burst")

        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert read["donation_count"] == 1
        assert read["raised"]["amount"] == "66.66"
        assert conflicting.status_code == 422

    async def test_concurrent_distinct_donations_all_count(self, committing_app: FastAPI) -> None:
        async with client_for(committing_app, principal()) as client:
            campaign = await create_campaign(client)
            responses = await asyncio.gather(
                *(donate(client, campaign["id"], "1.01", key=f"d-{i}") for i in range(40))
            )
            read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert {r.status_code for r in responses} == {201}
        assert read["donation_count"] == 40
        assert read["raised"]["amount"] == "40.40"


class TestDonorPersonalData:
    """Contact details and platform ids are stored for the foundation, and shown only to a
    key that was given ``donors:read`` on purpose."""

    async def test_only_a_key_with_donors_read_sees_them(self, app: FastAPI) -> None:
        clerk = principal()
        officer = principal(
            organisation_id=clerk.organisation_id,
            scopes=DEFAULT_SCOPES | {Scope.DONORS_READ},
        )
        async with client_for(app, clerk) as as_clerk, client_for(app, officer) as as_officer:
            campaign = await create_campaign(as_clerk)
            created = await donate(
                as_officer,
                campaign["id"],
                "88.88",
                donor_contact="13800000000",
                donor_ref="wx-user-1",
            )
            path = f"/api/v1/campaigns/{campaign['id']}/donations"
            plain = (await as_clerk.get(f"{path}/{created.json()['id']}")).json()
            plain_list = (await as_clerk.get(path)).json()["items"]
            personal = (await as_officer.get(f"{path}/{created.json()['id']}")).json()
            personal_list = (await as_officer.get(path)).json()["items"]

        assert created.status_code == 201
        # The answer to a write is stored for replays that any key may get: never personal.
        assert (created.json()["donor_contact"], created.json()["donor_ref"]) == (None, None)
        assert (plain["donor_contact"], plain["donor_ref"]) == (None, None)
        assert plain_list[0]["donor_contact"] is None
        assert (personal["donor_contact"], personal["donor_ref"]) == ("13800000000", "wx-user-1")
        assert personal_list[0]["donor_contact"] == "13800000000"

    def test_keys_do_not_get_it_by_default(self) -> None:
        assert Scope.DONORS_READ not in DEFAULT_SCOPES
