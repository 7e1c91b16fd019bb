"""Currency conversions: only at a rate recorded as a decimal with its source and date; the
arithmetic is exact decimal, rounded half to even; each currency balances on its own."""

from __future__ import annotations

from fractions import Fraction

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from kit.identity import Principal
from kit.money import CURRENCY_EXPONENTS
from services.donations.ledger.conversions.service import convert as convert_minor
from tests.services.donations.factories import (
    colleague,
    create_campaign,
    donate,
    fund_balance,
    held,
    verified_entries,
)
from tests.services.donations.factories_spending import (
    convert,
    decide,
    receive_grant,
    settle,
    submitted,
)
from tests.support import client_for, principal


async def hkd_campaign(client: httpx.AsyncClient, amount: str = "100.00") -> str:
    """A CNY campaign holding ``amount`` HKD (and no CNY)."""
    campaign = await create_campaign(client, currency="CNY")
    assert (await donate(client, campaign["id"], amount, currency="HKD")).status_code == 201
    return str(campaign["id"])


class TestConvert:
    async def test_hkd_to_cny_at_a_recorded_rate(self, client: httpx.AsyncClient) -> None:
        campaign_id = await hkd_campaign(client)
        response = await convert(client, "100.00", "HKD", "CNY", "0.9123", fund_id=campaign_id)
        assert response.status_code == 201, response.text
        conversion = response.json()
        assert conversion["from"] == {"amount": "100.00", "currency": "HKD"}
        assert conversion["to"] == {"amount": "91.23", "currency": "CNY"}
        assert conversion["rate"] == "0.9123"
        assert conversion["rate_source"] == "中国人民银行 central parity"
        assert conversion["rate_date"] == "2020-02-03"
        assert conversion["fund_id"] == campaign_id
        assert (await client.get(response.headers["location"])).json() == conversion
        assert await held(client, campaign_id) == {"CNY": "91.23", "HKD": "0.00"}

        entry = (await client.get(f"/api/v1/ledger/entries/{conversion['entry_id']}")).json()
        assert entry["kind"] == "conversion"
        assert [(line["account"], line["debit"], line["credit"]) for line in entry["lines"]] == [
            ("cash", None, {"amount": "100.00", "currency": "HKD"}),
            ("exchange", {"amount": "100.00", "currency": "HKD"}, None),
            ("exchange", None, {"amount": "91.23", "currency": "CNY"}),
            ("cash", {"amount": "91.23", "currency": "CNY"}, None),
        ]
        assert await verified_entries(client) == 2

    @pytest.mark.parametrize(
        "case",
        [
            ("100.00", "HKD", "CNY", "0.91235", "91.24"),  # 91.235: half to even, up
            ("100.00", "HKD", "CNY", "0.91225", "91.22"),  # 91.225: half to even, down
            ("100.00", "HKD", "CNY", "0.912349999999", "91.23"),
            ("1.00", "CNY", "JPY", "20.5", "20"),  # JPY has no minor unit
            ("1.00", "CNY", "JPY", "21.5", "22"),
            ("3", "JPY", "CNY", "0.065", "0.20"),  # 0.195
            ("10000", "JPY", "CNY", "0.0651234", "651.23"),
            ("0.01", "CNY", "KRW", "190.123456789012", "2"),
            ("9999999.99", "USD", "CNY", "7.123456789012", "71234567.82"),
        ],
    )
    async def test_rounds_half_to_even_to_the_target_minor_unit(
        self, client: httpx.AsyncClient, foundation: Principal, case: tuple[str, str, str, str, str]
    ) -> None:
        amount, currency, to_currency, rate, expected = case
        assert (await receive_grant(client, amount, currency=currency)).status_code == 201
        response = await convert(client, amount, currency, to_currency, rate)
        assert response.status_code == 201, response.text
        assert response.json()["to"] == {"amount": expected, "currency": to_currency}
        own = await fund_balance(client, str(foundation.organisation_id), "cash")
        assert own[to_currency] == expected
        assert await verified_entries(client) == 2

    async def test_converted_money_can_then_be_spent(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign_id = await hkd_campaign(client, "1000.00")
        await convert(client, "1000.00", "HKD", "CNY", "0.9123", fund_id=campaign_id)
        expense_id = await submitted(client, campaign_id, "912.30")
        async with client_for(app, colleague(foundation)) as approver:
            assert (await decide(approver, campaign_id, expense_id, "approve")).status_code == 200
        assert (await decide(client, campaign_id, expense_id, "pay")).status_code == 200
        assert await held(client, campaign_id) == {"CNY": "0.00", "HKD": "0.00"}
        assert await verified_entries(client) == 3

    async def test_the_unrestricted_fund_is_the_default(
        self, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        await receive_grant(client, "50.00", currency="USD")
        response = await convert(client, "50.00", "USD", "CNY", "7.1")
        assert response.status_code == 201, response.text
        assert response.json()["fund_id"] == str(foundation.organisation_id)
        explicit = await convert(
            client, "1.00", "CNY", "USD", "0.14", fund_id=str(foundation.organisation_id)
        )
        assert explicit.status_code == 201, explicit.text
        own = await fund_balance(client, str(foundation.organisation_id), "cash")
        assert own == {"CNY": "354.00", "USD": "0.14"}
        # The exchange account of a fund holds what went through it, per currency.
        exchange = await fund_balance(client, str(foundation.organisation_id), "exchange")
        assert exchange == {"CNY": "-354.00", "USD": "49.86"}

    async def test_more_than_the_fund_holds_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign_id = await hkd_campaign(client, "100.00")
        response = await convert(client, "100.01", "HKD", "CNY", "0.9123", fund_id=campaign_id)
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:insufficient-funds"
        assert await held(client, campaign_id) == {"HKD": "100.00"}
        assert await verified_entries(client) == 1
        assert (await client.get("/api/v1/ledger/conversions")).json()["items"] == []

    @pytest.mark.parametrize(
        "rate",
        [
            "0",
            "0.000",
            "-1",
            "-0.9",
            "1e3",
            "1E3",
            "+1",
            "",
            " 0.9",
            "0.9 ",
            "0.9\n",
            ".9",
            "1.",
            "0,9",
            "abc",
            "NaN",
            "Infinity",
            "0.1234567890123",  # 13 decimal places
            "1234567890123",  # 13 digits before the point
            "01.5",
            1.5,
            1,
            None,
            True,
        ],
    )
    async def test_bad_rate_is_422_naming_it_and_changes_nothing(
        self, client: httpx.AsyncClient, rate: object
    ) -> None:
        campaign_id = await hkd_campaign(client)
        response = await convert(client, "10.00", "HKD", "CNY", rate, fund_id=campaign_id)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["rate"]
        assert await held(client, campaign_id) == {"HKD": "100.00"}
        assert await verified_entries(client) == 1

    async def test_twelve_decimal_places_are_enough(self, client: httpx.AsyncClient) -> None:
        campaign_id = await hkd_campaign(client)
        response = await convert(
            client, "10.00", "HKD", "CNY", "0.912345678901", fund_id=campaign_id
        )
        assert response.status_code == 201, response.text
        assert response.json()["rate"] == "0.912345678901"

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"to_currency": "HKD"}, "to_currency"),
            ({"to_currency": "ABC"}, "to_currency"),
            ({"to_currency": "cny"}, "to_currency"),
            ({"from": {"amount": "10.001", "currency": "HKD"}}, "from.amount"),
            ({"from": {"amount": "0", "currency": "HKD"}}, "from.amount"),
            ({"from": {"amount": 10, "currency": "HKD"}}, "from.amount"),
            ({"rate_source": ""}, "rate_source"),
            ({"rate_date": 20200203}, "rate_date"),
            ({"rate_date": "2020-02-30"}, "rate_date"),
            ({"rate_date": "2999-01-01"}, "rate_date"),
            ({"fund_id": "acme"}, "fund_id"),
            ({"from_": {"amount": "1", "currency": "HKD"}}, "from_"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field_and_changes_nothing(
        self, client: httpx.AsyncClient, extra: dict[str, object], field: str
    ) -> None:
        campaign_id = await hkd_campaign(client)
        body = {
            "fund_id": campaign_id,
            "from": {"amount": "10.00", "currency": "HKD"},
            "to_currency": "CNY",
            "rate": "0.9123",
            "rate_source": "中国人民银行 central parity",
            "rate_date": "2020-02-03",
            **extra,
        }
        response = await client.post("/api/v1/ledger/conversions", json=body)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await verified_entries(client) == 1

    async def test_a_result_below_one_minor_unit_is_422(self, client: httpx.AsyncClient) -> None:
        await receive_grant(client, "1", currency="JPY")
        response = await convert(client, "1", "JPY", "CNY", "0.004")
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["from.amount"]

    @pytest.mark.parametrize("whose", ["unknown", "another foundation's"])
    async def test_a_fund_not_of_the_foundation_is_422(
        self, app: FastAPI, client: httpx.AsyncClient, whose: str
    ) -> None:
        if whose == "unknown":
            fund_id = str(principal().organisation_id)
        else:
            async with client_for(app, principal()) as other:
                fund_id = await hkd_campaign(other)
        response = await convert(client, "10.00", "HKD", "CNY", "0.9123", fund_id=fund_id)
        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:unknown-fund"
        assert [e["field"] for e in response.json()["errors"]] == ["fund_id"]

    async def test_a_settled_campaigns_money_stays_as_it_is(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign_id = await hkd_campaign(client)
        # Its HKD must become CNY before it can be paid out and the campaign settled.
        converted = await convert(client, "100.00", "HKD", "CNY", "0.9123", fund_id=campaign_id)
        assert converted.status_code == 201, converted.text
        await settle(client, campaign_id)
        before = (await held(client, campaign_id), await verified_entries(client))
        response = await convert(client, "10.00", "CNY", "HKD", "1.0961", fund_id=campaign_id)
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-settled"
        assert (await held(client, campaign_id), await verified_entries(client)) == before

    async def test_replay_returns_the_first_answer(self, client: httpx.AsyncClient) -> None:
        campaign_id = await hkd_campaign(client)
        first = await convert(client, "10.00", "HKD", "CNY", "0.9", fund_id=campaign_id, key="c")
        again = await convert(client, "10.00", "HKD", "CNY", "0.9", fund_id=campaign_id, key="c")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await held(client, campaign_id) == {"CNY": "9.00", "HKD": "90.00"}


class TestReadConversions:
    async def test_list_filters_by_fund_and_hides_other_foundations(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        first = await hkd_campaign(client)
        second = await hkd_campaign(client)
        one = (await convert(client, "1.00", "HKD", "CNY", "0.9", fund_id=first)).json()
        two = (await convert(client, "2.00", "HKD", "CNY", "0.9", fund_id=second)).json()
        every = (await client.get("/api/v1/ledger/conversions")).json()["items"]
        assert [c["id"] for c in every] == [two["id"], one["id"]]
        only = await client.get("/api/v1/ledger/conversions", params={"fund_id": first})
        assert only.json()["items"] == [one]
        async with client_for(app, principal()) as intruder:
            assert (await intruder.get("/api/v1/ledger/conversions")).json()["items"] == []
            hidden = await intruder.get(f"/api/v1/ledger/conversions/{one['id']}")
        assert hidden.status_code == 404


@st.composite
def conversions(draw: st.DrawFn) -> tuple[int, str, str, str]:
    currencies = sorted(CURRENCY_EXPONENTS)
    source = draw(st.sampled_from(currencies))
    target = draw(st.sampled_from([c for c in currencies if c != source]))
    minor = draw(st.integers(min_value=1, max_value=10**15 - 1))
    whole = draw(st.integers(min_value=0, max_value=10**12 - 1))
    places = draw(st.integers(min_value=0, max_value=12))
    fraction = draw(st.integers(min_value=0, max_value=10**places - 1)) if places else 0
    rate = f"{whole}.{fraction:0{places}d}" if places else str(whole)
    return minor, source, rate, target


@given(conversions())
def test_conversion_equals_exact_rational_arithmetic_rounded_half_to_even(
    case: tuple[int, str, str, str],
) -> None:
    minor, source, rate, target = case
    whole, _, fraction = rate.partition(".")
    exact_rate = Fraction(int(whole + fraction), 10 ** len(fraction))
    exact = (
        Fraction(minor, 10 ** CURRENCY_EXPONENTS[source])
        * exact_rate
        * 10 ** CURRENCY_EXPONENTS[target]
    )
    # round() on a Fraction rounds half to even.
    assert convert_minor(minor, source, rate, target) == round(exact)
