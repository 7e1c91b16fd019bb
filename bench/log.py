"""The transparency log at a million entries: proofs from the service, and a verifier's check.

(proof) ``GET .../log/proofs/inclusion?seq=<random>`` straight to the donations service
(one uvicorn worker, PostgreSQL), one connection, against (raw) the same stored nodes
read by one asyncpg query in a loop, in the same run. Target: p50 under 5 ms.
(consistency) a verifier fetching the consistency proof between two heads of the
1,000,000-entry log and checking it (``fnet.verify``'s code). Target: under 1 s.

The log is built directly in the database (its perfect subtrees, computed here with the
service's own tree code, and two signed heads), so that the run measures the reads, not a
million donations. Needs PostgreSQL (``FNET_BENCH_POSTGRES_URL``), NATS (the service
refuses to run alone on the in-memory bus) and ``wrk``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.gateway import Postgres, Process, Result, _ms, free_port
from fnet.merkle_proofs import verify_consistency
from kit.db import utcnow
from kit.ids import new_id
from kit.migrations import upgrade
from services.donations.app import MIGRATIONS
from services.donations.log import merkle
from services.donations.log.encoding import head_message
from services.donations.log.signing import HeadSigner


async def build_log(url: str, size: int, earlier: int) -> tuple[str, HeadSigner]:
    """A foundation's log of ``size`` leaves, with signed heads at ``earlier`` and ``size``."""
    foundation = new_id()
    leaves = [hashlib.sha256(b"\x00" + str(n).encode()).digest() for n in range(size)]
    nodes = merkle.completed_nodes(0, leaves, {})
    signer = HeadSigner.generate()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "log_nodes",
            records=[(foundation, level, index, h) for (level, index), h in nodes.items()],
            columns=["foundation_id", "level", "index", "hash"],
        )
        now = utcnow()
        await conn.execute(
            "INSERT INTO log_keys (key_id, public_key, first_used_at) VALUES ($1, $2, $3)",
            signer.key_id,
            signer.public_key,
            now,
        )
        for head_size in (earlier, size):
            root = merkle.range_hash(0, head_size, nodes)
            await conn.execute(
                "INSERT INTO log_heads (foundation_id, size, root_hash, issued_at, key_id,"
                " signature) VALUES ($1, $2, $3, $4, $5, $6)",
                foundation,
                head_size,
                root,
                now,
                signer.key_id,
                signer.sign(head_message(foundation, head_size, root, now)),
            )
        await conn.execute("ANALYZE log_nodes")
    finally:
        await conn.close()
    return str(foundation), signer


def wrk_proofs(url: str, foundation: str, size: int, seconds: int) -> Result:
    """Inclusion proofs of random entries, one connection."""
    script = (
        "math.randomseed(7)\n"
        "request = function()\n"
        f'  return wrk.format("GET", "/api/v1/foundations/{foundation}/log/proofs/inclusion'
        f'?seq=" .. math.random(0, {size - 1}))\n'
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    args = ["wrk", "-t", "1", "-c", "1", "-d", f"{seconds}s", "--latency", "-s", lua.name, url]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    if "Non-2xx" in output:
        raise RuntimeError(output)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return Result("(proof) inclusion proof via the service, 1 conn", rps, p50, p99)


async def raw_node_reads(url: str, foundation: str, size: int, seconds: float) -> Result:
    """The baseline: the nodes one proof needs, read by one asyncpg query in a loop."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    statement = await conn.prepare(
        "SELECT level, index, hash FROM log_nodes WHERE foundation_id = $1"
        " AND (level, index) IN (SELECT * FROM unnest($2::int[], $3::bigint[]))"
    )
    rng = random.Random(7)
    latencies: list[float] = []
    try:
        deadline = time.perf_counter() + seconds
        while (start := time.perf_counter()) < deadline:
            wanted = merkle.nodes_for(merkle.inclusion_ranges(rng.randrange(size), size))
            levels, indexes = zip(*wanted, strict=True)
            await statement.fetch(uuid.UUID(foundation), list(levels), list(indexes))
            latencies.append(time.perf_counter() - start)
    finally:
        await conn.close()
    latencies.sort()
    return Result(
        "(raw) the same nodes by one asyncpg query",
        len(latencies) / seconds,
        latencies[len(latencies) // 2] * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
    )


async def consistency_check(base_url: str, foundation: str, earlier: int, size: int) -> float:
    """Seconds a verifier takes to fetch and check the proof between the two heads."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        start = time.perf_counter()
        heads = (await client.get(f"/api/v1/foundations/{foundation}/log/heads")).json()
        roots = {h["size"]: bytes.fromhex(h["root_hash"]) for h in heads["items"]}
        proof = (
            await client.get(
                f"/api/v1/foundations/{foundation}/log/proofs/consistency",
                params={"from": earlier, "to": size},
            )
        ).json()
        path = [bytes.fromhex(h) for h in proof["path"]]
        valid = verify_consistency(earlier, size, roots[earlier], roots[size], path)
        elapsed = time.perf_counter() - start
    if not valid:
        raise RuntimeError("the consistency proof did not verify")
    return elapsed


async def main(quick: bool) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk")
    size = 100_000 if quick else 1_000_000
    earlier = size - 1_000
    seconds = 3 if quick else 10
    pg = Postgres()
    process: Process | None = None
    try:
        url = await pg.create("log")
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        started = time.perf_counter()
        foundation, _ = await build_log(url, size, earlier)
        print(f"built a log of {size:,} entries in {time.perf_counter() - started:.1f} s")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FNET_")}
        env.update(
            {
                "FNET_DONATIONS_DATABASE_URL": url,
                "FNET_DONATIONS_INTERNAL_TOKEN_SECRET": secrets.token_urlsafe(48),
                "FNET_DONATIONS_LOG_LEVEL": "WARNING",
                "FNET_DONATIONS_BUS_URL": os.environ.get(
                    "FNET_BENCH_NATS_URL", "nats://127.0.0.1:4222"
                ),
            }
        )
        logs = Path(tempfile.mkdtemp(prefix="fnet-bench-log-"))
        process = Process(
            "services.donations.app:create_app", free_port(), env, logs / "donations.log"
        )
        raw = await raw_node_reads(url, foundation, size, seconds)
        proofs = wrk_proofs(process.url, foundation, size, seconds)
        print(raw.line())
        print(proofs.line())
        verdict = "met" if proofs.p50_ms < 5 else "NOT met"
        print(
            f"    proof p50 {proofs.p50_ms:.2f} ms (target < 5 ms: {verdict});"
            f" proof/raw p50 {proofs.p50_ms / raw.p50_ms:.1f}x"
        )
        elapsed = await consistency_check(process.url, foundation, earlier, size)
        verdict = "met" if elapsed < 1 else "NOT met"
        print(
            f"(consistency) verifier check between heads {earlier:,} and {size:,}: "
            f"{elapsed * 1000:.1f} ms (target < 1 s: {verdict})"
        )
    finally:
        if process is not None:
            process.stop()
        await pg.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 entries, 3-second runs")
    asyncio.run(main(parser.parse_args().quick))
