"""Donation intake for a giving-day rush, against the lean app's single-row insert in the
same run, and how long a committed donation waits for a signed tree head.

(i1) ``POST .../donations`` through the gateway, every request with its own
     ``Idempotency-Key`` (the whole intake: key claim, ledger entry and lines, log queue,
     donor, outbox), 64 connections, all to **one campaign**: target at least 0.5 of the
     lean insert;
(i2) the same spread over **10 foundations** (one campaign and one key each): printed;
(i3) from commit to inclusion in a signed head, at the load of (i1) and (i2): p50 and
     p99, target p99 under 1 s. A probe client beside ``wrk`` records a donation every
     0.1 s through the gateway and notes when its answer (sent after the commit)
     arrived; afterwards the database says when the first head of the foundation's log
     that holds each probe's entry was issued. (Every donation's ``posted_at``, taken
     inside its transaction, is printed too: under this load a request still spends
     most of its time between posting and commit, queued behind the others.)

Each app runs as its own uvicorn process with one worker, as in production; the
donations service runs its sequencer in-process, as it does by default.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.gateway import (
    Postgres,
    Process,
    Result,
    donations_and_gateway,
    free_port,
    wrk_script,
)
from gateway.keys import service as keys
from kit.db import Database, transaction
from kit.identity import DEFAULT_SCOPES

CONNECTIONS = 64
BODY = json.dumps({"amount": {"amount": "88.88", "currency": "CNY"}})

# Every request: the next target (campaign path and its foundation's key) in turn, and an
# Idempotency-Key no other request of the run carries (thread number and counter).
_LUA = """
local targets = {TARGETS}
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
end
function request()
  counter = counter + 1
  local target = targets[(counter % #targets) + 1]
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-API-Key"] = target[2]
  headers["Idempotency-Key"] = "RUN-" .. tid .. "-" .. counter
  return wrk.format("POST", target[1], headers, wrk.body)
end
"""


def _script(targets: list[tuple[str, str]], run: str) -> str:
    listed = ", ".join(f'{{"{path}", "{key}"}}' for path, key in targets)
    return f"wrk.body = {json.dumps(BODY)}\n" + _LUA.replace(
        "{TARGETS}", "{" + listed + "}"
    ).replace("RUN", run)


async def _campaigns(gateway_url: str, api_keys: list[str]) -> list[tuple[str, str]]:
    targets = []
    for key in api_keys:
        async with httpx.AsyncClient(base_url=gateway_url, headers={"X-API-Key": key}) as client:
            created = await client.post(
                "/api/v1/campaigns",
                json={"title": "giving day", "goal": {"amount": "1000000", "currency": "CNY"}},
            )
            created.raise_for_status()
            campaign = created.json()["id"]
        targets.append((f"/api/v1/campaigns/{campaign}/donations", key))
    return targets


# When each entry's foundation first issued a head holding it, and when it was posted.
_INCLUDED_AT = """
SELECT l.entry_id, e.posted_at,
       (SELECT min(h.issued_at) FROM log_heads h
        WHERE h.foundation_id = l.foundation_id AND h.size > l.index) AS included_at
FROM log_leaves l JOIN journal_entries e ON e.id = l.entry_id
"""


async def _posting_delays(dsn: str) -> list[float]:
    """Seconds from each entry's posting (inside its transaction) to the first signed head
    that holds it."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(_INCLUDED_AT)
    finally:
        await conn.close()
    return sorted(
        (r["included_at"] - r["posted_at"]).total_seconds() for r in rows if r["included_at"]
    )


async def _probe(
    gateway_url: str, target: tuple[str, str], stop: asyncio.Event
) -> dict[str, float]:
    """Start recording a donation every 0.1 s until ``stop`` (each waits its turn among
    wrk's, so several are in flight); answers when each one's answer came (epoch seconds),
    by journal entry."""
    answered: dict[str, float] = {}
    path, key = target
    async with httpx.AsyncClient(
        base_url=gateway_url, headers={"X-API-Key": key}, timeout=30
    ) as client:

        async def donate() -> None:
            response = await client.post(
                path, content=BODY, headers={"Content-Type": "application/json"}
            )
            if response.status_code == 201:
                answered[response.json()["entry_id"]] = time.time()

        in_flight = []
        while not stop.is_set():
            in_flight.append(asyncio.create_task(donate()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
        await asyncio.gather(*in_flight)
    return answered


async def _commit_delays(dsn: str, answered: dict[str, float]) -> list[float]:
    """Seconds from each probe's answer (after its commit) to the first head holding it."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(_INCLUDED_AT)
    finally:
        await conn.close()
    included = {str(r["entry_id"]): r["included_at"] for r in rows if r["included_at"]}
    return sorted(
        max(0.0, included[entry].timestamp() - at)
        for entry, at in answered.items()
        if entry in included
    )


def _percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))]


async def _start(pg: Postgres, processes: list[Process]) -> tuple[Process, Process, str, list[str]]:
    """The donations service, a gateway in front of it and the lean app, on fresh
    databases, and ten foundations' keys: (gateway, lean, donations DSN, keys)."""
    urls, env = await donations_and_gateway(pg)
    dsn = make_url(urls["donations"]).set(drivername="postgresql").render_as_string(False)
    env["FNET_LEAN_DSN"] = dsn
    env["FNET_LEAN_FOUNDATION_ID"] = str(uuid.uuid4())
    logs = Path(tempfile.mkdtemp(prefix="fnet-bench-"))
    donations = Process(
        "services.donations.app:create_app", free_port(), env, logs / "donations.log"
    )
    processes.append(donations)
    gateway = Process(
        "gateway.app:create_app",
        free_port(),
        {**env, "FNET_GATEWAY_DONATIONS_URL": donations.url},
        logs / "gateway.log",
    )
    processes.append(gateway)
    lean = Process("bench.lean:create_app", free_port(), env, logs / "lean.log")
    processes.append(lean)

    gateway_db = Database.from_url(urls["gateway"], pool_size=1)
    api_keys = []
    async with transaction(gateway_db, write=True) as session:
        for n in range(10):
            _, api_key = await keys.create_key(
                session, organisation_id=uuid.uuid4(), name=f"bench {n}", scopes=DEFAULT_SCOPES
            )
            api_keys.append(api_key)
    await gateway_db.dispose()
    return gateway, lean, dsn, api_keys


async def main(quick: bool) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk")
    seconds = 3 if quick else 10
    pg = Postgres()
    processes: list[Process] = []
    try:
        gateway, lean, dsn, api_keys = await _start(pg, processes)
        targets = await _campaigns(gateway.url, api_keys)
        lean_targets = [(f"/api/v1/campaigns/{uuid.uuid4()}/donations", "-")]

        answered: dict[str, float] = {}

        async def run(
            name: str, url: str, targets: list[tuple[str, str]], tag: str, *, probe: bool = False
        ) -> Result:
            script = _script(targets, tag)
            stop = asyncio.Event()
            probing = asyncio.create_task(_probe(url, targets[0], stop)) if probe else None
            try:
                return await asyncio.to_thread(
                    wrk_script, name, url, script, connections=CONNECTIONS, seconds=seconds
                )
            finally:
                stop.set()
                if probing is not None:
                    answered.update(await probing)

        # The lean insert before and after each of ours: the machine's speed moves.
        lean_insert = await run("(lean) single-row insert", lean.url, lean_targets, "lean")
        one = await run(
            "(i1) intake via gateway, one campaign", gateway.url, targets[:1], "one", probe=True
        )
        lean_again = await run("(lean) single-row insert", lean.url, lean_targets, "lean2")
        spread = await run(
            "(i2) intake via gateway, 10 foundations", gateway.url, targets, "ten", probe=True
        )
        baseline = (lean_insert.rps + lean_again.rps) / 2
        print(f"{CONNECTIONS} connections, {seconds} s each")
        for result in (lean_insert, one, lean_again, spread):
            print(result.line())
        ratio = one.rps / baseline
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(f"    i1/lean throughput ratio: {ratio:.2f}   (target >= 0.5: {verdict})")
        print(f"    i2/lean throughput ratio: {spread.rps / baseline:.2f}")

        await asyncio.sleep(2)  # the sequencer takes in the last ones
        delays = await _commit_delays(dsn, answered)
        p50, p99 = _percentile(delays, 0.5), _percentile(delays, 0.99)
        verdict = "met" if p99 < 1.0 else "NOT met"
        print(
            f"(i3) commit to inclusion in a signed head, {len(delays)} probes: "
            f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms   (target p99 < 1 s: {verdict})"
        )
        posted = await _posting_delays(dsn)
        print(
            f"     posting to inclusion, all {len(posted)} entries: "
            f"p50 {_percentile(posted, 0.5) * 1000:.0f} ms, "
            f"p99 {_percentile(posted, 0.99) * 1000:.0f} ms"
        )
    finally:
        for process in processes:
            process.stop()
        await pg.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3-second runs instead of 10")
    asyncio.run(main(parser.parse_args().quick))
