"""Disclosures: the Charity Law calendar, publishing frozen reports, corrections."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contracts.donations import DisclosurePublishedV1
from kit.identity import DEFAULT_SCOPES, Principal, Scope
from services.donations.reports.schemas import ReportRead
from tests.services.donations.factories import (
    closed_in_the_past,
    create_campaign,
    donate,
    integrated,
    outbox_events,
    public_client,
)
from tests.support import client_for, principal

FAR = "2036-01-01T00:00:00+00:00"


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def calendar(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/disclosures", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def due(items: list[dict[str, Any]], campaign_id: str) -> list[tuple[str, str, str, str]]:
    """(kind, period_start, period_end, due_at) of one campaign's items, as dates."""
    return [
        (i["kind"], i["period_start"][:10], i["period_end"][:10], i["due_at"][:10])
        for i in items
        if i["campaign_id"] == campaign_id
    ]


async def publish(
    client: httpx.AsyncClient, campaign_id: str, key: str | None = None, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/campaigns/{campaign_id}/disclosures",
        json=body,
        headers={"Idempotency-Key": key} if key else {},
    )


async def disclosures_of(app: FastAPI, campaign_id: str) -> list[dict[str, Any]]:
    async with public_client(app) as anyone:
        response = await anyone.get(f"/api/v1/campaigns/{campaign_id}/disclosures")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def canonical_sha256(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TestCalendar:
    async def test_a_twelve_month_campaign_discloses_every_three_months_and_at_the_end(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2025-01-15T08:00:00+00:00", ends_at="2026-01-15T08:00:00+00:00"
        )
        items = await calendar(client, due_before=FAR)
        assert due(items, campaign["id"]) == [
            ("periodic", "2025-01-15", "2025-04-15", "2025-04-15"),
            ("periodic", "2025-04-15", "2025-07-15", "2025-07-15"),
            ("periodic", "2025-07-15", "2025-10-15", "2025-10-15"),
            ("final", "2025-01-15", "2026-01-15", "2026-04-15"),
        ]
        assert all(i["overdue"] for i in items)
        assert {i["campaign_title"] for i in items} == {campaign["title"]}

    async def test_a_two_month_campaign_discloses_only_at_the_end(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        items = await calendar(client, due_before=FAR)
        assert due(items, campaign["id"]) == [("final", "2025-03-01", "2025-05-01", "2025-08-01")]

    async def test_the_end_of_the_month_is_clamped(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(
            client, starts_at="2024-11-30T00:00:00+00:00", ends_at="2025-08-31T00:00:00+00:00"
        )
        items = await calendar(client, due_before=FAR)
        # Each date from the start, not from the last one: 30 May, not 28 May.
        assert [(k, d) for k, _, _, d in due(items, campaign["id"])] == [
            ("periodic", "2025-02-28"),
            ("periodic", "2025-05-30"),
            ("periodic", "2025-08-30"),
            ("final", "2025-11-30"),
        ]

    async def test_only_what_is_due_before_the_horizon_and_overdue_only_when_past(
        self, client: httpx.AsyncClient
    ) -> None:
        start = now() - dt.timedelta(days=100)
        campaign = await create_campaign(
            client,
            starts_at=start.isoformat(),
            ends_at=(start + dt.timedelta(days=400)).isoformat(),
        )
        horizon = (now() + dt.timedelta(days=120)).isoformat()
        items = await calendar(client, due_before=horizon)
        assert [(i["kind"], i["overdue"]) for i in items] == [
            ("periodic", True),
            ("periodic", False),
        ]
        assert ts(items[0]["due_at"]) < now() < ts(items[1]["due_at"]) < ts(horizon)
        assert items[0]["campaign_id"] == campaign["id"]

    async def test_due_before_defaults_to_thirty_days_ahead(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/v1/disclosures")
        assert response.status_code == 200
        horizon = ts(response.json()["due_before"])
        assert abs(horizon - (now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)

    @pytest.mark.parametrize("due_before", ["0.5", "1580000000"])
    async def test_due_before_as_a_number_is_422_naming_it(
        self, client: httpx.AsyncClient, due_before: str
    ) -> None:
        response = await client.get("/api/v1/disclosures", params={"due_before": due_before})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["due_before"]

    async def test_an_ongoing_campaign_discloses_every_three_months_and_has_no_final_yet(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client, starts_at="2025-01-10T00:00:00+00:00")
        items = due(await calendar(client, due_before="2026-12-01T00:00:00+00:00"), campaign["id"])
        assert [(k, d) for k, _, _, d in items] == [
            ("periodic", "2025-04-10"),
            ("periodic", "2025-07-10"),
            ("periodic", "2025-10-10"),
            ("periodic", "2026-01-10"),
            ("periodic", "2026-04-10"),
            ("periodic", "2026-07-10"),
            ("periodic", "2026-10-10"),
        ]

    async def test_a_campaign_closed_early_ends_when_closed(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2025-01-01T00:00:00+00:00", ends_at="2026-01-01T00:00:00+00:00"
        )
        await closed_in_the_past(client, app, campaign["id"], ts("2025-05-01T00:00:00Z"))
        items = await calendar(client, due_before=FAR)
        assert due(items, campaign["id"]) == [("final", "2025-01-01", "2025-05-01", "2025-08-01")]

    async def test_drafts_and_other_foundations_campaigns_are_not_listed(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        draft = await create_campaign(
            client,
            status="draft",
            starts_at="2025-03-01T00:00:00+00:00",
            ends_at="2025-05-01T00:00:00+00:00",
        )
        async with client_for(app, principal()) as other:
            theirs = await create_campaign(
                other, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
            )
            assert due(await calendar(other, due_before=FAR), theirs["id"])
        assert await calendar(client, due_before=FAR) == []
        assert await calendar(client, due_before=FAR, campaign_id=draft["id"]) == []
        response = await client.get(
            "/api/v1/disclosures", params={"due_before": FAR, "campaign_id": theirs["id"]}
        )
        assert response.status_code == 404

    async def test_campaign_id_narrows_the_list(self, client: httpx.AsyncClient) -> None:
        one = await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        items = await calendar(client, due_before=FAR, campaign_id=one["id"])
        assert {i["campaign_id"] for i in items} == {one["id"]}

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"due_before": "tomorrow"}, "due_before"),
            ({"due_before": "2026-01-01T00:00:00"}, "due_before"),  # no zone
            ({"due_before": "2999-01-01T00:00:00+00:00"}, "due_before"),
            ({"campaign_id": "x"}, "campaign_id"),
        ],
    )
    async def test_bad_query_is_422_naming_it(
        self, client: httpx.AsyncClient, params: dict[str, str], field: str
    ) -> None:
        response = await client.get("/api/v1/disclosures", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]

    async def test_needs_the_campaigns_read_scope(self, app: FastAPI) -> None:
        who = principal(scopes=frozenset(DEFAULT_SCOPES - {Scope.CAMPAIGNS_READ}))
        async with client_for(app, who) as client:
            assert (await client.get("/api/v1/disclosures")).status_code == 403

    async def test_publishing_removes_the_item(self, client: httpx.AsyncClient) -> None:
        start = now() - dt.timedelta(days=100)
        campaign = await create_campaign(
            client,
            starts_at=start.isoformat(),
            ends_at=(start + dt.timedelta(days=400)).isoformat(),
        )
        horizon = (now() + dt.timedelta(days=120)).isoformat()
        before = await calendar(client, due_before=horizon)
        assert (await publish(client, campaign["id"], kind="periodic")).status_code == 201
        after = await calendar(client, due_before=horizon)
        assert after == before[1:]

    async def test_a_final_disclosure_settles_the_final_item(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2025-01-15T08:00:00+00:00", ends_at="2026-01-15T08:00:00+00:00"
        )
        assert (await publish(client, campaign["id"], kind="final")).status_code == 201
        # It covers the whole campaign, periodic dates included.
        assert await calendar(client, due_before=FAR) == []


class TestPublish:
    async def test_freezes_the_report_with_its_hash_and_the_ledger_head(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "20670.18", donor_name="李伟", anonymous=False)
        async with public_client(app) as anyone:
            report = (await anyone.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()

        response = await publish(client, campaign["id"], kind="periodic", note="第一季度")
        assert response.status_code == 201, response.text
        published = response.json()
        # The report as it stood, standing against a log head that holds every entry it
        # counts: publishing takes what the log had not yet taken in.
        frozen_log = published["report"].pop("log")
        report.pop("log")
        assert published["report"] == report
        assert (frozen_log["size"], frozen_log["pending"]) == (1, 0)
        published["report"]["log"] = frozen_log
        assert published["report_sha256"] == canonical_sha256(published["report"])
        # It names the head it froze: the log of its one entry.
        assert (published["ledger_seq"], published["ledger_head_hash"]) == (
            frozen_log["size"],
            frozen_log["root_hash"],
        )
        assert published["kind"] == "periodic"
        assert published["period_start"] == campaign["starts_at"]
        assert abs(ts(published["period_end"]) - now()) < dt.timedelta(minutes=1)
        assert (published["note"], published["corrects_id"], published["corrected_by"]) == (
            "第一季度",
            None,
            [],
        )
        assert response.headers["location"] == f"/api/v1/disclosures/{published['id']}"

        await donate(client, campaign["id"], "1.00")
        async with public_client(app) as anyone:
            read = await anyone.get(response.headers["location"])
        assert read.status_code == 200
        assert read.json() == published  # frozen: later donations change nothing
        assert read.json()["report_sha256"] == canonical_sha256(read.json()["report"])

    async def test_the_frozen_report_has_the_shape_its_schema_documents(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        # DisclosureRead.report is sent exactly as stored (its hash), and documented as a
        # ReportRead: every member of the one is in the other, unchanged.
        campaign = await create_campaign(client)
        await donate(client, campaign["id"], "88.88", donor_name="李伟", anonymous=False)
        published = (await publish(client, campaign["id"], kind="periodic")).json()

        report = ReportRead.model_validate(published["report"])

        assert report.model_dump(mode="json") == published["report"]

    async def test_emits_the_event_in_the_same_transaction(
        self, app: FastAPI, client: httpx.AsyncClient, foundation: Principal
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        published = (await publish(client, campaign["id"], kind="final")).json()
        events = [
            e
            for e in await outbox_events(app, "donations.disclosure.published")
            if e.foundation_id == foundation.organisation_id
        ]
        [event] = events
        assert event.version == 1
        assert event.producer == "donations"
        payload = event.parse()
        assert isinstance(payload, DisclosurePublishedV1)
        assert payload.model_dump(mode="json") == {
            "disclosure_id": published["id"],
            "campaign_id": campaign["id"],
            "kind": "final",
            "period_start": published["period_start"].replace("+00:00", "Z"),
            "period_end": published["period_end"].replace("+00:00", "Z"),
            "corrects_id": None,
            "report_sha256": published["report_sha256"],
            "ledger_head_hash": published["ledger_head_hash"],
            "published_at": published["published_at"].replace("+00:00", "Z"),
        }

    async def test_a_final_disclosure_waits_for_the_end(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        running = await create_campaign(client, ends_at=(now() + dt.timedelta(days=9)).isoformat())
        endless = await create_campaign(client)
        for campaign in (running, endless):
            response = await publish(client, campaign["id"], kind="final", key=campaign["id"])
            assert response.status_code == 409
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == "urn:fnet:problem:campaign-not-ended"
            assert await disclosures_of(app, campaign["id"]) == []

    async def test_a_final_disclosure_of_an_ended_or_closed_campaign_covers_all_of_it(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        ended = await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        closed = await create_campaign(client, starts_at="2025-03-01T00:00:00+00:00")
        await closed_in_the_past(client, app, closed["id"], ts("2025-06-01T00:00:00Z"))
        for campaign, end in ((ended, "2025-05-01"), (closed, "2025-06-01")):
            response = await publish(client, campaign["id"], kind="final")
            assert response.status_code == 201, response.text
            body = response.json()
            assert (body["period_start"][:10], body["period_end"][:10]) == ("2025-03-01", end)

    async def test_the_same_period_twice_is_409_and_asks_for_a_correction(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        first = (await publish(client, campaign["id"], kind="final")).json()
        again = await publish(client, campaign["id"], kind="final", note="again")
        assert again.status_code == 409
        assert first["id"] in again.json()["detail"]
        assert len(await disclosures_of(app, campaign["id"])) == 1

    async def test_a_correction_is_a_new_disclosure_and_corrections_chain(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(
            client, starts_at="2025-03-01T00:00:00+00:00", ends_at="2025-05-01T00:00:00+00:00"
        )
        first = (await publish(client, campaign["id"], kind="final", note="v1")).json()
        second_response = await publish(
            client, campaign["id"], corrects_id=first["id"], note="v2: a date was wrong"
        )
        assert second_response.status_code == 201, second_response.text
        second = second_response.json()
        third = (
            await publish(client, campaign["id"], kind="final", corrects_id=second["id"], note="v3")
        ).json()
        assert (second["kind"], second["corrects_id"]) == ("final", first["id"])
        assert (second["period_start"], second["period_end"]) == (
            first["period_start"],
            first["period_end"],
        )
        assert third["corrects_id"] == second["id"]

        async with public_client(app) as anyone:
            reads = [
                (await anyone.get(f"/api/v1/disclosures/{d['id']}")).json()
                for d in (first, second, third)
            ]
        assert [r["corrected_by"] for r in reads] == [[second["id"]], [third["id"]], []]
        # The first one is unchanged but for who corrected it.
        assert {**reads[0], "corrected_by": []} == first
        listed = await disclosures_of(app, campaign["id"])
        assert [d["id"] for d in listed] == [third["id"], second["id"], first["id"]]
        assert "report" not in listed[0]
        assert listed[2]["corrected_by"] == [second["id"]]

    async def test_a_correction_names_a_disclosure_of_the_same_campaign(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        other = await create_campaign(client)
        theirs = (await publish(client, other["id"], kind="periodic")).json()
        for corrects_id in (str(uuid.uuid4()), theirs["id"]):
            response = await publish(
                client, campaign["id"], kind="periodic", corrects_id=corrects_id
            )
            assert response.status_code == 422
            assert [e["field"] for e in response.json()["errors"]] == ["corrects_id"]
        assert await disclosures_of(app, campaign["id"]) == []

    async def test_a_correction_keeps_the_corrected_kind(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        first = (await publish(client, campaign["id"], kind="periodic")).json()
        response = await publish(client, campaign["id"], kind="final", corrects_id=first["id"])
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["kind"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "kind"),
            ({"kind": "annual"}, "kind"),
            ({"kind": "periodic", "period_end": "2999-01-01T00:00:00+00:00"}, "period_end"),
            ({"kind": "periodic", "period_end": "2020-01-01T00:00:00+00:00"}, "period_end"),
            ({"kind": "periodic", "note": "x" * 5001}, "note"),
            ({"kind": "periodic", "extra": 1}, "extra"),
            ({"kind": "periodic", "corrects_id": "nope"}, "corrects_id"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        campaign = await create_campaign(client)
        response = await publish(client, campaign["id"], **body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await disclosures_of(app, campaign["id"]) == []

    async def test_a_replay_returns_the_first_answer_and_stores_one(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        first = await publish(client, campaign["id"], key="q1", kind="periodic")
        again = await publish(client, campaign["id"], key="q1", kind="periodic")
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert len(await disclosures_of(app, campaign["id"])) == 1

    async def test_a_draft_has_nothing_to_disclose(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client, status="draft")
        response = await publish(client, campaign["id"], kind="periodic")
        assert response.status_code == 409
        assert response.json()["type"] == "urn:fnet:problem:campaign-is-draft"

    async def test_another_foundations_campaign_is_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        async with client_for(app, principal()) as other:
            response = await publish(other, campaign["id"], kind="periodic")
        assert response.status_code == 404
        assert await disclosures_of(app, campaign["id"]) == []

    async def test_needs_the_disclosures_write_scope(
        self, app: FastAPI, foundation: Principal
    ) -> None:
        reader = principal(
            foundation.organisation_id, frozenset(DEFAULT_SCOPES - {Scope.DISCLOSURES_WRITE})
        )
        async with client_for(app, foundation) as owner, client_for(app, reader) as client:
            campaign = await create_campaign(owner)
            response = await publish(client, campaign["id"], kind="periodic")
        assert response.status_code == 403
        assert await disclosures_of(app, campaign["id"]) == []


class TestRead:
    async def test_disclosures_are_public_but_a_drafts_are_not_listed(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        published = (await publish(client, campaign["id"], kind="periodic")).json()
        draft = await create_campaign(client, status="draft")
        async with client_for(app, principal()) as other:
            read = await other.get(f"/api/v1/disclosures/{published['id']}")
            assert read.json() == published
        async with public_client(app) as anyone:
            listing = await anyone.get(f"/api/v1/campaigns/{campaign['id']}/disclosures")
            assert [d["id"] for d in listing.json()["items"]] == [published["id"]]
            listing = await anyone.get(f"/api/v1/campaigns/{draft['id']}/disclosures")
        assert listing.status_code == 404

    async def test_an_unknown_disclosure_is_404(self, app: FastAPI) -> None:
        async with public_client(app) as anyone:
            response = await anyone.get(f"/api/v1/disclosures/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json()["type"] == "urn:fnet:problem:disclosure-not-found"


class TestConcurrency:
    async def test_each_snapshot_is_the_ledger_at_its_head_while_donations_pour_in(
        self, committing_app: FastAPI
    ) -> None:
        owner = principal()
        async with client_for(committing_app, owner) as client:
            start = now() - dt.timedelta(hours=1)
            campaign = await create_campaign(client, starts_at=start.isoformat())
            cid = campaign["id"]
            # Periods end at distinct past instants, so that no two are "the same period".
            ends = [start + dt.timedelta(minutes=i + 1) for i in range(4)]
            results = await asyncio.gather(
                *(donate(client, cid, f"{i + 1}.00", key=f"c-{i}") for i in range(20)),
                *(
                    publish(client, cid, key=f"p-{i}", kind="periodic", period_end=e.isoformat())
                    for i, e in enumerate(ends)
                ),
            )
            assert {r.status_code for r in results} == {201}, [r.text for r in results]
        # The foundation's log, leaf by leaf: the donations in the order the log took them.
        await integrated(committing_app)
        log = f"/api/v1/foundations/{owner.organisation_id}/log/entries"
        async with client_for(committing_app, None) as anyone:
            leaves = [(await anyone.get(f"{log}/{i}")).json()["entry"] for i in range(20)]
        amounts = [Decimal(leaf["lines"][0][3]) / 100 for leaf in leaves]
        for disclosure in (r.json() for r in results[20:]):
            size = disclosure["ledger_seq"]
            # Exactly the donations of the head it froze: none half in, none after it.
            [raised] = disclosure["report"]["raised"]
            assert Decimal(raised["net"]["amount"]) == sum(amounts[:size], Decimal(0))
            assert disclosure["report"]["donation_count"] == size
            assert disclosure["report"]["ledger"]["seq"] == size
            assert disclosure["report"]["log"]["size"] == size
