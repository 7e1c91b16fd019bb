from __future__ import annotations

import asyncio
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from kit.events import JetStreamBus
from tests.e2e.processes import AppProcess, base_env, fnet, free_port
from tests.kit.events.conftest import NATS_URL
from tests.support import POSTGRES_URL, create_postgres_database, drop_postgres_databases

APPS = {
    "donations": "services.donations.app:create_app",
    "partners": "services.partners.app:create_app",
    "network": "services.network.app:create_app",
    "gateway": "gateway.app:create_app",
}


@dataclass
class System:
    """The four apps running as processes, and keys for two foundations and an operator."""

    apps: dict[str, AppProcess]
    env: dict[str, str]
    keys: dict[str, str] = field(default_factory=dict)
    foundations: dict[str, str] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return self.apps["gateway"].url

    def client(self, who: str | None) -> httpx.Client:
        headers = {"X-API-Key": self.keys[who]} if who else {}
        return httpx.Client(base_url=self.gateway, headers=headers, timeout=30)


def _database_urls(tmp: Path) -> dict[str, str]:
    """PostgreSQL databases when the test server is given (as in production), else SQLite."""
    if not POSTGRES_URL:
        return {name: f"sqlite+aiosqlite:///{tmp / f'{name}.db'}" for name in APPS}

    async def create() -> dict[str, str]:
        return {name: await create_postgres_database(f"fnet_e2e_{name}") for name in APPS}

    return asyncio.run(create())


async def _delete_stream(stream: str, prefix: str) -> None:
    bus = await JetStreamBus.connect(NATS_URL, stream=stream, prefix=prefix)
    try:
        await bus.js.delete_stream(stream)
    finally:
        await bus.close()


def _create_key(env: dict[str, str], org: str, *extra: str) -> str:
    out = fnet("keys", "create", "--org", org, *extra, env=env)
    match = re.search(r"^key:\s+(\S+)$", out, re.MULTILINE)
    assert match, out
    return match.group(1)


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Started once per test process: the e2e modules are marked ``xdist_group("e2e")``,
    so that under ``-n`` one worker runs them all, one system at a time. Its ports,
    databases and NATS stream are its own, so other test processes never meet it."""
    tmp = tmp_path_factory.mktemp("e2e")
    urls = _database_urls(tmp)
    secret = secrets.token_urlsafe(48)
    ports = {name: free_port() for name in APPS}
    env = base_env()
    for name in APPS:
        prefix = f"FNET_{name.upper()}_"
        env[f"{prefix}DATABASE_URL"] = urls[name]
        env[f"{prefix}INTERNAL_TOKEN_SECRET"] = secret
        env[f"{prefix}JSON_LOGS"] = "true"
    # The services talk over the real NATS, on a stream of this run's own.
    suffix = secrets.token_hex(4)
    stream, subject_prefix = f"FNET_E2E_{suffix}", f"fnete2e{suffix}"
    for name in ("donations", "partners", "network"):
        env[f"FNET_GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
        env[f"FNET_{name.upper()}_BUS_URL"] = NATS_URL
        env[f"FNET_{name.upper()}_BUS_STREAM"] = stream
        env[f"FNET_{name.upper()}_BUS_SUBJECT_PREFIX"] = subject_prefix
    # Generous: the apps share two cores with the other test processes (pytest-xdist), and
    # a burst (the story's 165 concurrent donations) must not turn into 504s. No test here
    # waits on this timeout: a stopped upstream refuses the connection at once.
    env["FNET_GATEWAY_UPSTREAM_TIMEOUT_SECONDS"] = "30"
    env["FNET_GATEWAY_KEY_CACHE_SECONDS"] = "0.5"
    fnet("migrate", env=env)
    apps = {name: AppProcess(APPS[name], ports[name], env, tmp / f"{name}.log") for name in APPS}
    system = System(apps=apps, env=env)
    try:
        for app in apps.values():
            app.start()
        system.keys["operator"] = _create_key(env, str(uuid.UUID(int=0)), "--admin")
        with system.client("operator") as operator:
            for slug, name in (("shekou", "蛇口社区基金会"), ("wuhou", "武侯社区基金会")):
                response = operator.post("/api/v1/foundations", json={"slug": slug, "name": name})
                assert response.status_code == 201, response.text
                system.foundations[slug] = response.json()["id"]
                system.keys[slug] = _create_key(env, system.foundations[slug])
        yield system
    finally:
        for app in apps.values():
            app.stop()
        asyncio.run(_delete_stream(stream, subject_prefix))
        if POSTGRES_URL:
            asyncio.run(drop_postgres_databases(list(urls.values())))


def settled_report(public: httpx.Client, campaign_id: str) -> httpx.Response:
    """The campaign's report once the transparency log holds every entry recorded so far
    (the sequencer takes them in well under a second): its figures count the entries of
    the head it names, so a report read at once may not count the last ones yet."""
    deadline = time.monotonic() + 10
    while True:
        report = public.get(f"/api/v1/campaigns/{campaign_id}/report")
        log = report.json().get("log") if report.status_code == 200 else None
        if (log is not None and log["pending"] == 0) or time.monotonic() > deadline:
            return report
        time.sleep(0.05)
