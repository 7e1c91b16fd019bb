"""Bulk import of a host platform's CSV export: encodings, malformed files, idempotency,
lists, concurrency and batches."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kit.db import transaction
from services.donations.donations.models import Donation
from services.donations.donations.service import STORE_BATCH
from tests.services.donations.factories import (
    create_campaign,
    donate,
    integrated,
    ledger_state,
    outbox_events,
)
from tests.services.donations.factories_donations import (
    HEADER,
    csv_text,
    donor_rows,
    import_csv,
    total,
)
from tests.services.donations.test_imports_rows import assert_nothing_stored, stored
from tests.support import client_for, principal


class TestEncodings:
    async def test_gb18030(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        rows = donor_rows(30)

        response = await import_csv(client, campaign["id"], csv_text(rows).encode("gb18030"))

        assert response.status_code == 201, response.text
        donations = (
            await client.get(f"/api/v1/campaigns/{campaign['id']}/donations", params={"limit": 200})
        ).json()["items"]
        assert {d["donor_name"] for d in donations} == {row.split(",")[4] for row in rows}
        assert {"李伟", "曹阳"} <= {d["donor_name"] for d in donations}

    async def test_utf8_with_a_byte_order_mark(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = csv_text(donor_rows(3)).encode("utf-8-sig")

        response = await import_csv(client, campaign["id"], body)

        assert response.status_code == 201, response.text
        assert response.json()["imported"] == 3

    async def test_neither_utf8_nor_gb18030_is_422(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = HEADER.encode() + b"\n\xff\xff\xff\n"

        response = await import_csv(client, campaign["id"], body)

        assert response.status_code == 422
        assert response.json()["type"] == "urn:fnet:problem:malformed-csv"
        assert [e["field"] for e in response.json()["errors"]] == ["body"]
        await assert_nothing_stored(client, campaign)


class TestMalformedFiles:
    @pytest.mark.parametrize(
        ("body", "field", "says"),
        [
            ("transaction_id,donated_at\nT-1,2020-01-28 09:05:00\n", "header", "amount"),
            ("transaction_id,amont,donated_at\nT-1,1,2020-01-28 09:05:00\n", "header", "amont"),
            (
                "transaction_id,amount,amount,donated_at\nT-1,1,1,2020-01-28 09:05:00\n",
                "header",
                "twice",
            ),
            ("T-1,10,2020-01-28 09:05:00\n", "header", "transaction_id"),
            ("", "header", "missing"),
            ("\n\n", "header", "missing"),
            ("transaction_id,amount,donated_at\n", "body", "no data rows"),
            (
                'transaction_id,amount,donated_at\nT-1,10,2020-01-28 09:05:00\nT-2,"10,2020\n',
                "body",
                "line 3",
            ),
            ("transaction_id,amount,donated_at\nT-1,10,2020\x00\n", "body", "NUL"),
        ],
    )
    async def test_is_422_and_stores_nothing(
        self, client: httpx.AsyncClient, body: str, field: str, says: str
    ) -> None:
        campaign = await create_campaign(client)

        response = await import_csv(client, campaign["id"], body)

        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["type"] == "urn:fnet:problem:malformed-csv"
        assert problem["errors"][0]["field"] == field
        assert says in problem["detail"] + " ".join(e["message"] for e in problem["errors"])
        await assert_nothing_stored(client, campaign)

    async def test_another_content_type_is_415(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        response = await import_csv(
            client, campaign["id"], csv_text(donor_rows(1)), content_type="application/json"
        )
        assert response.status_code == 415
        assert response.headers["content-type"] == "application/problem+json"
        await assert_nothing_stored(client, campaign)

    async def test_a_file_over_the_size_limit_is_413(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = (HEADER + "\n").encode() + b"x" * (5 * 1024 * 1024)

        response = await import_csv(client, campaign["id"], body)

        assert response.status_code == 413
        assert response.json()["type"] == "urn:fnet:problem:import-too-large"
        await assert_nothing_stored(client, campaign)

    async def test_more_rows_than_allowed_is_422(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        rows = [f"T-{i},1,2020-01-28 09:05:00" for i in range(20_001)]
        body = csv_text(rows, header="transaction_id,amount,donated_at")

        response = await import_csv(client, campaign["id"], body)

        assert response.status_code == 422
        assert "more than 20000 rows" in response.json()["detail"]
        await assert_nothing_stored(client, campaign)


class TestAFormWithTheFile:
    """``multipart/form-data`` with the file as the part ``file``: what a generated client
    or a browser sends."""

    @staticmethod
    async def upload(
        client: httpx.AsyncClient, campaign_id: str, files: Any, key: str | None = None
    ) -> httpx.Response:
        return await client.post(
            f"/api/v1/campaigns/{campaign_id}/donations/imports",
            files=files,
            headers={"Idempotency-Key": key} if key else {},
        )

    async def test_imports_the_file_bytes_as_they_are(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        rows = donor_rows(5)
        body = csv_text(rows).encode("gb18030")

        response = await self.upload(
            client, campaign["id"], {"file": ("export.csv", body, "text/csv")}
        )

        assert response.status_code == 201, response.text
        assert response.json()["imported"] == 5
        donations = (await client.get(f"/api/v1/campaigns/{campaign['id']}/donations")).json()[
            "items"
        ]
        assert {d["donor_name"] for d in donations} == {row.split(",")[4] for row in rows}

    async def test_is_the_same_upload_as_the_body_for_an_idempotency_key(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        body = csv_text(donor_rows(2)).encode()

        first = await import_csv(client, campaign["id"], body, key="upload-1")
        again = await self.upload(
            client, campaign["id"], {"file": ("export.csv", body)}, key="upload-1"
        )

        assert first.status_code == 201, first.text
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers["idempotent-replayed"] == "true"

    @pytest.mark.parametrize(
        ("files", "field", "code"),
        [
            ({"other": ("export.csv", b"x")}, "other", "extra_forbidden"),
            ({"file": (None, b"transaction_id")}, "file", "not_a_file"),
        ],
    )
    async def test_a_form_without_the_file_part_is_422(
        self, client: httpx.AsyncClient, files: Any, field: str, code: str
    ) -> None:
        campaign = await create_campaign(client)

        response = await self.upload(client, campaign["id"], files)

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert (field, code) in [(e["field"], e["code"]) for e in response.json()["errors"]]
        await assert_nothing_stored(client, campaign)

    async def test_a_form_that_is_no_form_is_400(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)

        response = await import_csv(
            client, campaign["id"], b"not a form", content_type="multipart/form-data"
        )

        assert response.status_code == 400, response.text
        assert response.json()["type"] == "urn:fnet:problem:bad-request"
        await assert_nothing_stored(client, campaign)

    async def test_a_file_over_the_size_limit_is_413(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = (HEADER + "\n").encode() + b"x" * (5 * 1024 * 1024)

        response = await self.upload(client, campaign["id"], {"file": ("export.csv", body)})

        assert response.status_code == 413
        assert response.json()["type"] == "urn:fnet:problem:import-too-large"
        await assert_nothing_stored(client, campaign)


class TestImportIdempotency:
    async def test_a_replay_answers_the_first_upload(self, client: httpx.AsyncClient) -> None:
        campaign = await create_campaign(client)
        body = csv_text(donor_rows(3))

        first = await import_csv(client, campaign["id"], body, key="upload-1")
        again = await import_csv(client, campaign["id"], body, key="upload-1")
        other_mode = await import_csv(client, campaign["id"], body, key="upload-1", valid_only=True)
        other_file = await import_csv(
            client, campaign["id"], csv_text(donor_rows(4)), key="upload-1"
        )

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert other_mode.status_code == 422
        assert other_file.status_code == 422
        assert other_file.json()["type"] == "urn:fnet:problem:idempotency-key-reused"
        assert len((await stored(client, campaign))["imports"]) == 1


class TestListImports:
    async def test_lists_uploads_newest_first(
        self, client: httpx.AsyncClient, foundation: Any
    ) -> None:
        campaign = await create_campaign(client)
        first = (await import_csv(client, campaign["id"], csv_text(donor_rows(2)))).json()
        second = (await import_csv(client, campaign["id"], csv_text(donor_rows(3)))).json()

        listing = (await client.get(f"/api/v1/campaigns/{campaign['id']}/donations/imports")).json()

        assert [i["id"] for i in listing["items"]] == [second["id"], first["id"]]
        latest = listing["items"][0]
        assert (latest["total_rows"], latest["imported"], latest["duplicates"]) == (3, 1, 2)
        assert latest["submitted_by"] == foundation.subject
        assert len(latest["file_sha256"]) == 64
        assert "rows" not in latest


class TestConcurrentImports:
    async def test_a_file_of_two_years_beside_live_donations(self, committing_app: FastAPI) -> None:
        """Rows of 2020 and 2021 take both years' receipt counters; donations of 2021
        arriving meanwhile must neither deadlock with the import nor skip a number."""
        rows = [f"Y-{i},1.00,{2020 + i % 2}-06-01 12:00:00" for i in range(60)]
        body = csv_text(rows, header="transaction_id,amount,donated_at")
        async with client_for(committing_app, principal()) as client:
            campaign = await create_campaign(client)
            imported, *donated = await asyncio.gather(
                import_csv(client, campaign["id"], body),
                *(
                    donate(client, campaign["id"], "2.00", donated_at="2021-03-01T00:00:00Z")
                    for _ in range(20)
                ),
            )
            await integrated(committing_app)
            listing = await client.get(
                f"/api/v1/campaigns/{campaign['id']}/donations", params={"limit": 200}
            )

        assert imported.status_code == 201, imported.text
        assert [d.status_code for d in donated] == [201] * 20
        numbers = sorted(d["receipt_number"] for d in listing.json()["items"])
        assert numbers == [f"2020-{n:06d}" for n in range(1, 31)] + [
            f"2021-{n:06d}" for n in range(1, 51)
        ]


class TestBatchedImport:
    """A file is stored in batches of STORE_BATCH rows; the result must be what recording
    its rows one by one gives."""

    async def test_a_file_of_several_batches_among_single_donations(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        size = 2 * STORE_BATCH + 123
        # Donor refs repeat (every donor gives twice in the file), and one of the file's
        # donors gave on their own before.
        rows = [
            f"T-{i:05d},{1 + i % 50}.{i % 100:02d},CNY,{2020 + i % 2}-06-01 12:00:00,,,,"
            f"donor-{i // 2},"
            for i in range(size)
        ]
        singles = [
            await donate(client, campaign["id"], "5.00", donated_at=at, donor_ref=ref)
            for at, ref in [("2020-03-01T00:00:00Z", "donor-0"), ("2021-03-01T00:00:00Z", "x")]
        ]

        response = await import_csv(client, campaign["id"], csv_text(rows))
        after = await donate(client, campaign["id"], "7.00", donated_at="2020-12-01T00:00:00Z")
        await integrated(app)

        assert response.status_code == 201, response.text[:500]
        assert response.json()["imported"] == size
        assert [r.status_code for r in [*singles, after]] == [201, 201, 201]
        state = await ledger_state(client)
        assert state["valid"] is True, state["breaks"]
        assert state["entries"] == size + 3
        read = (await client.get(f"/api/v1/campaigns/{campaign['id']}")).json()
        assert read["donation_count"] == size + 3
        assert read["unique_donors"] == (size + 1) // 2 + 2  # "donor-0" and "x", the last
        assert read["raised"]["amount"] == add_amounts(["5.00", "5.00", "7.00"], rows)

        # Receipt numbers follow the file's order within each year, after the singles.
        ids = [r["donation_id"] for r in response.json()["rows"]]
        async with transaction(app.state.database, write=False) as session:
            numbers = dict(
                (
                    await session.execute(
                        select(Donation.id, Donation.receipt_number).where(
                            Donation.campaign_id == uuid.UUID(campaign["id"])
                        )
                    )
                ).all()
            )
        in_file = [numbers[uuid.UUID(i)] for i in ids]
        assert in_file[0::2] == [f"2020-{n:06d}" for n in range(2, 2 + len(in_file[0::2]))]
        assert in_file[1::2] == [f"2021-{n:06d}" for n in range(2, 2 + len(in_file[1::2]))]
        assert numbers[uuid.UUID(after.json()["id"])] == f"2020-{2 + len(in_file[0::2]):06d}"

        # One event per donation, in the file's order, saying what was given.
        # (Tests on a committing app leave events of other campaigns behind.)
        events = await outbox_events(app, "donations.donation.received")
        payloads = [e.payload for e in events if e.payload["campaign_id"] == campaign["id"]]
        assert len(payloads) == size + 3
        assert [p["donation_id"] for p in payloads[2:-1]] == ids
        assert payloads[2]["amount"] == "1.00"
        assert payloads[-2]["amount"] == rows[-1].split(",")[1]

    async def test_entries_match_the_donations_they_record(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        campaign = await create_campaign(client)
        report = (await import_csv(client, campaign["id"], csv_text(donor_rows(30)))).json()

        base = f"/api/v1/campaigns/{campaign['id']}/donations"
        donations = (await client.get(base, params={"limit": 200})).json()["items"]
        journal = (await client.get("/api/v1/ledger/entries", params={"limit": 200})).json()
        by_id = {e["id"]: e for e in journal["items"]}
        assert {d["id"] for d in donations} == {r["donation_id"] for r in report["rows"]}
        for donation in donations:
            entry = by_id[donation["entry_id"]]
            assert entry["source_id"] == donation["id"]
            assert entry["kind"] == "donation"
            assert entry["memo"] == f"donation via {donation['channel']}"
            assert entry["lines"][0]["debit"] == donation["amount"]
            assert entry["lines"][1]["credit"] == donation["amount"]
        # The journal runs in the file's order.
        seqs = [by_id[d["entry_id"]]["seq"] for d in sorted(donations, key=lambda d: d["id"])]
        assert seqs == sorted(set(seqs))
        assert len(seqs) == 30


def add_amounts(amounts: list[str], rows: list[str]) -> str:
    cents = sum(int(a.replace(".", "")) for a in amounts)
    total_ = total(rows).replace(".", "")
    cents += int(total_)
    return f"{cents // 100}.{cents % 100:02d}"
