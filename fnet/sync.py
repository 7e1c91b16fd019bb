"""A reference sync client: keeps a local SQLite copy of every shared resource a key may see.

::

    async with httpx.AsyncClient(base_url="https://api.example.org",
                                 headers={"X-API-Key": key}, timeout=60) as http:
        client = SyncClient(http, SQLiteStore("copy.sqlite"))
        await client.pull()                 # until caught up
        await client.pull(wait=30)          # or: wait for the next change (long poll)

How it stays correct over an unreliable network:

- Each page of ``GET /api/v1/sync/changes`` is applied, and its cursor stored, in **one**
  SQLite transaction. A crash or a dropped connection anywhere leaves either the page
  applied with its cursor or neither, so the next pull resumes exactly there.
- Applying a change is idempotent (an upsert keeps the newer version; a remove of what is
  not there is nothing), so a page that is delivered twice does no harm.
- A page with ``resync: true`` (the first of a full resync) clears the local copy in the
  same transaction: the resync then delivers everything that should be there, and nothing
  else remains. A **410** ``resync-required`` forgets the cursor and starts a resync.

Errors: :class:`SyncError` for any answer the client cannot continue from (4xx other than
410, 5xx after the retries of the caller's transport).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CHANGES_PATH = "/api/v1/sync/changes"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoint (
    name TEXT PRIMARY KEY,
    cursor TEXT NOT NULL
);
"""


class SyncError(Exception):
    """The feed answered something the client cannot continue from."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


class SQLiteStore:
    """The local copy: one row per resource (``body`` holds the resource as the API gave
    it, as JSON) and the cursor to resume from."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def cursor(self) -> str | None:
        row = self._db.execute("SELECT cursor FROM checkpoint WHERE name = 'feed'").fetchone()
        return None if row is None else str(row[0])

    def forget_cursor(self) -> None:
        self._db.execute("DELETE FROM checkpoint WHERE name = 'feed'")

    def apply(self, page: dict[str, Any]) -> None:
        """Apply one page and store its cursor, all or nothing."""
        with self._transaction() as db:
            if page["resync"]:
                db.execute("DELETE FROM resources")
            for change in page["changes"]:
                if change["op"] == "upsert":
                    r = change["resource"]
                    db.execute(
                        "INSERT INTO resources (id, version, owner_id, kind, title, updated_at, "
                        "body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                        "version = excluded.version, owner_id = excluded.owner_id, "
                        "kind = excluded.kind, title = excluded.title, "
                        "updated_at = excluded.updated_at, body = excluded.body "
                        "WHERE excluded.version >= resources.version",
                        (
                            r["id"],
                            r["version"],
                            r["owner_id"],
                            r["kind"],
                            r["title"],
                            r["updated_at"],
                            json.dumps(r, ensure_ascii=False, sort_keys=True),
                        ),
                    )
                else:
                    db.execute("DELETE FROM resources WHERE id = ?", (change["id"],))
            db.execute(
                "INSERT INTO checkpoint (name, cursor) VALUES ('feed', ?) "
                "ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor",
                (page["cursor"],),
            )

    def resources(self) -> dict[str, dict[str, Any]]:
        """Every resource held, by id, as the API gave it."""
        rows = self._db.execute("SELECT id, body FROM resources").fetchall()
        return {str(i): json.loads(body) for i, body in rows}


@dataclass
class PullResult:
    pages: int = 0
    upserts: int = 0
    removals: int = 0
    resynced: bool = False
    removed_ids: list[str] = field(default_factory=list)


class SyncClient:
    """Pulls the feed into a :class:`SQLiteStore`. ``http`` carries the base URL, the key
    (``X-API-Key``) and a timeout longer than the longest ``wait`` used."""

    def __init__(self, http: httpx.AsyncClient, store: SQLiteStore, *, limit: int = 500) -> None:
        self.http = http
        self.store = store
        self.limit = limit

    async def _page(self, since: str | None, wait: float) -> dict[str, Any] | None:
        params: dict[str, str | int | float] = {"limit": self.limit}
        if since:
            params["since"] = since
        if wait:
            params["wait"] = wait
        response = await self.http.get(CHANGES_PATH, params=params)
        if response.status_code == 410:
            return None
        if response.status_code != 200:
            detail = response.text
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                detail = str(response.json().get("detail") or detail)
            raise SyncError(response.status_code, detail)
        page: dict[str, Any] = response.json()
        return page

    async def pull(self, *, wait: float = 0) -> PullResult:
        """Apply pages until caught up. ``wait`` (seconds, up to 30): if nothing is new at
        first, wait that long for a change."""
        result = PullResult()
        first = True
        while True:
            since = self.store.cursor()
            page = await self._page(since, wait if first else 0)
            if page is None:  # 410: the cursor is unknown to the feed; start again
                self.store.forget_cursor()
                page = await self._page(None, 0)
                if page is None:
                    raise SyncError(410, "the feed refused a full resync")
            first = False
            self.store.apply(page)
            result.pages += 1
            result.resynced = result.resynced or bool(page["resync"])
            for change in page["changes"]:
                if change["op"] == "upsert":
                    result.upserts += 1
                else:
                    result.removals += 1
                    result.removed_ids.append(change["id"])
            if not page["more"]:
                return result


def verify_webhook(secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Check a Standard Webhooks delivery's signature (``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``) with ``secret`` (``whsec_...``) and return
    its JSON payload; raises ``standardwebhooks.webhooks.WebhookVerificationError`` if it
    does not verify (or is more than five minutes old)."""
    from standardwebhooks.webhooks import Webhook  # noqa: PLC0415  (only receivers need it)

    payload: dict[str, Any] = Webhook(secret).verify(body, headers)
    return payload


async def pull_command(
    url: str, key: str, db: Path, *, follow: bool, wait: float, limit: int = 500
) -> None:
    """``fnet sync pull``: pull until caught up (and, with ``follow``, keep waiting for
    changes), printing one line per pull."""
    store = SQLiteStore(db)
    try:
        async with httpx.AsyncClient(
            base_url=url, headers={"X-API-Key": key}, timeout=wait + 30
        ) as http:
            client = SyncClient(http, store, limit=limit)
            while True:
                result = await client.pull(wait=wait if follow else 0)
                print(
                    f"{len(store.resources())} resources held; this pull: "
                    f"{result.upserts} upserts, {result.removals} removals, "
                    f"{result.pages} pages{', full resync' if result.resynced else ''}",
                    flush=True,
                )
                if not follow:
                    return
    finally:
        store.close()
