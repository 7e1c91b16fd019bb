from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.processes import AppProcess, base_env, fnet, free_port
from tests.support import POSTGRES_URL

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
    if not POSTGRES_URL:
        return {name: f"sqlite+aiosqlite:///{tmp / f'{name}.db'}" for name in APPS}
    admin = make_url(POSTGRES_URL)
    names = {name: f"fnet_e2e_{name}_{secrets.token_hex(3)}" for name in APPS}

    async def create() -> None:
        conn = await asyncpg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            password=admin.password,
            database=admin.database,
        )
        try:
            for db in names.values():
                await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return {
        name: admin.set(database=db).render_as_string(hide_password=False)
        for name, db in names.items()
    }


def _drop(urls: dict[str, str]) -> None:
    if not POSTGRES_URL:
        return
    admin = make_url(POSTGRES_URL)

    async def drop() -> None:
        conn = await asyncpg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            password=admin.password,
            database=admin.database,
        )
        try:
            for url in urls.values():
                await conn.execute(
                    f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
                )
        finally:
            await conn.close()

    asyncio.run(drop())


def _create_key(env: dict[str, str], org: str, *extra: str) -> str:
    out = fnet("keys", "create", "--org", org, *extra, env=env)
    match = re.search(r"^key:\s+(\S+)$", out, re.MULTILINE)
    assert match, out
    return match.group(1)


@pytest.fixture(scope="package")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
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
    for name in ("donations", "partners", "network"):
        env[f"FNET_GATEWAY_{name.upper()}_URL"] = f"http://127.0.0.1:{ports[name]}"
    env["FNET_GATEWAY_UPSTREAM_TIMEOUT_SECONDS"] = "3"
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
        _drop(urls)
