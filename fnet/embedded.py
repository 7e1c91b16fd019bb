"""The embedded default: all four apps in one process, each on its own port and SQLite file.

Nothing else needs to be installed: the apps share one in-memory event bus. Migrations
are applied before the apps start; Ctrl-C (or SIGTERM) stops every server gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from fnet.apps import APPS, GATEWAY, AppSpec
from kit.events import InMemoryBus
from kit.logs import configure_logging
from kit.migrations import upgrade
from kit.settings import AppSettings


@dataclass
class EmbeddedConfig:
    var_dir: Path
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: {a.name: a.default_port for a in APPS})
    secret: str = ""
    json_logs: bool = False
    log_level: str = "WARNING"

    def url(self, app: AppSpec) -> str:
        return f"http://{self.host}:{self.ports[app.name]}"


def internal_secret() -> str:
    """The identity-token secret: from the environment, else a fresh one for this run
    (tokens live for a minute, so nothing needs it to survive a restart)."""
    return os.environ.get("FNET_INTERNAL_TOKEN_SECRET") or secrets.token_urlsafe(48)


def settings_for(app: AppSpec, config: EmbeddedConfig) -> AppSettings:
    values: dict[str, object] = {
        "database_url": app.database_url(config.var_dir),
        "internal_token_secret": config.secret,
        "json_logs": config.json_logs,
        "log_level": config.log_level,
    }
    if app is GATEWAY:
        values.update(
            {
                f"{service.name}_url": config.url(service)
                for service in APPS
                if service is not GATEWAY
            }
        )
    settings_class: Any = app.settings_class  # each app's class takes its own fields
    settings: AppSettings = settings_class(**values)
    return settings


def migrate_all(config: EmbeddedConfig) -> None:
    for app in APPS:
        upgrade(app.migrations, app.database_url(config.var_dir))


class _Server(uvicorn.Server):
    # One process runs several servers; the embedding code owns the signals, not each server.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(
    config: EmbeddedConfig, after_start: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Run every app until a signal arrives; ``after_start`` runs once all are listening."""
    servers: list[_Server] = []
    # One in-memory bus for the four apps: the embedded default needs no NATS.
    bus = InMemoryBus()
    for app in APPS:
        settings = settings_for(app, config)
        asgi = app.factory(settings) if app is GATEWAY else app.factory(settings, bus=bus)
        servers.append(
            _Server(
                uvicorn.Config(
                    asgi,
                    host=config.host,
                    port=config.ports[app.name],
                    log_config=None,
                    access_log=False,
                    lifespan="on",
                )
            )
        )

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop)

    tasks = [asyncio.create_task(server.serve()) for server in servers]
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            stop()
            break
        await asyncio.sleep(0.05)
    else:
        print(
            f"Foundation Network is up: gateway {config.url(GATEWAY)}  "
            f"API docs {config.url(GATEWAY)}/docs  (Ctrl-C stops)",
            flush=True,
        )
        if after_start is not None:
            try:
                await after_start()
            except Exception:
                stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
    results = await asyncio.gather(*tasks, return_exceptions=True)
    await bus.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    if not all(server.started for server in servers):
        # uvicorn logs why (most often: the port is taken) and returns without raising.
        sys.exit("fnet: an app could not start (is one of its ports already in use?)")


def run(config: EmbeddedConfig, after_start: Callable[[], Awaitable[None]] | None = None) -> None:
    configure_logging("fnet", level=config.log_level, json=config.json_logs)
    migrate_all(config)
    asyncio.run(serve(config, after_start))
