"""The gateway's cost, and donation intake, measured against baselines in the same run.

(a) a small read straight from the donations service (with a gateway-signed token),
(b) the same read through the gateway with an API key,
(c) donation intake through the gateway on PostgreSQL, against
(raw) a plain asyncpg loop inserting one row at a time.

Prints requests per second and p50/p99 latency for each, and the ratios b/a and c/raw.
Each app runs as its own uvicorn process with one worker, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from fnet.apps import APPS
from gateway.keys import service as keys
from kit.db import Database, transaction
from kit.identity import DEFAULT_SCOPES, IDENTITY_HEADER, Principal, TokenSigner
from kit.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "FNET_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float

    def line(self) -> str:
        return (
            f"{self.name:<48} {self.rps:>9.0f} req/s   p50 {self.p50_ms:>7.3f} ms"
            f"   p99 {self.p99_ms:>7.3f} ms"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    name: str,
    url: str,
    *,
    connections: int,
    seconds: int,
    headers: dict[str, str],
    body: str | None = None,
) -> Result:
    script = ""
    if body is not None:
        script = f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    args = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        lua.name,
    ]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{name}: {errors.group(1)} failed requests\n{output}")
    return Result(name, rps, p50, p99)


class Postgres:
    def __init__(self) -> None:
        self.admin = make_url(POSTGRES_URL)
        self.created: list[str] = []

    async def _connect(self, database: str | None = None) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.admin.host,
            port=self.admin.port,
            user=self.admin.username,
            password=self.admin.password,
            database=database or self.admin.database,
        )

    async def create(self, label: str) -> str:
        name = f"fnet_bench_{label}_{secrets.token_hex(3)}"
        conn = await self._connect()
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return self.admin.set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        conn = await self._connect()
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def raw_insert_loop(self, url: str, seconds: float) -> Result:
        """The baseline for intake: one connection inserting one row per statement."""
        conn = await self._connect(make_url(url).database)
        try:
            await conn.execute(
                "CREATE TABLE raw_donations (id uuid PRIMARY KEY, campaign_id uuid NOT NULL,"
                " amount_minor bigint NOT NULL, currency char(3) NOT NULL,"
                " donated_at timestamptz NOT NULL DEFAULT now())"
            )
            campaign = uuid.uuid4()
            latencies: list[float] = []
            deadline = time.perf_counter() + seconds
            while (start := time.perf_counter()) < deadline:
                await conn.execute(
                    "INSERT INTO raw_donations (id, campaign_id, amount_minor, currency)"
                    " VALUES ($1, $2, $3, 'CNY')",
                    uuid.uuid4(),
                    campaign,
                    8888,
                )
                latencies.append(time.perf_counter() - start)
        finally:
            await conn.close()
        latencies.sort()
        return Result(
            "raw: asyncpg single-row insert loop",
            len(latencies) / seconds,
            latencies[len(latencies) // 2] * 1000,
            latencies[int(len(latencies) * 0.99)] * 1000,
        )


class Process:
    def __init__(self, factory: str, port: int, env: dict[str, str], log: Path) -> None:
        out = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                factory,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{factory} did not start; see {log}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)


async def measure(
    pg: Postgres,
    raw_url: str,
    donations_url: str,
    gateway_url: str,
    campaign: str,
    *,
    token: str,
    key_headers: dict[str, str],
    seconds: int,
) -> None:
    read_path = f"/api/v1/campaigns/{campaign}/donations?limit=1"
    for connections in (1, 64):
        direct = wrk(
            f"(a) direct read, {connections} conn",
            donations_url + read_path,
            connections=connections,
            seconds=seconds,
            headers={IDENTITY_HEADER: token},
        )
        proxied = wrk(
            f"(b) read through gateway, {connections} conn",
            gateway_url + read_path,
            connections=connections,
            seconds=seconds,
            headers=key_headers,
        )
        print(direct.line())
        print(proxied.line())
        print(
            f"    b/a throughput ratio: {proxied.rps / direct.rps:.2f}   "
            f"gateway adds {proxied.p50_ms - direct.p50_ms:.3f} ms at p50"
        )

    raw = await pg.raw_insert_loop(raw_url, seconds)
    print(raw.line())
    body = json.dumps({"amount": {"amount": "88.88", "currency": "CNY"}})
    for connections in (1, 64):
        intake = wrk(
            f"(c) donation intake via gateway, {connections} conn",
            f"{gateway_url}/api/v1/campaigns/{campaign}/donations",
            connections=connections,
            seconds=seconds,
            headers={**key_headers, "Content-Type": "application/json"},
            body=body,
        )
        print(intake.line())
        print(f"    c/raw throughput ratio: {intake.rps / raw.rps:.2f}")


async def main(quick: bool) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench needs wrk: apt-get install wrk")
    seconds = 3 if quick else 10
    pg = Postgres()
    processes: list[Process] = []
    try:
        urls = {
            name: await pg.create(name)
            for name in ("gateway", "donations", "partners", "network", "raw")
        }
        for app in APPS:
            await asyncio.to_thread(upgrade, app.migrations, urls[app.name])
        secret = secrets.token_urlsafe(48)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FNET_")}
        for app in APPS:
            env[f"{app.env_prefix}DATABASE_URL"] = urls[app.name]
            env[f"{app.env_prefix}INTERNAL_TOKEN_SECRET"] = secret
            env[f"{app.env_prefix}LOG_LEVEL"] = "WARNING"
        donations_port, gateway_port = free_port(), free_port()
        # A service alone needs a real bus (the in-memory one is for `fnet up` only).
        env["FNET_DONATIONS_BUS_URL"] = os.environ.get(
            "FNET_BENCH_NATS_URL", "nats://127.0.0.1:4222"
        )
        env["FNET_GATEWAY_DONATIONS_URL"] = f"http://127.0.0.1:{donations_port}"
        env["FNET_GATEWAY_PARTNERS_URL"] = "http://127.0.0.1:9"  # unused here
        env["FNET_GATEWAY_NETWORK_URL"] = "http://127.0.0.1:9"
        logs = Path(tempfile.mkdtemp(prefix="fnet-bench-"))
        donations = Process(
            "services.donations.app:create_app", donations_port, env, logs / "donations.log"
        )
        processes.append(donations)
        gateway = Process("gateway.app:create_app", gateway_port, env, logs / "gateway.log")
        processes.append(gateway)

        organisation = uuid.uuid4()
        gateway_db = Database.from_url(urls["gateway"], pool_size=1)
        async with transaction(gateway_db, write=True) as session:
            _, api_key = await keys.create_key(
                session, organisation_id=organisation, name="bench", scopes=DEFAULT_SCOPES
            )
        await gateway_db.dispose()
        key_headers = {"X-API-Key": api_key}
        token = TokenSigner(secret, ttl_seconds=3600).sign(
            Principal("bench", organisation, DEFAULT_SCOPES)
        )
        async with httpx.AsyncClient(base_url=gateway.url, headers=key_headers) as client:
            created = await client.post(
                "/api/v1/campaigns",
                json={"title": "bench", "goal": {"amount": "1000000", "currency": "CNY"}},
            )
            created.raise_for_status()
        campaign = created.json()["id"]

        await measure(
            pg,
            urls["raw"],
            donations.url,
            gateway.url,
            campaign,
            token=token,
            key_headers=key_headers,
            seconds=seconds,
        )
    finally:
        for process in processes:
            process.stop()
        await pg.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3-second runs instead of 10")
    asyncio.run(main(parser.parse_args().quick))
