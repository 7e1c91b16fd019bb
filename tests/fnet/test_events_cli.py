"""``fnet events``: contracts, outbox status, dead letters and their replay, on the
embedded SQLite files, as an operator would run it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from contracts.network import FoundationCreatedV1
from fnet.apps import DONATIONS, NETWORK
from kit.db import Database, transaction
from kit.events import dead_letters, emit, new_event
from kit.ids import new_id
from services.donations.foundations.models import FoundationCopy
from tests.e2e.processes import base_env, fnet


def _created() -> FoundationCreatedV1:
    return FoundationCreatedV1(
        foundation_id=uuid.uuid4(),
        slug="wuhou",
        name="武侯社区基金会",
        created_at=dt.datetime.now(dt.UTC),
    )


async def _emit(url: str) -> None:
    database = Database.from_url(url)
    try:
        async with transaction(database, write=True) as session:
            payload = _created()
            await emit(session, new_event(payload, producer="network"))
    finally:
        await database.dispose()


async def _dead_letter(url: str, payload: FoundationCreatedV1) -> uuid.UUID:
    """What the donations consumer leaves when its handler kept failing."""
    event = new_event(payload, producer="network", foundation_id=payload.foundation_id)
    letter_id = new_id()
    database = Database.from_url(url)
    try:
        async with transaction(database, write=True) as session:
            await session.execute(
                dead_letters.insert().values(
                    id=letter_id,
                    consumer="donations",
                    event_id=event.id,
                    event_type=event.type,
                    event=event.model_dump(mode="json"),
                    error="Traceback ...\nOperationalError: database is locked",
                    attempts=5,
                    failed_at=dt.datetime.now(dt.UTC),
                )
            )
    finally:
        await database.dispose()
    return letter_id


async def _copy_names(url: str) -> list[str]:
    database = Database.from_url(url)
    try:
        async with transaction(database, write=False) as session:
            return list((await session.execute(select(FoundationCopy.name))).scalars())
    finally:
        await database.dispose()


def test_schemas_prints_every_contract() -> None:
    printed = json.loads(fnet("events", "schemas", env=base_env()))
    assert {"network.foundation.created.v1", "network.foundation.updated.v1"} <= set(printed)
    assert printed["network.foundation.updated.v1"]["x-fnet-event-version"] == 1


def test_status_dead_letters_and_replay(tmp_path: Path) -> None:
    env = {**base_env(), "FNET_VAR_DIR": str(tmp_path)}
    fnet("migrate", env=env)
    asyncio.run(_emit(NETWORK.database_url(tmp_path)))
    payload = _created()
    letter = asyncio.run(_dead_letter(DONATIONS.database_url(tmp_path), payload))

    status = fnet("events", "status", env=env).splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in status[1:]}
    assert rows["network"][0] == "1"  # backlog
    assert rows["donations"][3] == "1"  # dead letters

    listed = fnet("events", "dead-letters", "donations", env=env)
    assert str(letter) in listed
    assert "database is locked" in listed

    replayed = fnet("events", "replay", str(letter), env=env)
    assert "applied" in replayed
    assert asyncio.run(_copy_names(DONATIONS.database_url(tmp_path))) == ["武侯社区基金会"]
    assert fnet("events", "dead-letters", env=env).strip() == "no dead letters"


def test_replay_of_an_unknown_id_fails_saying_so(tmp_path: Path) -> None:
    env = {**base_env(), "FNET_VAR_DIR": str(tmp_path)}
    with pytest.raises(RuntimeError, match="has no dead letter"):
        fnet("events", "replay", str(uuid.uuid4()), "--app", "partners", env=env)
