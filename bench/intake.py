"""Donation intake for a giving-day rush, against the lean app's single-row insert in the
same run, and how long a committed donation waits for a signed tree head.

(i1) ``POST .../donations`` through the gateway, every request with its own
     ``Idempotency-Key`` (the whole intake: key claim, ledger entry and lines, log queue,
     receipt number, donor tally, outbox), 64 connections, all to **one campaign**:
     target at least 0.5 of the lean insert;
(i2) the same spread over **10 foundations** (one campaign and one key each): printed;
(i3) from commit to inclusion in a signed head, over every donation of (i1) and (i2):
     p50 and p99, target p99 under 1 s. Measured in the database afterwards: the time
     between an entry's ``posted_at`` (in its recording transaction) and the ``issued_at``
     of the first head of its foundation's log that holds it.

Each app runs as its own uvicorn process with one worker, as in production; the
donations service runs its sequencer in-process, as it does by default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
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


async def _inclusion_delays(dsn: str) -> list[float]:
    """Seconds from each entry's posting to the first signed head that holds it."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            """
            SELECT EXTRACT(EPOCH FROM (
                (SELECT min(h.issued_at) FROM log_heads h
                 WHERE h.foundation_id = l.foundation_id AND h.size > l.index)
                - e.posted_at)) AS delay
            FROM log_leaves l JOIN journal_entries e ON e.id = l.entry_id
            """
        )
    finally:
        await conn.close()
    return sorted(float(r["delay"]) for r in rows if r["delay"] is not None)


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

        def run(name: str, url: str, targets: list[tuple[str, str]], tag: str) -> Result:
            script = _script(targets, tag)
            return wrk_script(name, url, script, connections=CONNECTIONS, seconds=seconds)

        # The lean insert before and after each of ours: the machine's speed moves.
        lean_insert = run("(lean) single-row insert", lean.url, lean_targets, "lean")
        one = run("(i1) intake via gateway, one campaign", gateway.url, targets[:1], "one")
        lean_again = run("(lean) single-row insert", lean.url, lean_targets, "lean2")
        spread = run("(i2) intake via gateway, 10 foundations", gateway.url, targets, "ten")
        baseline = (lean_insert.rps + lean_again.rps) / 2
        print(f"{CONNECTIONS} connections, {seconds} s each")
        for result in (lean_insert, one, lean_again, spread):
            print(result.line())
        ratio = one.rps / baseline
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(f"    i1/lean throughput ratio: {ratio:.2f}   (target >= 0.5: {verdict})")
        print(f"    i2/lean throughput ratio: {spread.rps / baseline:.2f}")

        await asyncio.sleep(2)  # the sequencer takes in the last ones
        delays = await _inclusion_delays(dsn)
        p50, p99 = _percentile(delays, 0.5), _percentile(delays, 0.99)
        verdict = "met" if p99 < 1.0 else "NOT met"
        print(
            f"(i3) commit to inclusion in a signed head, {len(delays)} entries: "
            f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms   (target p99 < 1 s: {verdict})"
        )
    finally:
        for process in processes:
            process.stop()
        await pg.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3-second runs instead of 10")
    asyncio.run(main(parser.parse_args().quick))
